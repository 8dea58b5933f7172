/*
 * tokenizer.c - loading a Hugging Face tokenizer.json (+ tokenizer_config.json)
 * into the pipeline of tokenizer_impl.h, decoding, and the small accessors.
 * Encoding lives in tokenizer_encode.c.
 *
 * Only BPE models load; every normalizer, pre-tokenizer and decoder kind is
 * checked against the list winnow implements, and anything else is refused
 * with its name, so ids are never silently different from transformers'.
 */
#include "tokenizer_impl.h"
#include "../lib/file.h"
#include "../lib/util.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

void token_ids_push(struct token_ids *t, int32_t id)
{
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 64;
		t->ids = xrealloc(t->ids, t->alloc * sizeof(*t->ids));
	}
	t->ids[t->n++] = id;
}

void token_ids_release(struct token_ids *t)
{
	free(t->ids);
	t->ids = NULL;
	t->n = t->alloc = 0;
}

/* --- GPT-2's byte <-> unicode map ----------------------------------------- */

uint32_t tokenizer_byte_char(int b)
{
	int n = 0;
	if ((b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff))
		return (uint32_t)b;
	for (int i = 0; i < b; i++)
		if (!((i >= '!' && i <= '~') || (i >= 0xa1 && i <= 0xac) || (i >= 0xae && i <= 0xff)))
			n++;
	return 256 + (uint32_t)n;
}

static int unicode_to_byte[324];	/* inverse of tokenizer_byte_char, -1 elsewhere */

static pthread_once_t byte_map_once = PTHREAD_ONCE_INIT;

static void init_byte_map(void)
{
	for (int i = 0; i < 324; i++)
		unicode_to_byte[i] = -1;
	for (int b = 0; b < 256; b++)
		unicode_to_byte[tokenizer_byte_char(b)] = b;
}

/*
 * Turns a byte-level token string ("Ġthe") into the bytes it stands for
 * (" the"). Returns 0, or -1 when a character is outside the map (such
 * tokens are kept as their own UTF-8, as transformers' decoder does).
 */
static int unmap_bytes(const char *s, size_t len, struct strbuf *out)
{
	strbuf_reset(out);
	for (size_t i = 0; i < len;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0 || cp < 0 || cp >= 324 || unicode_to_byte[cp] < 0)
			return -1;
		strbuf_addch(out, unicode_to_byte[cp]);
		i += (size_t)n;
	}
	return 0;
}

/* --- reading tokenizer.json ----------------------------------------------- */

static const char *jstr(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int jbool(json_t *obj, const char *key, int dflt)
{
	json_t *v = json_object_get(obj, key);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* "pattern": {"String": "x"} or {"Regex": "..."}; sets *is_regex. */
static const char *pattern_of(json_t *step, int *is_regex)
{
	json_t *p = json_object_get(step, "pattern");
	const char *s;
	*is_regex = 0;
	if ((s = jstr(p, "String")))
		return s;
	*is_regex = 1;
	return jstr(p, "Regex");
}

/*
 * Transformers' regexes run on Oniguruma, whose \s is Unicode White_Space;
 * PCRE2's \s with UCP lacks U+0085, so \s and \S are spelled out.
 */
static char *rewrite_pattern(const char *re)
{
	struct strbuf sb = STRBUF_INIT;
	int in_class = 0;
	for (const char *p = re; *p; p++) {
		if (*p == '\\' && p[1]) {
			if (p[1] == 's')
				strbuf_addstr(&sb, in_class ? "\\t-\\r\\x{85}\\p{Z}" : "[\\t-\\r\\x{85}\\p{Z}]");
			else if (p[1] == 'S' && !in_class)
				strbuf_addstr(&sb, "[^\\t-\\r\\x{85}\\p{Z}]");
			else
				strbuf_add(&sb, p, 2);
			p++;
			continue;
		}
		if (*p == '[' && !in_class) {
			in_class = 1;
			strbuf_addch(&sb, '[');
			if (p[1] == '^')
				strbuf_addch(&sb, *++p);
			if (p[1] == ']')
				strbuf_addch(&sb, *++p);
			continue;
		}
		if (*p == ']' && in_class)
			in_class = 0;
		strbuf_addch(&sb, *p);
	}
	return strbuf_detach(&sb, NULL);
}

static pcre2_code *compile_regex(const char *pattern, int literal, const char *path)
{
	int errcode;
	PCRE2_SIZE erroff;
	char *re = literal ? xstrdup(pattern) : rewrite_pattern(pattern);
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
					 PCRE2_UTF | PCRE2_UCP | (literal ? PCRE2_LITERAL : 0),
					 &errcode, &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		error("'%s': cannot compile the pre-tokenizer regex '%s' at offset %zu: %s",
		      path, pattern, (size_t)erroff, (char *)msg);
	} else {
		pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);	/* falls back to the interpreter */
	}
	free(re);
	return code;
}

/* Flattens a step or a {"type": "Sequence", key: [...]} into a list of steps. */
static void flatten(json_t *node, const char *seq_key, json_t *list)
{
	const char *type = jstr(node, "type");
	if (!node || json_is_null(node))
		return;
	if (type && !strcmp(type, "Sequence")) {
		size_t i;
		json_t *child;
		json_array_foreach(json_object_get(node, seq_key), i, child)
			flatten(child, seq_key, list);
		return;
	}
	json_array_append(list, node);
}

static enum prepend_scheme prepend_of(json_t *step)
{
	const char *scheme = jstr(step, "prepend_scheme");
	if (scheme)
		return !strcmp(scheme, "first") ? PREPEND_FIRST : !strcmp(scheme, "never") ? PREPEND_NEVER : PREPEND_ALWAYS;
	return jbool(step, "add_prefix_space", 1) ? PREPEND_ALWAYS : PREPEND_NEVER;
}

static int load_normalizers(struct tokenizer *tok, json_t *root)
{
	json_t *list = json_array(), *step;
	size_t i;
	int rc = 0;

	flatten(json_object_get(root, "normalizer"), "normalizers", list);
	tok->norm = xcalloc(json_array_size(list) + 1, sizeof(*tok->norm));
	json_array_foreach(list, i, step) {
		const char *type = jstr(step, "type");
		struct normalizer *n = &tok->norm[tok->n_norm];
		int is_regex;
		if (!type)
			type = "(none)";
		if (!strcmp(type, "NFC") || !strcmp(type, "NFD") || !strcmp(type, "NFKC") || !strcmp(type, "NFKD")) {
			n->kind = !strcmp(type, "NFC") ? NORM_NFC : !strcmp(type, "NFD") ? NORM_NFD :
				  !strcmp(type, "NFKC") ? NORM_NFKC : NORM_NFKD;
		} else if (!strcmp(type, "Lowercase")) {
			n->kind = NORM_LOWERCASE;
		} else if (!strcmp(type, "Prepend") && jstr(step, "prepend")) {
			n->kind = NORM_PREPEND;
			n->text = xstrdup(jstr(step, "prepend"));
		} else if (!strcmp(type, "Replace") && pattern_of(step, &is_regex) && !is_regex && jstr(step, "content")) {
			n->kind = NORM_REPLACE;
			n->text = xstrdup(pattern_of(step, &is_regex));
			n->content = xstrdup(jstr(step, "content"));
			if (!*n->text) {
				rc = error("'%s': a Replace normalizer with an empty pattern", tok->path);
				break;
			}
		} else if (!strcmp(type, "Strip")) {
			n->kind = NORM_STRIP;
			n->left = jbool(step, "strip_left", 1);
			n->right = jbool(step, "strip_right", 1);
		} else {
			rc = error("'%s': normalizer '%s' is not supported (winnow reads NFC/NFD/NFKC/NFKD, "
				   "Lowercase, Prepend, Replace with a string, Strip)", tok->path, type);
			break;
		}
		tok->n_norm++;
	}
	json_decref(list);
	return rc;
}

static const char gpt2_regex[] =
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static int load_pretokenizers(struct tokenizer *tok, json_t *root)
{
	json_t *list = json_array(), *step;
	size_t i;
	int rc = 0;

	flatten(json_object_get(root, "pre_tokenizer"), "pretokenizers", list);
	tok->pre = xcalloc(json_array_size(list) + 1, sizeof(*tok->pre));
	json_array_foreach(list, i, step) {
		const char *type = jstr(step, "type"), *behavior;
		struct pretokenizer *p = &tok->pre[tok->n_pre];
		int is_regex;
		if (!type)
			type = "(none)";
		if (!strcmp(type, "Split")) {
			const char *pat = pattern_of(step, &is_regex);
			p->kind = PRE_SPLIT;
			behavior = jstr(step, "behavior");
			p->invert = jbool(step, "invert", 0);
			if (!behavior || !strcmp(behavior, "Isolated"))
				p->behavior = SPLIT_ISOLATED;
			else if (!strcmp(behavior, "Removed"))
				p->behavior = SPLIT_REMOVED;
			else if (!strcmp(behavior, "MergedWithPrevious"))
				p->behavior = SPLIT_MERGED_PREVIOUS;
			else if (!strcmp(behavior, "MergedWithNext"))
				p->behavior = SPLIT_MERGED_NEXT;
			else if (!strcmp(behavior, "Contiguous"))
				p->behavior = SPLIT_CONTIGUOUS;
			else {
				rc = error("'%s': Split behavior '%s' is not supported", tok->path, behavior);
				break;
			}
			if (!pat || !(p->re = compile_regex(pat, !is_regex, tok->path))) {
				rc = pat ? -1 : error("'%s': a Split pre-tokenizer without a pattern", tok->path);
				break;
			}
		} else if (!strcmp(type, "ByteLevel")) {
			p->kind = PRE_BYTE_LEVEL;
			p->add_prefix_space = jbool(step, "add_prefix_space", 1);
			if (jbool(step, "use_regex", 1) && !(p->re = compile_regex(gpt2_regex, 0, tok->path))) {
				rc = -1;
				break;
			}
			tok->bpe.byte_level = 1;
		} else if (!strcmp(type, "Metaspace")) {
			p->kind = PRE_METASPACE;
			p->replacement = xstrdup(jstr(step, "replacement") ? jstr(step, "replacement") : "\xe2\x96\x81");
			p->prepend = prepend_of(step);
			p->split = jbool(step, "split", 1);
		} else if (!strcmp(type, "Digits")) {	/* Rust's char::is_numeric: \p{N} */
			p->kind = PRE_DIGITS;
			p->behavior = SPLIT_ISOLATED;
			if (!(p->re = compile_regex(jbool(step, "individual_digits", 0) ? "\\p{N}" : "\\p{N}+", 0, tok->path))) {
				rc = -1;
				break;
			}
		} else {
			rc = error("'%s': pre-tokenizer '%s' is not supported (winnow reads Split, ByteLevel, "
				   "Metaspace, Digits)", tok->path, type);
			break;
		}
		tok->n_pre++;
	}
	json_decref(list);
	return rc;
}

static int load_decoders(struct tokenizer *tok, json_t *root)
{
	json_t *list = json_array(), *step;
	size_t i;
	int rc = 0;

	flatten(json_object_get(root, "decoder"), "decoders", list);
	tok->dec = xcalloc(json_array_size(list) + 1, sizeof(*tok->dec));
	tok->decode_plain = 1;
	json_array_foreach(list, i, step) {
		const char *type = jstr(step, "type");
		struct decoder *d = &tok->dec[tok->n_dec];
		int is_regex;
		if (!type)
			type = "(none)";
		if (!strcmp(type, "ByteLevel")) {
			d->kind = DEC_BYTE_LEVEL;
		} else if (!strcmp(type, "Replace") && pattern_of(step, &is_regex) && !is_regex &&
			   *pattern_of(step, &is_regex) && jstr(step, "content")) {
			d->kind = DEC_REPLACE;
			d->pattern = xstrdup(pattern_of(step, &is_regex));
			d->content = xstrdup(jstr(step, "content"));
		} else if (!strcmp(type, "ByteFallback")) {
			d->kind = DEC_BYTE_FALLBACK;
		} else if (!strcmp(type, "Fuse")) {
			d->kind = DEC_FUSE;
		} else if (!strcmp(type, "Strip")) {
			json_t *start = json_object_get(step, "start"), *stop = json_object_get(step, "stop");
			d->kind = DEC_STRIP;
			d->content = xstrdup(jstr(step, "content") ? jstr(step, "content") : " ");
			d->start = json_is_integer(start) ? (int)json_integer_value(start) : 0;
			d->stop = json_is_integer(stop) ? (int)json_integer_value(stop) : 0;
		} else if (!strcmp(type, "Metaspace")) {
			d->kind = DEC_METASPACE;
			d->replacement = xstrdup(jstr(step, "replacement") ? jstr(step, "replacement") : "\xe2\x96\x81");
			d->prepend = prepend_of(step);
		} else {
			rc = error("'%s': decoder '%s' is not supported (winnow reads ByteLevel, Replace, "
				   "ByteFallback, Fuse, Strip, Metaspace)", tok->path, type);
			break;
		}
		if (d->kind != DEC_BYTE_LEVEL)
			tok->decode_plain = 0;
		tok->n_dec++;
	}
	json_decref(list);
	return rc;
}

static int load_model(struct tokenizer *tok, json_t *model)
{
	const char *type = jstr(model, "type"), *key;
	json_t *vocab = json_object_get(model, "vocab"), *merges = json_object_get(model, "merges"), *v;
	struct strbuf bytes = STRBUF_INIT;
	size_t i, bad_merges = 0;
	const char *prefix = jstr(model, "continuing_subword_prefix"), *suffix = jstr(model, "end_of_word_suffix");

	if (type && strcmp(type, "BPE"))
		return error("'%s': tokenizer model '%s' is not supported; winnow reads BPE tokenizers "
			     "(GPT-2, Qwen, Llama 2/3, Mistral, SmolLM)", tok->path, type);
	if (!json_is_object(vocab) || !json_is_array(merges))
		return error("'%s': model.vocab must be an object and model.merges a list", tok->path);
	if ((prefix && *prefix) || (suffix && *suffix))
		return error("'%s': BPE continuing_subword_prefix / end_of_word_suffix are not supported", tok->path);
	if (json_is_number(json_object_get(model, "dropout")) && json_number_value(json_object_get(model, "dropout")) > 0)
		return error("'%s': BPE dropout is not supported", tok->path);

	tok->bpe.byte_fallback = jbool(model, "byte_fallback", 0);
	tok->bpe.ignore_merges = jbool(model, "ignore_merges", 0);
	tok->bpe.fuse_unk = jbool(model, "fuse_unk", 0);
	bpe_reserve(&tok->bpe, json_object_size(vocab), json_array_size(merges));
	json_object_foreach(vocab, key, v) {
		json_int_t id = json_integer_value(v);
		const char *s = key;
		size_t len = strlen(key);
		if (!json_is_integer(v) || id < 0 || id > INT32_MAX / 2) {
			strbuf_release(&bytes);
			return error("'%s': vocab entry '%s' has no valid id", tok->path, key);
		}
		if (tok->bpe.byte_level && !unmap_bytes(key, len, &bytes)) {
			s = bytes.buf;
			len = bytes.len;
		}
		if (bpe_set_token(&tok->bpe, (int32_t)id, s, len)) {
			strbuf_release(&bytes);	/* regression: leaked on this error (found by fuzz_tokenizer) */
			return error("'%s': vocab entry '%s' repeats an id or a token", tok->path, key);
		}
	}
	strbuf_release(&bytes);
	json_array_foreach(merges, i, v) {
		const char *a, *b;
		size_t alen, blen;
		struct strbuf ab = STRBUF_INIT, bb = STRBUF_INIT;
		int rc;
		if (json_is_string(v)) {	/* "a b" */
			const char *sp;
			a = json_string_value(v);
			sp = strchr(a, ' ');
			if (!sp)
				return error("'%s': merge %zu ('%s') is not two tokens", tok->path, i, a);
			alen = (size_t)(sp - a);
			b = sp + 1;
			blen = strlen(b);
		} else if (json_is_array(v) && json_array_size(v) == 2 &&
			   json_is_string(json_array_get(v, 0)) && json_is_string(json_array_get(v, 1))) {
			a = json_string_value(json_array_get(v, 0));
			alen = json_string_length(json_array_get(v, 0));
			b = json_string_value(json_array_get(v, 1));
			blen = json_string_length(json_array_get(v, 1));
		} else {
			return error("'%s': merge %zu is neither \"a b\" nor [\"a\", \"b\"]", tok->path, i);
		}
		if (tok->bpe.byte_level) {
			if (!unmap_bytes(a, alen, &ab)) {
				a = ab.buf;
				alen = ab.len;
			}
			if (!unmap_bytes(b, blen, &bb)) {
				b = bb.buf;
				blen = bb.len;
			}
		}
		rc = bpe_add_merge(&tok->bpe, a, alen, b, blen, (uint32_t)i);
		strbuf_release(&ab);
		strbuf_release(&bb);
		if (rc)
			bad_merges++;
	}
	if (bad_merges)
		warning("'%s': %zu merges name tokens missing from the vocabulary; ignored", tok->path, bad_merges);
	if ((key = jstr(model, "unk_token")))
		tok->bpe.unk_id = bpe_lookup(&tok->bpe, key, strlen(key));
	bpe_finish(&tok->bpe);
	return 0;
}

static int added_cmp(const void *a, const void *b)
{
	const struct added_token *x = a, *y = b;
	unsigned char cx = (unsigned char)x->content[0], cy = (unsigned char)y->content[0];
	if (cx != cy)
		return cx < cy ? -1 : 1;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int load_added(struct tokenizer *tok, json_t *root)
{
	json_t *list = json_object_get(root, "added_tokens"), *t;
	size_t i;

	tok->added = xcalloc(json_array_size(list) + 1, sizeof(*tok->added));
	json_array_foreach(list, i, t) {
		const char *content = jstr(t, "content");
		json_t *id = json_object_get(t, "id");
		struct added_token *a;
		if (!content || !*content || !json_is_integer(id) || json_integer_value(id) < 0 ||
		    json_integer_value(id) > INT32_MAX / 2)
			return error("'%s': added_tokens[%zu] needs a content and an id", tok->path, i);
		a = &tok->added[tok->n_added++];
		a->content = xstrdup(content);
		a->len = strlen(content);
		a->id = (int32_t)json_integer_value(id);
		a->special = jbool(t, "special", 0);
		a->lstrip = jbool(t, "lstrip", 0);
		a->rstrip = jbool(t, "rstrip", 0);
		a->single_word = jbool(t, "single_word", 0);
		a->normalized = jbool(t, "normalized", !a->special);
	}
	qsort(tok->added, tok->n_added, sizeof(*tok->added), added_cmp);
	for (i = tok->n_added; i-- > 0;) {
		unsigned char c = (unsigned char)tok->added[i].content[0];
		tok->added_first[c] = (uint32_t)i;
		tok->added_count[c]++;
	}
	return 0;
}

/*
 * json_load_file() reads with getc(), a third of the load time of an 11 MB
 * tokenizer.json; reading the file whole first is much faster. The largest
 * real tokenizer.json files are tens of MB; past TOKENIZER_JSON_MAX the
 * file is refused rather than read into memory.
 */
#define TOKENIZER_JSON_MAX ((size_t)512 << 20)
static json_t *load_json(const char *path, size_t flags, json_error_t *err)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *root;

	if (read_file_limited(path, TOKENIZER_JSON_MAX, &sb)) {
		strbuf_release(&sb);
		err->text[0] = '\0';	/* the reason is printed already */
		return NULL;
	}
	root = json_loadb(sb.buf, sb.len, flags, err);
	strbuf_release(&sb);
	return root;
}

/* The first special token a TemplateProcessing post-processor puts before the text, or NULL. */
static const char *template_bos(json_t *post)
{
	const char *type = jstr(post, "type");
	json_t *single, *first;
	if (!type)
		return NULL;
	if (!strcmp(type, "Sequence")) {
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(post, "processors"), i, p) {
			const char *s = template_bos(p);
			if (s)
				return s;
		}
		return NULL;
	}
	if (strcmp(type, "TemplateProcessing"))
		return NULL;
	single = json_object_get(post, "single");
	first = json_array_get(single, 0);
	return jstr(json_object_get(first, "SpecialToken"), "id");
}

/* "eos_token": "</s>" or {"content": "</s>", ...}; -1 when absent or unknown. */
static int32_t config_token(const struct tokenizer *tok, json_t *config, const char *key)
{
	json_t *v = json_object_get(config, key);
	if (json_is_object(v))
		v = json_object_get(v, "content");
	return json_is_string(v) ? tokenizer_token_id(tok, json_string_value(v)) : -1;
}

static int load_config(struct tokenizer *tok, const char *path, json_t *root)
{
	json_error_t err;
	json_t *config = NULL, *v;
	const char *bos_name = template_bos(json_object_get(root, "post_processor"));
	struct stat st;

	tok->bos = tok->eos = tok->pad = -1;
	if (!stat(path, &st)) {
		config = load_json(path, JSON_DECODE_INT_AS_REAL, &err);
		if (!config)
			return err.text[0] ? error("'%s' line %d: %s", path, err.line, err.text) : -1;
		if (!json_is_object(config)) {
			json_decref(config);
			return error("'%s' is not a JSON object", path);
		}
	}
	tok->bos = config_token(tok, config, "bos_token");
	tok->eos = config_token(tok, config, "eos_token");
	tok->pad = config_token(tok, config, "pad_token");
	if (tok->bos < 0 && bos_name)
		tok->bos = tokenizer_token_id(tok, bos_name);
	v = json_object_get(config, "add_bos_token");
	if (json_is_boolean(v))
		tok->add_bos = json_is_true(v) && tok->bos >= 0;
	else
		tok->add_bos = bos_name && tok->bos >= 0 && tokenizer_token_id(tok, bos_name) == tok->bos;
	v = json_object_get(config, "chat_template");
	if (json_is_array(v)) {	/* [{"name": "default", "template": "..."}, ...] */
		size_t i;
		json_t *t, *pick = NULL;
		json_array_foreach(v, i, t)
			if (!pick || (jstr(t, "name") && !strcmp(jstr(t, "name"), "default")))
				pick = t;
		v = json_object_get(pick, "template");
	}
	if (json_is_string(v))
		tok->chat_template = xstrdup(json_string_value(v));
	json_decref(config);
	return 0;
}

struct tokenizer *tokenizer_load(const char *dir_or_file)
{
	struct tokenizer *tok = xcalloc(1, sizeof(*tok));
	struct stat st;
	json_error_t err;
	json_t *root = NULL;
	char *config_path = NULL, *slash;
	int rc = -1;

	pthread_once(&byte_map_once, init_byte_map);
	bpe_init(&tok->bpe);
	if (stat(dir_or_file, &st)) {
		error("cannot read tokenizer '%s': %s", dir_or_file, strerror(errno));
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		tok->path = xstrfmt("%s/tokenizer.json", dir_or_file);
		config_path = xstrfmt("%s/tokenizer_config.json", dir_or_file);
		if (stat(tok->path, &st)) {
			error("no tokenizer.json in '%s'; download it with the model (winnow reads "
			      "tokenizer.json, not SentencePiece tokenizer.model files)", dir_or_file);
			goto cleanup;
		}
	} else {
		tok->path = xstrdup(dir_or_file);
		slash = strrchr(dir_or_file, '/');
		config_path = slash ? xstrfmt("%.*s/tokenizer_config.json", (int)(slash - dir_or_file), dir_or_file)
				    : xstrdup("tokenizer_config.json");
	}
	root = load_json(tok->path, JSON_ALLOW_NUL, &err);
	if (!root) {
		if (err.text[0])
			error("'%s' line %d column %d: %s", tok->path, err.line, err.column, err.text);
		goto cleanup;
	}
	if (!json_is_object(root) || !json_is_object(json_object_get(root, "model"))) {
		error("'%s' is not a tokenizer.json (no \"model\" object)", tok->path);
		goto cleanup;
	}
	if (load_pretokenizers(tok, root) || load_normalizers(tok, root) || load_decoders(tok, root) ||
	    load_model(tok, json_object_get(root, "model")) || load_added(tok, root))
		goto cleanup;
	tok->vocab_size = tok->bpe.n_ids;
	for (size_t i = 0; i < tok->n_added; i++)
		if ((size_t)tok->added[i].id + 1 > tok->vocab_size)
			tok->vocab_size = (size_t)tok->added[i].id + 1;
	tok->added_of_id = xmalloc((tok->vocab_size + 1) * sizeof(*tok->added_of_id));
	for (size_t i = 0; i < tok->vocab_size; i++)
		tok->added_of_id[i] = -1;
	for (size_t i = 0; i < tok->n_added; i++)
		if (tok->added_of_id[tok->added[i].id] < 0)
			tok->added_of_id[tok->added[i].id] = (int32_t)i;
	if (load_config(tok, config_path, root))
		goto cleanup;
	rc = 0;
cleanup:
	json_decref(root);
	free(config_path);
	if (rc) {
		tokenizer_free(tok);
		return NULL;
	}
	return tok;
}

void tokenizer_free(struct tokenizer *tok)
{
	if (!tok)
		return;
	bpe_release(&tok->bpe);
	for (size_t i = 0; i < tok->n_added; i++)
		free(tok->added[i].content);
	free(tok->added);
	free(tok->added_of_id);
	for (size_t i = 0; i < tok->n_norm; i++) {
		free(tok->norm[i].text);
		free(tok->norm[i].content);
	}
	free(tok->norm);
	for (size_t i = 0; tok->pre && i < tok->n_pre + 1; i++) {
		pcre2_code_free(tok->pre[i].re);	/* the step that failed to load may hold one too */
		free(tok->pre[i].replacement);
	}
	free(tok->pre);
	for (size_t i = 0; tok->dec && i < tok->n_dec + 1; i++) {
		free(tok->dec[i].pattern);
		free(tok->dec[i].content);
		free(tok->dec[i].replacement);
	}
	free(tok->dec);
	free(tok->chat_template);
	free(tok->path);
	free(tok);
}

/* --- accessors ------------------------------------------------------------ */

size_t tokenizer_vocab_size(const struct tokenizer *tok)
{
	return tok->vocab_size;
}

int32_t tokenizer_token_id(const struct tokenizer *tok, const char *token)
{
	struct strbuf bytes = STRBUF_INIT;
	size_t len = strlen(token);
	int32_t id = -1;

	for (size_t i = 0; i < tok->n_added; i++)
		if (tok->added[i].len == len && !memcmp(tok->added[i].content, token, len))
			return tok->added[i].id;
	if (tok->bpe.byte_level && !unmap_bytes(token, len, &bytes))
		id = bpe_lookup(&tok->bpe, bytes.buf, bytes.len);
	if (id < 0)
		id = bpe_lookup(&tok->bpe, token, len);
	strbuf_release(&bytes);
	return id;
}

int32_t tokenizer_bos(const struct tokenizer *tok) { return tok->bos; }
int32_t tokenizer_eos(const struct tokenizer *tok) { return tok->eos; }
int32_t tokenizer_pad(const struct tokenizer *tok) { return tok->pad; }
int tokenizer_add_bos(const struct tokenizer *tok) { return tok->add_bos; }
const char *tokenizer_chat_template(const struct tokenizer *tok) { return tok->chat_template; }
