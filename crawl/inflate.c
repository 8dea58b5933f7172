/*
 * inflate.c - gzip decoding with a ceiling, for .gz sitemaps and saved
 * pages. The output is cut off at a limit instead of expanded: a 10 KB
 * gzip bomb never becomes 10 GB of memory.
 */
#include "crawl_internal.h"
#include "../lib/util.h"

#include <zlib.h>

int is_gzip(const char *data, size_t len)
{
	return len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b;
}

int gunzip_limited(const char *data, size_t len, size_t limit, struct strbuf *out)
{
	z_stream z = { 0 };
	int rc = 0, zr;
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return error("cannot start gzip decoder");
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
	size_t start = out->len;
	do {
		strbuf_grow(out, 65536);
		z.next_out = (Bytef *)out->buf + out->len;
		z.avail_out = (uInt)(out->alloc - out->len - 1);
		size_t before = z.avail_out;
		zr = inflate(&z, Z_NO_FLUSH);
		out->len += before - z.avail_out;
		out->buf[out->len] = '\0';
		if (out->len - start > limit) {
			rc = 1;
			out->len = start + limit;
			out->buf[out->len] = '\0';
			break;
		}
		if (zr == Z_STREAM_END && z.avail_in) {
			/* concatenated members */
			inflateReset(&z);
			zr = Z_OK;
		}
	} while (zr == Z_OK);
	if (!rc && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
		rc = error("corrupt gzip data");
	else if (!rc && zr == Z_BUF_ERROR)
		rc = error("truncated gzip data");
	inflateEnd(&z);
	return rc;
}
