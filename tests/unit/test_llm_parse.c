/*
 * test_llm_parse.c - reading model answers: the first balanced JSON value
 * among fences and chatter, numbered and bulleted lists (Chinese markers
 * included), SSE streams fed in awkward pieces, and the classification of
 * platform errors into retry / fatal.
 */
#include "unit.h"

#include <string.h>

#include "../../llm/llm.h"

static void test_extract_json_fenced(void **state)
{
	const char *text = "好的！\n```json\n{\"items\": [\"一\", \"二{}\"], \"n\": 2}\n```\n还有 {这个}";
	json_t *v = llm_extract_json(text, strlen(text));
	(void)state;
	assert_non_null(v);
	assert_int_equal(json_array_size(json_object_get(v, "items")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(v, "items"), 1)), "二{}");
	json_decref(v);
}

static void test_extract_json_skips_unparsable(void **state)
{
	/* "{not json}" balances but does not parse: the next candidate is taken */
	const char *text = "see {not json} then [1, 2, {\"a\": \"]\"}]";
	json_t *v = llm_extract_json(text, strlen(text));
	(void)state;
	assert_non_null(v);
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 2), "a")), "]");
	json_decref(v);
	assert_null(llm_extract_json("no json here", 12));
	assert_null(llm_extract_json("{\"cut\": [1, 2", 13));
	assert_null(llm_extract_json("[1, 2}", 6));
}

static void test_parse_numbered_list(void **state)
{
	const char *text =
		"以下是20个问题：\n"
		"1. 我这周的运气怎么样？\n"
		"2、下个月适合搬家吗\n"
		"3) \"今天出门顺利吗\"\n"
		"（4）最近财运如何？\n"
		"5．**明天考试能过吗**\n"
		"- 要不要换工作\n"
		"希望对你有帮助！\n";
	struct string_list items = STRING_LIST_INIT;
	(void)state;
	assert_int_equal(llm_parse_list(text, strlen(text), &items), 6);
	assert_string_equal(items.items[0], "我这周的运气怎么样？");
	assert_string_equal(items.items[1], "下个月适合搬家吗");
	assert_string_equal(items.items[2], "今天出门顺利吗");
	assert_string_equal(items.items[3], "最近财运如何？");
	assert_string_equal(items.items[4], "明天考试能过吗");
	assert_string_equal(items.items[5], "要不要换工作");
	string_list_clear(&items);
}

static void test_parse_list_without_markers(void **state)
{
	const char *text = "first question\n\n  second question  \r\n";
	struct string_list items = STRING_LIST_INIT;
	(void)state;
	assert_int_equal(llm_parse_list(text, strlen(text), &items), 2);
	assert_string_equal(items.items[0], "first question");
	assert_string_equal(items.items[1], "second question");
	string_list_clear(&items);
	/* a decimal is not a list marker */
	text = "1.5 kg of rice is how many cups?";
	assert_int_equal(llm_parse_list(text, strlen(text), &items), 1);
	assert_string_equal(items.items[0], text);
	string_list_clear(&items);
}

static void test_sse_in_pieces(void **state)
{
	const char *stream =
		": keep-alive\n\n"
		"\n"
		"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n"
		"data: {\"choices\":[{\"delta\":{\"content\":\"你好\"}}]}\r\n\r\n"
		": ping\n"
		"event: message\n"
		"data:{\"choices\":[{\"delta\":{\"content\":\"，世界\"},\"finish_reason\":null}]}\n\n"
		"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}],"
		"\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34}}\n\n"
		"data: [DONE]\n\n";
	size_t len = strlen(stream);
	(void)state;
	/* every split point, so lines and UTF-8 characters are cut everywhere */
	for (size_t step = 1; step <= 7; step++) {
		struct llm_sse s;
		llm_sse_init(&s);
		for (size_t i = 0; i < len; i += step)
			llm_sse_feed(&s, stream + i, i + step <= len ? step : len - i);
		llm_sse_finish(&s);
		assert_string_equal(s.content.buf, "你好，世界");
		assert_string_equal(s.finish_reason, "length");
		assert_int_equal(s.tokens_in, 12);
		assert_int_equal(s.tokens_out, 34);
		assert_true(s.done);
		assert_false(s.bad);
		assert_int_equal(s.events, 4);
		llm_sse_release(&s);
	}
}

static void test_sse_bad_line_and_no_newline(void **state)
{
	struct llm_sse s;
	const char *stream = "data: {oops\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}";
	(void)state;
	llm_sse_init(&s);
	llm_sse_feed(&s, stream, strlen(stream));
	assert_string_equal(s.content.buf, "");	/* last line not ended yet */
	llm_sse_finish(&s);
	assert_string_equal(s.content.buf, "x");
	assert_true(s.bad);
	assert_false(s.done);
	llm_sse_release(&s);
}

static void test_classify(void **state)
{
	char msg[300];
	const char *zhipu_balance = "{\"error\":{\"code\":\"1113\",\"message\":\"余额不足\"}}";
	const char *zhipu_busy = "{\"error\":{\"code\":\"1302\",\"message\":\"并发数过高\"}}";
	const char *openai_quota = "{\"error\":{\"message\":\"You exceeded your current quota\","
				   "\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}";
	const char *refused = "{\"error\":{\"code\":1301,\"message\":\"敏感内容\"}}";
	(void)state;
	assert_int_equal(llm_classify_http(429, zhipu_balance, strlen(zhipu_balance), "K", msg, sizeof(msg)),
			 LLM_ERR_FATAL);
	assert_non_null(strstr(msg, "1113"));
	assert_int_equal(llm_classify_http(429, zhipu_busy, strlen(zhipu_busy), "K", msg, sizeof(msg)),
			 LLM_ERR_RETRY);
	assert_int_equal(llm_classify_http(429, openai_quota, strlen(openai_quota), "K", msg, sizeof(msg)),
			 LLM_ERR_FATAL);
	assert_int_equal(llm_classify_http(400, refused, strlen(refused), "K", msg, sizeof(msg)),
			 LLM_ERR_FATAL);
	assert_non_null(strstr(msg, "refused the content"));
	assert_int_equal(llm_classify_http(402, "", 0, "K", msg, sizeof(msg)), LLM_ERR_FATAL);
	assert_int_equal(llm_classify_http(401, "", 0, "MY_KEY", msg, sizeof(msg)), LLM_ERR_FATAL);
	assert_non_null(strstr(msg, "$MY_KEY"));
	assert_int_equal(llm_classify_http(503, "<html>", 6, "K", msg, sizeof(msg)), LLM_ERR_RETRY);
	assert_int_equal(llm_classify_http(404, "", 0, "K", msg, sizeof(msg)), LLM_ERR_FATAL);
	assert_int_equal(llm_classify_http(200, "{}", 2, "K", msg, sizeof(msg)), LLM_ERR_NONE);
}

static void test_providers(void **state)
{
	const struct llm_provider *p = llm_provider_find("zhipu");
	(void)state;
	assert_non_null(p);
	assert_string_equal(p->base_url, "https://open.bigmodel.cn/api/paas/v4");
	assert_string_equal(p->key_env, "ZHIPUAI_API_KEY");
	assert_string_equal(llm_provider_find("deepseek")->base_url, "https://api.deepseek.com");
	assert_true(llm_provider_find("ollama")->flags & LLM_KEY_OPTIONAL);
	assert_false(llm_provider_find("spark")->flags & LLM_JSON_MODE);
	assert_null(llm_provider_find("nope"));
	/* every name in the option's choice list has a preset */
	char names[] = LLM_PROVIDER_NAMES;
	for (char *s = names, *bar; s; s = bar) {
		bar = strchr(s, '|');
		if (bar)
			*bar++ = '\0';
		assert_non_null(llm_provider_find(s));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract_json_fenced),
		cmocka_unit_test(test_extract_json_skips_unparsable),
		cmocka_unit_test(test_parse_numbered_list),
		cmocka_unit_test(test_parse_list_without_markers),
		cmocka_unit_test(test_sse_in_pieces),
		cmocka_unit_test(test_sse_bad_line_and_no_newline),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_providers),
	};
	return RUN_TESTS(tests);
}
