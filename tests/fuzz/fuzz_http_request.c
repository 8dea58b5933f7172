/* fuzz_http_request.c - the server's HTTP/1.x request parser, on every prefix a slow client could send. */
#include "fuzz.h"
#include "../../serve/http_parse.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t len = size > 64 ? size - 64 : 0; len <= size; len++) {
		struct http_request req;
		memset(&req, 0, sizeof(req));
		enum http_parse_status st = http_parse_request((const char *)data, len, 8192, 1 << 20, &req);
		if (st == HTTP_PARSE_DONE && (req.consumed > len || strlen(req.path) >= sizeof(req.path)))
			abort();
	}
	return 0;
}
