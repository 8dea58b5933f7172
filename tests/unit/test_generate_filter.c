/*
 * test_llm_generate.c - the pieces of generation that need no network:
 * items read out of answers of every shape models give, and the filters
 * (length, blocklist with whole English words, leading punctuation,
 * "according to the text", character ROUGE-L against what is indexed).
 */
#include "unit.h"

#include <string.h>

#include "../../generate/generate_internal.h"

static const char *item(json_t *items, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(items, i), key));
}

static void test_items_from_json_shapes(void **state)
{
	const char *a = "```json\n{\"items\": [{\"instruction\": \" 问一 \", \"output\": \"答一\"}, \"问二\"]}\n```";
	const char *b = "[{\"question\": \"Q?\", \"answer\": \"A.\", \"input\": \"ctx\"}]";
	const char *c = "好的：{\"instruction\": \"单个\", \"output\": \"对象\"}";
	json_t *items;
	(void)state;
	items = gen_parse_items(a, strlen(a), 0);
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(item(items, 0, "instruction"), "问一");
	assert_string_equal(item(items, 0, "output"), "答一");
	assert_string_equal(item(items, 1, "instruction"), "问二");
	assert_string_equal(item(items, 1, "output"), "");
	json_decref(items);
	items = gen_parse_items(b, strlen(b), 0);
	assert_int_equal(json_array_size(items), 1);
	assert_string_equal(item(items, 0, "instruction"), "Q?");
	assert_string_equal(item(items, 0, "input"), "ctx");
	assert_string_equal(item(items, 0, "output"), "A.");
	json_decref(items);
	items = gen_parse_items(c, strlen(c), 0);
	assert_int_equal(json_array_size(items), 1);
	assert_string_equal(item(items, 0, "output"), "对象");
	json_decref(items);
}

static void test_items_from_list_truncated(void **state)
{
	const char *text = "1. 第一个问题\n2. 第二个问题\n3. 第三个问";
	json_t *items;
	(void)state;
	items = gen_parse_items(text, strlen(text), 0);
	assert_int_equal(json_array_size(items), 3);
	json_decref(items);
	items = gen_parse_items(text, strlen(text), 1);
	assert_int_equal(json_array_size(items), 2);	/* the cut-off last line is dropped */
	assert_string_equal(item(items, 1, "instruction"), "第二个问题");
	json_decref(items);
}

static void test_filters(void **state)
{
	struct gen_filter f;
	int64_t similar = 0;
	(void)state;
	gen_filter_init(&f, 0);
	gen_filter_add(&f, 7, "我这周的运气怎么样");
	assert_int_equal(gen_filter_check(&f, "", "", 0, &similar), GEN_EMPTY);
	assert_int_equal(gen_filter_check(&f, "好吗", "", 0, &similar), GEN_TOO_SHORT);
	assert_int_equal(gen_filter_check(&f, "这个问题有答案吗", "", 1, &similar), GEN_EMPTY);
	assert_int_equal(gen_filter_check(&f, "帮我看看这张图片的运势", "", 0, &similar), GEN_BLOCKED);
	assert_int_equal(gen_filter_check(&f, "Describe the picture in detail", "", 0, &similar), GEN_BLOCKED);
	assert_int_equal(gen_filter_check(&f, "Write a program that sorts numbers", "", 0, &similar), GEN_BLOCKED);
	assert_int_equal(gen_filter_check(&f, "……最近桃花运好不好", "", 0, &similar), GEN_BLOCKED);
	/* whole words only: "profile" is not "file" */
	assert_int_equal(gen_filter_check(&f, "How do I update my profile name?", "", 0, &similar), GEN_KEEP);
	/* ROUGE-L: 9 of 10 characters in order -> 2*9/19 = 0.95 > 0.7 */
	assert_int_equal(gen_filter_check(&f, "我这周的运气怎么样呀", "", 0, &similar), GEN_SIMILAR);
	assert_int_equal(similar, 7);
	assert_int_equal(gen_filter_check(&f, "下周面试能顺利通过吗", "", 0, &similar), GEN_KEEP);
	f.max_chars = 5;
	assert_int_equal(gen_filter_check(&f, "下周面试能顺利通过吗", "", 0, &similar), GEN_TOO_LONG);
	string_list_append(&f.block, "面试");
	f.max_chars = 500;
	assert_int_equal(gen_filter_check(&f, "下周面试能顺利通过吗", "", 0, &similar), GEN_BLOCKED);
	gen_filter_release(&f);

	gen_filter_init(&f, 1);
	assert_int_equal(gen_filter_check(&f, "根据文本，复位后要做什么？", "重新设置。", 1, &similar), GEN_BLOCKED);
	assert_int_equal(gen_filter_check(&f, "复位后要做什么？", "如文中所说，重新设置。", 1, &similar), GEN_BLOCKED);
	assert_int_equal(gen_filter_check(&f, "复位后要做什么？", "重新设置无线名称。", 1, &similar), GEN_KEEP);
	gen_filter_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items_from_json_shapes),
		cmocka_unit_test(test_items_from_list_truncated),
		cmocka_unit_test(test_filters),
	};
	return RUN_TESTS(tests);
}
