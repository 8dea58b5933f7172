/*
 * extract_cmd.c - `winnow extract FILE|URL`: what extraction makes of one
 * page, without a corpus. For trying --content and --qa rules before
 * putting them on a source; a FILE gets the same charset detection (and
 * gzip decoding) as a fetched page, so what you see is what crawl stores.
 */
#include "crawl_internal.h"
#include "../lib/http.h"
#include "../lib/json.h"
#include "../lib/options.h"
#include "../lib/file.h"
#include "../lib/util.h"

#include <libxml/xpath.h>
#include <stdio.h>
#include <string.h>

static const struct command_help extract_help = {
	"winnow extract [options] FILE|URL...",
	"Print the main text (or the Q&A records) extraction makes of a page.",
	"Reads each FILE as bytes (gzip is undone) or fetches each URL, detects\n"
	"its character set and prints the main text: headings, paragraphs, lists,\n"
	"tables and code, without navigation, sidebars, footers and other\n"
	"boilerplate. Forum threads and Q&A pages keep every post in order.\n"
	"\n"
	"--content XPATH replaces the automatic choice with the nodes it matches.\n"
	"XPaths see the page without its scripts, styles, inline SVG and comments.\n"
	"--qa QUESTION_XPATH ANSWER_XPATH prints one JSON record per question:\n"
	"instruction = the question's text, input = the first --qa-input match,\n"
	"output = the accepted answer, else the most voted (a count in the answer\n"
	"or in a wrapper around it that holds no other answer), else the first.\n"
	"The answer and input XPaths are evaluated with the question as context.\n"
	"Without --qa, pages marked up as a schema.org QAPage (JSON-LD or\n"
	"microdata) give their records with no rules: the question's name (its\n"
	"text as input) and the accepted answer, else the most upvoted one;\n"
	"so do threads of forum software recognised from its markup (Discuz!,\n"
	"phpBB, vBulletin, Discourse, Flarum, StackExchange-like Q&A).\n"
	"When the visible HTML is a JavaScript shell, the text comes from the\n"
	"page's data: schema.org articleBody or forum posts, or the JSON state\n"
	"the page embeds (__NEXT_DATA__, window.__INITIAL_STATE__, ...).\n"
	"--json prints each page as an object: text_from says where the text came\n"
	"from (layout, rules, schema.org, embedded state), confidence (0 to 1) how\n"
	"far it looks like the page's content (low for listings, logins and empty\n"
	"shells), records the Q&A records, each with its from (rules, schema.org,\n"
	"layout).\n"
	"Nothing is written to the corpus.",
	"  winnow extract saved-page.html\n"
	"  winnow extract --json https://example.com/thread/42\n"
	"  winnow extract --qa '//h1' '//div[contains(@class,\"answer\")]' page.html",
};

struct extract_job {
	struct extract_rules rules;
	int json;
	int pages;
};

static void print_records(const struct qa_list *qa, struct strbuf *out, int as_array)
{
	if (as_array)
		strbuf_addch(out, '[');
	for (size_t i = 0; i < qa->nr; i++) {
		if (as_array && i)
			strbuf_addch(out, ',');
		strbuf_addstr(out, "{\"instruction\":");
		json_write_string(out, qa->items[i].instruction, strlen(qa->items[i].instruction));
		strbuf_addstr(out, ",\"input\":");
		json_write_string(out, qa->items[i].input, strlen(qa->items[i].input));
		strbuf_addstr(out, ",\"output\":");
		json_write_string(out, qa->items[i].output, strlen(qa->items[i].output));
		if (as_array) {
			strbuf_addstr(out, ",\"from\":");
			json_write_string(out, qa->items[i].from, strlen(qa->items[i].from));
		}
		strbuf_addch(out, '}');
		if (!as_array)
			strbuf_addch(out, '\n');
	}
	if (as_array)
		strbuf_addch(out, ']');
}

static void print_json(const char *name, const char *cs, const struct extraction *e,
		       const struct qa_list *qa, struct strbuf *out)
{
	strbuf_addstr(out, "{\"source\":");
	json_write_string(out, name, strlen(name));
	strbuf_addstr(out, ",\"charset\":");
	json_write_string(out, cs, strlen(cs));
	strbuf_addstr(out, ",\"lang\":");
	json_write_string(out, e->lang, strlen(e->lang));
	strbuf_addstr(out, ",\"title\":");
	json_write_string(out, e->title.buf, e->title.len);
	strbuf_addstr(out, ",\"text\":");
	json_write_string(out, e->text.buf, e->text.len);
	strbuf_addstr(out, ",\"text_from\":");
	json_write_string(out, e->text_from, strlen(e->text_from));
	strbuf_addf(out, ",\"confidence\":%.2f,\"records\":", e->confidence);
	print_records(qa, out, 1);
	strbuf_addstr(out, "}\n");
}

/* Extracts one page's bytes and prints the result. Returns 0 or -1. */
static int extract_one(struct extract_job *job, const char *name, const char *bytes, size_t len,
		       const char *content_type, const char *url)
{
	struct strbuf utf8 = STRBUF_INIT, out = STRBUF_INIT;
	struct extraction e;
	struct qa_list qa = { NULL, 0, 0 };
	const char *cs = charset_decode(bytes, len, content_type, &utf8);
	/* without XPath rules only extraction reads the tree: parse it lean */
	int text_only = !job->rules.qa_question && !job->rules.content_xpath;
	int rc;

	extraction_init(&e);
	rc = extract_page(utf8.buf, utf8.len, url, &job->rules, text_only ? HTML_TEXT_ONLY : 0, NULL,
			  &e, &qa);
	if (!rc && job->json) {
		print_json(name, cs, &e, &qa, &out);
	} else if (!rc && job->rules.qa_question) {
		print_records(&qa, &out, 0);
		if (!qa.nr)
			warning("the --qa rules match no question with an answer in '%s'", name);
	} else if (!rc) {
		if (job->pages++)
			strbuf_addstr(&out, "\n");
		strbuf_add(&out, e.text.buf, e.text.len);
		if (e.text.len)
			strbuf_addch(&out, '\n');
		else
			warning("no main text found in '%s'", name);
	}
	fwrite(out.buf, 1, out.len, stdout);
	qa_list_release(&qa);
	extraction_release(&e);
	strbuf_release(&utf8);
	strbuf_release(&out);
	return rc;
}

static int extract_path(struct extract_job *job, const char *arg)
{
	struct strbuf raw = STRBUF_INIT, plain = STRBUF_INIT;
	int rc;
	if (is_http_url(arg)) {
		struct fetched_page p;
		fetched_page_init(&p);
		if (fetch_one(arg, CRAWL_USER_AGENT, &p))
			rc = error("cannot fetch '%s': %s", arg, p.error.buf);
		else if (p.status < 200 || p.status > 299)
			rc = error("cannot fetch '%s': HTTP %ld", arg, p.status);
		else
			rc = extract_one(job, arg, p.body.buf, p.body.len,
					 p.content_type.len ? p.content_type.buf : NULL, p.final_url.buf);
		fetched_page_release(&p);
		return rc;
	}
	if (read_file_limited(arg, 256u << 20, &raw))
		return -1;
	if (is_gzip(raw.buf, raw.len)) {
		int r = gunzip_limited(raw.buf, raw.len, CRAWL_MAX_BODY * 8, &plain);
		if (r < 0) {
			strbuf_release(&raw);
			strbuf_release(&plain);
			return error("cannot read '%s': not valid gzip", arg);
		}
		if (r > 0)
			warning("'%s' decompresses to more than %zu MB; the rest is ignored",
				arg, CRAWL_MAX_BODY * 8 >> 20);
		rc = extract_one(job, arg, plain.buf, plain.len, NULL, NULL);
	} else {
		rc = extract_one(job, arg, raw.buf, raw.len, NULL, NULL);
	}
	strbuf_release(&raw);
	strbuf_release(&plain);
	return rc;
}

int cmd_extract(int argc, char **argv)
{
	struct extract_job job = { { NULL, NULL, NULL, NULL }, 0, 0 };
	const char *qa_placeholder = NULL;
	struct option opts[] = {
		OPT_STRING(0, "qa", &qa_placeholder, "QUESTION_XPATH ANSWER_XPATH",
			   "print Q&A records: question and answer XPaths"),
		OPT_STRING(0, "qa-input", &job.rules.qa_input, "XPATH",
			   "with --qa: the question's body (record input)"),
		OPT_STRING(0, "content", &job.rules.content_xpath, "XPATH",
			   "the main text is the text of these nodes"),
		OPT_FLAG(0, "json", &job.json, "print JSON, one object per page: source, charset, "
			 "lang, title, text, text_from, confidence, records"),
		OPT_END(),
	};
	int failed = 0;
	argc = take_qa_option(argc, argv, &job.rules.qa_question, &job.rules.qa_answer);
	if (argc < 0)
		return usage_error(&extract_help, "--qa needs two values: QUESTION_XPATH ANSWER_XPATH");
	argc = parse_options(argc, argv, opts, &extract_help);
	if (argc < 0)
		return options_exit_code(argc);
	if (argc < 1)
		return usage_error(&extract_help, "extract needs a FILE or URL");
	if (job.rules.qa_input && !job.rules.qa_question)
		return usage_error(&extract_help, "--qa-input needs --qa");
	if (xpath_check(job.rules.qa_question, "--qa") || xpath_check(job.rules.qa_answer, "--qa") ||
	    xpath_check(job.rules.qa_input, "--qa-input") ||
	    xpath_check(job.rules.content_xpath, "--content"))
		return EXIT_USAGE;
	for (int i = 0; i < argc; i++)
		if (extract_path(&job, argv[i]))
			failed++;
	fflush(stdout);
	return failed ? EXIT_FAILURE_ : EXIT_OK;
}
