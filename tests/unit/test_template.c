/*
 * test_template.c - prompt templates against text written out by hand from
 * the published formats (Stanford Alpaca's wording, ChatML, Llama 3's
 * headers, Llama 2's [INST] / <<SYS>>), with LLaMA-Factory's piecewise
 * encoding and loss mask.
 *
 * With winnow's byte-level tokenizer every id is a byte (or one of three
 * special tokens), so the expected ids come from a ten-line encoder here,
 * not from the tokenizer under test. With the real tokenizers the ids must
 * equal the encoding of the whole hand-written conversation wherever
 * piecewise encoding cannot differ (pieces meet at special tokens).
 */
#include "unit.h"
#include "tokenizer_fixture.h"

#include "../../lib/strbuf.h"
#include "../../model/template.h"

/* The byte tokenizer by hand: specials are 256..258, everything else its bytes. */
static void by_hand(const char *text, int is_response, struct token_ids *ids, struct token_ids *labels)
{
	static const char *const specials[] = { "<|endoftext|>", "<|im_start|>", "<|im_end|>" };
	while (*text) {
		int32_t id = (unsigned char)*text;
		size_t len = 1;
		for (int i = 0; i < 3; i++)
			if (!strncmp(text, specials[i], strlen(specials[i]))) {
				id = 256 + i;
				len = strlen(specials[i]);
			}
		token_ids_push(ids, id);
		token_ids_push(labels, is_response ? id : LABEL_IGNORE);
		text += len;
	}
}

static void assert_ids_equal(const struct token_ids *got, const struct token_ids *want, const char *what)
{
	if (got->n != want->n || memcmp(got->ids, want->ids, got->n * sizeof(*got->ids))) {
		size_t i = 0;
		while (i < got->n && i < want->n && got->ids[i] == want->ids[i])
			i++;
		fprintf(stderr, "# %s differ at %zu (got %zu ids, want %zu): got %d, want %d\n", what, i, got->n,
			want->n, i < got->n ? got->ids[i] : -1, i < want->n ? want->ids[i] : -1);
	}
	assert_int_equal(got->n, want->n);
	assert_memory_equal(got->ids, want->ids, got->n * sizeof(*got->ids));
}

static struct tokenizer *byte_tokenizer(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/winnow-template-XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(tokenizer_write_byte_level(dir), 0);
	return tokenizer_load(dir);
}

static void release(struct token_ids *a, struct token_ids *b, struct token_ids *c, struct token_ids *d)
{
	token_ids_release(a);
	token_ids_release(b);
	token_ids_release(c);
	token_ids_release(d);
}

static void test_alpaca_wording(void **state)
{
	char dir[64];
	struct tokenizer *tok = byte_tokenizer(dir, sizeof(dir));
	struct token_ids ids = { 0 }, labels = { 0 }, want = { 0 }, want_labels = { 0 };
	struct chat_example plain = { "", "Name a color.", "", "Blue.", "" };
	struct chat_example with_input = { "", "Translate to English.", "你好", "Hello", "[]" };
	(void)state;
	assert_non_null(tok);

	assert_int_equal(template_encode(tok, TEMPLATE_ALPACA, &plain, &ids, &labels), 0);
	by_hand("Below is an instruction that describes a task. Write a response that appropriately "
		"completes the request.\n\n### Instruction:\nName a color.\n\n### Response:", 0, &want, &want_labels);
	by_hand("Blue.<|im_end|>", 1, &want, &want_labels);	/* the byte tokenizer's eos is <|im_end|> */
	assert_ids_equal(&ids, &want, "alpaca ids");
	assert_ids_equal(&labels, &want_labels, "alpaca labels");
	release(&ids, &labels, &want, &want_labels);

	assert_int_equal(template_encode(tok, TEMPLATE_ALPACA, &with_input, &ids, &labels), 0);
	by_hand("Below is an instruction that describes a task, paired with an input that provides further "
		"context. Write a response that appropriately completes the request.\n\n### Instruction:\n"
		"Translate to English.\n\n### Input:\n你好\n\n### Response:", 0, &want, &want_labels);
	by_hand("Hello<|im_end|>", 1, &want, &want_labels);
	assert_ids_equal(&ids, &want, "alpaca-with-input ids");
	assert_ids_equal(&labels, &want_labels, "alpaca-with-input labels");
	release(&ids, &labels, &want, &want_labels);

	/* the prompt alone is what chat continues */
	assert_int_equal(template_encode_prompt(tok, TEMPLATE_ALPACA, &plain, &ids), 0);
	by_hand("Below is an instruction that describes a task. Write a response that appropriately "
		"completes the request.\n\n### Instruction:\nName a color.\n\n### Response:", 0, &want, &want_labels);
	assert_ids_equal(&ids, &want, "alpaca prompt");
	release(&ids, &labels, &want, &want_labels);

	tokenizer_free(tok);
	fixture_cleanup(dir);
}

/* A system prompt and a history turn, in ChatML. */
static const struct chat_example conversation = {
	"Be brief.", "Sum", "1 2", "3", "[[\"Hi\", \"Hello!\"]]"
};

static void test_chatml_turns(void **state)
{
	char dir[64];
	struct tokenizer *tok = byte_tokenizer(dir, sizeof(dir));
	struct token_ids ids = { 0 }, labels = { 0 }, want = { 0 }, want_labels = { 0 };
	(void)state;
	assert_non_null(tok);

	assert_int_equal(template_encode(tok, TEMPLATE_CHATML, &conversation, &ids, &labels), 0);
	by_hand("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
		"<|im_start|>assistant\n", 0, &want, &want_labels);
	by_hand("Hello!<|im_end|>\n", 1, &want, &want_labels);
	by_hand("<|im_start|>user\nSum\n1 2<|im_end|>\n<|im_start|>assistant\n", 0, &want, &want_labels);
	by_hand("3<|im_end|>\n", 1, &want, &want_labels);
	assert_ids_equal(&ids, &want, "chatml ids");
	assert_ids_equal(&labels, &want_labels, "chatml labels");
	release(&ids, &labels, &want, &want_labels);

	assert_int_equal(template_encode_prompt(tok, TEMPLATE_CHATML, &conversation, &ids), 0);
	by_hand("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
		"Hello!<|im_end|>\n<|im_start|>user\nSum\n1 2<|im_end|>\n<|im_start|>assistant\n", 0, &want, &want_labels);
	assert_ids_equal(&ids, &want, "chatml prompt");
	release(&ids, &labels, &want, &want_labels);

	assert_int_equal(template_end_token(tok, TEMPLATE_CHATML), 258);
	tokenizer_free(tok);
	fixture_cleanup(dir);
}

/* ids, and the response ids in order (the non-ignored labels), of one encoding. */
static void encode_whole(const struct tokenizer *tok, const char *text, struct token_ids *out)
{
	assert_int_equal(tokenizer_encode(tok, text, strlen(text), out), 0);
}

static void response_ids(const struct token_ids *ids, const struct token_ids *labels, struct token_ids *out)
{
	assert_int_equal(ids->n, labels->n);
	for (size_t i = 0; i < labels->n; i++) {
		assert_true(labels->ids[i] == LABEL_IGNORE || labels->ids[i] == ids->ids[i]);
		if (labels->ids[i] != LABEL_IGNORE)
			token_ids_push(out, labels->ids[i]);
	}
}

static void test_qwen3_chatml(void **state)
{
	char dir[256];
	struct tokenizer *tok = fixture_tokenizer("qwen3", dir, sizeof(dir));
	struct token_ids ids = { 0 }, labels = { 0 }, want = { 0 }, resp = { 0 }, want_resp = { 0 };
	int32_t im_end;
	(void)state;
	assert_non_null(tok);
	im_end = tokenizer_token_id(tok, "<|im_end|>");

	assert_int_equal(template_encode(tok, template_detect(tok), &conversation, &ids, &labels), 0);
	/* no BOS for Qwen */
	encode_whole(tok, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
		     "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nSum\n1 2<|im_end|>\n"
		     "<|im_start|>assistant\n3<|im_end|>\n", &want);
	assert_ids_equal(&ids, &want, "qwen3 chatml ids");
	response_ids(&ids, &labels, &resp);
	encode_whole(tok, "Hello!", &want_resp);
	token_ids_push(&want_resp, im_end);
	encode_whole(tok, "\n", &want_resp);
	encode_whole(tok, "3", &want_resp);
	token_ids_push(&want_resp, im_end);
	encode_whole(tok, "\n", &want_resp);
	assert_ids_equal(&resp, &want_resp, "qwen3 response ids");
	assert_int_equal(template_end_token(tok, TEMPLATE_CHATML), im_end);
	release(&ids, &labels, &want, &resp);
	token_ids_release(&want_resp);
	tokenizer_free(tok);
	fixture_cleanup(dir);
}

static void test_llama3_format(void **state)
{
	char dir[256];
	struct tokenizer *tok = fixture_tokenizer("llama3", dir, sizeof(dir));
	struct token_ids ids = { 0 }, labels = { 0 }, want = { 0 }, resp = { 0 }, want_resp = { 0 };
	struct chat_example ex = { "Be brief.", "Hi", "", "Hello!", "" };
	int32_t eot;
	(void)state;
	assert_non_null(tok);
	eot = tokenizer_token_id(tok, "<|eot_id|>");
	assert_true(eot >= 0);

	assert_int_equal(template_encode(tok, TEMPLATE_LLAMA3, &ex, &ids, &labels), 0);
	encode_whole(tok, "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
		     "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
		     "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>", &want);
	assert_ids_equal(&ids, &want, "llama3 ids");
	response_ids(&ids, &labels, &resp);
	encode_whole(tok, "Hello!", &want_resp);
	token_ids_push(&want_resp, eot);
	assert_ids_equal(&resp, &want_resp, "llama3 response ids");
	assert_int_equal(template_end_token(tok, TEMPLATE_LLAMA3), eot);
	release(&ids, &labels, &want, &resp);
	token_ids_release(&want_resp);
	tokenizer_free(tok);
	fixture_cleanup(dir);
}

/* Llama 2: <s>[INST] <<SYS>>...<</SYS>> user [/INST] answer</s>, BOS before every turn. */
static void test_llama2_format(void **state)
{
	char dir[256];
	struct tokenizer *tok = fixture_tokenizer("llama2", dir, sizeof(dir));
	struct token_ids ids = { 0 }, labels = { 0 }, want = { 0 }, want_labels = { 0 };
	struct chat_example ex = { "", "Say hi", "", "Hi", "" };
	(void)state;
	assert_non_null(tok);

	assert_int_equal(template_encode(tok, TEMPLATE_LLAMA2, &conversation, &ids, &labels), 0);
	token_ids_push(&want, 1);
	encode_whole(tok, "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]", &want);
	for (size_t i = 0; i < want.n; i++)
		token_ids_push(&want_labels, LABEL_IGNORE);
	encode_whole(tok, "Hello!", &want);
	token_ids_push(&want, 2);
	for (size_t i = want_labels.n; i < want.n; i++)
		token_ids_push(&want_labels, want.ids[i]);
	token_ids_push(&want, 1);
	encode_whole(tok, "[INST] Sum\n1 2 [/INST]", &want);
	for (size_t i = want_labels.n; i < want.n; i++)
		token_ids_push(&want_labels, LABEL_IGNORE);
	encode_whole(tok, "3", &want);
	token_ids_push(&want, 2);
	for (size_t i = want_labels.n; i < want.n; i++)
		token_ids_push(&want_labels, want.ids[i]);
	assert_ids_equal(&ids, &want, "llama2 ids");
	assert_ids_equal(&labels, &want_labels, "llama2 labels");
	release(&ids, &labels, &want, &want_labels);

	/* alpaca with a tokenizer that asks for BOS (add_bos_token: true) starts with it, unlabelled */
	assert_int_equal(template_encode(tok, TEMPLATE_ALPACA, &ex, &ids, &labels), 0);
	token_ids_push(&want, 1);
	encode_whole(tok, "Below is an instruction that describes a task. Write a response that appropriately "
		     "completes the request.\n\n### Instruction:\nSay hi\n\n### Response:", &want);
	for (size_t i = 0; i < want.n; i++)
		token_ids_push(&want_labels, LABEL_IGNORE);
	encode_whole(tok, "Hi", &want);
	token_ids_push(&want, 2);
	for (size_t i = want_labels.n; i < want.n; i++)
		token_ids_push(&want_labels, want.ids[i]);
	assert_ids_equal(&ids, &want, "llama2-tokenizer alpaca ids");
	assert_ids_equal(&labels, &want_labels, "llama2-tokenizer alpaca labels");
	release(&ids, &labels, &want, &want_labels);

	tokenizer_free(tok);
	fixture_cleanup(dir);
}

static void test_bad_history(void **state)
{
	char dir[64];
	struct tokenizer *tok = byte_tokenizer(dir, sizeof(dir));
	struct token_ids ids = { 0 }, labels = { 0 };
	struct chat_example broken = { "", "q", "", "a", "[[\"only one\"]]" };
	struct chat_example not_json = { "", "q", "", "a", "[[\"x\", " };
	(void)state;
	assert_non_null(tok);
	assert_int_equal(template_encode(tok, TEMPLATE_CHATML, &broken, &ids, &labels), -1);
	assert_int_equal(template_encode(tok, TEMPLATE_ALPACA, &not_json, &ids, &labels), -1);
	token_ids_release(&ids);
	token_ids_release(&labels);
	tokenizer_free(tok);
	fixture_cleanup(dir);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(template_from_name("auto"), TEMPLATE_AUTO);
	assert_int_equal(template_from_name("alpaca"), TEMPLATE_ALPACA);
	assert_int_equal(template_from_name("chatml"), TEMPLATE_CHATML);
	assert_int_equal(template_from_name("llama3"), TEMPLATE_LLAMA3);
	assert_int_equal(template_from_name("llama2"), TEMPLATE_LLAMA2);
	assert_int_equal(template_from_name("vicuna"), -1);
	assert_string_equal(template_name(TEMPLATE_LLAMA3), "llama3");
	assert_string_equal(template_stop_strings(TEMPLATE_CHATML)[0], "<|im_end|>");
	assert_string_equal(template_stop_strings(TEMPLATE_LLAMA3)[0], "<|eot_id|>");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alpaca_wording),
		cmocka_unit_test(test_chatml_turns),
		cmocka_unit_test(test_qwen3_chatml),
		cmocka_unit_test(test_llama3_format),
		cmocka_unit_test(test_llama2_format),
		cmocka_unit_test(test_bad_history),
		cmocka_unit_test(test_names),
	};
	return RUN_TESTS(tests);
}
