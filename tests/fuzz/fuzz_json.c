/* fuzz_json.c - the JSON/JSON Lines item reader, the flat-object fast path and jansson on each item. */
#include "fuzz.h"
#include "../../lib/json.h"

#include <string.h>

static void read_all(const char *path, enum json_layout layout)
{
	struct json_reader r;
	struct flat_object flat;
	memset(&flat, 0, sizeof(flat));
	strbuf_init(&flat.arena, 0);
	if (json_reader_open(&r, path, layout))
		return;
	for (int i = 0; i < 10000 && json_reader_next(&r) > 0; i++) {
		char err[200];
		if (flat_object_parse(&flat, r.item.buf, r.item.len))
			for (size_t m = 0; m < flat.n; m++)
				(void)strlen(flat.members[m].value);
		json_decref(json_parse(r.item.buf, r.item.len, err, sizeof(err)));
	}
	json_reader_close(&r);
	strbuf_release(&flat.arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, "items.json");
	read_all(path, JSON_LAYOUT_AUTO);
	read_all(path, JSON_LAYOUT_LINES);
	read_all(path, JSON_LAYOUT_ARRAY);
	return 0;
}
