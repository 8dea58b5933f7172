/*
 * normalize.c - the text every dedupe comparison sees: full/half width
 * folded, case-folded, with whitespace, punctuation and symbols removed, as
 * an array of code points.
 *
 * Why drop punctuation and spaces: copies of a record in the wild differ
 * mostly in exactly those (，vs ,  "  vs “  double spaces, line wraps), and
 * none of it changes what the record says. The common cases (ASCII, CJK
 * ideographs, Hangul syllables, the fullwidth ASCII block) take a fast path;
 * everything else goes through utf8proc's compatibility decomposition and
 * case folding.
 */
#include "dedupe.h"
#include "dedupe_internal.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <string.h>
#include <utf8proc.h>

void codepoints_release(struct codepoints *c)
{
	free(c->cp);
	c->cp = NULL;
	c->nr = c->alloc = 0;
}

static void codepoints_grow(struct codepoints *c, size_t extra)
{
	if (c->nr + extra > c->alloc) {
		size_t want = c->alloc ? c->alloc * 2 : 256;
		while (want < c->nr + extra)
			want *= 2;
		c->cp = xrealloc(c->cp, want * sizeof(*c->cp));
		c->alloc = want;
	}
}

int32_t dedupe_utf8_next(const unsigned char *s, size_t len, size_t *pos)
{
	size_t n;
	int32_t cp = utf8_decode(s + *pos, len - *pos, &n);
	*pos += n;
	return cp;
}

static inline uint32_t ascii_fold(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + ('a' - 'A');
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return c;
	return 0;
}

static size_t fold_slow(int32_t c, uint32_t *out)
{
	utf8proc_int32_t buf[DEDUPE_FOLD_MAX];
	int last_boundclass = 0;
	utf8proc_ssize_t n = utf8proc_decompose_char(c, buf, DEDUPE_FOLD_MAX,
		UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD, &last_boundclass);
	size_t kept = 0;
	if (n < 0 || n > DEDUPE_FOLD_MAX)
		return 0;
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		utf8proc_category_t cat = utf8proc_category(buf[i]);
		/* letters (Lu Ll Lt Lm Lo), marks (Mn Mc Me), numbers (Nd Nl No) */
		if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO)
			out[kept++] = (uint32_t)buf[i];
	}
	return kept;
}

size_t dedupe_fold_char(int32_t c, uint32_t *out)
{
	uint32_t u = (uint32_t)c;
	if (c < 0)
		return 0;
	if (u < 0x80) {
		out[0] = ascii_fold(u);
		return out[0] != 0;
	}
	if (u >= 0xFF01 && u <= 0xFF5E) {	/* fullwidth ASCII */
		out[0] = ascii_fold(u - 0xFEE0);
		return out[0] != 0;
	}
	if ((u >= 0x4E00 && u <= 0x9FFF) || (u >= 0x3400 && u <= 0x4DBF) ||
	    (u >= 0xAC00 && u <= 0xD7A3)) {	/* no decomposition, no case */
		out[0] = u;
		return 1;
	}
	return fold_slow(c, out);
}

size_t dedupe_normalize(struct codepoints *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t pos = 0, before = out->nr;
	codepoints_grow(out, len + 1);
	while (pos < len) {
		unsigned c = p[pos];
		if (c < 0x80) {		/* the common case, inline */
			uint32_t f = ascii_fold(c);
			pos++;
			if (f)
				out->cp[out->nr++] = f;
			continue;
		}
		uint32_t buf[DEDUPE_FOLD_MAX];
		size_t n = dedupe_fold_char(dedupe_utf8_next(p, len, &pos), buf);
		codepoints_grow(out, n);
		memcpy(out->cp + out->nr, buf, n * sizeof(*buf));
		out->nr += n;
	}
	return out->nr - before;
}

uint64_t dedupe_hash_codepoints(const uint32_t *cp, size_t n, uint64_t seed)
{
	return hash64(cp, n * sizeof(*cp), seed);
}
