/*
 * crawler.c - the fetch loop: libcurl's multi interface with our own
 * per-host scheduler on top (CURLMOPT_MAX_HOST_CONNECTIONS counts
 * connections, not requests, so politeness is kept here).
 *
 * Invariants:
 *  1. At most `concurrency` requests are in flight per host, and a host's
 *     next request starts no earlier than `delay` after its previous one
 *     finished, where delay = max(--delay, robots.txt Crawl-delay).
 *  2. No page of a host is fetched before that host's robots.txt is known
 *     (fetched, or cached less than 24 hours ago), unless --ignore-robots.
 *  3. Each finished transfer is committed (frontier.h) before its slot is
 *     given to another request.
 *  4. Pages follow redirects as new frontier pages, not inside the
 *     transfer, so each hop waits for its host's delay, is checked against
 *     the source's rules and robots.txt, and is fetched at most once a run;
 *     at most MAX_REDIRECTS hops from a linked URL. (robots.txt and sitemap
 *     fetches let libcurl follow.)
 */
#include "crawler_state.h"
#include "../lib/progress.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- bookkeeping ---- */

static int is_taken(void *ctx, int64_t id)
{
	struct crawler *c = ctx;
	for (size_t i = 0; i < c->taken_nr; i++)
		if (c->taken[i] == id)
			return 1;
	return 0;
}

static void take(struct crawler *c, int64_t id)
{
	if (c->taken_nr == c->taken_alloc) {
		c->taken_alloc = c->taken_alloc ? 2 * c->taken_alloc : 256;
		c->taken = xrealloc(c->taken, c->taken_alloc * sizeof(*c->taken));
	}
	c->taken[c->taken_nr++] = id;
}

static void untake(struct crawler *c, int64_t id)
{
	for (size_t i = 0; i < c->taken_nr; i++)
		if (c->taken[i] == id) {
			c->taken[i] = c->taken[--c->taken_nr];
			return;
		}
}

static void count_failure(struct crawler *c, const char *reason)
{
	c->totals->failed++;
	for (size_t i = 0; i < c->reasons_nr; i++)
		if (!strcmp(c->reasons[i].name, reason)) {
			c->reasons[i].n++;
			return;
		}
	if (c->reasons_nr < sizeof(c->reasons) / sizeof(c->reasons[0])) {
		snprintf(c->reasons[c->reasons_nr].name, sizeof(c->reasons[0].name), "%s", reason);
		c->reasons[c->reasons_nr++].n = 1;
	}
}

static struct host *host_for(struct crawler *c, struct site *s, const char *url)
{
	struct strbuf key = STRBUF_INIT;
	url_site(url, &key);
	for (size_t i = 0; i < c->hosts_nr; i++)
		if (!strcmp(c->hosts[i]->site, key.buf)) {
			strbuf_release(&key);
			return c->hosts[i];
		}
	c->hosts = xrealloc(c->hosts, (c->hosts_nr + 1) * sizeof(*c->hosts));
	struct host *h = c->hosts[c->hosts_nr++] = xcalloc(1, sizeof(*h));
	h->site = strbuf_detach(&key, NULL);
	h->delay = (double)s->rules->delay_ms / 1000.0;
	h->max_in_flight = (int)s->rules->concurrency;
	if (s->rules->ignore_robots)
		h->robots_state = ROBOTS_READY;
	return h;
}

/* ---- starting transfers ---- */

static size_t on_header(char *line, size_t size, size_t n, void *ctx)
{
	struct transfer *t = ctx;
	size_t len = size * n;
	struct {
		const char *name;
		struct strbuf *into;
	} wanted[] = { { "etag:", &t->etag }, { "last-modified:", &t->last_modified },
		       { "retry-after:", &t->retry_after } };
	if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
		/* a new response (after a redirect): forget the previous one's headers */
		strbuf_reset(&t->etag);
		strbuf_reset(&t->last_modified);
		strbuf_reset(&t->retry_after);
		return len;
	}
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		size_t nl = strlen(wanted[i].name);
		if (len > nl && !strncasecmp(line, wanted[i].name, nl)) {
			strbuf_reset(wanted[i].into);
			strbuf_add(wanted[i].into, line + nl, len - nl);
			strbuf_trim(wanted[i].into);
		}
	}
	return len;
}

struct transfer *transfer_new(struct crawler *c, enum transfer_kind kind, struct site *s,
			      struct host *h, const char *url)
{
	struct transfer *t = xcalloc(1, sizeof(*t));
	t->kind = kind;
	t->site = s;
	t->host = h;
	strbuf_init(&t->body, 0);
	strbuf_init(&t->etag, 0);
	strbuf_init(&t->last_modified, 0);
	strbuf_init(&t->retry_after, 0);
	t->sink.body = &t->body;
	t->sink.limit = CRAWL_MAX_BODY;
	t->h = curl_easy_init();
	if (!t->h)
		die("cannot start libcurl");
	fetch_configure(t->h, url, s->agent, &t->sink, c->limits->timeout);
	curl_easy_setopt(t->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(t->h, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->h, CURLOPT_PRIVATE, t);
	h->in_flight++;
	c->active++;
	c->live = xrealloc(c->live, (c->live_nr + 1) * sizeof(*c->live));
	c->live[c->live_nr++] = t;
	return t;
}

static void transfer_free(struct transfer *t)
{
	curl_easy_cleanup(t->h);
	curl_slist_free_all(t->headers);
	strbuf_release(&t->body);
	strbuf_release(&t->etag);
	strbuf_release(&t->last_modified);
	strbuf_release(&t->retry_after);
	frontier_page_release(&t->page);
	free(t);
}

static void start_page(struct crawler *c, struct site *s, struct host *h, struct frontier_page *p)
{
	struct transfer *t = transfer_new(c, T_PAGE, s, h, p->url);
	t->page = *p;
	memset(p, 0, sizeof(*p));
	if (t->page.kind == PAGE_HTML)	/* invariant 4 */
		curl_easy_setopt(t->h, CURLOPT_FOLLOWLOCATION, 0L);
	if (t->page.etag) {
		char *hdr = xstrfmt("If-None-Match: %s", t->page.etag);
		t->headers = curl_slist_append(t->headers, hdr);
		free(hdr);
	}
	if (t->page.last_modified) {
		time_t when = curl_getdate(t->page.last_modified, NULL);
		if (when > 0) {
			curl_easy_setopt(t->h, CURLOPT_TIMECONDITION, (long)CURL_TIMECOND_IFMODSINCE);
			curl_easy_setopt(t->h, CURLOPT_TIMEVALUE_LARGE, (curl_off_t)when);
		}
	}
	if (t->headers)
		curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, t->headers);
	s->started++;
	c->started++;
	curl_multi_add_handle(c->multi, t->h);
}

static int page_limit_reached(struct crawler *c, struct site *s)
{
	return (c->limits->max_pages && c->started >= c->limits->max_pages) ||
	       (s->rules->max_pages && s->started >= s->rules->max_pages);
}

static void refill(struct crawler *c, struct site *s)
{
	if (s->queue_nr || s->exhausted)
		return;
	int n = frontier_load(&c->f, s->id, s->queue, QUEUE_MAX, is_taken, c);
	if (n < 0) {
		c->failed = 1;
		return;
	}
	s->queue_nr = n;
	for (int i = 0; i < n; i++)
		take(c, s->queue[i].id);
	if (!n)
		s->exhausted = 1;
}

/* Marks a page blocked by robots.txt: finished for this run, due again after --every. */
static void block_page(struct crawler *c, struct site *s, struct frontier_page *p)
{
	struct page_outcome o = { "blocked", 0, NULL, p->etag, p->last_modified, "robots",
				  0, 0, 0, 0, s->rules->every, 0 };
	if (frontier_finish(&c->f, p->id, &o))	/* one statement: its own transaction */
		c->failed = 1;
	c->totals->blocked++;
	untake(c, p->id);
	frontier_page_release(p);
}

/* Starts what politeness and the limits allow. */
static void start_transfers(struct crawler *c)
{
	double now = now_seconds();
	for (size_t si = 0; si < c->sites_nr && !c->failed; si++) {
		struct site *s = &c->sites[si];
		refill(c, s);
		int kept = 0;
		for (int i = 0; i < s->queue_nr; i++) {
			struct frontier_page *p = &s->queue[i];
			struct host *h;
			h = host_for(c, s, p->url);
			if (!h->unavailable &&
			    (c->active >= c->limits->concurrency || page_limit_reached(c, s) ||
			     h->in_flight >= h->max_in_flight || now < h->next_ok)) {
				s->queue[kept++] = *p;
				continue;
			}
			if (h->robots_state == ROBOTS_UNKNOWN)
				start_robots(c, s, h, p->url);
			if (h->unavailable) {
				/* stays taken, so not reloaded: pending for the next run */
				frontier_page_release(p);
				continue;
			}
			if (h->robots_state != ROBOTS_READY || h->in_flight >= h->max_in_flight) {
				s->queue[kept++] = *p;
				continue;
			}
			if (!s->rules->ignore_robots && !robots_allowed(&h->robots, url_path(p->url))) {
				block_page(c, s, p);
				continue;
			}
			start_page(c, s, h, p);
		}
		s->queue_nr = kept;
	}
}

/* ---- finishing transfers ---- */

/* Extracts and stores a fetched HTML or text page; fills o. Returns 0 or -1 (corpus). */
static int store_page(struct crawler *c, struct transfer *t, const char *ct, int is_html,
		      const char *final_url, struct page_outcome *o)
{
	struct site *s = t->site;
	struct strbuf utf8 = STRBUF_INIT;
	struct extraction e;
	struct qa_list qa = { NULL, 0, 0 };
	int rc = 0;
	extraction_init(&e);
	charset_decode(t->body.buf, t->body.len, ct, &utf8);
	if (is_html) {
		/* without XPath rules, the tree holds only what extraction and links read */
		unsigned lean = s->xr.qa_question || s->xr.content_xpath
				? 0 : HTML_TEXT_ONLY | HTML_KEEP_LINKS;
		struct link_ctx l = { c, s, t->page.depth, 0, 0 };
		struct link_sink sink = { on_link, &l };
		extract_page(utf8.buf, utf8.len, final_url, &s->xr, lean, &sink, &e, &qa);
		o->links_dropped = l.dropped;
		c->totals->pages_capped += l.dropped > 0;
		c->totals->links_dropped += l.dropped;
	} else {
		strbuf_add(&e.text, utf8.buf, utf8.len);
		strbuf_trim(&e.text);
		e.confidence = e.text.len ? 1 : 0;
	}
	int64_t doc_id = 0;
	if (e.text.len) {
		int is_new = 0;
		doc_id = frontier_document(&c->f, s->id, t->page.id, final_url, e.title.buf, e.text.buf,
					   e.lang, e.confidence, &is_new);
		if (doc_id < 0)
			rc = -1;
		else if (is_new)
			c->totals->documents++;
	}
	for (size_t i = 0; !rc && i < qa.nr; i++) {
		struct record r = { qa.items[i].instruction, qa.items[i].input, qa.items[i].output, "", "[]",
				    strlen(qa.items[i].instruction), strlen(qa.items[i].input),
				    strlen(qa.items[i].output), 0, 2 };
		int64_t id = record_insert(&c->f.records, &r, "crawl", s->id, 0, 0);
		if (id < 0)
			rc = -1;
		else if (id > 0) {
			c->totals->records++;
			if (doc_id > 0 && frontier_record_document(&c->f, id, doc_id))
				rc = -1;
		}
	}
	o->document_id = doc_id > 0 ? doc_id : 0;
	o->records = (long)qa.nr;
	qa_list_release(&qa);
	extraction_release(&e);
	strbuf_release(&utf8);
	return rc;
}

static int is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/*
 * A page answered with a redirect (invariant 4): the target becomes a
 * frontier page of its own, one hop further, at the same depth. The page
 * itself is done, with final_url naming the target; a redirect without a
 * usable Location, one hop too many, or to a URL the source does not
 * crawl is its failure reason instead.
 */
static void follow_redirect(struct crawler *c, struct transfer *t, long status,
			    struct page_outcome *o, char *reason, size_t size, struct strbuf *target)
{
	struct site *s = t->site;
	char *location = NULL;
	int r;
	curl_easy_getinfo(t->h, CURLINFO_REDIRECT_URL, &location);
	if (!location || url_resolve(NULL, location, target)) {
		snprintf(reason, size, "http-%ld", status);
		return;
	}
	o->final_url = target->buf;
	if (t->page.redirects >= MAX_REDIRECTS) {
		snprintf(reason, size, "redirects");
		return;
	}
	if (!url_wanted(s, target->buf)) {
		snprintf(reason, size, "redirect-elsewhere");
		return;
	}
	c->totals->redirects++;
	r = frontier_add_redirect(&c->f, s->id, target->buf, t->page.depth, t->page.redirects + 1);
	if (r < 0)
		c->failed = 1;
	else if (r > 0)
		s->exhausted = 0;
}

static void finish_page(struct crawler *c, struct transfer *t, CURLcode res, long status)
{
	struct site *s = t->site;
	struct page_outcome o = { "fetched", status, NULL, NULL, NULL, NULL, 0, 0, 0, 0,
				  s->rules->every, 0 };
	char *final_url = NULL, *ct = NULL, reason[32];
	struct strbuf redirect_to = STRBUF_INIT;
	int transient = 0, throttled = 0;
	curl_easy_getinfo(t->h, CURLINFO_EFFECTIVE_URL, &final_url);
	curl_easy_getinfo(t->h, CURLINFO_CONTENT_TYPE, &ct);
	o.final_url = final_url;
	o.etag = t->etag.len ? t->etag.buf : NULL;
	o.last_modified = t->last_modified.len ? t->last_modified.buf : NULL;
	reason[0] = '\0';

	if (res != CURLE_OK) {
		snprintf(reason, sizeof(reason), "%s", curl_reason(res, t->sink.too_big));
		transient = strcmp(reason, "too-large") && strcmp(reason, "redirects") &&
			    strcmp(reason, "bad-encoding");
	} else if (status == 304) {
		/* not modified: keep the validators we sent */
		o.etag = t->page.etag;
		o.last_modified = t->page.last_modified;
		if (t->etag.len)
			o.etag = t->etag.buf;
		c->totals->not_modified++;
	} else if (status == 429 || status == 503) {
		snprintf(reason, sizeof(reason), "http-%ld", status);
		transient = throttled = 1;
	} else if (status >= 500 || status == 408) {
		snprintf(reason, sizeof(reason), "http-%ld", status);
		transient = 1;
	} else if (is_redirect(status) && t->page.kind == PAGE_HTML) {
		follow_redirect(c, t, status, &o, reason, sizeof(reason), &redirect_to);
	} else if (status < 200 || status >= 300) {
		snprintf(reason, sizeof(reason), "http-%ld", status);
	} else {
		int is_html, is_xml;
		uint64_t h = hash64(t->body.buf, t->body.len, 0x70616765ULL);
		o.content_hash = (int64_t)h;
		o.has_hash = 1;
		if (!content_type_ok(ct, t->page.kind == PAGE_SITEMAP, &is_html, &is_xml)) {
			snprintf(reason, sizeof(reason), "content-type");
		} else if (t->page.has_hash && t->page.content_hash == (int64_t)h) {
			c->totals->unchanged++;	/* same bytes as last time: nothing to extract */
		} else if (is_xml || t->page.kind == PAGE_SITEMAP) {
			read_sitemap(c, s, &t->body);
		} else {
			c->totals->fetched++;
			if (store_page(c, t, ct, is_html, final_url ? final_url : t->page.url, &o))
				c->failed = 1;
		}
	}

	if (c->failed) {
		strbuf_release(&redirect_to);
		return;
	}
	int max_tries = throttled ? MAX_TRIES_THROTTLED : MAX_TRIES_5XX;
	int rc;
	if (transient && t->page.tries + 1 < max_tries) {
		double in = retry_delay(&t->retry_after, t->page.tries);
		struct host *h = t->host;
		if (throttled && now_seconds() + in > h->next_ok)
			h->next_ok = now_seconds() + in;	/* the whole host slows down */
		rc = frontier_retry(&c->f, t->page.id, status, reason, in);
		c->totals->retried++;
		untake(c, t->page.id);
	} else {
		if (reason[0]) {
			o.status = "failed";
			o.error = reason;
			o.has_hash = 0;
			count_failure(c, reason);
		}
		rc = frontier_finish(&c->f, t->page.id, &o);
		untake(c, t->page.id);
	}
	if (rc)
		c->failed = 1;
	strbuf_release(&redirect_to);
}

/* Commits every transfer that has finished; returns how many did. */
static int finish_transfers(struct crawler *c)
{
	CURLMsg *msg;
	int left, in_tx = 0, finished = 0;
	/*
	 * Everything that finished since the last look is committed in one
	 * transaction, before any of the freed slots is given a new request.
	 */
	while (!c->failed && (msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		finished++;
		if (!in_tx) {
			if (corpus_exec(c->db, "BEGIN IMMEDIATE")) {
				c->failed = 1;
				break;
			}
			in_tx = 1;
		}
		struct transfer *t;
		long status = 0;
		CURLcode res = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(c->multi, t->h);
		for (size_t i = 0; i < c->live_nr; i++)
			if (c->live[i] == t) {
				c->live[i] = c->live[--c->live_nr];
				break;
			}
		t->host->in_flight--;
		t->host->next_ok = now_seconds() + t->host->delay;
		c->active--;
		if (t->kind == T_ROBOTS)
			finish_robots(c, t, res, status);
		else
			finish_page(c, t, res, status);
		transfer_free(t);
		progress_update(&c->progress, (uint64_t)(c->totals->fetched + c->totals->not_modified +
							 c->totals->unchanged + c->totals->failed));
	}
	if (in_tx && (c->failed || corpus_exec(c->db, "COMMIT"))) {
		/* the pages of this batch stay pending: the next run fetches them */
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		c->failed = 1;
	}
	return finished;
}

/* 1 if there is nothing to start now or soon (for this run). */
static int nothing_left(struct crawler *c, double *wait)
{
	*wait = 0.2;
	for (size_t i = 0; i < c->sites_nr; i++) {
		struct site *s = &c->sites[i];
		if (s->queue_nr && !page_limit_reached(c, s))
			return 0;
		if (!s->exhausted && !page_limit_reached(c, s))
			return 0;
	}
	if (c->limits->max_pages && c->started >= c->limits->max_pages)
		return 1;
	for (size_t i = 0; i < c->sites_nr; i++) {
		double in = frontier_next_retry(&c->f, c->sites[i].id);
		if (in >= 0 && in <= RETRY_WAIT_MAX && !page_limit_reached(c, &c->sites[i])) {
			c->sites[i].exhausted = 0;
			*wait = in > 0.2 ? in : 0.2;
			return 0;
		}
	}
	return 1;
}

static void site_setup(struct site *s, int64_t id, struct site_rules *rules)
{
	struct strbuf key = STRBUF_INIT;
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->rules = rules;
	url_site(rules->url, &key);
	s->site_key = strbuf_detach(&key, NULL);
	s->allow = xcalloc(rules->allow_nr + 1, sizeof(regex_t));
	s->deny = xcalloc(rules->deny_nr + 1, sizeof(regex_t));
	for (size_t i = 0; i < rules->allow_nr; i++)
		if (regcomp(&s->allow[i], rules->allow[i], REG_EXTENDED | REG_NOSUB))
			regcomp(&s->allow[i], "$^", REG_EXTENDED | REG_NOSUB);
	for (size_t i = 0; i < rules->deny_nr; i++)
		if (regcomp(&s->deny[i], rules->deny[i], REG_EXTENDED | REG_NOSUB))
			regcomp(&s->deny[i], "$^", REG_EXTENDED | REG_NOSUB);
	s->xr.content_xpath = rules->content;
	s->xr.qa_question = rules->qa_question;
	s->xr.qa_answer = rules->qa_answer;
	s->xr.qa_input = rules->qa_input;
	s->agent = rules->user_agent ? rules->user_agent : CRAWL_USER_AGENT;
	/* "MyBot/2.0 (+url)" -> "MyBot" */
	size_t k = 0;
	for (const char *a = s->agent; k + 1 < sizeof(s->agent_token) &&
	     ((*a >= 'a' && *a <= 'z') || (*a >= 'A' && *a <= 'Z') || *a == '-' || *a == '_'); a++)
		s->agent_token[k++] = *a;
	s->agent_token[k] = '\0';
	if (!k)
		snprintf(s->agent_token, sizeof(s->agent_token), "%s", CRAWL_AGENT_TOKEN);
}

static void site_release(struct site *s)
{
	for (size_t i = 0; i < s->rules->allow_nr; i++)
		regfree(&s->allow[i]);
	for (size_t i = 0; i < s->rules->deny_nr; i++)
		regfree(&s->deny[i]);
	free(s->allow);
	free(s->deny);
	for (int i = 0; i < s->queue_nr; i++)
		frontier_page_release(&s->queue[i]);
	free(s->site_key);
}

int crawl_sites(sqlite3 *db, int64_t run_id, const int64_t *source_ids,
		struct site_rules *const *rules, size_t nr, const struct crawl_limits *limits,
		volatile int *stop, struct crawl_totals *totals)
{
	struct crawler c;
	memset(&c, 0, sizeof(c));
	c.db = db;
	c.limits = limits;
	c.totals = totals;
	if (frontier_open(&c.f, db, run_id))
		return -1;
	c.multi = curl_multi_init();
	c.sites = xcalloc(nr, sizeof(*c.sites));
	c.sites_nr = nr;
	if (corpus_exec(db, "BEGIN IMMEDIATE"))
		c.failed = 1;
	for (size_t i = 0; i < nr && !c.failed; i++) {
		site_setup(&c.sites[i], source_ids[i], rules[i]);
		/* the start URL and sitemaps are due at the start of every crawl of the site */
		if (frontier_add(&c.f, source_ids[i], rules[i]->url, PAGE_HTML, 0) < 0)
			c.failed = 1;
		for (size_t k = 0; k < rules[i]->sitemaps_nr; k++)
			if (frontier_add(&c.f, source_ids[i], rules[i]->sitemaps[k], PAGE_SITEMAP, 0) < 0)
				c.failed = 1;
	}
	if (c.failed || corpus_exec(db, "COMMIT"))
		c.failed = 1;
	progress_start(&c.progress, "crawl", 0, "pages");

	while (!c.failed) {
		int stopping = *stop || (limits->deadline && now_seconds() >= limits->deadline);
		if (!stopping)
			start_transfers(&c);
		double wait = 0.05;
		if (!c.active && (stopping || nothing_left(&c, &wait)))
			break;
		int running;
		curl_multi_perform(c.multi, &running);
		/* freed slots take new requests before anything waits on the network */
		if (finish_transfers(&c))
			continue;
		if (c.active || wait > 0)
			curl_multi_poll(c.multi, NULL, 0, (int)(c.active ? 20 : wait * 1000), NULL);
	}
	/* the corpus failed: abandon what is in flight (it stays pending) */
	for (size_t i = 0; i < c.live_nr; i++) {
		curl_multi_remove_handle(c.multi, c.live[i]->h);
		transfer_free(c.live[i]);
	}
	free(c.live);
	progress_finish(&c.progress);
	for (size_t i = 0; i < c.reasons_nr; i++)
		strbuf_addf(&totals->failures, "%s%s=%ld", i ? " " : "", c.reasons[i].name,
			    c.reasons[i].n);
	for (size_t i = 0; i < nr; i++)
		site_release(&c.sites[i]);
	for (size_t i = 0; i < c.hosts_nr; i++) {
		robots_release(&c.hosts[i]->robots);
		free(c.hosts[i]->site);
		free(c.hosts[i]);
	}
	free(c.hosts);
	free(c.sites);
	free(c.taken);
	curl_multi_cleanup(c.multi);
	frontier_close(&c.f);
	return c.failed ? -1 : 0;
}
