/*
 * charset.c - which character set a page is in, and decoding it to UTF-8.
 *
 * The order follows the HTML standard's sniffing, simplified: BOM, then the
 * HTTP header, then a <meta> prescan of the first 4 KB (also the XML
 * declaration), then what the bytes say. A declaration is not trusted
 * blindly: pages that declare gb2312 but are really UTF-8 are common, so
 * bytes that are valid UTF-8 with non-ASCII in them are read as UTF-8.
 * GB2312 and GBK pages routinely use characters outside their declared set,
 * so both are decoded as GB18030 (their superset); Latin-1 is read as
 * windows-1252 as browsers do. Decoding goes through iconv and never fails:
 * undecodable bytes become U+FFFD, so everything stored is valid UTF-8.
 */
#include "crawl.h"
#include "../lib/util.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

int utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;
	while (s < end) {
		if (*s < 0x80) {
			/* ASCII runs eight bytes at a time */
			while (end - s >= 8) {
				uint64_t w;
				memcpy(&w, s, 8);
				if (w & 0x8080808080808080ULL)
					break;
				s += 8;
			}
			while (s < end && *s < 0x80)
				s++;
			continue;
		}
		unsigned c = *s;
		size_t n;
		uint32_t cp;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 2; cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 3; cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 4; cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(end - s) < n)
			return 0;
		for (size_t i = 1; i < n; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3F);
		}
		if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			return 0;
		s += n;
	}
	return 1;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3 :
		   s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
	if (!n || n > avail || !utf8_valid((const char *)s, n))
		return 0;
	return n;
}

static int has_high_bytes(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

static const struct {
	const char *label, *iconv;
} charset_aliases[] = {
	{ "utf-8", "UTF-8" }, { "utf8", "UTF-8" }, { "unicode-1-1-utf-8", "UTF-8" },
	{ "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "gb18030", "GB18030" },
	{ "gb_2312-80", "GB18030" }, { "gb_2312", "GB18030" }, { "x-gbk", "GB18030" },
	{ "csgb2312", "GB18030" }, { "euc-cn", "GB18030" }, { "x-euc-cn", "GB18030" },
	{ "cp936", "GB18030" }, { "windows-936", "GB18030" }, { "chinese", "GB18030" },
	{ "iso-ir-58", "GB18030" }, { "hz-gb-2312", "GB18030" },
	{ "big5", "BIG5-HKSCS" }, { "big5-hkscs", "BIG5-HKSCS" }, { "x-x-big5", "BIG5-HKSCS" },
	{ "cn-big5", "BIG5-HKSCS" }, { "csbig5", "BIG5-HKSCS" },
	{ "shift_jis", "CP932" }, { "shift-jis", "CP932" }, { "sjis", "CP932" },
	{ "x-sjis", "CP932" }, { "ms_kanji", "CP932" }, { "windows-31j", "CP932" },
	{ "cp932", "CP932" }, { "csshiftjis", "CP932" },
	{ "euc-jp", "EUC-JP" }, { "x-euc-jp", "EUC-JP" }, { "iso-2022-jp", "ISO-2022-JP" },
	{ "euc-kr", "CP949" }, { "ks_c_5601-1987", "CP949" }, { "windows-949", "CP949" },
	{ "cp949", "CP949" }, { "ksc5601", "CP949" }, { "ksc_5601", "CP949" },
	{ "iso-8859-1", "WINDOWS-1252" }, { "iso8859-1", "WINDOWS-1252" },
	{ "latin1", "WINDOWS-1252" }, { "l1", "WINDOWS-1252" }, { "us-ascii", "WINDOWS-1252" },
	{ "ascii", "WINDOWS-1252" }, { "cp1252", "WINDOWS-1252" }, { "x-cp1252", "WINDOWS-1252" },
	{ "cp819", "WINDOWS-1252" }, { "iso_8859-1", "WINDOWS-1252" },
	{ "windows-1250", "WINDOWS-1250" }, { "windows-1251", "WINDOWS-1251" },
	{ "windows-1252", "WINDOWS-1252" }, { "windows-1253", "WINDOWS-1253" },
	{ "windows-1254", "WINDOWS-1254" }, { "windows-1255", "WINDOWS-1255" },
	{ "windows-1256", "WINDOWS-1256" }, { "windows-1257", "WINDOWS-1257" },
	{ "windows-1258", "WINDOWS-1258" }, { "cp1251", "WINDOWS-1251" },
	{ "koi8-r", "KOI8-R" }, { "koi8-u", "KOI8-U" }, { "tis-620", "TIS-620" },
	{ "windows-874", "CP874" },
};

/*
 * The iconv name for a declared label, or NULL when winnow cannot decode
 * it. UTF-16 in a <meta> is a lie by definition (the prescan read ASCII),
 * so the caller passes from_meta to map it to UTF-8.
 */
static const char *charset_from_label(const char *label, size_t len, int from_meta)
{
	char name[48];
	size_t n = 0;
	while (len && (*label == ' ' || *label == '"' || *label == '\'')) {
		label++;
		len--;
	}
	for (size_t i = 0; i < len && n + 1 < sizeof(name); i++) {
		char c = label[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == ':'))
			break;
		name[n++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
	}
	name[n] = '\0';
	if (!n)
		return NULL;
	for (size_t i = 0; i < sizeof(charset_aliases) / sizeof(charset_aliases[0]); i++)
		if (!strcmp(name, charset_aliases[i].label))
			return charset_aliases[i].iconv;
	if (!strncmp(name, "utf-16", 6))
		return from_meta ? "UTF-8" : (!strcmp(name, "utf-16be") ? "UTF-16BE" : "UTF-16LE");
	if (!strncmp(name, "iso-8859-", 9) && n <= 11) {
		static const char *const iso[] = { NULL, "WINDOWS-1252", "ISO-8859-2", "ISO-8859-3",
			"ISO-8859-4", "ISO-8859-5", "ISO-8859-6", "ISO-8859-7", "ISO-8859-8",
			"WINDOWS-1254", "ISO-8859-10", "ISO-8859-11", NULL, "ISO-8859-13",
			"ISO-8859-14", "ISO-8859-15", "ISO-8859-16" };
		long k;
		if (!parse_long(name + 9, 1, 16, &k) && iso[k])
			return iso[k];
	}
	return NULL;
}

/* Finds "charset=" in s[0..len) and returns the label after it. */
static const char *find_charset_param(const char *s, size_t len, size_t *label_len)
{
	for (size_t i = 0; i + 7 <= len; i++) {
		if (strncasecmp(s + i, "charset", 7))
			continue;
		size_t j = i + 7;
		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (j >= len || s[j] != '=')
			continue;
		j++;
		while (j < len && (s[j] == ' ' || s[j] == '"' || s[j] == '\''))
			j++;
		*label_len = len - j;
		return s + j;
	}
	return NULL;
}

/* The charset a <meta> or <?xml encoding?> in the first 4 KB declares. */
static const char *prescan_meta(const char *body, size_t len)
{
	size_t n = len < 4096 ? len : 4096;
	if (n > 5 && !strncmp(body, "<?xml", 5)) {
		const char *end = memchr(body, '>', n);
		for (const char *p = body; end && p + 8 < end; p++)
			if (!strncmp(p, "encoding", 8)) {
				const char *q = p + 8;
				while (q < end && (*q == '=' || *q == ' ' || *q == '"' || *q == '\''))
					q++;
				const char *cs = charset_from_label(q, (size_t)(end - q), 1);
				if (cs)
					return cs;
				break;
			}
	}
	for (size_t i = 0; i + 5 < n; i++) {
		if (body[i] != '<' || strncasecmp(body + i + 1, "meta", 4))
			continue;
		const char *tag = body + i;
		const char *end = memchr(tag, '>', n - i);
		if (!end)
			break;
		size_t label_len;
		const char *label = find_charset_param(tag, (size_t)(end - tag), &label_len);
		if (label) {
			const char *cs = charset_from_label(label, label_len, 1);
			if (cs)
				return cs;
		}
		i = (size_t)(end - body);
	}
	return NULL;
}

/* 1 if body decodes under cs without a single error. */
static int decodes_cleanly(const char *body, size_t len, const char *cs)
{
	iconv_t cd = iconv_open("UTF-8", cs);
	char buf[4096];
	int ok = 1;
	if (cd == (iconv_t)-1)
		return 0;
	char *in = (char *)body;
	size_t inleft = len;
	while (inleft) {
		char *out = buf;
		size_t outleft = sizeof(buf);
		if (iconv(cd, &in, &inleft, &out, &outleft) == (size_t)-1 && errno != E2BIG) {
			ok = 0;
			break;
		}
	}
	iconv_close(cd);
	return ok;
}

const char *charset_detect(const char *body, size_t len, const char *content_type)
{
	const char *declared = NULL;
	if (len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3))
		return "UTF-8";
	if (len >= 2 && !memcmp(body, "\xFF\xFE", 2))
		return "UTF-16LE";
	if (len >= 2 && !memcmp(body, "\xFE\xFF", 2))
		return "UTF-16BE";
	if (content_type) {
		size_t label_len;
		const char *label = find_charset_param(content_type, strlen(content_type), &label_len);
		if (label)
			declared = charset_from_label(label, label_len, 0);
	}
	if (!declared)
		declared = prescan_meta(body, len);
	if (!has_high_bytes(body, len))
		return declared && !strncmp(declared, "UTF-16", 6) ? declared :
		       declared ? declared : "UTF-8";
	if (utf8_valid(body, len))
		return "UTF-8";	/* whatever was declared: real UTF-8 is never valid by chance */
	if (declared)
		return declared;
	/* nothing declared and not UTF-8: Chinese if it decodes as such, else Western */
	if (decodes_cleanly(body, len < 65536 ? len : 65536, "GB18030"))
		return "GB18030";
	return "WINDOWS-1252";
}

/* Appends s with every invalid UTF-8 sequence replaced by U+FFFD. */
static void add_utf8_repaired(struct strbuf *out, const char *s, size_t len)
{
	if (utf8_valid(s, len)) {
		strbuf_add(out, s, len);
		return;
	}
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		size_t n = utf8_seq(p, (size_t)(end - p));
		if (n) {
			strbuf_add(out, p, n);
			p += n;
		} else {
			strbuf_addstr(out, "\xEF\xBF\xBD");
			p++;
		}
	}
}

const char *charset_decode(const char *body, size_t len, const char *content_type,
			   struct strbuf *out)
{
	const char *cs = charset_detect(body, len, content_type);
	if (!strcmp(cs, "UTF-8")) {
		if (len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3)) {
			body += 3;
			len -= 3;
		}
		add_utf8_repaired(out, body, len);
		return cs;
	}
	iconv_t cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1) {
		add_utf8_repaired(out, body, len);
		return "UTF-8";
	}
	if (len >= 2 && !strncmp(cs, "UTF-16", 6) &&
	    (!memcmp(body, "\xFF\xFE", 2) || !memcmp(body, "\xFE\xFF", 2))) {
		body += 2;
		len -= 2;
	}
	char *in = (char *)body;
	size_t inleft = len;
	strbuf_grow(out, len + len / 2 + 16);
	while (inleft) {
		strbuf_grow(out, inleft + 64);
		char *o = out->buf + out->len;
		size_t oleft = out->alloc - out->len - 1;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		out->len = (size_t)(o - out->buf);
		out->buf[out->len] = '\0';
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		/* EILSEQ or a truncated sequence at the end: mark it, move on */
		strbuf_addstr(out, "\xEF\xBF\xBD");
		in++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	iconv_close(cd);
	return cs;
}
