/*
 * tokenizer_write.c - writes a byte-level tokenizer (256 byte tokens, no
 * merges, plus the ChatML special tokens) in Hugging Face's format, so
 * `winnow model init --byte-tokenizer` builds a model that needs nothing
 * downloaded, and transformers can load the same folder.
 */
#include "tokenizer_impl.h"
#include "../lib/util.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

static const char *const byte_specials[] = { "<|endoftext|>", "<|im_start|>", "<|im_end|>" };

static json_t *byte_level_step(void)
{
	return json_pack("{s:s, s:b, s:b, s:b}", "type", "ByteLevel", "add_prefix_space", 0,
			 "trim_offsets", 0, "use_regex", 0);
}

static json_t *added_token(int id, const char *content)
{
	return json_pack("{s:i, s:s, s:b, s:b, s:b, s:b, s:b}", "id", id, "content", content,
			 "single_word", 0, "lstrip", 0, "rstrip", 0, "normalized", 0, "special", 1);
}

static int write_json(json_t *root, const char *dir, const char *name)
{
	char *path = xstrfmt("%s/%s", dir, name);
	int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (rc)
		error("cannot write '%s': %s", path, strerror(errno));
	free(path);
	return rc ? -1 : 0;
}

int tokenizer_write_byte_level(const char *dir)
{
	json_t *vocab = json_object(), *added = json_array(), *decoder_added = json_object();
	json_t *tokenizer, *config;
	char *probe = xstrfmt("%s/x", dir);
	int rc;

	rc = make_parent_dirs(probe);
	free(probe);
	if (rc)
		return -1;
	for (int b = 0; b < 256; b++) {
		char utf8[5] = { 0 };
		utf8proc_encode_char((utf8proc_int32_t)tokenizer_byte_char(b), (utf8proc_uint8_t *)utf8);
		json_object_set_new(vocab, utf8, json_integer(b));
	}
	for (int i = 0; i < 3; i++) {
		char key[16];
		snprintf(key, sizeof(key), "%d", 256 + i);
		json_array_append_new(added, added_token(256 + i, byte_specials[i]));
		json_object_set_new(decoder_added, key, json_pack("{s:s, s:b, s:b, s:b, s:b, s:b}",
			"content", byte_specials[i], "lstrip", 0, "normalized", 0, "rstrip", 0,
			"single_word", 0, "special", 1));
	}
	tokenizer = json_pack("{s:s, s:n, s:n, s:o, s:n, s:o, s:o, s:o, s:{s:s, s:n, s:n, s:n, s:n, "
			      "s:b, s:b, s:b, s:o, s:[]}}",
			      "version", "1.0", "truncation", "padding", "added_tokens", added,
			      "normalizer", "pre_tokenizer", byte_level_step(),
			      "post_processor", byte_level_step(), "decoder", byte_level_step(),
			      "model", "type", "BPE", "dropout", "unk_token", "continuing_subword_prefix",
			      "end_of_word_suffix", "fuse_unk", 0, "byte_fallback", 0, "ignore_merges", 0,
			      "vocab", vocab, "merges");
	config = json_pack("{s:b, s:b, s:o, s:n, s:s, s:s, s:n, s:i, s:s, s:b, s:s}",
			   "add_bos_token", 0, "add_eos_token", 0, "added_tokens_decoder", decoder_added,
			   "bos_token", "eos_token", "<|im_end|>", "pad_token", "<|endoftext|>",
			   "unk_token", "model_max_length", 2048, "tokenizer_class", "PreTrainedTokenizerFast",
			   "clean_up_tokenization_spaces", 0,
			   "chat_template",
			   "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
			   "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
			   "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");
	if (!tokenizer || !config)
		die("cannot build the byte-level tokenizer JSON");
	rc = write_json(tokenizer, dir, "tokenizer.json");
	if (!rc)
		rc = write_json(config, dir, "tokenizer_config.json");
	json_decref(tokenizer);
	json_decref(config);
	return rc;
}
