/*
 * test_crawl_extract.c - crawl/extract.c and extract_qa.c on small pages
 * written for the test: boilerplate dropped, structure kept, every post of
 * a thread kept in order without signatures, Q&A rules choosing the
 * accepted, then most voted, then first answer, and links.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "../../crawl/crawl.h"

static char *main_text(const char *html, const char *content_xpath)
{
	struct extraction e;
	struct extract_rules rules = { content_xpath, NULL, NULL, NULL };
	htmlDocPtr doc = html_parse(html, strlen(html), NULL);
	extraction_init(&e);
	assert_int_equal(extract_main_text(doc, &rules, &e), 0);
	char *text = strbuf_detach(&e.text, NULL);
	extraction_release(&e);
	xmlFreeDoc(doc);
	return text;
}

static const char *const article =
	"<html><head><title>T</title><script>var tracking = 1;</script></head><body>"
	"<header class='site-header'><a href='/'>Home</a><a href='/blog'>Blog</a></header>"
	"<nav><ul><li><a href='/a'>Menu entry one</a></li><li><a href='/b'>Menu entry two</a></li></ul></nav>"
	"<div id='cookie-banner'>We use cookies to improve your experience. Accept?</div>"
	"<main><article><h2>Kneading dough</h2>"
	"<p>Kneading develops gluten, the protein network that lets bread rise and hold its shape.</p>"
	"<ul><li>Knead for ten minutes by hand.</li><li>Rest the dough for an hour.</li></ul>"
	"<table><tr><th>Flour</th><th>Water</th></tr><tr><td>500 g</td><td>350 g</td></tr></table>"
	"<pre>  mix(flour, water);\n  knead(10);</pre>"
	"<p>The dough is ready when it springs back slowly after you press it with a finger.</p>"
	"</article></main>"
	"<aside class='sidebar'><p>Subscribe to our newsletter for weekly recipes and news.</p></aside>"
	"<footer><p>Copyright 2025 The Bakery. All rights reserved. Terms and privacy.</p></footer>"
	"</body></html>";

static void test_article(void **state)
{
	(void)state;
	char *t = main_text(article, NULL);
	assert_non_null(strstr(t, "Kneading dough\n\nKneading develops gluten"));
	assert_non_null(strstr(t, "- Knead for ten minutes by hand.\n- Rest the dough"));
	assert_non_null(strstr(t, "Flour | Water\n500 g | 350 g"));
	assert_non_null(strstr(t, "  mix(flour, water);\n  knead(10);"));
	assert_non_null(strstr(t, "springs back slowly"));
	assert_null(strstr(t, "tracking"));
	assert_null(strstr(t, "Menu entry"));
	assert_null(strstr(t, "cookies"));
	assert_null(strstr(t, "newsletter"));
	assert_null(strstr(t, "Copyright"));
	free(t);
}

static const char *const thread =
	"<html><body><div id='sidebar'><h3>Forum rules</h3><p>Be kind to each other and "
	"search before posting a new question, please.</p></div><div class='topic'>"
	"<div class='post'><div class='body'><p>Question: why does my sourdough starter smell "
	"like nail polish after a few days on the counter?</p></div>"
	"<div class='signature'>Baking since 1999, visit my blog for more signature text</div></div>"
	"<div class='post'><div class='body'><p>It is hungry. Acetone smells mean the yeast has run out "
	"of food; feed it twice a day for a while and it will recover.</p></div></div>"
	"<div class='post'><div class='body'><p>Thanks, that worked.</p></div></div>"
	"</div></body></html>";

static void test_forum_thread_keeps_every_post_in_order(void **state)
{
	(void)state;
	char *t = main_text(thread, NULL);
	char *q = strstr(t, "nail polish"), *a = strstr(t, "It is hungry"), *c = strstr(t, "that worked");
	assert_non_null(q);
	assert_non_null(a);
	assert_non_null(c);
	assert_true(q < a && a < c);
	assert_null(strstr(t, "signature"));
	assert_null(strstr(t, "Be kind"));
	free(t);
}

static void test_content_xpath(void **state)
{
	(void)state;
	char *t = main_text(article, "//aside");
	assert_string_equal(t, "Subscribe to our newsletter for weekly recipes and news.");
	free(t);
}

static const char *const qa_page =
	"<html><body><h1 class='q'>How do I list files?</h1><div class='qbody'>In a shell.</div>"
	"<div class='a' data-score='5'>Use ls.</div>"
	"<div class='a accepted'>Use ls -la to see hidden files too.</div>"
	"<div class='a' data-score='9'>Use find.</div></body></html>";

static void run_qa(const char *html, const char *q, const char *a, const char *in, struct qa_list *out)
{
	struct extract_rules rules = { NULL, q, a, in };
	htmlDocPtr doc = html_parse(html, strlen(html), NULL);
	assert_true(extract_qa(doc, &rules, out) >= 0);
	xmlFreeDoc(doc);
}

/* The vote count may sit in the answer's wrapper while the XPath selects the text. */
static void test_qa_votes_beside_the_answer_text(void **state)
{
	(void)state;
	struct qa_list l = { NULL, 0, 0 };
	/* the count sits in the answer's wrapper, the XPath selects the text */
	run_qa("<h1>Why is my loaf dense?</h1><div id='answers'>"
	       "<div class='answer'><div class='votes'>3</div><div class='post-text'>Knead longer.</div></div>"
	       "<div class='answer'><div class='votes'>12</div><div class='post-text'>Your starter is "
	       "weak.</div></div>"
	       "<div class='answer'><div class='votes'>7</div><div class='post-text'>Too much flour.</div>"
	       "</div></div>",
	       "//h1", "//div[@class='post-text']", NULL, &l);
	assert_int_equal(l.nr, 1);
	assert_string_equal(l.items[0].output, "Your starter is weak.");
	qa_list_release(&l);
	/* a count outside the answers' wrappers (the question's) is not taken for an answer's */
	run_qa("<div class='question'><span class='votes'>99</span><h1>Q?</h1></div><div id='answers'>"
	       "<div class='answer'><div class='post-text'>First.</div></div>"
	       "<div class='answer'><div class='votes'>2</div><div class='post-text'>Second.</div></div>"
	       "</div>",
	       "//h1", "//div[@class='post-text']", NULL, &l);
	assert_string_equal(l.items[0].output, "Second.");
	qa_list_release(&l);
	/* answers grouped in pairs: a wrapper holding two answers lends its count to neither */
	run_qa("<h1>Q?</h1><div id='answers'><div class='pair'>"
	       "<div class='answer'><div class='post-text'>A.</div></div>"
	       "<div class='answer'><span class='votes'>5</span><div class='post-text'>B.</div></div>"
	       "</div><div class='pair'><div class='answer'><div class='post-text'>C.</div></div></div></div>",
	       "//h1", "//div[@class='post-text']", NULL, &l);
	assert_string_equal(l.items[0].output, "B.");
	qa_list_release(&l);
}

static void test_qa_prefers_accepted_then_votes(void **state)
{
	(void)state;
	struct qa_list l = { NULL, 0, 0 };
	run_qa(qa_page, "//h1", "//div[contains(@class,'a')]", "//div[@class='qbody']", &l);
	assert_int_equal(l.nr, 1);
	assert_string_equal(l.items[0].instruction, "How do I list files?");
	assert_string_equal(l.items[0].input, "In a shell.");
	assert_string_equal(l.items[0].output, "Use ls -la to see hidden files too.");
	qa_list_release(&l);
	/* without an accepted mark: most votes */
	run_qa(qa_page, "//h1", "//div[@class='a']", NULL, &l);
	assert_string_equal(l.items[0].output, "Use find.");
	assert_string_equal(l.items[0].input, "");
	qa_list_release(&l);
	/* FAQ style: one record per question, answers relative to each */
	run_qa("<dl><dt>One?</dt><dd>First.</dd><dt>Two?</dt><dd>Second.</dd></dl>", "//dt",
	       "following-sibling::dd[1]", NULL, &l);
	assert_int_equal(l.nr, 2);
	assert_string_equal(l.items[1].instruction, "Two?");
	assert_string_equal(l.items[1].output, "Second.");
	qa_list_release(&l);
}

static void collect(void *ctx, const char *url, int rel_next)
{
	struct strbuf *sb = ctx;
	strbuf_addf(sb, "%s%s\n", rel_next ? "next " : "", url);
}

static void test_links(void **state)
{
	(void)state;
	const char *html = "<html><head><link rel='next' href='?page=2'><link rel='stylesheet' href='s.css'>"
			   "</head><body><a href='../x#top'>x</a><a href='mailto:a@b'>m</a>"
			   "<a href='https://other.example/'>o</a></body></html>";
	struct strbuf sb = STRBUF_INIT;
	htmlDocPtr doc = html_parse(html, strlen(html), NULL);
	extract_links(doc, "http://h/a/b", collect, &sb);
	assert_string_equal(sb.buf, "next http://h/a/b?page=2\nhttp://h/x\nhttps://other.example/\n");
	xmlFreeDoc(doc);
	strbuf_release(&sb);
}

/*
 * A short Chinese article above a long block of related-article titles and
 * a keyword list: the titles have no punctuation, so they are not prose,
 * and the page is not a listing although its article is short.
 */
static void test_chinese_article_beside_long_related_titles(void **state)
{
	(void)state;
	struct strbuf page = STRBUF_INIT;
	strbuf_addstr(&page, "<html><body><div class='main'><div class='article'><h1>暴雨预警</h1>"
		      "<p>北京市气象台今天下午发布暴雨蓝色预警，预计今天夜间到明天白天本市将出现大到暴雨。</p>"
		      "<p>气象部门提醒市民减少外出，注意防范山洪和城市内涝，驾车经过积水路段时要减速慢行。</p>"
		      "<p>据介绍，这次降雨过程持续时间长、累计雨量大，山区和浅山区可能发生泥石流等地质灾害。</p>"
		      "<p>市防汛办已经启动四级应急响应，各区各部门加强值守，确保群众生命财产安全。</p>"
		      "<p>交通部门表示，地铁和公交将根据降雨情况调整运营，请乘客提前查询出行信息。</p>"
		      "</div><div class='feed'>");
	for (int i = 0; i < 40; i++)
		strbuf_addf(&page, "<div class='item'><h3>第%d条推荐新闻标题在这里写得比较长一些用来占位置</h3>"
			    "<span>环球网 %d小时前</span></div>", i, i);
	strbuf_addstr(&page, "</div><div class='tags'>");
	for (int i = 0; i < 200; i++)
		strbuf_addstr(&page, "热门关键词 搜索排行 ");
	strbuf_addstr(&page, "</div></div></body></html>");
	char *t = main_text(page.buf, NULL);
	assert_non_null(strstr(t, "北京市气象台今天下午发布暴雨蓝色预警"));
	assert_non_null(strstr(t, "驾车经过积水路段时要减速慢行"));
	assert_null(strstr(t, "推荐新闻标题"));
	assert_null(strstr(t, "热门关键词"));
	free(t);
	strbuf_release(&page);
}

/* A comment section named only by its heading ("热门评论", after an empty divider), under an article longer than it. */
static void test_chinese_comments_named_by_heading(void **state)
{
	(void)state;
	struct strbuf page = STRBUF_INIT;
	strbuf_addstr(&page, "<html><body><div class='main'><div class='text'>");
	for (int i = 0; i < 8; i++)
		strbuf_addf(&page, "<p>第%d段：苹果公司表示，我们调查了这些说法，大多数指控都是错误的，但确实发现派遣工人的比例超过了标准。</p>", i);
	strbuf_addstr(&page, "</div><div class='box'><div class='line'></div><h3>热门评论</h3>");
	for (int i = 0; i < 6; i++)
		strbuf_addf(&page, "<div class='item'><p>网友%d：这个说法我不太相信，工厂里的情况大家都知道。</p></div>", i);
	strbuf_addstr(&page, "</div></div></body></html>");
	char *t = main_text(page.buf, NULL);
	assert_non_null(strstr(t, "第7段"));
	assert_null(strstr(t, "网友"));
	free(t);
	strbuf_release(&page);
}

static void test_empty_and_hostile_input(void **state)
{
	(void)state;
	char *t = main_text("", NULL);
	assert_string_equal(t, "");
	free(t);
	struct strbuf deep = STRBUF_INIT;
	for (int i = 0; i < 5000; i++)
		strbuf_addstr(&deep, "<div><span>");
	strbuf_addstr(&deep, "bottom");
	t = main_text(deep.buf, NULL);
	free(t);
	strbuf_release(&deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_article),
		cmocka_unit_test(test_forum_thread_keeps_every_post_in_order),
		cmocka_unit_test(test_content_xpath),
		cmocka_unit_test(test_qa_prefers_accepted_then_votes),
		cmocka_unit_test(test_qa_votes_beside_the_answer_text),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_chinese_article_beside_long_related_titles),
		cmocka_unit_test(test_chinese_comments_named_by_heading),
		cmocka_unit_test(test_empty_and_hostile_input),
	};
	return RUN_TESTS(tests);
}
