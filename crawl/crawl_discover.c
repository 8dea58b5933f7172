/*
 * crawl_discover.c - how the crawler finds pages: each host's robots.txt
 * (cached for a day, with the sitemaps it names), the <loc> URLs of
 * sitemaps, and the links of fetched pages, at most --max-links of them per
 * page (a page of 100,000 links must not flood the frontier).
 */
#include "crawler_state.h"
#include "../lib/util.h"

#include <stdio.h>
#include <string.h>

int url_wanted(struct site *s, const char *url)
{
	struct strbuf key = STRBUF_INIT;
	url_site(url, &key);
	int ok = !strcmp(key.buf, s->site_key);
	strbuf_release(&key);
	if (!ok)
		return 0;
	for (size_t i = 0; i < s->rules->deny_nr; i++)
		if (!regexec(&s->deny[i], url, 0, NULL, 0))
			return 0;
	if (!s->rules->allow_nr)
		return 1;
	for (size_t i = 0; i < s->rules->allow_nr; i++)
		if (!regexec(&s->allow[i], url, 0, NULL, 0))
			return 1;
	return 0;
}

void start_robots(struct crawler *c, struct site *s, struct host *h, const char *page_url)
{
	struct strbuf url = STRBUF_INIT, cached = STRBUF_INIT;
	long status;
	if (frontier_robots_get(&c->f, h->site, &status, &cached)) {
		if (status >= 200 && status < 300)
			robots_parse(&h->robots, cached.buf, cached.len, s->agent_token);
		h->robots_state = ROBOTS_READY;
		if (h->robots.crawl_delay > h->delay)
			h->delay = h->robots.crawl_delay;
		strbuf_release(&cached);
		return;
	}
	strbuf_release(&cached);
	const char *path = url_path(page_url);
	strbuf_add(&url, page_url, (size_t)(path - page_url));
	strbuf_addstr(&url, "/robots.txt");
	struct transfer *t = transfer_new(c, T_ROBOTS, s, h, url.buf);
	h->robots_state = ROBOTS_FETCHING;
	curl_multi_add_handle(c->multi, t->h);
	strbuf_release(&url);
}

static void add_robots_sitemaps(struct crawler *c, struct host *h)
{
	for (size_t si = 0; si < c->sites_nr; si++) {
		struct site *s = &c->sites[si];
		if (strcmp(s->site_key, h->site))
			continue;
		for (size_t i = 0; i < h->robots.sitemaps_nr; i++) {
			struct strbuf u = STRBUF_INIT;
			if (!url_resolve(NULL, h->robots.sitemaps[i], &u) && url_wanted(s, u.buf) &&
			    frontier_add(&c->f, s->id, u.buf, PAGE_SITEMAP, 0) > 0) {
				s->exhausted = 0;
			}
			strbuf_release(&u);
		}
	}
}

void finish_robots(struct crawler *c, struct transfer *t, CURLcode res, long status)
{
	struct host *h = t->host;
	robots_release(&h->robots);
	if (res == CURLE_OK && status >= 200 && status < 300) {
		robots_parse(&h->robots, t->body.buf, t->body.len, t->site->agent_token);
		frontier_robots_put(&c->f, h->site, status, t->body.buf, t->body.len);
	} else if (res == CURLE_OK && status >= 400 && status < 500) {
		frontier_robots_put(&c->f, h->site, status, "", 0);	/* 4xx: everything allowed */
	} else {
		/* 5xx or unreachable: stay away from this host for this run (RFC 9309 2.3.1.4) */
		h->robots.disallow_all = 1;
		h->unavailable = 1;
		warning("robots.txt of '%s' is unavailable (%s); its pages wait for the next run",
			h->site, res == CURLE_OK ? "server error" : curl_easy_strerror(res));
	}
	if (h->robots.crawl_delay > h->delay)
		h->delay = h->robots.crawl_delay;
	h->robots_state = ROBOTS_READY;
	add_robots_sitemaps(c, h);
}


void on_link(void *ctx, const char *url, int rel_next)
{
	struct link_ctx *l = ctx;
	long depth = rel_next ? l->depth : l->depth + 1;
	if (l->s->rules->depth >= 0 && depth > l->s->rules->depth)
		return;
	if (!url_wanted(l->s, url))
		return;
	if (l->c->limits->max_links && l->taken >= l->c->limits->max_links) {
		l->dropped++;
		return;
	}
	l->taken++;
	int r = frontier_add(&l->c->f, l->s->id, url, PAGE_HTML, depth);
	if (r < 0)
		l->c->failed = 1;
	else if (r > 0) {
		l->c->totals->links++;
		l->s->exhausted = 0;
	}
}

void read_sitemap(struct crawler *c, struct site *s, const struct strbuf *body)
{
	struct strbuf plain = STRBUF_INIT;
	const char *xml = body->buf;
	size_t len = body->len;
	if (is_gzip(xml, len)) {
		if (gunzip_limited(xml, len, CRAWL_MAX_BODY * 5, &plain) < 0) {
			strbuf_release(&plain);
			return;
		}
		xml = plain.buf;
		len = plain.len;
	}
	xmlDocPtr doc = xmlReadMemory(xml, (int)(len > INT32_MAX ? INT32_MAX : len), NULL, NULL,
				      XML_PARSE_NONET | XML_PARSE_RECOVER | XML_PARSE_NOERROR |
				      XML_PARSE_NOWARNING);
	c->totals->sitemaps++;
	for (xmlNodePtr n = doc ? xmlDocGetRootElement(doc) : NULL; n;) {
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, "loc") && n->parent) {
			xmlChar *loc = xmlNodeGetContent(n);
			struct strbuf u = STRBUF_INIT;
			int index = !strcmp((const char *)n->parent->name, "sitemap");
			if (loc && !url_resolve(NULL, (const char *)loc, &u) && url_wanted(s, u.buf)) {
				int r = frontier_add(&c->f, s->id, u.buf, index ? PAGE_SITEMAP : PAGE_HTML, 0);
				if (r > 0) {
					c->totals->links++;
					s->exhausted = 0;
				}
			}
			xmlFree(loc);
			strbuf_release(&u);
		}
		if (n->children && n->type == XML_ELEMENT_NODE) {
			n = n->children;
			continue;
		}
		while (n && !n->next)
			n = n->parent && n->parent->type == XML_ELEMENT_NODE ? n->parent : NULL;
		if (n)
			n = n->next;
	}
	xmlFreeDoc(doc);
	strbuf_release(&plain);
}
