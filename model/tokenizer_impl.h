/*
 * tokenizer_impl.h - the inside of struct tokenizer, shared by the files
 * that load it (tokenizer.c), encode with it (tokenizer_encode.c) and
 * decode with it. Nothing outside train/tokenizer*.c includes this.
 *
 * A tokenizer is a pipeline read from tokenizer.json:
 *   added tokens split out -> normalizers -> pre-tokenizers -> BPE per
 *   pre-token;  ids -> token strings -> decoders -> text.
 * Every stage is a small array of steps of the kinds winnow understands;
 * loading refuses any other kind by name, so a tokenizer either loads and
 * matches transformers or does not load at all.
 */
#ifndef WINNOW_TOKENIZER_IMPL_H
#define WINNOW_TOKENIZER_IMPL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "bpe.h"
#include "tokenizer.h"

struct added_token {
	char *content;
	size_t len;
	int32_t id;
	unsigned special : 1, lstrip : 1, rstrip : 1, single_word : 1, normalized : 1;
};

enum normalizer_kind { NORM_NFC, NORM_NFD, NORM_NFKC, NORM_NFKD, NORM_LOWERCASE,
		       NORM_PREPEND, NORM_REPLACE, NORM_STRIP };

struct normalizer {
	enum normalizer_kind kind;
	char *text;		/* PREPEND: what; REPLACE: pattern */
	char *content;		/* REPLACE: replacement */
	int left, right;	/* STRIP */
};

enum split_behavior { SPLIT_ISOLATED, SPLIT_REMOVED, SPLIT_MERGED_PREVIOUS,
		      SPLIT_MERGED_NEXT, SPLIT_CONTIGUOUS };
enum pretok_kind { PRE_SPLIT, PRE_BYTE_LEVEL, PRE_METASPACE, PRE_DIGITS };
enum prepend_scheme { PREPEND_NEVER, PREPEND_FIRST, PREPEND_ALWAYS };

struct pretokenizer {
	enum pretok_kind kind;
	pcre2_code *re;			/* SPLIT, BYTE_LEVEL with use_regex, DIGITS */
	enum split_behavior behavior;
	int invert;
	int add_prefix_space;		/* BYTE_LEVEL */
	char *replacement;		/* METASPACE, usually "▁" */
	enum prepend_scheme prepend;	/* METASPACE */
	int split;			/* METASPACE: a new piece at each replacement */
};

enum decoder_kind { DEC_BYTE_LEVEL, DEC_REPLACE, DEC_BYTE_FALLBACK, DEC_FUSE,
		    DEC_STRIP, DEC_METASPACE };

struct decoder {
	enum decoder_kind kind;
	char *pattern, *content;	/* REPLACE; STRIP: content */
	int start, stop;		/* STRIP */
	enum prepend_scheme prepend;	/* METASPACE */
	char *replacement;		/* METASPACE */
};

struct tokenizer {
	char *path;			/* tokenizer.json, for messages */
	struct bpe_model bpe;

	struct added_token *added;	/* sorted by first byte, then longest first */
	size_t n_added;
	uint32_t added_first[256];	/* index of the first added token starting with each byte */
	uint32_t added_count[256];	/* how many start with it */
	int32_t *added_of_id;		/* (vocab_size) index into added, or -1 */

	struct normalizer *norm;
	size_t n_norm;
	struct pretokenizer *pre;
	size_t n_pre;
	struct decoder *dec;
	size_t n_dec;
	int decode_plain;		/* decoders are identity on stored bytes: concatenate */

	size_t vocab_size;
	int32_t bos, eos, pad;
	int add_bos;
	char *chat_template;
};

/* tokenizer.c: the code point GPT-2's byte-level alphabet uses for byte b ("Ġ" for a space) */
uint32_t tokenizer_byte_char(int b);
/* tokenizer_encode.c: 1 if s starts with White_Space; the character's length in *clen */
int tokenizer_is_space(const char *s, size_t len, size_t *clen);

#endif
