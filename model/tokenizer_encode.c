/*
 * tokenizer_encode.c - text to ids, in transformers' order: added tokens are
 * split out of the raw text first (leftmost, longest), then each piece of
 * text between them is normalised, pre-tokenised into words, and each word
 * is BPE-encoded (bpe.c).
 *
 * Text is first made valid UTF-8 (each invalid byte becomes U+FFFD, as a
 * Python str would hold it), so PCRE2 can run without its UTF check.
 */
#define _GNU_SOURCE /* memmem */
#include "tokenizer_impl.h"
#include "../lib/text.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Pieces of text, all stored back to back in one buffer. */
struct piece {
	size_t off, len;
	int at_start;		/* begins at offset 0 of the original text */
};

struct pieces {
	struct strbuf text;
	struct piece *p;
	size_t n, alloc;
};

static void pieces_reset(struct pieces *ps)
{
	strbuf_reset(&ps->text);
	ps->n = 0;
}

static void pieces_release(struct pieces *ps)
{
	strbuf_release(&ps->text);
	free(ps->p);
}

/* Appends a new piece holding s; returns it. */
static struct piece *piece_add(struct pieces *ps, const char *s, size_t len, int at_start)
{
	if (ps->n == ps->alloc) {
		ps->alloc = ps->alloc ? 2 * ps->alloc : 64;
		ps->p = xrealloc(ps->p, ps->alloc * sizeof(*ps->p));
	}
	ps->p[ps->n] = (struct piece){ ps->text.len, len, at_start };
	strbuf_add(&ps->text, s, len);
	return &ps->p[ps->n++];
}

/* Extends the last piece with s (which must directly follow in ps->text). */
static void piece_extend(struct pieces *ps, const char *s, size_t len)
{
	strbuf_add(&ps->text, s, len);
	ps->p[ps->n - 1].len += len;
}

struct encode_state {
	const struct tokenizer *tok;
	pcre2_match_data *md;
	struct strbuf norm, tmp;
	struct pieces a, b;
};

/* 1 if s starts with a whitespace character (Unicode White_Space); its length in *clen. */
int tokenizer_is_space(const char *s, size_t len, size_t *clen)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	unsigned char c = (unsigned char)s[0];

	*clen = 1;
	if (c < 0x80)
		return c == ' ' || (c >= '\t' && c <= '\r');
	n = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp);
	if (n <= 0)
		return 0;
	*clen = (size_t)n;
	if (cp == 0x85)
		return 1;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return 1;
	default:
		return 0;
	}
}

/* --- normalizers ---------------------------------------------------------- */

/*
 * 1 if s is certainly in NFC already: every code point is one that Unicode
 * marks NFC_Quick_Check=Yes and that never composes with what precedes it
 * (ASCII to U+02FF, CJK punctuation and kana other than the combining
 * U+3099/U+309A, CJK ideographs, full-width forms, emoji). Most text
 * passes, and skips utf8proc's decompose-and-recompose.
 */
static int nfc_quick_yes(const char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n) {
		int32_t cp = utf8_decode((const unsigned char *)s + i, len - i, &n);
		if (cp < 0)
			return 0;
		if (cp < 0x300 || (cp >= 0x3000 && cp < 0x3099) || (cp >= 0x309b && cp < 0x3100) ||
		    (cp >= 0x4e00 && cp < 0xa000) || (cp >= 0xff00 && cp < 0xfff0) ||
		    (cp >= 0x1f000 && cp < 0x1fb00))
			continue;
		return 0;
	}
	return 1;
}

static int normalize(struct encode_state *st, const char *s, size_t len)
{
	const struct tokenizer *tok = st->tok;
	struct strbuf *cur = &st->norm, *tmp = &st->tmp;

	strbuf_reset(cur);
	strbuf_add(cur, s, len);
	for (size_t i = 0; i < tok->n_norm; i++) {
		const struct normalizer *n = &tok->norm[i];
		int ascii = 1;
		switch (n->kind) {
		case NORM_NFC:
		case NORM_NFD:
		case NORM_NFKC:
		case NORM_NFKD: {
			utf8proc_uint8_t *out = NULL;
			utf8proc_ssize_t r;
			int opts = UTF8PROC_STABLE;
			for (size_t k = 0; k < cur->len && ascii; k++)
				ascii = (unsigned char)cur->buf[k] < 0x80;
			if (ascii || (n->kind == NORM_NFC && nfc_quick_yes(cur->buf, cur->len)))
				break;	/* every normal form of ASCII is itself */
			opts |= n->kind == NORM_NFC || n->kind == NORM_NFKC ? UTF8PROC_COMPOSE : UTF8PROC_DECOMPOSE;
			if (n->kind == NORM_NFKC || n->kind == NORM_NFKD)
				opts |= UTF8PROC_COMPAT;
			r = utf8proc_map((const utf8proc_uint8_t *)cur->buf, (utf8proc_ssize_t)cur->len, &out, opts);
			if (r < 0)
				return error("cannot normalise text: %s", utf8proc_errmsg(r));
			strbuf_reset(cur);
			strbuf_add(cur, out, (size_t)r);
			free(out);
			break;
		}
		case NORM_LOWERCASE:
			strbuf_reset(tmp);
			for (size_t k = 0; k < cur->len;) {
				utf8proc_int32_t cp;
				utf8proc_uint8_t enc[4];
				utf8proc_ssize_t m = utf8proc_iterate((const utf8proc_uint8_t *)cur->buf + k,
								      (utf8proc_ssize_t)(cur->len - k), &cp);
				if (m <= 0)
					return error("cannot lowercase invalid UTF-8");
				strbuf_add(tmp, enc, (size_t)utf8proc_encode_char(utf8proc_tolower(cp), enc));
				k += (size_t)m;
			}
			strbuf_reset(cur);
			strbuf_add(cur, tmp->buf, tmp->len);
			break;
		case NORM_PREPEND:
			if (cur->len) {
				strbuf_reset(tmp);
				strbuf_addstr(tmp, n->text);
				strbuf_add(tmp, cur->buf, cur->len);
				strbuf_reset(cur);
				strbuf_add(cur, tmp->buf, tmp->len);
			}
			break;
		case NORM_REPLACE: {
			size_t plen = strlen(n->text);
			const char *p = cur->buf, *end = cur->buf + cur->len, *hit;
			strbuf_reset(tmp);
			while ((hit = memmem(p, (size_t)(end - p), n->text, plen))) {
				strbuf_add(tmp, p, (size_t)(hit - p));
				strbuf_addstr(tmp, n->content);
				p = hit + plen;
			}
			strbuf_add(tmp, p, (size_t)(end - p));
			strbuf_reset(cur);
			strbuf_add(cur, tmp->buf, tmp->len);
			break;
		}
		case NORM_STRIP: {
			size_t b = 0, e = cur->len, cl;
			while (n->left && b < e && tokenizer_is_space(cur->buf + b, e - b, &cl))
				b += cl;
			while (n->right && e > b) {
				size_t k = e - 1;
				while (k > b && ((unsigned char)cur->buf[k] & 0xc0) == 0x80)
					k--;
				if (!tokenizer_is_space(cur->buf + k, e - k, &cl))
					break;
				e = k;
			}
			strbuf_reset(tmp);
			strbuf_add(tmp, cur->buf + b, e - b);
			strbuf_reset(cur);
			strbuf_add(cur, tmp->buf, tmp->len);
			break;
		}
		}
	}
	return 0;
}

/* --- pre-tokenizers ------------------------------------------------------- */

/* One regex split of s into out, by behavior (matches and the gaps between them). */
static int split_regex(struct encode_state *st, pcre2_code *re, enum split_behavior behavior, int invert,
		       const char *s, size_t len, int at_start, struct pieces *out)
{
	size_t start = 0, last = 0;
	int prev_kind = -1;	/* kind of the last piece emitted: 0 gap, 1 match; -1 none */
	int merge_next = 0;	/* the next piece joins the last one (MergedWithNext) */

	for (;;) {
		size_t ms = len, me = len;
		int found = 0;
		while (start < len) {
			int rc = pcre2_match(re, (PCRE2_SPTR)s, len, start, PCRE2_NO_UTF_CHECK, st->md, NULL);
			PCRE2_SIZE *ov;
			if (rc == PCRE2_ERROR_NOMATCH)
				break;
			if (rc < 0)
				return error("pre-tokenizer regex failed (PCRE2 error %d)", rc);
			ov = pcre2_get_ovector_pointer(st->md);
			if (ov[1] > ov[0]) {
				ms = ov[0];
				me = ov[1];
				found = 1;
				break;
			}
			start = ov[0] + 1;	/* an empty match splits nothing; step past it */
			while (start < len && ((unsigned char)s[start] & 0xc0) == 0x80)
				start++;
		}
		/* two runs: the gap [last, ms) then the match [ms, me) */
		for (int part = 0; part < 2; part++) {
			size_t b = part ? ms : last, e = part ? me : ms;
			int is_match = part ^ invert;
			if (e <= b)
				continue;
			if (is_match && behavior == SPLIT_REMOVED)
				continue;
			if (merge_next) {
				piece_extend(out, s + b, e - b);
				merge_next = 0;
			} else if (is_match && out->n && prev_kind >= 0 &&
				   (behavior == SPLIT_MERGED_PREVIOUS || (behavior == SPLIT_CONTIGUOUS && prev_kind == 1))) {
				piece_extend(out, s + b, e - b);
			} else {
				piece_add(out, s + b, e - b, at_start && b == 0);
			}
			if (is_match && behavior == SPLIT_MERGED_NEXT)
				merge_next = 1;
			prev_kind = is_match;
		}
		if (!found)
			break;
		last = start = me;
	}
	return 0;
}

static int pretokenize_step(struct encode_state *st, const struct pretokenizer *p,
			    const struct pieces *in, struct pieces *out)
{
	pieces_reset(out);
	for (size_t i = 0; i < in->n; i++) {
		const char *s = in->text.buf + in->p[i].off;
		size_t len = in->p[i].len;
		int at_start = in->p[i].at_start;
		switch (p->kind) {
		case PRE_SPLIT:
		case PRE_DIGITS:
			if (split_regex(st, p->re, p->behavior, p->invert, s, len, at_start, out))
				return -1;
			break;
		case PRE_BYTE_LEVEL: {
			struct strbuf *t = &st->tmp;
			strbuf_reset(t);
			if (p->add_prefix_space && (!len || s[0] != ' '))
				strbuf_addch(t, ' ');
			strbuf_add(t, s, len);
			if (!p->re)
				piece_add(out, t->buf, t->len, at_start);
			else if (split_regex(st, p->re, SPLIT_ISOLATED, 0, t->buf, t->len, at_start, out))
				return -1;
			break;
		}
		case PRE_METASPACE: {
			struct strbuf *t = &st->tmp;
			size_t rlen = strlen(p->replacement), word = 0;
			strbuf_reset(t);
			if ((p->prepend == PREPEND_ALWAYS || (p->prepend == PREPEND_FIRST && at_start)) &&
			    !(len && s[0] == ' ') && !(len >= rlen && !memcmp(s, p->replacement, rlen)))
				strbuf_addstr(t, p->replacement);
			for (size_t k = 0; k < len; k++) {
				if (s[k] == ' ')
					strbuf_addstr(t, p->replacement);
				else
					strbuf_addch(t, s[k]);
			}
			if (!p->split) {
				piece_add(out, t->buf, t->len, at_start);
				break;
			}
			for (size_t k = 0; k <= t->len; k++) {	/* a new word at each replacement */
				if (k == t->len || (k > word && t->len - k >= rlen && !memcmp(t->buf + k, p->replacement, rlen))) {
					if (k > word)
						piece_add(out, t->buf + word, k - word, at_start && !word);
					word = k;
				}
			}
			break;
		}
		}
	}
	return 0;
}

static int encode_text(struct encode_state *st, const char *s, size_t len, int at_start, struct token_ids *out)
{
	const struct tokenizer *tok = st->tok;
	struct pieces *cur = &st->a, *next = &st->b, *swap;

	if (!len)
		return 0;
	if (normalize(st, s, len))
		return -1;
	if (!st->norm.len)
		return 0;
	pieces_reset(cur);
	piece_add(cur, st->norm.buf, st->norm.len, at_start);
	for (size_t i = 0; i < tok->n_pre; i++) {
		if (pretokenize_step(st, &tok->pre[i], cur, next))
			return -1;
		swap = cur;
		cur = next;
		next = swap;
	}
	for (size_t i = 0; i < cur->n; i++)
		if (bpe_encode_word(&tok->bpe, cur->text.buf + cur->p[i].off, cur->p[i].len, out))
			return -1;
	return 0;
}

/* --- added tokens --------------------------------------------------------- */

static int is_word_char(const char *s, size_t len)
{
	utf8proc_int32_t cp;
	if (utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp) <= 0)
		return 0;
	if (cp == '_')
		return 1;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
		return 1;
	default:
		return 0;
	}
}

/* The longest added token at s[i], honouring single_word; NULL when none. */
static const struct added_token *added_at(const struct tokenizer *tok, const char *s, size_t len, size_t i)
{
	unsigned char c = (unsigned char)s[i];
	for (uint32_t k = 0; k < tok->added_count[c]; k++) {
		const struct added_token *a = &tok->added[tok->added_first[c] + k];
		if (a->len > len - i || memcmp(s + i, a->content, a->len))
			continue;
		if (a->single_word) {
			size_t p = i;
			while (p > 0 && ((unsigned char)s[--p] & 0xc0) == 0x80)
				;
			if ((i > 0 && is_word_char(s + p, i - p)) ||
			    (i + a->len < len && is_word_char(s + i + a->len, len - i - a->len)))
				continue;
		}
		return a;
	}
	return NULL;
}

static int valid_utf8(const char *s, size_t len)
{
	for (size_t i = 0, n; i < len; i += n)
		if (utf8_decode((const unsigned char *)s + i, len - i, &n) < 0)
			return 0;
	return 1;
}

int tokenizer_encode(const struct tokenizer *tok, const char *text, size_t len, struct token_ids *out)
{
	struct encode_state st = { tok, NULL, STRBUF_INIT, STRBUF_INIT, { STRBUF_INIT, NULL, 0, 0 },
				   { STRBUF_INIT, NULL, 0, 0 } };
	struct strbuf valid = STRBUF_INIT;
	size_t seg = 0, i = 0;
	int rc = -1;

	if (!valid_utf8(text, len)) {
		text_append_valid(&valid, text, len);
		text = valid.buf;
		len = valid.len;
	}
	st.md = pcre2_match_data_create(32, NULL);
	while (i < len) {
		const struct added_token *a = tok->added_count[(unsigned char)text[i]] ? added_at(tok, text, len, i) : NULL;
		size_t seg_end, next, cl;
		if (!a) {
			i++;
			continue;
		}
		seg_end = i;
		next = i + a->len;
		if (a->lstrip)
			while (seg_end > seg) {
				size_t k = seg_end - 1;
				while (k > seg && ((unsigned char)text[k] & 0xc0) == 0x80)
					k--;
				if (!tokenizer_is_space(text + k, seg_end - k, &cl))
					break;
				seg_end = k;
			}
		if (a->rstrip)
			while (next < len && tokenizer_is_space(text + next, len - next, &cl))
				next += cl;
		if (encode_text(&st, text + seg, seg_end - seg, seg == 0, out))
			goto cleanup;
		token_ids_push(out, a->id);
		seg = i = next;
	}
	if (encode_text(&st, text + seg, len - seg, seg == 0, out))
		goto cleanup;
	rc = 0;
cleanup:
	pcre2_match_data_free(st.md);
	strbuf_release(&st.norm);
	strbuf_release(&st.tmp);
	pieces_release(&st.a);
	pieces_release(&st.b);
	strbuf_release(&valid);
	return rc;
}
