/*
 * tokenizer_decode.c - ids back to text through the tokenizer.json decoder
 * chain (ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace), which
 * works on the list of token strings as transformers' decoders do.
 *
 * Byte-level vocabularies are stored as raw bytes, so their decoder is a
 * concatenation. Bytes are passed on as they are: a character whose bytes
 * span two tokens comes out whole once both are decoded, which is what a
 * caller streaming text needs (decode everything so far, print the new
 * part). transformers would write U+FFFD for bytes that never complete.
 */
#define _GNU_SOURCE /* memmem */
#include "tokenizer_impl.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

struct token_strings {
	struct strbuf *s;
	size_t n, alloc;
};

static struct strbuf *strings_add(struct token_strings *t)
{
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 64;
		t->s = xrealloc(t->s, t->alloc * sizeof(*t->s));
	}
	strbuf_init(&t->s[t->n], 0);
	return &t->s[t->n++];
}

static void strings_release(struct token_strings *t)
{
	for (size_t i = 0; i < t->n; i++)
		strbuf_release(&t->s[i]);
	free(t->s);
}

static void replace_all(struct strbuf *sb, const char *pattern, const char *content)
{
	size_t plen = strlen(pattern);
	struct strbuf out = STRBUF_INIT;
	const char *p = sb->buf, *end = sb->buf + sb->len, *hit;

	if (!plen || !memmem(p, sb->len, pattern, plen))
		return;
	while ((hit = memmem(p, (size_t)(end - p), pattern, plen))) {
		strbuf_add(&out, p, (size_t)(hit - p));
		strbuf_addstr(&out, content);
		p = hit + plen;
	}
	strbuf_add(&out, p, (size_t)(end - p));
	strbuf_release(sb);
	*sb = out;
}

/* The byte of a "<0xNN>" token, or -1. */
static int fallback_byte(const struct strbuf *sb)
{
	const char *s = sb->buf;
	int v = 0;
	if (sb->len != 6 || memcmp(s, "<0x", 3) || s[5] != '>')
		return -1;
	for (int i = 3; i < 5; i++) {
		char c = s[i];
		v = v * 16 + (c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
			      c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1000);
	}
	return v < 0 ? -1 : v;
}

static void apply_decoder(const struct decoder *d, struct token_strings *t)
{
	struct token_strings out = { NULL, 0, 0 };

	switch (d->kind) {
	case DEC_BYTE_LEVEL:
		break;	/* byte-level tokens are stored as their bytes already */
	case DEC_REPLACE:
		for (size_t i = 0; i < t->n; i++)
			replace_all(&t->s[i], d->pattern, d->content);
		break;
	case DEC_BYTE_FALLBACK:
		for (size_t i = 0; i < t->n; i++) {
			int b = fallback_byte(&t->s[i]);
			if (b >= 0) {
				struct strbuf *bytes = out.n && i && fallback_byte(&t->s[i - 1]) >= 0 ?
						       &out.s[out.n - 1] : strings_add(&out);
				strbuf_addch(bytes, b);
			} else {
				strbuf_add(strings_add(&out), t->s[i].buf, t->s[i].len);
			}
		}
		strings_release(t);
		*t = out;
		break;
	case DEC_FUSE: {
		struct strbuf *all = strings_add(&out);
		for (size_t i = 0; i < t->n; i++)
			strbuf_add(all, t->s[i].buf, t->s[i].len);
		strings_release(t);
		*t = out;
		break;
	}
	case DEC_STRIP: {
		size_t clen = strlen(d->content);
		for (size_t i = 0; i < t->n && clen; i++) {
			struct strbuf *sb = &t->s[i];
			size_t b = 0, e = sb->len;
			for (int k = 0; k < d->start && e - b >= clen && !memcmp(sb->buf + b, d->content, clen); k++)
				b += clen;
			for (int k = 0; k < d->stop && e - b >= clen && !memcmp(sb->buf + e - clen, d->content, clen); k++)
				e -= clen;
			if (b || e != sb->len) {
				memmove(sb->buf, sb->buf + b, e - b);
				sb->len = e - b;
				sb->buf[sb->len] = '\0';
			}
		}
		break;
	}
	case DEC_METASPACE:
		for (size_t i = 0; i < t->n; i++) {
			struct strbuf *sb = &t->s[i];
			replace_all(sb, d->replacement, " ");
			if (i == 0 && d->prepend != PREPEND_NEVER && sb->len && sb->buf[0] == ' ') {
				memmove(sb->buf, sb->buf + 1, sb->len);
				sb->len--;
			}
		}
		break;
	}
}

int tokenizer_decode(const struct tokenizer *tok, const int32_t *ids, size_t n, int skip_special, struct strbuf *out)
{
	struct token_strings t = { NULL, 0, 0 };

	for (size_t i = 0; i < n; i++) {
		int32_t id = ids[i];
		const char *s = NULL;
		size_t len = 0;
		if (id < 0 || (size_t)id >= tok->vocab_size)
			continue;	/* ids past the vocabulary (padded embeddings) decode to nothing */
		if (tok->added_of_id[id] >= 0) {
			const struct added_token *a = &tok->added[tok->added_of_id[id]];
			if (skip_special && a->special)
				continue;
			s = a->content;
			len = a->len;
		} else if (!(s = bpe_token(&tok->bpe, id, &len))) {
			continue;
		}
		if (tok->decode_plain)
			strbuf_add(out, s, len);
		else
			strbuf_add(strings_add(&t), s, len);
	}
	if (tok->decode_plain)
		return 0;
	for (size_t i = 0; i < tok->n_dec; i++)
		apply_decoder(&tok->dec[i], &t);
	for (size_t i = 0; i < t.n; i++)
		strbuf_add(out, t.s[i].buf, t.s[i].len);
	strings_release(&t);
	return 0;
}
