/*
 * fuzz_import.c - import's conversion of items into records: Alpaca keys
 * and aliases, ShareGPT conversations and OpenAI messages (turns, roles,
 * content parts, history), CSV headers and columns. The first byte picks
 * the format as --format would; every record must come out as UTF-8 text.
 */
#include "fuzz.h"
#include "../../db/import.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const formats[] = { NULL, "sharegpt", "alpaca", "jsonl", "csv" };
	const char *format = size ? formats[data[0] % 5] : NULL;
	const char *path = fuzz_file(size ? data + 1 : data, size ? size - 1 : 0, "items");
	struct importer im;
	struct record r;
	memset(&im, 0, sizeof(im));
	im.name = "items";
	im.format = format && strcmp(format, "csv") ? format : NULL;
	im.skip_bad = 1;
	strbuf_init(&im.history, 0);
	strbuf_init(&im.err, 0);
	strbuf_init(&im.where, 0);
	strbuf_init(&im.turn_user, 0);
	strbuf_init(&im.turn_assistant, 0);
	strbuf_init(&im.turn_system, 0);
	strbuf_init(&im.turn_rejected, 0);
	strbuf_init(&im.tools, 0);
	strbuf_init(&im.media, 0);
	strbuf_init(&im.roles, 0);
	strbuf_init(&im.flat.arena, 0);
	int failed = format && !strcmp(format, "csv") ? items_open_csv(&im, path, ',')
		   : items_open_json(&im, path, format && !strcmp(format, "jsonl") ? JSON_LAYOUT_LINES
										  : JSON_LAYOUT_AUTO);
	for (int i = 0; !failed && i < 10000; i++) {
		enum item_result got = items_next(&im, &r);
		if (got == ITEM_END || got == ITEM_FATAL)
			break;
		if (got == ITEM_RECORD && (strlen(r.instruction) != r.instruction_len ||
					   strlen(r.output) != r.output_len || strlen(r.history) != r.history_len))
			abort();	/* a NUL inside a field would cut it in the corpus */
	}
	items_close(&im);
	for (int f = 0; f < FIELD_COUNT; f++)
		free(im.col_name[f]);
	strbuf_release(&im.history);
	strbuf_release(&im.err);
	strbuf_release(&im.where);
	strbuf_release(&im.turn_user);
	strbuf_release(&im.turn_assistant);
	strbuf_release(&im.turn_system);
	strbuf_release(&im.turn_rejected);
	strbuf_release(&im.tools);
	strbuf_release(&im.media);
	strbuf_release(&im.roles);
	strbuf_release(&im.flat.arena);
	return 0;
}
