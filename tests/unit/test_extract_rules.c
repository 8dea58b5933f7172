/*
 * test_extract_rules.c - the extraction rules added for quality and speed,
 * each on a small invented page: the byte scan that cuts script, style,
 * svg, comments and unread attributes before parsing; consent dialogs;
 * comment sections weighed per page; customer reviews; hidden product
 * tabs; repeated lines; poster signatures; the crawler's lean parse
 * keeping links. (Q&A vote counts beside the answer text: test_crawl_extract.c.)
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "../../crawl/crawl_internal.h"

static char *strip(const char *html, int text_only)
{
	struct strbuf sb = STRBUF_INIT;
	html_strip_raw(html, strlen(html), text_only, &sb);
	return strbuf_detach(&sb, NULL);
}

static void collect_link(void *ctx, const char *url, int rel_next)
{
	struct strbuf *sb = ctx;
	strbuf_addf(sb, "%s%s ", url, rel_next ? " (next)" : "");
}

static char *links_of(const char *html, unsigned flags)
{
	struct strbuf sb = STRBUF_INIT;
	htmlDocPtr doc = html_parse_flags(html, strlen(html), NULL, flags);
	extract_links(doc, "http://h.example/d/", collect_link, &sb);
	xmlFreeDoc(doc);
	return strbuf_detach(&sb, NULL);
}

/* The crawler's lean parse (text and links): the same links as a full parse,
 * image-only and empty anchors, <link rel=next>, <area> and <base> included;
 * other attributes still cut. */
static void test_lean_parse_keeps_links(void **state)
{
	static const char page[] =
		"<html><head><base href='/b/'><link rel='next' href='p2'>"
		"<link rel='stylesheet' href='s.css'></head><body data-x='1'>"
		"<nav class='menu'><a href='x' data-track='t' title='X'>X</a> "
		"<a href='/img'><img src='i.png' alt='pic'></a><a href='empty'></a>"
		"<map><area href='/area' alt='a'></map></nav>"
		"<p class='c'>Text <a rel='nofollow next' href='/n'>next</a></p></body></html>";
	(void)state;
	char *full = links_of(page, 0);
	char *lean = links_of(page, HTML_TEXT_ONLY | HTML_KEEP_LINKS);
	assert_string_equal(full, "http://h.example/b/p2 (next) http://h.example/b/x "
			    "http://h.example/img http://h.example/b/empty http://h.example/area "
			    "http://h.example/n (next) ");
	assert_string_equal(lean, full);
	free(full);
	free(lean);
	char *s = strip("<a href='x' data-track='t' title='X' class='c'>X</a><a href='e'></a>",
			HTML_TEXT_ONLY | HTML_KEEP_LINKS);
	assert_string_equal(s, "<a href='x' class='c'>X</a><a href='e'></a>");
	free(s);
	/* text only: no links kept */
	s = strip("<a href='x' class='c'>X</a><a href='e'></a>", HTML_TEXT_ONLY);
	assert_string_equal(s, "<a class='c'>X</a>");
	free(s);
}

static void test_strip_raw_elements(void **state)
{
	(void)state;
	char *s = strip("<p>a</p><script type='x'>if (a < b) { x = '</p>'; }</script><p>b</p>"
			"<STYLE>p { color: red }</STYLE><!-- <p>old</p> --><p>c</p>", 0);
	assert_string_equal(s, "<p>a</p><p>b</p><p>c</p>");
	free(s);
	/* nested svg goes as a whole; a self-closing one alone */
	s = strip("<p>a<svg><svg><title>t</title></svg><path d='M0'/></svg>b<svg/>c</p>", 0);
	assert_string_equal(s, "<p>abc</p>");
	free(s);
	/* "<script" in an attribute value or in a title is not a tag */
	s = strip("<a title='<script>'>x</a><title>On <script> tags</title><p>y</p>", 0);
	assert_string_equal(s, "<a title='<script>'>x</a><title>On <script> tags</title><p>y</p>");
	free(s);
	/* an unclosed script runs to the end, as in a browser; "<!-->" is a whole comment */
	s = strip("<p>a</p><!--><p>b</p><script>never closed <p>c</p>", 0);
	assert_string_equal(s, "<p>a</p><p>b</p>");
	free(s);
	s = strip("<p>a<!-- unclosed comment", 0);
	assert_string_equal(s, "<p>a");
	free(s);
}

static void test_strip_unread_attributes(void **state)
{
	(void)state;
	const char *html = "<img srcset='a.jpg 1x, b.jpg 2x' src=a.jpg onclick=\"go('>')\">"
			   "<div data-state='{\"a\":1}' data-score=\"12\" style='color: red' class=c>x</div>"
			   "<a href='/x' class='nav' id=i title=t>y</a><div style='display: none'>z</div>";
	/* for XPath rules and link walks every attribute stays */
	char *s = strip(html, 0);
	assert_string_equal(s, html);
	free(s);
	/* text only: just what extraction reads; style only where it hides */
	s = strip(html, 1);
	assert_string_equal(s, "<div class=c>x</div><a class='nav' id=i>y</a>"
			       "<div style='display: none'>z</div>");
	free(s);
	/* and no elements whose text extraction drops anyway */
	s = strip("<p>a<button class=b><span>Buy</span></button><select><option>NL</option>"
		  "</select><meta charset=utf-8><input value=q><textarea>t</textarea>b</p>", 1);
	assert_string_equal(s, "<p>ab</p>");
	free(s);
	/* empty inline elements go; one holding a space keeps it, an empty block its break */
	s = strip("<p>a<i class='icon'></i>b<span> </span>c<div></div>d<SPAN title=x></SPAN>e</p>", 1);
	assert_string_equal(s, "<p>ab<span> </span>c<div></div>de</p>");
	free(s);
	/* text only: runs of white space shrink to one character, except in <pre> */
	s = strip("<div>\n    <p>a  \n\t b</p>\n</div><PRE class=c>x  \n  y\n\n</PRE> <p>c   d</p>", 1);
	assert_string_equal(s, "<div>\n<p>a b</p>\n</div><PRE class=c>x  \n  y\n\n</PRE> <p>c d</p>");
	free(s);
	s = strip("<p>a<button class=b><span>Buy</span></button>b</p>", 0);
	assert_string_equal(s, "<p>a<button class=b><span>Buy</span></button>b</p>");
	free(s);
	s = strip("<html lang=en><p hidden aria-hidden=true ROLE=note>w</p>", 1);
	assert_string_equal(s, "<html lang=en><p hidden aria-hidden=true ROLE=note>w</p>");
	free(s);
}

static char *main_text(const char *html)
{
	struct extraction e;
	struct extract_rules rules = { NULL, NULL, NULL, NULL };
	htmlDocPtr doc = html_parse_flags(html, strlen(html), NULL, HTML_TEXT_ONLY);
	extraction_init(&e);
	assert_int_equal(extract_main_text(doc, &rules, &e), 0);
	char *text = strbuf_detach(&e.text, NULL);
	extraction_release(&e);
	xmlFreeDoc(doc);
	return text;
}

#define PROSE "Sourdough needs a lively starter, patience, and a warm kitchen to rise well. "

static void test_consent_dialog_pruned_however_long(void **state)
{
	(void)state;
	/* the consent panel out-writes the article, yet is never content */
	char *t = main_text("<body class='cookie-banner-visible'>"
			    "<div id='cmp-consent-sdk'><h2>Your privacy</h2><p>" PROSE PROSE PROSE
			    PROSE "</p><p>" PROSE PROSE PROSE "</p></div>"
			    "<article><h1>Starter care</h1><p>" PROSE PROSE "</p></article></body>");
	assert_non_null(strstr(t, "Starter care"));
	assert_null(strstr(t, "Your privacy"));
	free(t);
	t = main_text("<body><div role='dialog'><p>" PROSE PROSE PROSE "</p><p>Sign up now and "
		      "get our letters</p></div><main><p>" PROSE PROSE "</p></main></body>");
	assert_null(strstr(t, "Sign up now"));
	assert_non_null(strstr(t, "Sourdough"));
	free(t);
}

static void test_comments_weighed_per_page(void **state)
{
	(void)state;
	/* under an article, a small comment section is boilerplate */
	char *t = main_text("<body><article><h1>Baking</h1><p>" PROSE PROSE PROSE PROSE
			    "</p><p>" PROSE PROSE PROSE "</p></article>"
			    "<div class='comments'><p>Great post, thanks for sharing this with us!</p>"
			    "</div></body>");
	assert_non_null(strstr(t, "Baking"));
	assert_null(strstr(t, "Great post"));
	free(t);
	/* on a link aggregator the comments are the page */
	t = main_text("<body><h1><a href='/x'>A new oven design</a></h1>"
		      "<ol class='comments'><li><p>I tried the design last winter and the crust came "
		      "out far more even than with my old steel oven.</p>"
		      "<ol class='comments'><li><p>Same here, though the preheating takes twice as "
		      "long and the stone cracked after a month of daily use.</p></li></ol></li>"
		      "<li><p>Does anyone know whether it works with a cast iron pot inside it?</p>"
		      "</li></ol></body>");
	assert_non_null(strstr(t, "crust came out far more even"));
	assert_non_null(strstr(t, "stone cracked"));
	assert_non_null(strstr(t, "cast iron pot"));
	free(t);
}

static void test_reviews_are_not_the_product(void **state)
{
	(void)state;
	char *t = main_text("<body><div class='product'><h1>Dutch oven</h1>"
			    "<p>An enamelled cast iron pot that holds heat for slow braises and crusty "
			    "loaves alike, with a lid that seals.</p><p>" PROSE PROSE "</p><p>" PROSE
			    PROSE "</p><section class='product-reviews'><p>Five stars, would buy this "
			    "again for my mother. It came well packed and the enamel is flawless.</p>"
			    "</section></div></body>");
	assert_non_null(strstr(t, "enamelled cast iron"));
	assert_null(strstr(t, "Five stars"));
	free(t);
	/* "category-reviews" is a post's taxonomy (WordPress), not a review section */
	t = main_text("<body><main><div class='intro'><p>" PROSE PROSE "</p></div>"
		      "<article class='post category-reviews'><p>Braising tips: brown the meat "
		      "first, then add the stock and keep the lid on for three hours.</p></article>"
		      "</main></body>");
	assert_non_null(strstr(t, "Braising tips"));
	free(t);
}

static void test_hidden_tab_with_the_prose_is_kept(void **state)
{
	(void)state;
	/* a product page whose description sits in a tab a script reveals */
	char *t = main_text("<body><ul style='display:none'><li><a href='/a'>Menu one</a></li>"
			    "<li><a href='/b'>Menu two</a></li></ul>"
			    "<ul><li><a href='/c'>" PROSE "</a></li><li><a href='/d'>" PROSE "</a></li>"
			    "<li><a href='/e'>" PROSE "</a></li><li><a href='/f'>" PROSE "</a></li></ul>"
			    "<div class='tabs' style='display: none'><h2>Details</h2><p>" PROSE PROSE
			    "</p></div><p>Price: 20 euros</p></body>");
	assert_non_null(strstr(t, "Details"));
	assert_non_null(strstr(t, "Sourdough"));
	assert_null(strstr(t, "Menu one"));
	free(t);
}

static void test_repeated_lines_dropped_outside_pre(void **state)
{
	(void)state;
	/* a responsive page renders its block twice; code repeats "}" on purpose */
	char *t = main_text("<body><main><div class='mobile'><h2>Built to last</h2><p>" PROSE
			    "</p></div><div class='desktop'><h2>Built to last</h2><p>" PROSE "</p></div>"
			    "<pre>if (a) {\n  b();\n}\nif (c) {\n  d();\n}</pre>"
			    "<p>The end of the page, with one more sentence of text.</p></main></body>");
	const char *first = strstr(t, "Built to last");
	assert_non_null(first);
	assert_null(strstr(first + 1, "Built to last"));
	const char *p = strstr(t, "Sourdough");
	assert_non_null(p);
	assert_null(strstr(p + 1, "Sourdough"));
	assert_non_null(strstr(t, "if (a) {\n  b();\n}\nif (c) {\n  d();\n}"));
	/* a dropped line leaves no run of blank lines behind */
	assert_null(strstr(t, "\n\n\n"));
	free(t);
}

static void test_signature_pruned_despite_post_word(void **state)
{
	(void)state;
	char *t = main_text("<body><div class='thread'>"
			    "<div class='post'><p>" PROSE PROSE "</p><div class='post-signature'>"
			    "<p>Crumb, baking bread since the nineties, all of it sourdough</p></div></div>"
			    "<div class='post'><p>" PROSE "</p><div class='post-signature'><p>Levain, "
			    "proud owner of three wooden proofing baskets</p></div></div></div></body>");
	assert_non_null(strstr(t, "Sourdough"));
	assert_null(strstr(t, "since the nineties"));
	assert_null(strstr(t, "proofing baskets"));
	free(t);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip_raw_elements),
		cmocka_unit_test(test_strip_unread_attributes),
		cmocka_unit_test(test_consent_dialog_pruned_however_long),
		cmocka_unit_test(test_comments_weighed_per_page),
		cmocka_unit_test(test_reviews_are_not_the_product),
		cmocka_unit_test(test_hidden_tab_with_the_prose_is_kept),
		cmocka_unit_test(test_repeated_lines_dropped_outside_pre),
		cmocka_unit_test(test_signature_pruned_despite_post_word),
		cmocka_unit_test(test_lean_parse_keeps_links),
	};
	return RUN_TESTS(tests);
}
