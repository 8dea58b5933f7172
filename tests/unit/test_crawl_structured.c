/*
 * test_crawl_structured.c - crawl/structured.c, microdata.c and
 * extract_page.c on pages written for the test: schema.org QAPage records
 * from JSON-LD (@graph, accepted then most upvoted answer) and microdata,
 * articleBody and forum postings for JavaScript shells, embedded state,
 * the confidence of listings, logins and shells, and hostile bytes
 * (deep nesting, truncation, oversized JSON, random mutations) that must
 * neither crash nor yield anything.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "../../crawl/crawl.h"
#include "../../lib/rng.h"

static void scan(const char *html, struct structured *sd)
{
	structured_init(sd);
	structured_scan(html, strlen(html), sd);
}

#define LD(json) "<html><head><script type=\"application/ld+json\">" json "</script></head>" \
	"<body><div id=app></div></body></html>"

static void test_qapage_in_graph_takes_most_upvoted(void **state)
{
	(void)state;
	struct structured sd;
	scan(LD("{\"@context\":\"https://schema.org\",\"@graph\":[{\"@type\":\"WebSite\",\"name\":\"S\"},"
		"{\"@type\":\"QAPage\",\"mainEntity\":{\"@type\":\"Question\",\"name\":\"How to boil?\","
		"\"text\":\"<p>Soft &amp; runny.</p>\",\"suggestedAnswer\":["
		"{\"@type\":\"Answer\",\"text\":\"Six.\",\"upvoteCount\":3},"
		"{\"@type\":\"Answer\",\"text\":\"<p>Seven <b>minutes</b>.</p>\",\"upvoteCount\":\"9\"},"
		"{\"@type\":\"Answer\",\"text\":\"Eight.\",\"upvoteCount\":-2}]}}]}"), &sd);
	assert_int_equal(sd.qa.nr, 1);
	assert_string_equal(sd.qa.items[0].instruction, "How to boil?");
	assert_string_equal(sd.qa.items[0].input, "Soft & runny.");
	assert_string_equal(sd.qa.items[0].output, "Seven minutes.");
	assert_string_equal(sd.qa.items[0].from, "schema.org");
	assert_string_equal(sd.text_from, "schema.org");
	assert_string_equal(sd.text.buf, "How to boil?\n\nSoft & runny.\n\nSix.\n\nSeven minutes.\n\nEight.");
	structured_release(&sd);
}

static void test_accepted_answer_wins_over_votes(void **state)
{
	(void)state;
	struct structured sd;
	scan(LD("[{\"@type\":[\"QAPage\"]},{\"@type\":\"schema:Question\",\"name\":\"Q?\","
		"\"acceptedAnswer\":{\"text\":\"Accepted.\",\"upvoteCount\":1},"
		"\"suggestedAnswer\":[{\"text\":\"Popular.\",\"upvoteCount\":50}]},"
		"{\"@type\":\"Question\",\"name\":\"No answer yet?\"}]"), &sd);
	assert_int_equal(sd.qa.nr, 1);
	assert_string_equal(sd.qa.items[0].output, "Accepted.");
	assert_string_equal(sd.qa.items[0].input, "");
	structured_release(&sd);
}

static void test_article_body_and_forum_posting(void **state)
{
	(void)state;
	struct structured sd;
	scan("<script type='application/ld+json'><!--\n{\"@type\":\"NewsArticle\",\"headline\":\"Rain\","
	     "\"articleBody\":\"Heavy rain is expected.\"}\n--></script>", &sd);
	assert_string_equal(sd.text.buf, "Heavy rain is expected.");
	assert_string_equal(sd.title.buf, "Rain");
	structured_release(&sd);

	scan(LD("{\"@type\":\"DiscussionForumPosting\",\"headline\":\"Tent?\",\"text\":\"Which tent?\","
		"\"comment\":[{\"@type\":\"Comment\",\"text\":\"The light one.\",\"comment\":["
		"{\"text\":\"Agreed.\"}]},{\"@type\":\"Comment\",\"text\":\"Buy used.\"}]}"), &sd);
	assert_string_equal(sd.text.buf, "Tent?\n\nWhich tent?\n\nThe light one.\n\nAgreed.\n\nBuy used.");
	assert_int_equal(sd.qa.nr, 0);
	structured_release(&sd);
}

static void test_embedded_state(void **state)
{
	(void)state;
	struct structured sd;
	scan("<div id=__next></div><script id=\"__NEXT_DATA__\" type=\"application/json\">"
	     "{\"props\":{\"pageProps\":{\"title\":\"Counters\",\"posts\":["
	     "{\"content\":\"<p>How do I share a counter between two threads without a global lock?</p>\"},"
	     "{\"content\":\"https://cdn.example.com/a/very/long/url/that/is/not/prose/at/all.png\"},"
	     "{\"body\":\"Use C11 atomics such as atomic_fetch_add; they need no lock on most machines.\"},"
	     "{\"content\":\"<p>How do I share a counter between two threads without a global lock?</p>\"}"
	     "]}}}</script>", &sd);
	assert_null(sd.text_from);
	structured_state(&sd);
	assert_string_equal(sd.text_from, "embedded state");
	assert_string_equal(sd.title.buf, "Counters");
	assert_string_equal(sd.text.buf,
			    "How do I share a counter between two threads without a global lock?\n\n"
			    "Use C11 atomics such as atomic_fetch_add; they need no lock on most machines.");
	structured_release(&sd);

	scan("<script>var x = 1; window.__INITIAL_STATE__ = {\"article\":{\"content\":"
	     "\"今天北京市气象台发布暴雨蓝色预警，预计夜间到明天白天将有大到暴雨，请市民注意出行安全。\"}};"
	     "init();</script><script type=\"application/ld+json\">{\"@type\":\"Article\","
	     "\"articleBody\":\"Schema text wins.\"}</script>", &sd);
	structured_state(&sd);
	assert_string_equal(sd.text_from, "schema.org");
	assert_string_equal(sd.text.buf, "Schema text wins.");
	structured_release(&sd);
}

static void test_microdata_question(void **state)
{
	(void)state;
	const char *html =
		"<div itemscope itemtype='https://schema.org/QAPage'><div itemprop='mainEntity' itemscope "
		"itemtype='https://schema.org/Question'><h1 itemprop='name'>Why blue?</h1>"
		"<div itemprop='text'>The sky, I mean.</div>"
		"<div itemprop='suggestedAnswer' itemscope itemtype='https://schema.org/Answer'>"
		"<span itemprop='upvoteCount'>2</span><div itemprop='text'>Magic.</div></div>"
		"<div itemprop='suggestedAnswer' itemscope itemtype='https://schema.org/Answer'>"
		"<meta itemprop='upvoteCount' content='15'><div itemprop='text'>Scattering.</div></div>"
		"</div></div>";
	struct qa_list l = { NULL, 0, 0 };
	htmlDocPtr doc = html_parse(html, strlen(html), NULL);
	assert_int_equal(microdata_qa(doc, &l), 1);
	assert_string_equal(l.items[0].instruction, "Why blue?");
	assert_string_equal(l.items[0].input, "The sky, I mean.");
	assert_string_equal(l.items[0].output, "Scattering.");
	xmlFreeDoc(doc);
	qa_list_release(&l);
}

static double page(const char *html, struct extraction *e, struct qa_list *qa)
{
	struct extract_rules rules = { NULL, NULL, NULL, NULL };
	extraction_init(e);
	assert_int_equal(extract_page(html, strlen(html), NULL, &rules, HTML_TEXT_ONLY, NULL, e, qa), 0);
	return e->confidence;
}

static void test_extract_page_sources_and_confidence(void **state)
{
	(void)state;
	struct extraction e;
	struct qa_list qa = { NULL, 0, 0 };
	/* a JavaScript shell: the text comes from the data, the record with it */
	page(LD("{\"@type\":\"Question\",\"name\":\"How to boil an egg?\",\"acceptedAnswer\":"
		"{\"text\":\"Seven minutes in boiling water, then cold water.\"}}"), &e, &qa);
	assert_string_equal(e.text_from, "schema.org");
	assert_int_equal(qa.nr, 1);
	assert_non_null(strstr(e.text.buf, "Seven minutes"));
	extraction_release(&e);
	qa_list_release(&qa);

	struct strbuf prose = STRBUF_INIT;
	strbuf_addstr(&prose, "<html><body><article>");
	for (int i = 0; i < 30; i++)
		strbuf_addf(&prose, "<p>Loaf %d goes stale because its starch recrystallises as it cools "
			    "and loses water, which is why a fridge makes it worse.</p>", i);
	strbuf_addstr(&prose, "</article></body></html>");
	double article = page(prose.buf, &e, &qa);
	assert_string_equal(e.text_from, "layout");
	extraction_release(&e);

	double login = page("<html><body><form><p>Sign in to continue to your account.</p>"
			    "<input type=\"password\" name=pw><button>Log in</button></form></body></html>",
			    &e, &qa);
	extraction_release(&e);
	struct strbuf links = STRBUF_INIT;
	strbuf_addstr(&links, "<html><body><ul>");
	for (int i = 0; i < 40; i++)
		strbuf_addf(&links, "<li><a href='/p/%d'>Story number %d about the weather</a></li>", i, i);
	strbuf_addstr(&links, "</ul></body></html>");
	double listing = page(links.buf, &e, &qa);
	extraction_release(&e);
	double empty = page("<html><body><div id=root></div></body></html>", &e, &qa);
	extraction_release(&e);
	assert_true(article >= 0.9);
	assert_true(login <= 0.2);
	assert_true(listing <= 0.3);
	assert_true(empty == 0);
	assert_int_equal(qa.nr, 0);
	strbuf_release(&prose);
	strbuf_release(&links);
}

/* Invented thread pages in the markup each forum software writes. */
static const struct {
	const char *kind, *html, *title, *input, *output;
} forums[] = {
	{ "discuz", "<html><head><meta name='generator' content='Discuz! X3.4'></head><body>"
	  "<h1><span id='thread_subject'>电动车冬天续航怎么办</span></h1>"
	  "<table><tr><td id='postmessage_1'>冬天续航掉了三成，大家有什么办法？</td></tr>"
	  "<tr><td id='postmessage_2'>停车尽量停地库，出发前预热电池。</td></tr>"
	  "<tr><td id='postmessage_3'>换个大电池吧。</td></tr></table></body></html>",
	  "电动车冬天续航怎么办", "冬天续航掉了三成，大家有什么办法？", "停车尽量停地库，出发前预热电池。" },
	{ "phpbb", "<html><body><h2 class='topic-title'><a href='#'>Kernel panic on boot</a></h2>"
	  "<div class='post bg2'><div class='postbody'><div class='content'>My box panics after the update.</div></div></div>"
	  "<div class='post bg1'><div class='postbody'><div class='content'>Boot the old kernel from GRUB.</div></div></div>"
	  "<div id='page-footer'>Powered by phpBB Limited</div></body></html>",
	  "Kernel panic on boot", "My box panics after the update.", "Boot the old kernel from GRUB." },
	{ "vbulletin", "<html><head><meta name='generator' content='vBulletin 4.2.5'></head><body>"
	  "<span class='threadtitle'>Best oil for a 1998 Civic?</span>"
	  "<div id='post_message_10'>Which oil do you run in yours?</div>"
	  "<div id='post_message_11'>5W-30 synthetic, changed every 5000 miles.</div></body></html>",
	  "Best oil for a 1998 Civic?", "Which oil do you run in yours?", "5W-30 synthetic, changed every 5000 miles." },
	{ "discourse", "<html><head><meta name='generator' content='Discourse 3.2'></head><body>"
	  "<div id='topic-title'><h1><a href='/t/1'>How do I reset my password?</a></h1></div>"
	  "<div class='topic-body crawler-post'><div class='post'>The reset mail never arrives.</div></div>"
	  "<div class='topic-body crawler-post'><div class='post'>Check the spam folder first.</div></div>"
	  "</body></html>",
	  "How do I reset my password?", "The reset mail never arrives.", "Check the spam folder first." },
	{ "flarum", "<html><head><link rel='stylesheet' href='/assets/forum.css?flarum=1'></head><body>"
	  "<h1>Dark mode?</h1><div class='Post-body'>Is there a dark theme?</div>"
	  "<div class='Post-body'>Yes, under Settings, Appearance.</div></body></html>",
	  "Dark mode?", "Is there a dark theme?", "Yes, under Settings, Appearance." },
	{ "stackexchange", "<html><body><div id='question-header'><h1><a class='question-hyperlink' href='/q/1'>"
	  "Why is my loop slow?</a></h1></div><div id='question'><div class='s-prose js-post-body'>"
	  "It takes ten seconds.</div></div>"
	  "<div class='answer' data-score='3'><div class='s-prose js-post-body'>Use a profiler.</div></div>"
	  "<div class='answer' data-score='41'><div class='s-prose js-post-body'>Hoist the allocation out "
	  "of the loop.</div></div><div class='answer' data-score='7'><div class='s-prose js-post-body'>"
	  "Buy a faster machine.</div></div></body></html>",
	  "Why is my loop slow?", "It takes ten seconds.", "Hoist the allocation out of the loop." },
};

static void test_forum_software_without_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(forums) / sizeof(forums[0]); i++) {
		struct extraction e;
		struct qa_list qa = { NULL, 0, 0 };
		const struct forum_kind *k = forum_detect(forums[i].html, strlen(forums[i].html));
		assert_non_null(k);
		assert_string_equal(k->name, forums[i].kind);
		page(forums[i].html, &e, &qa);
		assert_int_equal(qa.nr, 1);
		assert_string_equal(qa.items[0].instruction, forums[i].title);
		assert_string_equal(qa.items[0].input, forums[i].input);
		assert_string_equal(qa.items[0].output, forums[i].output);
		assert_string_equal(qa.items[0].from, "layout");
		extraction_release(&e);
		qa_list_release(&qa);
	}
	assert_null(forum_detect("<html><body><p>A blog post.</p></body></html>", 44));
}

static void test_json_value_span(void **state)
{
	(void)state;
	assert_int_equal(json_value_span("{\"a\":\"}\"} tail", 15, 8), 9);
	assert_int_equal(json_value_span("[[[1]]]", 7, 3), 7);
	assert_int_equal(json_value_span("[[[1]]]", 7, 2), 0);
	assert_int_equal(json_value_span("{\"a\":1", 6, 8), 0);
	assert_int_equal(json_value_span("x{}", 3, 8), 0);
	assert_int_equal(json_value_span("{\"\\\"}\":1}", 9, 8), 9);
}

static void test_hostile_input(void **state)
{
	(void)state;
	struct structured sd;
	/* nesting far past the limit, in JSON-LD and in state */
	struct strbuf deep = STRBUF_INIT;
	strbuf_addstr(&deep, "<script type=application/ld+json>");
	for (int i = 0; i < 100000; i++)
		strbuf_addstr(&deep, "{\"@graph\":[");
	strbuf_addstr(&deep, "</script><script>window.__INITIAL_STATE__=");
	for (int i = 0; i < 100000; i++)
		strbuf_addch(&deep, '[');
	scan(deep.buf, &sd);
	structured_state(&sd);
	assert_int_equal(sd.qa.nr, 0);
	assert_int_equal(sd.text.len, 0);
	structured_release(&sd);
	assert_int_equal(structured_from_jsonld("", 0, &sd), -1);
	/* one value too large to read */
	struct strbuf big = STRBUF_INIT;
	strbuf_addstr(&big, "{\"@type\":\"Article\",\"articleBody\":\"");
	while (big.len < STRUCTURED_JSON_MAX + 16)
		strbuf_addstr(&big, "All work and no play makes Jack a dull boy. ");
	strbuf_addstr(&big, "\"}");
	structured_init(&sd);
	assert_int_equal(structured_from_jsonld(big.buf, big.len, &sd), -1);
	assert_int_equal(sd.text.len, 0);
	structured_release(&sd);
	/* unterminated script, unterminated tag, invalid UTF-8 inside a string */
	scan("<script type=application/ld+json>{\"@type\":\"Article\",\"articleBody\":\"x", &sd);
	structured_release(&sd);
	scan("<script type=application/ld+json", &sd);
	structured_release(&sd);
	scan("<script type=application/ld+json>{\"@type\":\"Article\",\"articleBody\":\"\xff\xfe\"}</script>",
	     &sd);
	assert_int_equal(sd.text.len, 0);
	structured_release(&sd);
	strbuf_release(&deep);
	strbuf_release(&big);
}

/* Random mutations of a page with every kind of script: nothing may crash (run under ASan by make check). */
static void test_mutations_do_not_crash(void **state)
{
	(void)state;
	const char *seed = LD("{\"@graph\":[{\"@type\":\"Question\",\"name\":\"Q\",\"suggestedAnswer\":"
			      "[{\"text\":\"<p>A &amp; b</p>\",\"upvoteCount\":\"3\"}]},{\"@type\":"
			      "\"DiscussionForumPosting\",\"text\":\"T\",\"comment\":[{\"text\":\"C\"}]}]}")
		"<script id=__NEXT_DATA__ type=application/json>{\"a\":[{\"content\":\"<p>Long enough "
		"text to count as prose for the embedded state reader, with spaces.</p>\"}]}</script>"
		"<script>window.__INITIAL_STATE__={\"b\":{\"body\":\"x\"}};</script>";
	size_t len = strlen(seed);
	char *buf = malloc(len);
	uint64_t r = 21;
	for (int round = 0; round < 3000; round++) {
		memcpy(buf, seed, len);
		int edits = 1 + (int)(rng_next(&r) % 8);
		for (int k = 0; k < edits; k++)
			buf[rng_next(&r) % len] = "{}[]\"\\<>:,x\x80"[rng_next(&r) % 13];
		size_t cut = rng_next(&r) % 4 ? len : rng_next(&r) % len;
		struct structured sd;
		structured_init(&sd);
		structured_scan(buf, cut, &sd);
		structured_state(&sd);
		structured_release(&sd);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qapage_in_graph_takes_most_upvoted),
		cmocka_unit_test(test_accepted_answer_wins_over_votes),
		cmocka_unit_test(test_article_body_and_forum_posting),
		cmocka_unit_test(test_embedded_state),
		cmocka_unit_test(test_microdata_question),
		cmocka_unit_test(test_extract_page_sources_and_confidence),
		cmocka_unit_test(test_forum_software_without_rules),
		cmocka_unit_test(test_json_value_span),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_mutations_do_not_crash),
	};
	return RUN_TESTS(tests);
}
