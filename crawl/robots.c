/*
 * robots.c - robots.txt as RFC 9309 says: the groups whose user-agent
 * matches our product token (case-insensitively; several are merged), else
 * the "*" group; Allow/Disallow by longest matching pattern, Allow winning
 * a tie; "*" matches any run of characters and a final "$" anchors the
 * end. Crawl-delay (not in the RFC, widely used) and Sitemap lines are
 * read too. /robots.txt itself is always allowed.
 */
#include "crawl.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Patterns longer than this are ignored (RFC 9309 lets us cap at 500 KiB files). */
#define ROBOTS_MAX_PATTERN 2048

enum group_state { BETWEEN, IN_AGENTS, IN_RULES };

static void add_rule(struct robots *r, const char *pattern, size_t len, int allow)
{
	if (r->nr == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 16;
		r->rules = xrealloc(r->rules, r->alloc * sizeof(*r->rules));
	}
	r->rules[r->nr].pattern = xstrndup(pattern, len);
	r->rules[r->nr].allow = allow;
	r->nr++;
}

/* 1 if the user-agent line value names agent (its product token). */
static int agent_matches(const char *v, size_t len, const char *agent)
{
	size_t n = 0;
	while (n < len && ((v[n] >= 'a' && v[n] <= 'z') || (v[n] >= 'A' && v[n] <= 'Z') ||
			   v[n] == '-' || v[n] == '_'))
		n++;
	return n && n == strlen(agent) && !strncasecmp(v, agent, n);
}

/*
 * Parses the body twice: once for groups naming agent, and, when there
 * are none, once for the "*" groups.
 */
static void parse_pass(struct robots *r, const char *body, size_t len, const char *agent,
		       int want_star, int *found, int collect_sitemaps)
{
	enum group_state state = BETWEEN;
	int group_applies = 0;
	const char *p = body, *end = body + len;
	while (p < end) {
		const char *eol = p;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		const char *line_end = memchr(p, '#', (size_t)(eol - p));
		if (!line_end)
			line_end = eol;
		const char *colon = memchr(p, ':', (size_t)(line_end - p));
		if (colon) {
			const char *k = p, *ke = colon, *v = colon + 1, *ve = line_end;
			while (k < ke && (*k == ' ' || *k == '\t'))
				k++;
			while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
				ke--;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			size_t klen = (size_t)(ke - k), vlen = (size_t)(ve - v);
#define KEY(s) (klen == strlen(s) && !strncasecmp(k, s, klen))
			if (KEY("user-agent")) {
				if (state != IN_AGENTS)
					group_applies = 0;
				state = IN_AGENTS;
				int m = want_star ? (vlen == 1 && *v == '*') : agent_matches(v, vlen, agent);
				if (m) {
					group_applies = 1;
					*found = 1;
				}
			} else if (KEY("allow") || KEY("disallow")) {
				state = IN_RULES;
				if (group_applies && vlen && vlen <= ROBOTS_MAX_PATTERN)
					add_rule(r, v, vlen, KEY("allow"));
			} else if (KEY("crawl-delay")) {
				state = IN_RULES;
				char buf[32];
				double d;
				if (group_applies && vlen && vlen < sizeof(buf)) {
					memcpy(buf, v, vlen);
					buf[vlen] = '\0';
					if (!parse_double(buf, 0, 86400, &d) && d > r->crawl_delay)
						r->crawl_delay = d;
				}
			} else if (KEY("sitemap")) {
				if (collect_sitemaps && vlen) {
					r->sitemaps = xrealloc(r->sitemaps,
							       (r->sitemaps_nr + 1) * sizeof(*r->sitemaps));
					r->sitemaps[r->sitemaps_nr++] = xstrndup(v, vlen);
				}
			}
#undef KEY
		}
		p = eol;
		while (p < end && (*p == '\n' || *p == '\r'))
			p++;
	}
}

void robots_parse(struct robots *r, const char *body, size_t len, const char *agent)
{
	int found = 0;
	memset(r, 0, sizeof(*r));
	parse_pass(r, body, len, agent, 0, &found, 1);
	if (!found)
		parse_pass(r, body, len, agent, 1, &found, 0);
}

/* 1 if pattern p matches a prefix of s ("$" at the end of p: all of s). */
static int pattern_matches(const char *p, const char *s)
{
	for (;;) {
		if (!*p)
			return 1;
		if (*p == '$' && !p[1])
			return !*s;
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (!*p)
				return 1;
			for (;; s++) {
				if (pattern_matches(p, s))
					return 1;
				if (!*s)
					return 0;
			}
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
}

int robots_allowed(const struct robots *r, const char *path)
{
	size_t best_len = 0;
	int best_allow = 1, matched = 0;
	if (r->disallow_all)
		return 0;
	if (!strcmp(path, "/robots.txt"))
		return 1;
	for (size_t i = 0; i < r->nr; i++) {
		const struct robots_rule *rule = &r->rules[i];
		size_t len = strlen(rule->pattern);
		if (!pattern_matches(rule->pattern, path))
			continue;
		if (!matched || len > best_len || (len == best_len && rule->allow && !best_allow)) {
			best_len = len;
			best_allow = rule->allow;
			matched = 1;
		}
	}
	return best_allow;
}

void robots_release(struct robots *r)
{
	for (size_t i = 0; i < r->nr; i++)
		free(r->rules[i].pattern);
	for (size_t i = 0; i < r->sitemaps_nr; i++)
		free(r->sitemaps[i]);
	free(r->rules);
	free(r->sitemaps);
	memset(r, 0, sizeof(*r));
}
