/*
 * test_clean_filters.c - every quality rule, table-driven, with a Chinese
 * and an English record that breaks it and ordinary records that must
 * pass; plus language detection, CJK word counts, rules parsing and
 * blocklists.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../clean/clean.h"
#include "../../db/corpus.h"
#include "../../lib/strbuf.h"

#define PASS RULE_COUNT

struct filter_case {
	const char *name;
	const char *instruction, *input, *output;
	enum clean_rule want;
};

static char long_zh_cut[1024], long_en_cut[1024], long_en_ok[1024], repeated_lines[1024],
	    zh_phrase_repeat[512], en_sentence_twice[1024], zh_sentence_twice[512], stars[512],
	    digits[512], urls[1024], zh_long_ok[1024];

static void build_texts(void)
{
	/* long outputs, cut mid-sentence or complete */
	snprintf(long_zh_cut, sizeof(long_zh_cut), "%s",
		 "长城是中国古代的军事防御工程，始建于春秋战国时期，历经多个朝代修筑。它东起山海关，西至嘉峪关，"
		 "全长两万多公里。长城不仅是建筑奇迹，也是中华民族的象征。明代长城保存最为完整，其中八达岭、慕田峪"
		 "等段落已成为著名景点，每年吸引大量游客前来参观。历史学家认为长城的修建反映了");
	snprintf(zh_long_ok, sizeof(zh_long_ok), "%s",
		 "长城是中国古代的军事防御工程，始建于春秋战国时期，历经多个朝代修筑。它东起山海关，西至嘉峪关，"
		 "全长两万多公里。长城不仅是建筑奇迹，也是中华民族的象征。明代长城保存最为完整，其中八达岭、慕田峪"
		 "等段落已成为著名景点，每年吸引大量游客前来参观。");
	snprintf(long_en_ok, sizeof(long_en_ok), "%s",
		 "The Great Wall of China is a series of fortifications built across the historical northern "
		 "borders of ancient Chinese states. Several walls were built from as early as the 7th century BC, "
		 "and the best-known sections were built by the Ming dynasty. Today it is a popular destination.");
	snprintf(long_en_cut, sizeof(long_en_cut), "%s",
		 "The Great Wall of China is a series of fortifications built across the historical northern "
		 "borders of ancient Chinese states. Several walls were built from as early as the 7th century BC, "
		 "and the best-known sections were built by the Ming dynasty. Today it is a popular destination for");
	repeated_lines[0] = '\0';
	for (int i = 0; i < 12; i++)
		strcat(repeated_lines, i % 3 ? "Click here to subscribe to our newsletter today\n"
					     : "Some different line of text number here\n");
	zh_phrase_repeat[0] = '\0';
	for (int i = 0; i < 30; i++)
		strcat(zh_phrase_repeat, "我爱你");
	snprintf(en_sentence_twice, sizeof(en_sentence_twice), "%s %s",
		 "It is so that photosynthesis lets green plants turn sunlight water and carbon dioxide into sugar and oxygen "
		 "inside chloroplasts using chlorophyll pigments found mostly within leaf cells every single day.",
		 "It is so that photosynthesis lets green plants turn sunlight water and carbon dioxide into sugar and oxygen "
		 "inside chloroplasts using chlorophyll pigments found mostly within leaf cells.");
	snprintf(zh_sentence_twice, sizeof(zh_sentence_twice), "%s%s",
		 "光合作用是绿色植物利用阳光把水和二氧化碳转化为糖类并释放氧气的过程。",
		 "光合作用是绿色植物利用阳光把水和二氧化碳转化为糖类并释放氧气的过程。");
	stars[0] = '\0';
	for (int i = 0; i < 20; i++)
		strcat(stars, "★☆▓");
	strcat(stars, "好评好评");
	snprintf(digits, sizeof(digits), "%s", "编号 1234567890 0987654321 1357924680 2468013579 1122334455 "
		 "6677889900 1029384756 结束");
	snprintf(urls, sizeof(urls), "%s", "See https://example.com/a/very/long/path/to/page-one.html and "
		 "https://example.org/another/long/path/to/page-two.html ok");
}

static const struct filter_case *cases(size_t *n)
{
	static struct filter_case c[96];
	size_t k = 0;
#define CASE(name, i, in, o, w) c[k++] = (struct filter_case){ name, i, in, o, w }
	/* ordinary records pass */
	CASE("plain zh", "请介绍一下长城。", "", zh_long_ok, PASS);
	CASE("plain en", "Tell me about the Great Wall.", "", long_en_ok, PASS);
	CASE("short zh answer", "一加一等于几？", "", "二。", PASS);
	CASE("short en answer", "What is 12 times 34?", "", "408", PASS);
	CASE("code answer", "Write hello world in C", "", "```c\nint main(void) { return 0; }\n```", PASS);
	CASE("sorry to hear", "My cat is sick.", "", "I'm sorry to hear that. Take her to a vet soon.", PASS);
	CASE("zh not a refusal", "你能想象没有音乐吗？", "", "我无法想象没有音乐的生活，音乐让人快乐。", PASS);
	CASE("ai researcher", "介绍你自己", "", "作为AI研究者，我关注模型的安全性。", PASS);
	CASE("markdown heading", "Write notes", "", "## Installation\nRun make.\n# comment", PASS);
	CASE("repeat task", "Repeat after me: hello there", "", "hello there", PASS);
	CASE("js question", "Explain this JavaScript", "", "var x = document.getElementById('a'); sets x.", PASS);
	/* regression: a noun repeated in a short Chinese answer read as repetition (top-3gram) */
	CASE("zh noun repeats", "打印机显示脱机怎么办？", "",
	     "先检查打印机电源和连接线，如果是无线打印机，确认它和电脑连的是同一个网络。在电脑的“设备和打印机”"
	     "里右键打印机，看看“脱机使用打印机”有没有被勾上，取消勾选；清空打印队列里卡住的任务。还不行就把"
	     "打印机删掉重新添加一次。", PASS);
	/* regression: inline code repeating a command counted as n-gram repetition (the demo's git answer) */
	CASE("inline code repeats", "怎么用 Git 撤销最近一次还没推送的提交？", "",
	     "想保留改动、只撤销提交，用 `git reset --soft HEAD~1`；连暂存也撤掉，用 `git reset HEAD~1`；"
	     "改动也不要了，用 `git reset --hard HEAD~1`（小心，会丢掉修改）。已推送的提交用 `git revert`。", PASS);
	/* structure */
	CASE("empty instruction", "", "", "answer", RULE_EMPTY_INSTRUCTION);
	CASE("empty output", "问题是什么", "", "", RULE_EMPTY_OUTPUT);
	CASE("too short en", "Hi", "", "Yo", RULE_TOO_SHORT);
	CASE("too short zh passes", "翻译", "", "好的", PASS);
	CASE("repeats en", "What is AI?", "", "what is AI", RULE_OUTPUT_REPEATS_INSTRUCTION);
	CASE("repeats zh", "什么是人工智能？", "", "什么是人工智能", RULE_OUTPUT_REPEATS_INSTRUCTION);
	CASE("repeats twice", "Say hello", "", "Say hello. Say hello!", RULE_OUTPUT_REPEATS_INSTRUCTION);
	/* LLM artefacts */
	CASE("refusal en", "How do I pick a lock?", "", "I'm sorry, but I can't help with that.", RULE_REFUSAL);
	CASE("refusal en 2", "Write a poem", "", "I cannot fulfill this request.", RULE_REFUSAL);
	CASE("refusal lower case", "Write a poem", "", "i'm sorry, but i can't do that.", RULE_REFUSAL);
	CASE("refusal curly quote", "Write a poem", "", "I\xe2\x80\x99m sorry, but I can\xe2\x80\x99t help.", RULE_REFUSAL);
	CASE("self ref mid-text", "Explain rain", "", "Rain falls from clouds. As a large language model I cannot feel it.",
	     RULE_AI_SELF_REFERENCE);
	CASE("refusal zh", "讲个笑话", "", "抱歉，我无法回答这个问题。", RULE_REFUSAL);
	CASE("refusal zh 2", "帮我写作业", "", "我无法回答", RULE_REFUSAL);
	CASE("self ref en", "What is love?", "", "As an AI language model, I do not feel love.", RULE_AI_SELF_REFERENCE);
	CASE("self ref zh", "你喜欢什么？", "", "作为一个AI语言模型，我没有个人喜好。", RULE_AI_SELF_REFERENCE);
	CASE("self ref zh 2", "你是谁", "", "我是一个人工智能助手，可以回答问题。", RULE_AI_SELF_REFERENCE);
	CASE("scaffolding", "Summarise", "", "Sure.\n### Instruction:\nSummarise again", RULE_PROMPT_SCAFFOLDING);
	CASE("chatml", "翻译", "", "<|im_start|>assistant\n你好", RULE_PROMPT_SCAFFOLDING);
	CASE("inst", "[INST] hi [/INST]", "", "hello there friend", RULE_PROMPT_SCAFFOLDING);
	CASE("eos", "Say hi nicely", "", "Hi there!</s>", RULE_PROMPT_SCAFFOLDING);
	CASE("cut off en", "Tell me about the Great Wall.", "", long_en_cut, RULE_TRUNCATED);
	CASE("cut off zh", "请介绍一下长城。", "", long_zh_cut, RULE_TRUNCATED);
	CASE("open code block", "Write C", "", "Here:\n```c\nint main(void) {", RULE_TRUNCATED);
	/* garbage */
	CASE("replacement", "修复文本", "", "这段文字有乱码\xef\xbf\xbd\xef\xbf\xbd。", RULE_REPLACEMENT_CHAR);
	CASE("lorem", "Write filler", "", "Lorem ipsum dolor sit amet, consectetur.", RULE_LOREM_IPSUM);
	CASE("js leak", "介绍一下长城", "", "长城很长。var ad = googletag.cmd.push(x); 长城很美。", RULE_JS_CSS_LEAK);
	CASE("css leak", "Describe Paris", "", "Paris is lovely. .header { display: none; } It has a tower.",
	     RULE_JS_CSS_LEAK);
	CASE("symbols", "评价一下", "", stars, RULE_SYMBOL_RATIO);
	CASE("digits", "列出编号", "", digits, RULE_DIGIT_RATIO);
	CASE("urls", "Tell me something", "", urls, RULE_URL_RATIO);
	/* regression: links are the answer when sources were asked for */
	CASE("urls asked for", "Give me some links please", "", urls, PASS);
	/* regression: numbers are the answer to arithmetic */
	CASE("digits for arithmetic", "Calculate the first terms", "", digits, PASS);
	/* regression: js-css-leak fired when the instruction asked for a web page */
	CASE("web page asked for", "Create a web page with a red header", "",
	     "Here it is: <style>.header { color: red; }</style><div class=\"header\">Hi</div>", PASS);
	/* new rules */
	CASE("placeholder N/A", "Name the animal in the picture", "", "N/A", RULE_PLACEHOLDER_OUTPUT);
	CASE("placeholder zh", "描述这张图片", "", "无", RULE_PLACEHOLDER_OUTPUT);
	CASE("placeholder noinput", "Describe the image", "", "<noinput>", RULE_PLACEHOLDER_OUTPUT);
	CASE("placeholder dots", "Describe the image", "", "...", RULE_PLACEHOLDER_OUTPUT);
	CASE("emoji is not a placeholder", "Translate to emoji: dancing all night", "", "\xf0\x9f\x92\x83\xf0\x9f\x8c\x83", PASS);
	CASE("ascii art is not a placeholder", "Draw a pentagon in ASCII", "", "+---+\n/   \\\n|   |\n\\   /\n+---+", PASS);
	CASE("sentence loop", "Explain rain", "", "Rain falls from clouds. It waters the plants every day. It waters the plants every day. "
	     "It waters the plants every day. It is good.", RULE_REPEATED_SENTENCE);
	CASE("footer appended", "Explain rain", "", "Rain falls from clouds when droplets grow heavy.\n\n"
	     "Copyright \xc2\xa9 2023 Example Media. All rights reserved.", RULE_WEB_BOILERPLATE);
	CASE("footer asked for", "Write a footer for my website", "", "Copyright \xc2\xa9 2023 Example Media. All rights reserved.", PASS);
	CASE("zh footer appended", "解释下雨", "", "雨是云中的水滴变重后落下来的。\n\n分享到：微信 微博 QQ空间", RULE_WEB_BOILERPLATE);
	/* regression: truncated fired on complete tweets, poems, code, quotes and letters */
	CASE("tweet with hashtag", "Write a tweet", "", "Life is full of surprises! Big news coming soon, stay tuned. #TSwiftNews", PASS);
	CASE("zh tweet with hashtag", "写一条推文", "", "生活充满了惊喜！我很高兴很快与大家分享一些消息。＃好消息", PASS);
	CASE("poem", "Write a poem", "", "The autumn leaves are falling down\nAcross the quiet sleeping town\n"
	     "The river hums a gentle tune\nBeneath the silver evening moon", PASS);
	CASE("python function", "Write a function that adds two numbers", "",
	     "def add(a, b):\n    \"\"\"Adds two numbers and returns the sum of them.\"\"\"\n    return a + b", PASS);
	CASE("quote with attribution", "Give a quote", "", "\xe2\x80\x9c设计不仅仅是它的外观和感觉。设计是它的工作方式\xe2\x80\x9d\xe2\x80\x94\xe2\x80\x94史蒂夫·乔布斯", PASS);
	CASE("letter signed", "Write a thank-you letter", "", "Dear Anna,\n\nThank you so much for the lovely gift. It made my week.\n\nBest wishes,\nJohn Smith", PASS);
	CASE("grade at the end", "Grade this essay", "", "The essay captures the novel well and is clearly written. 等级：A", PASS);
	/* regression: a refusal inside a dialogue or a letter is what was asked for */
	CASE("refusal in a dialogue", "构建一个对话，朋友拒绝借书。", "", "我：嘿，你能借我一本书吗？\n朋友：对不起，我不能。我现在没有书。", PASS);
	CASE("role lines asked for", "Write a conversation between a customer and an assistant", "",
	     "Human: Hi, where is my order?\nAssistant: It ships tomorrow.", PASS);
	CASE("role lines leaked", "Explain rain", "", "Rain falls.\nHuman: thanks\nAssistant: welcome", RULE_PROMPT_SCAFFOLDING);
	CASE("refusal zh 3", "写首诗", "", "对不起，这个问题我没办法回答。", RULE_REFUSAL);
	CASE("self ref en 2", "What is love?", "", "As an AI, I cannot feel it, but love is a bond.", RULE_AI_SELF_REFERENCE);
#undef CASE
	*n = k;
	return c;
}

static const char *rule_or_pass(enum clean_rule r)
{
	return r == RULE_COUNT ? "pass" : clean_rule_name(r);
}

/* The web profile's repetition rules judge texts from 50 words. */
static const struct filter_case *web_cases(size_t *n)
{
	static struct filter_case c[16];
	size_t k = 0;
#define CASE(name, i, in, o, w) c[k++] = (struct filter_case){ name, i, in, o, w }
	CASE("duplicate lines", "Write a newsletter footer for us", "", repeated_lines, RULE_DUPLICATE_LINES);
	CASE("top 2-gram zh", "说一句话", "", zh_phrase_repeat, RULE_TOP_2GRAM);
	CASE("dup n-gram en", "Explain photosynthesis", "", en_sentence_twice, RULE_DUP_5GRAM);
	/* Chinese n-grams are twice as many characters as the rule's n (a word is
	 * about two characters), so the repeated sentence is first caught by the
	 * top 3-gram (6 characters) rule rather than the duplicated 5-gram one */
	CASE("dup n-gram zh", "解释光合作用", "", zh_sentence_twice, RULE_TOP_3GRAM);
	CASE("repetitive input", "Summarise this", en_sentence_twice, "It repeats itself.", RULE_DUP_5GRAM);
#undef CASE
	*n = k;
	return c;
}

/* Regression: the Gopher rules fired on short instruction records; the instruction profile keeps them for long texts. */
static void test_instruction_profile_short_texts(void **state)
{
	struct clean_rules rules;
	struct cleaner *c;
	size_t n;
	const struct filter_case *tc;
	int failed = 0;
	(void)state;
	build_texts();
	tc = web_cases(&n);
	clean_rules_profile(&rules, PROFILE_WEB);
	c = cleaner_new(&rules);
	for (size_t i = 0; i < n; i++) {
		const char *field;
		enum clean_rule got = cleaner_check(c, tc[i].instruction, tc[i].input, tc[i].output, &field);
		if (got != tc[i].want) {
			print_error("web case '%s': got %s, want %s\n", tc[i].name, rule_or_pass(got), rule_or_pass(tc[i].want));
			failed++;
		}
	}
	cleaner_free(c);
	clean_rules_default(&rules);
	c = cleaner_new(&rules);
	for (size_t i = 0; i < n; i++) {
		const char *field;
		enum clean_rule got = cleaner_check(c, tc[i].instruction, tc[i].input, tc[i].output, &field);
		if (got >= RULE_DUPLICATE_LINES && got <= RULE_DUP_10GRAM) {
			print_error("instruction case '%s': got %s on a short text\n", tc[i].name, rule_or_pass(got));
			failed++;
		}
	}
	cleaner_free(c);
	assert_int_equal(clean_profile_find("web"), PROFILE_WEB);
	assert_int_equal(clean_profile_find("nope"), -1);
	assert_int_equal(clean_profile_for_origin("crawl"), PROFILE_WEB);
	assert_int_equal(clean_profile_for_origin("import"), PROFILE_INSTRUCTION);
	assert_int_equal(failed, 0);
}

static void test_rules_table(void **state)
{
	struct clean_rules rules;
	struct cleaner *c;
	size_t n;
	const struct filter_case *tc;
	int failed = 0;
	(void)state;
	build_texts();
	tc = cases(&n);
	clean_rules_default(&rules);
	c = cleaner_new(&rules);
	assert_non_null(c);
	for (size_t i = 0; i < n; i++) {
		const char *field;
		enum clean_rule got = cleaner_check(c, tc[i].instruction, tc[i].input, tc[i].output, &field);
		if (got != tc[i].want) {
			print_error("case '%s': got %s, want %s\n", tc[i].name, rule_or_pass(got), rule_or_pass(tc[i].want));
			failed++;
		}
	}
	cleaner_free(c);
	assert_int_equal(failed, 0);
}

/* Turning a rule off or changing its threshold changes the outcome. */
static void test_thresholds(void **state)
{
	struct clean_rules rules;
	struct cleaner *c;
	const char *field;
	char err[200];
	(void)state;
	build_texts();
	clean_rules_default(&rules);
	assert_int_equal(clean_rules_set(&rules, "truncated", "off", err, sizeof(err)), 0);
	assert_int_equal(clean_rules_set(&rules, "too-long", "20", err, sizeof(err)), 0);
	assert_int_equal(clean_rules_set(&rules, "refusal", "off", err, sizeof(err)), 0);
	c = cleaner_new(&rules);
	assert_int_equal(cleaner_check(c, "Tell me about the Great Wall.", "", long_en_cut, &field), RULE_TOO_LONG);
	assert_int_equal(cleaner_check(c, "讲个笑话", "", "抱歉，我无法回答这个问题。", &field), RULE_COUNT);
	cleaner_free(c);
	assert_int_equal(clean_rules_set(&rules, "too-long", "off", err, sizeof(err)), 0);
	c = cleaner_new(&rules);
	assert_int_equal(cleaner_check(c, "Tell me about the Great Wall.", "", long_en_cut, &field), RULE_COUNT);
	cleaner_free(c);
}

static void test_lang_rule(void **state)
{
	struct clean_rules rules;
	struct cleaner *c;
	const char *field;
	(void)state;
	clean_rules_default(&rules);
	rules.lang = LANG_ZH;
	c = cleaner_new(&rules);
	assert_int_equal(cleaner_check(c, "Translate to English", "", "Hello friend", &field), RULE_LANG);
	assert_string_equal(field, "instruction");
	assert_int_equal(cleaner_check(c, "翻译成英文：你好", "", "Hello there", &field), RULE_LANG);
	assert_string_equal(field, "output");
	assert_int_equal(cleaner_check(c, "用Python写一个函数", "", "好的，代码如下：def f(): pass", &field), RULE_COUNT);
	assert_int_equal(cleaner_check(c, "一百加二百等于几？", "", "300", &field), RULE_COUNT);
	cleaner_free(c);
}

static void test_detect_lang(void **state)
{
	static const struct { const char *s; enum clean_lang want; } t[] = {
		{ "你好世界，今天天气很好。", LANG_ZH }, { "Hello world, nice day.", LANG_EN },
		{ "用Python写一个排序函数", LANG_ZH }, { "Use 北京 as the example city here", LANG_EN },
		{ "Привет, как дела?", LANG_OTHER }, { "こんにちは、世界。元気ですか", LANG_OTHER },
		{ "12345 + 678 = ?", LANG_NONE }, { "", LANG_NONE },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (clean_detect_lang(t[i].s, strlen(t[i].s), 0.5) != t[i].want)
			fail_msg("'%s': want %s", t[i].s, clean_lang_name(t[i].want));
}

static void test_word_counts(void **state)
{
	static const struct { const char *s; size_t want; } t[] = {
		{ "Hello, world!", 2 }, { "你好世界", 4 }, { "Hello你好", 3 }, { "don't stop", 2 },
		{ "用Python写3个函数。", 7 }, { "  ", 0 }, { "café au lait", 3 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (clean_count_words(t[i].s, strlen(t[i].s)) != t[i].want)
			fail_msg("'%s': want %zu words, got %zu", t[i].s, t[i].want,
				 clean_count_words(t[i].s, strlen(t[i].s)));
}

static void test_rules_parsing(void **state)
{
	struct clean_rules rules;
	char err[200], path[] = "/tmp/winnow-rules-XXXXXX";
	int fd;
	FILE *fp;
	(void)state;
	clean_rules_default(&rules);
	assert_int_equal(clean_rules_set(&rules, "no-such-rule", "1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-such-rule"));
	assert_int_equal(clean_rules_set(&rules, "top-2gram", "1.5", err, sizeof(err)), -1);
	assert_int_equal(clean_rules_set(&rules, "refusal", "maybe", err, sizeof(err)), -1);
	assert_int_equal(clean_rules_set(&rules, "lang", "fr", err, sizeof(err)), -1);
	assert_int_equal(clean_rules_set(&rules, "pii", "reject", err, sizeof(err)), 0);
	assert_int_equal(rules.pii, PII_MODE_REJECT);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("# thresholds\n top-2gram = 0.3  # looser\n\nlang=zh\ntruncated = off\n", fp);
	fclose(fp);
	clean_rules_default(&rules);
	assert_int_equal(clean_rules_load(&rules, path), 0);
	assert_true(rules.threshold[RULE_TOP_2GRAM] > 0.29 && rules.threshold[RULE_TOP_2GRAM] < 0.31);
	assert_int_equal(rules.lang, LANG_ZH);
	assert_int_equal(rules.off[RULE_TRUNCATED], 1);
	fp = fopen(path, "w");
	fputs("top-2gram = 0.3\nthis line is wrong\n", fp);
	fclose(fp);
	assert_int_equal(clean_rules_load(&rules, path), -1);
	unlink(path);
}

static void test_blocklist(void **state)
{
	struct clean_rules rules;
	struct cleaner *c;
	const char *field;
	char path[] = "/tmp/winnow-block-XXXXXX";
	int fd;
	FILE *fp;
	(void)state;
	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs("# words\nass\n违禁词\nre:secret-\\d{3}\n", fp);
	fclose(fp);
	clean_rules_default(&rules);
	c = cleaner_new(&rules);
	assert_int_equal(cleaner_add_blocklist(c, path), 0);
	assert_int_equal(cleaner_check(c, "Tell me a word", "", "You are an ASS, friend.", &field), RULE_BLOCKLIST);
	assert_int_equal(cleaner_check(c, "说一句话", "", "这里有违禁词出现。", &field), RULE_BLOCKLIST);
	assert_int_equal(cleaner_check(c, "Give the code", "", "The code is secret-042 ok", &field), RULE_BLOCKLIST);
	assert_int_equal(cleaner_check(c, "Explain classes", "", "A class groups data and passes it on.", &field),
			 RULE_COUNT);
	cleaner_free(c);
	fp = fopen(path, "w");
	fputs("fine\nre:(unclosed\n", fp);
	fclose(fp);
	c = cleaner_new(&rules);
	assert_int_equal(cleaner_add_blocklist(c, path), -1);
	cleaner_free(c);
	unlink(path);
}

/* A whole record: history turns are normalised and masked too. */
static void test_record_with_history(void **state)
{
	static const char history[] = "[[\"Ｈｉ　ｔｈｅｒｅ\",\"你好！电话13812345678\"]]";
	struct record r = { "介绍一下你自己。", "", "我是一名学生，喜欢读书。", "", history,
			    0, 0, 0, 0, sizeof(history) - 1 };
	struct clean_rules rules;
	struct cleaner *c;
	struct cleaned out;
	(void)state;
	r.instruction_len = strlen(r.instruction);
	r.output_len = strlen(r.output);
	clean_rules_default(&rules);
	c = cleaner_new(&rules);
	cleaned_init(&out);
	assert_int_equal(cleaner_run(c, &r, &out), RULE_COUNT);
	assert_string_equal(out.history.buf, "[[\"Hi there\",\"你好！电话<PHONE>\"]]");
	assert_int_equal(out.changed, 1);
	assert_int_equal(out.pii[PII_PHONE], 1);
	assert_int_equal(out.lang, LANG_ZH);
	r.history = "[[\"q\"]]";
	r.history_len = strlen(r.history);
	assert_int_equal(cleaner_run(c, &r, &out), RULE_BAD_HISTORY);
	rules.pii = PII_MODE_REJECT;
	cleaner_free(c);
	c = cleaner_new(&rules);
	r.history = history;
	r.history_len = sizeof(history) - 1;
	assert_int_equal(cleaner_run(c, &r, &out), RULE_PII);
	cleaned_release(&out);
	cleaner_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_table),
		cmocka_unit_test(test_instruction_profile_short_texts),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_lang_rule),
		cmocka_unit_test(test_detect_lang),
		cmocka_unit_test(test_word_counts),
		cmocka_unit_test(test_rules_parsing),
		cmocka_unit_test(test_blocklist),
		cmocka_unit_test(test_record_with_history),
	};
	return RUN_TESTS(tests);
}
