/*
 * filters.c - the quality rules: structure, repetition (the Gopher rules,
 * counted in CJK characters where there are no spaces), garbage, LLM
 * artefacts, language and blocklists. Each rule is a name in rules.c; this
 * file decides whether a record breaks it.
 *
 * Regular expressions are compiled once per cleaner with PCRE2 and JIT,
 * and run on normalised text, which is always valid UTF-8 (so the UTF
 * check is skipped). Ratio and repetition rules look at prose only: code
 * in fenced blocks legitimately repeats lines and is full of symbols.
 */
#define _GNU_SOURCE
#include "clean_internal.h"
#include "../lib/util.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static const char *const patterns[RE_COUNT] = {
	[RE_SCAFFOLDING] =
		"(?m)^[ \\t]*#{2,4}[ \\t]*(?:Instruction|Input|Response|Human|Assistant|System|"
		"指令|输入|回答|回复)[ \\t]*[:：]"
		"|<\\|(?:im_start|im_end|endoftext|eot_id|start_header_id|end_header_id|begin_of_text|"
		"end_of_text|user|assistant|system)\\|>"
		"|\\[/?INST\\]|<</?SYS>>|</s>|^<s>",
	/* role lines: a leftover only when nobody asked for a dialogue */
	[RE_ROLE_LINES] = "(?m)^(?:Human|Assistant):",
	[RE_REFUSAL] =
		"\\bI(?:'m|’m| am) (?:sorry|afraid),? (?:but )?I (?:can(?:no|'|’)t|can not|am (?:not able|unable)|"
		"won't|will not)\\b"
		"|\\bI (?:cannot|can't|can’t|can not|am unable to|am not able to|won't be able to) "
		"(?:help|assist|provide|fulfil|fulfill|comply|answer|complete|generate|create|write|support|"
		"engage|do that)\\b"
		"|\\bI(?:'m|’m) (?:not able|unable) to (?:help|assist|provide|answer|complete|generate|create|write|do)\\b"
		"|\\bI must (?:decline|refuse)\\b"
		"|(?:抱歉|对不起)[，,]?[^。！？\\n]{0,12}?(?:无法|不能|不可以|没办法|没有办法)"
		"(?:回答|提供|满足|完成|协助|帮助|帮你|为您|为你|生成|访问|处理|做到|执行)"
		"|我(?:无法|不能|没办法|没有办法)(?:回答|提供|满足|完成|协助|帮助|帮你|为您|为你|生成|访问)",
	[RE_SELF_REFERENCE] =
		"\\bas an? (?:AI|artificial intelligence)(?: language)? (?:model|assistant|chatbot)\\b"
		"|\\b(?:as|being) an AI(?: (?:model|assistant|chatbot))?,"
		"|\\bas a (?:large )?language model\\b"
		"|\\bI(?:'m|’m| am) (?:just |only )?(?:an AI\\b|a large language model|a language model|"
		"an artificial intelligence)"
		"|\\bmy (?:training data|knowledge cutoff)\\b"
		"|作为(?:一个|一名|一款)?(?:AI|人工智能)(?:语言)?(?:模型|助手|程序|机器人)"
		"|作为(?:一个|一名|一款)?(?:AI|人工智能)[，,]"
		"|作为(?:一个|一款)?(?:大型)?语言模型"
		"|我(?:只)?是(?:一个|一名|一款)?(?:AI|人工智能)(?:语言)?(?:模型|助手|程序|机器人)"
		"|我的(?:训练数据|知识截止)",
	[RE_JS_CSS] =
		"document\\.(?:getElementById|querySelector(?:All)?|write|cookie|createElement)\\s*\\("
		"|window\\.(?:location|onload|open|addEventListener)\\b"
		"|\\$\\((?:document|window)\\)|adsbygoogle|googletag\\.|google_ad_client|gtag\\("
		"|\\bfunction\\s*[A-Za-z_$]*\\s*\\([^()\\n]*\\)\\s*\\{"
		"|\\bvar\\s+[A-Za-z_$][\\w$]*\\s*=\\s*[^;\\n]{1,200};"
		"|[.#]?[A-Za-z][\\w-]*\\s*\\{\\s*[a-z-]+\\s*:\\s*[^;{}\\n]+;"
		"|!important\\b|@media\\s*[(a-z]",
	/* an instruction or input asking about code, where code in the output is the answer */
	[RE_CODE_TOPIC] =
		"javascript|\\bjs\\b|css|html|jquery|\\bdom\\b|\\bcode\\b|program|script|function|"
		"\\bclass\\b|\\bmethod|algorithm|\\bloop\\b|\\barray|\\bquery|\\bsql\\b|"
		"web ?page|website|\\bstyle|button|\\bform\\b|snippet|syntax|\\bapi\\b|json|python|java\\b|"
		"网页|前端|代码|脚本|样式|函数|程序|编程|编写|网站|页面|按钮|算法|数组|查询|语法",
	/* instructions about web pages or sources, where a footer or links are what was asked for */
	[RE_WEB_TOPIC] =
		"web|site|page|html|footer|copyright|newsletter|cookie|privacy|social media|email|e-mail|blog|"
		"link|url|source|resource|reference|cite|citation|"
		"网|页|版权|隐私|公众号|邮件|社交|链接|来源|资源|参考|引用|博客",
	/* instructions about web sites, where a footer or share buttons are what was asked for */
	[RE_FOOTER_TOPIC] =
		"website|web ?page|home ?page|landing page|footer|copyright|newsletter|cookie|privacy|social media|"
		"网站|网页|主页|首页|页脚|版权|隐私|公众号|社交媒体",
	/* instructions about numbers, where an output of digits is the answer */
	[RE_NUMBER_TOPIC] =
		"\\d|calculat|comput|\\bsum\\b|\\badd|subtract|multipl|divid|number|sequence|series|equation|"
		"math|arithmetic|convert|table|data|statistic|digit|"
		"计算|数|加|减|乘|除|等于|换算|转换|表|统计",
	/* the furniture of a web page, looked for in the last lines of an output */
	[RE_BOILERPLATE] =
		"all rights reserved|copyright\\s*(?:©|\\(c\\))|©\\s*(?:19|20)\\d\\d|\\bshare this\\b|"
		"privacy policy|terms of (?:use|service)\\s*(?:\\||$)|\\buses cookies|accept (?:all )?cookies|"
		"subscribe to our|follow us on|read more\\s*»|related posts:|posted in [^\\n]{1,40}\\||"
		"skip to (?:main )?content|click here to|"
		"版权所有|保留所有权利|分享到[：:]|扫描二维码|扫码关注|关注我们的|如有侵权|联系删除|点击查看更多|"
		"上一篇[：:]|下一篇[：:]|相关阅读|免责声明[：:]|网站地图|本文来源于",
	/* an instruction asking for a dialogue, where "Human:" / "Assistant:" lines are the answer */
	[RE_DIALOGUE_TOPIC] =
		"dialog|conversation|chat|script|interview|role-?play|exchange|transcript|对话|聊天|剧本|访谈|采访",
};

static void ngram_powers(struct cleaner *c);

static pcre2_code *compile(const char *pattern, size_t len, uint32_t flags, char *err, size_t errsize)
{
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_UTF | flags, &errcode, &erroff, NULL);
	if (!re) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		snprintf(err, errsize, "%s at offset %zu", (char *)msg, (size_t)erroff);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);	/* falls back to the interpreter if JIT is missing */
	return re;
}

struct cleaner *cleaner_new(const struct clean_rules *rules)
{
	struct cleaner *c = xcalloc(1, sizeof(*c));
	char err[200];
	c->rules = *rules;
	for (int i = 0; i < RE_COUNT; i++) {
		c->re[i] = compile(patterns[i], PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, err, sizeof(err));
		if (!c->re[i]) {
			error("clean: built-in pattern %d does not compile: %s", i, err);
			cleaner_free(c);
			return NULL;
		}
	}
	c->match = pcre2_match_data_create(4, NULL);
	ngram_powers(c);
	strbuf_init(&c->block_source, 0);
	return c;
}

void cleaner_free(struct cleaner *c)
{
	if (!c)
		return;
	for (int i = 0; i < RE_COUNT; i++)
		pcre2_code_free(c->re[i]);
	pcre2_code_free(c->block);
	pcre2_match_data_free(c->match);
	strbuf_release(&c->block_source);
	free(c->units.items);
	free(c->prefix);
	free(c->table);
	for (int i = 0; i < 3; i++)
		strbuf_release(&c->prose[i]);
	strbuf_release(&c->tmp);
	strbuf_release(&c->key_i);
	for (size_t i = 0; i < c->turns_alloc; i++)
		strbuf_release(&c->turns[i]);
	free(c->turns);
	free(c);
}

int cleaner_match(struct cleaner *c, pcre2_code *re, const char *s, size_t len)
{
	int rc;
	if (!re || !len)
		return 0;
	rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, c->match, NULL);
	if (rc < 0 && rc != PCRE2_ERROR_PARTIAL)
		return 0;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->match);
	if (ov[0] <= ov[1] && ov[1] <= len)
		cleaner_span(c, s, len, s + ov[0], ov[1] - ov[0]);
	return 1;
}

void cleaner_span(struct cleaner *c, const char *in, size_t in_len, const char *span, size_t span_len)
{
	c->span_in = in;
	c->span_in_len = in_len;
	c->span = span;
	c->span_len = span_len;
}

/* ---- blocklists ---- */

static int ascii_word_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

int cleaner_add_blocklist(struct cleaner *c, const char *path)
{
	FILE *fp = fopen(path, "r");
	struct strbuf line = STRBUF_INIT, pat = STRBUF_INIT;
	char err[200];
	long lineno = 0;
	int ch, rc = 0;
	if (!fp)
		return error("cannot read blocklist '%s': %s", path, strerror(errno));
	while (!rc) {
		strbuf_reset(&line);
		while ((ch = getc(fp)) != EOF && ch != '\n')
			if (line.len < 4096)
				strbuf_addch(&line, ch);
		if (ch == EOF && !line.len)
			break;
		lineno++;
		strbuf_trim(&line);
		if (!line.len || line.buf[0] == '#')
			continue;
		strbuf_reset(&pat);
		if (!strncmp(line.buf, "re:", 3)) {
			strbuf_addstr(&pat, line.buf + 3);
		} else {
			/* a literal word; ASCII words match whole words only */
			if (ascii_word_char((unsigned char)line.buf[0]))
				strbuf_addstr(&pat, "(?<![A-Za-z0-9_])");
			for (size_t i = 0; i < line.len; i++) {
				unsigned char b = (unsigned char)line.buf[i];
				if (b < 0x80 && !ascii_word_char(b) && b != ' ')
					strbuf_addch(&pat, '\\');
				strbuf_addch(&pat, b);
			}
			if (ascii_word_char((unsigned char)line.buf[line.len - 1]))
				strbuf_addstr(&pat, "(?![A-Za-z0-9_])");
		}
		pcre2_code *re = compile(pat.buf, pat.len, PCRE2_CASELESS, err, sizeof(err));
		if (!re) {
			rc = error("%s:%ld: bad regular expression '%s': %s", path, lineno, line.buf + 3, err);
			break;
		}
		pcre2_code_free(re);
		strbuf_addstr(&c->block_source, c->block_source.len ? "|(?:" : "(?:");
		strbuf_add(&c->block_source, pat.buf, pat.len);
		strbuf_addch(&c->block_source, ')');
		c->block_dirty = 1;
	}
	if (ferror(fp))
		rc = error("cannot read blocklist '%s': %s", path, strerror(errno));
	fclose(fp);
	strbuf_release(&line);
	strbuf_release(&pat);
	if (!rc && c->block_dirty) {
		pcre2_code_free(c->block);
		c->block = compile(c->block_source.buf, c->block_source.len, PCRE2_CASELESS, err, sizeof(err));
		c->block_dirty = 0;
		if (!c->block)
			rc = error("blocklist '%s' is too large to compile: %s", path, err);
	}
	return rc;
}

/* ---- hashing n-grams and lines ---- */

static void table_prepare(struct cleaner *c, size_t entries)
{
	size_t want = 64;
	while (want < entries * 2)
		want *= 2;
	if (want > c->table_size) {
		free(c->table);
		c->table = xcalloc(want, sizeof(*c->table));
		c->table_size = want;
		c->gen = 0;
	}
	if (++c->gen == 0) {
		memset(c->table, 0, c->table_size * sizeof(*c->table));
		c->gen = 1;
	}
}

/* The slot for key (inserting it with count 0); table_prepare sized it. */
static struct hash_slot *table_slot(struct cleaner *c, uint64_t key, uint32_t first)
{
	size_t mask = c->table_size - 1, i = (size_t)(key ^ (key >> 29)) & mask;
	for (;;) {
		struct hash_slot *s = &c->table[i];
		if (s->gen != c->gen) {
			s->gen = c->gen;
			s->key = key;
			s->count = 0;
			s->first = first;
			return s;
		}
		if (s->key == key)
			return s;
		i = (i + 1) & mask;
	}
}

/*
 * N-grams are keyed by a polynomial hash of the units' hashes (modulo
 * 2^64, odd base), so the key of any n-gram is two prefix hashes away:
 * O(1) per n-gram however long, instead of n multiplications. The known
 * weakness of hashing modulo 2^64 (Thue-Morse strings collide) needs
 * strings of thousands of units; n-grams here have at most NGRAM_MAX.
 */
#define NGRAM_BASE 0x9E3779B97F4A7C15ULL	/* odd */

static void ngram_powers(struct cleaner *c)
{
	c->power[0] = 1;
	for (int n = 1; n <= NGRAM_MAX; n++)
		c->power[n] = c->power[n - 1] * NGRAM_BASE;
}

/* Fills c->prefix for the units in c->units. */
static void ngram_prefixes(struct cleaner *c)
{
	const struct text_unit *u = c->units.items;
	size_t nr = c->units.nr;
	if (c->prefix_alloc < nr + 1) {
		free(c->prefix);
		c->prefix_alloc = nr + 1 > 2 * c->prefix_alloc ? nr + 1 : 2 * c->prefix_alloc;
		c->prefix = xmalloc(c->prefix_alloc * sizeof(*c->prefix));
	}
	c->prefix[0] = 0;
	for (size_t i = 0; i < nr; i++)
		c->prefix[i + 1] = c->prefix[i] * NGRAM_BASE + u[i].hash;
}

/* The key of units [i, i + n); ngram_prefixes filled the prefixes. */
static inline uint64_t ngram_key(const struct cleaner *c, size_t i, size_t n)
{
	return c->prefix[i + n] - c->prefix[i] * c->power[n];
}

/* Share of characters covered by the most frequent n-gram (Gopher top n-gram). */
static double top_ngram_fraction(struct cleaner *c, size_t n, size_t total_chars, uint32_t *top_count)
{
	const struct text_unit *u = c->units.items;
	size_t nr = c->units.nr;
	uint32_t best = 0, best_first = 0;
	if (top_count)
		*top_count = 0;
	assert(n <= NGRAM_MAX);
	if (nr < n || !total_chars)
		return 0;
	table_prepare(c, nr);
	for (size_t i = 0; i + n <= nr; i++) {
		struct hash_slot *s = table_slot(c, ngram_key(c, i, n), (uint32_t)i);
		if (++s->count > best) {
			best = s->count;
			best_first = s->first;
		}
	}
	if (top_count)
		*top_count = best;
	if (best < 2)
		return 0;
	size_t chars = 0;
	for (size_t j = 0; j < n; j++)
		chars += u[best_first + j].chars;
	return (double)best * (double)chars / (double)total_chars;
}

/* Share of characters in n-grams seen before (Gopher duplicated n-grams). */
static double dup_ngram_fraction(struct cleaner *c, size_t n, size_t total_chars)
{
	const struct text_unit *u = c->units.items;
	size_t nr = c->units.nr, dup = 0, i = 0;
	assert(n <= NGRAM_MAX);
	if (nr < n || !total_chars)
		return 0;
	table_prepare(c, nr);
	while (i + n <= nr) {
		struct hash_slot *s = table_slot(c, ngram_key(c, i, n), (uint32_t)i);
		if (s->count++) {
			for (size_t j = 0; j < n; j++)
				dup += u[i + j].chars;
			i += n;
		} else {
			i++;
		}
	}
	return (double)dup / (double)total_chars;
}

/* Shares of repeated lines and of their characters (blank lines ignored). */
static void duplicate_lines(struct cleaner *c, const char *s, size_t len, double *lines, double *chars)
{
	size_t nlines = 0, dlines = 0, nchars = 0, dchars = 0, i = 0;
	*lines = *chars = 0;
	table_prepare(c, len / 8 + 16);
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - s) : len, a = i, b = end;
		while (a < b && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		if (b > a) {
			struct hash_slot *slot = table_slot(c, hash64(s + a, b - a, 7) | 1, 0);
			nlines++;
			nchars += b - a;
			if (slot->count++) {
				dlines++;
				dchars += b - a;
			}
			if (nlines * 2 > c->table_size / 2)
				break;	/* table sized for len/8 lines; enough to judge */
		}
		i = end + 1;
	}
	if (nlines) {
		*lines = (double)dlines / (double)nlines;
		*chars = (double)dchars / (double)nchars;
	}
}

/* ---- other checks ---- */

/*
 * Appends s without its inline code spans (`...` or ``...`` closed on the
 * same line): each becomes one space. Code names repeat and are full of
 * symbols, which is not what the repetition and garbage rules look for.
 */
static void add_without_inline_code(struct strbuf *buf, const char *s, size_t len)
{
	size_t i = 0, start = 0;
	while (i < len) {
		if (s[i] != '`') {
			i++;
			continue;
		}
		size_t run = 0;
		while (i + run < len && s[i + run] == '`')
			run++;
		size_t j = i + run, close = 0;
		while (j < len && s[j] != '\n' && !close) {
			if (s[j] == '`') {
				size_t r = 0;
				while (j + r < len && s[j + r] == '`')
					r++;
				if (r == run)
					close = j + r;
				j += r;
			} else {
				j++;
			}
		}
		if (!close) {
			i += run;
			continue;
		}
		strbuf_add(buf, s + start, i - start);
		strbuf_addch(buf, ' ');
		i = start = close;
	}
	strbuf_add(buf, s + start, len - start);
}

/* The text without fenced code blocks and inline code, into buf (or s itself when it has none). */
static const char *prose_of(struct strbuf *buf, const char *s, size_t len, size_t *out_len)
{
	size_t i = 0, start = 0;
	if (!memchr(s, '`', len) && (!memchr(s, '~', len) || !memmem(s, len, "~~~", 3))) {
		*out_len = len;
		return s;
	}
	strbuf_reset(buf);
	while (i < len) {
		size_t end = code_fence_end(s, len, i, NULL);
		if (end) {
			add_without_inline_code(buf, s + start, i - start);
			i = start = end;
			continue;
		}
		const char *nl = memchr(s + i, '\n', len - i);
		i = nl ? (size_t)(nl - s) + 1 : len;
	}
	add_without_inline_code(buf, s + start, len - start);
	*out_len = buf->len;
	return buf->buf;
}

void comparison_key(struct strbuf *key, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	strbuf_reset(key);
	while (i < len) {
		int32_t cp = utf8_decode(u + i, len - i, &n);
		i += n;
		if (cp < 0x80) {
			if (cp >= 'A' && cp <= 'Z')
				strbuf_addch(key, cp + 32);
			else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
				strbuf_addch(key, cp);
			continue;
		}
		utf8proc_category_t cat = utf8proc_category(cp);
		if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) {
			char buf[4];
			strbuf_add(key, buf, utf8_encode(utf8proc_tolower(cp), buf));
		} else if (cat == UTF8PROC_CATEGORY_ND) {
			strbuf_add(key, s + i - n, n);
		}
	}
}

/*
 * 1 if output's comparison key is instruction's key (ins, built by
 * comparison_key) once or repeated. Stops at the first difference, so the
 * usual case costs a few characters of the output.
 */
static int repeats(const struct strbuf *ins, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, k = 0, matched = 0;
	char buf[4];
	if (!ins->len)
		return 0;
	while (i < len) {
		int32_t cp = utf8_decode(u + i, len - i, &n);
		const char *piece = s + i;
		size_t plen = 0;
		i += n;
		if (cp < 0x80) {
			if (cp >= 'A' && cp <= 'Z') {
				buf[0] = (char)(cp + 32);
				piece = buf;
				plen = 1;
			} else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
				plen = 1;
			}
		} else {
			utf8proc_category_t cat = utf8proc_category(cp);
			if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) {
				plen = utf8_encode(utf8proc_tolower(cp), buf);
				piece = buf;
			} else if (cat == UTF8PROC_CATEGORY_ND) {
				plen = n;
			}
		}
		for (size_t b = 0; b < plen; b++) {
			if (piece[b] != ins->buf[k])
				return 0;
			k = k + 1 == ins->len ? 0 : k + 1;
			matched++;
		}
	}
	return matched && k == 0;
}

static int over(const struct clean_rules *rules, enum clean_rule r, double value)
{
	return !rules->off[r] && value > rules->threshold[r] + 1e-12;
}

/* The n-gram rules on the units in c->units. */
static enum clean_rule repetition(struct cleaner *c)
{
	size_t total = 0, single = 0;
	for (size_t i = 0; i < c->units.nr; i++) {
		total += c->units.items[i].chars;
		single += c->units.items[i].chars == 1;
	}
	ngram_prefixes(c);
	/*
	 * Gopher's n-grams are n words. Where most units are single (CJK)
	 * characters, a Chinese word is about two of them, so n-grams twice
	 * as long are compared: otherwise one noun repeated in a short answer
	 * ("打印机" five times) reads as a repetitive text.
	 */
	size_t k = 2 * single > c->units.nr ? 2 : 1;
	/*
	 * The most frequent 3- or 4-gram occurs at most as often as the most
	 * frequent 2-gram, so when even that count times the longest 3/4
	 * units cannot pass a threshold, those passes are skipped.
	 */
	uint32_t top2 = 0;
	double f2 = top_ngram_fraction(c, 2 * k, total, &top2);
	if (over(&c->rules, RULE_TOP_2GRAM, f2))
		return RULE_TOP_2GRAM;
	for (int n = 3; n <= 4; n++) {
		size_t widest = 0, run = 0, len = (size_t)n * k;
		const struct text_unit *u = c->units.items;
		for (size_t i = 0; i < c->units.nr; i++) {
			run += u[i].chars;
			if (i >= len)
				run -= u[i - len].chars;
			if (run > widest)
				widest = run;
		}
		if (!over(&c->rules, RULE_TOP_2GRAM + n - 2, (double)top2 * (double)widest / (double)(total ? total : 1)))
			continue;
		if (over(&c->rules, RULE_TOP_2GRAM + n - 2, top_ngram_fraction(c, len, total, NULL)))
			return RULE_TOP_2GRAM + n - 2;
	}
	for (int n = 5; n <= 10; n++) {
		double d = dup_ngram_fraction(c, (size_t)n * k, total);
		if (over(&c->rules, RULE_DUP_5GRAM + n - 5, d))
			return RULE_DUP_5GRAM + n - 5;
		if (d == 0)
			break;	/* no repeated n-gram: no longer one repeats either */
	}
	return RULE_COUNT;
}

static int on(const struct clean_rules *rules, enum clean_rule r)
{
	return !rules->off[r];
}

/* What cleaner_check has learnt about a record so far. */
struct check {
	const char *text[3];		/* instruction, input, output */
	size_t len[3];
	const char *prose[3];		/* the text without code (fenced or inline) */
	size_t plen[3];
	struct text_stats st[3];	/* of the prose */
	unsigned found[3];		/* anchors() of the text */
	size_t words, replacement;
};

static const char *const field_names[3] = { "instruction", "input", "output" };

/* 1 if re matches the instruction or the input (what the record asks about). */
static int asks_about(struct cleaner *c, const struct check *k, enum clean_regex re)
{
	return cleaner_match(c, c->re[re], k->text[0], k->len[0]) || cleaner_match(c, c->re[re], k->text[1], k->len[1]);
}

/* Emptiness, template leftovers, blocklists, refusals, self-reference, placeholders. */
static enum clean_rule check_markers(struct cleaner *c, struct check *k, const char **field)
{
	const struct clean_rules *rules = &c->rules;
	*field = field_names[0];
	if (on(rules, RULE_EMPTY_INSTRUCTION) && !k->len[0])
		return RULE_EMPTY_INSTRUCTION;
	*field = field_names[2];
	if (on(rules, RULE_EMPTY_OUTPUT) && !k->len[2])
		return RULE_EMPTY_OUTPUT;
	for (int f = 0; f < 3; f++) {
		k->found[f] = anchors(k->text[f], k->len[f]);
		*field = field_names[f];
		if (on(rules, RULE_PROMPT_SCAFFOLDING) && (k->found[f] & ANCHOR_SCAFFOLDING) &&
		    (cleaner_match(c, c->re[RE_SCAFFOLDING], k->text[f], k->len[f]) ||
		     (f && cleaner_match(c, c->re[RE_ROLE_LINES], k->text[f], k->len[f]) &&
		      !asks_about(c, k, RE_DIALOGUE_TOPIC))))
			return RULE_PROMPT_SCAFFOLDING;
		if (cleaner_match(c, c->block, k->text[f], k->len[f]))
			return RULE_BLOCKLIST;
		if (on(rules, RULE_LOREM_IPSUM) && (k->found[f] & ANCHOR_LOREM))
			return RULE_LOREM_IPSUM;
	}
	*field = field_names[2];
	/* a refusal opens the output: later, "I cannot attend" is what a letter says */
	if (on(rules, RULE_REFUSAL) && (k->found[2] & ANCHOR_REFUSAL) &&
	    cleaner_match(c, c->re[RE_REFUSAL], k->text[2], first_sentence_len(k->text[2], k->len[2], 400)))
		return RULE_REFUSAL;
	if (on(rules, RULE_AI_SELF_REFERENCE) && (k->found[2] & ANCHOR_SELF_REFERENCE) &&
	    cleaner_match(c, c->re[RE_SELF_REFERENCE], k->text[2], k->len[2]))
		return RULE_AI_SELF_REFERENCE;
	if (on(rules, RULE_PLACEHOLDER_OUTPUT) && output_placeholder(&c->tmp, k->text[2], k->len[2])) {
		cleaner_span(c, k->text[2], k->len[2], k->text[2], k->len[2]);
		return RULE_PLACEHOLDER_OUTPUT;
	}
	return RULE_COUNT;
}

/* Symbol, digit and URL shares of each field's prose. */
static enum clean_rule check_ratios(struct cleaner *c, struct check *k, const char **field)
{
	const struct clean_rules *rules = &c->rules;
	for (int f = 0; f < 3; f++) {
		double chars = (double)k->st[f].chars;
		*field = field_names[f];
		if (chars < rules->ratio_min_chars || chars == 0)
			continue;
		if (over(rules, RULE_SYMBOL_RATIO, (double)k->st[f].symbols / chars))
			return RULE_SYMBOL_RATIO;
		/* numbers are the answer to arithmetic, conversions and sequences */
		if (over(rules, RULE_DIGIT_RATIO, (double)k->st[f].digits / chars) &&
		    !asks_about(c, k, RE_NUMBER_TOPIC))
			return RULE_DIGIT_RATIO;
		/* links are the answer when sources or sites were asked for */
		if (over(rules, RULE_URL_RATIO, (double)k->st[f].url_chars / chars) &&
		    (f == 1 || !asks_about(c, k, RE_WEB_TOPIC)))
			return RULE_URL_RATIO;
	}
	return RULE_COUNT;
}

/* Counts: replacement characters, leaked code, length, the instruction repeated, language, ratios. */
static enum clean_rule check_counts(struct cleaner *c, struct check *k, const char **field)
{
	const struct clean_rules *rules = &c->rules;
	*field = "record";
	if (!rules->off[RULE_REPLACEMENT_CHAR] && (double)k->replacement > rules->threshold[RULE_REPLACEMENT_CHAR])
		return RULE_REPLACEMENT_CHAR;
	*field = field_names[2];
	if (on(rules, RULE_JS_CSS_LEAK) &&
	    (((k->found[2] & ANCHOR_JS_CSS) && cleaner_match(c, c->re[RE_JS_CSS], k->prose[2], k->plen[2])) ||
	     ((k->found[1] & ANCHOR_JS_CSS) && cleaner_match(c, c->re[RE_JS_CSS], k->prose[1], k->plen[1]))) &&
	    !asks_about(c, k, RE_CODE_TOPIC))
		return RULE_JS_CSS_LEAK;
	*field = "record";
	if (!rules->off[RULE_TOO_SHORT] && (double)k->words < rules->threshold[RULE_TOO_SHORT])
		return RULE_TOO_SHORT;
	if (over(rules, RULE_TOO_LONG, (double)k->words))
		return RULE_TOO_LONG;
	*field = field_names[2];
	if (on(rules, RULE_OUTPUT_REPEATS_INSTRUCTION)) {
		comparison_key(&c->key_i, k->text[0], k->len[0]);
		if (repeats(&c->key_i, k->text[2], k->len[2]))
			return RULE_OUTPUT_REPEATS_INSTRUCTION;
	}
	if (rules->lang != LANG_NONE) {
		for (int f = 0; f < 3; f += 2) {
			enum clean_lang l = lang_from_stats(&k->st[f], rules->lang_min_fraction);
			*field = field_names[f];
			if (l != LANG_NONE && l != rules->lang)
				return RULE_LANG;
		}
	}
	return check_ratios(c, k, field);
}

/* Words for judging whether a text is long (about two Chinese characters make a word). */
static double long_words(const struct clean_rules *rules, const struct text_stats *st)
{
	return (double)st->words - (double)st->han + (double)st->han / rules->cjk_chars_per_word;
}

/* Repeated lines and n-grams (long texts only), and a sentence said again and again (any text). */
static enum clean_rule check_repetition(struct cleaner *c, struct check *k, const char **field)
{
	const struct clean_rules *rules = &c->rules;
	for (int f = 1; f < 3; f++) {
		double dl, dc;
		*field = field_names[f];
		const char *span;
		size_t span_len;
		if (on(rules, RULE_REPEATED_SENTENCE) &&
		    output_repeats_sentence(rules, k->prose[f], k->plen[f], &span, &span_len)) {
			cleaner_span(c, k->prose[f], k->plen[f], span, span_len);
			return RULE_REPEATED_SENTENCE;
		}
		if (long_words(rules, &k->st[f]) < rules->repetition_min_units)
			continue;
		duplicate_lines(c, k->prose[f], k->plen[f], &dl, &dc);
		if (over(rules, RULE_DUPLICATE_LINES, dl))
			return RULE_DUPLICATE_LINES;
		if (over(rules, RULE_DUPLICATE_LINE_CHARS, dc))
			return RULE_DUPLICATE_LINE_CHARS;
	}
	*field = field_names[1];
	if (long_words(rules, &k->st[1]) >= rules->repetition_min_units) {
		struct text_stats tmp;
		enum clean_rule r;
		text_stats(k->prose[1], k->plen[1], &tmp, &c->units);
		r = repetition(c);
		text_stats(k->prose[2], k->plen[2], &tmp, &c->units);	/* the output's units again */
		if (r != RULE_COUNT)
			return r;
	}
	*field = field_names[2];
	if (long_words(rules, &k->st[2]) >= rules->repetition_min_units)
		return repetition(c);
	return RULE_COUNT;
}

enum clean_rule cleaner_check(struct cleaner *c, const char *instruction, const char *input,
			      const char *output, const char **field)
{
	const struct clean_rules *rules = &c->rules;
	struct check k = { .text = { instruction, input, output } };
	enum clean_rule r;

	c->stats_ready = 0;
	for (int f = 0; f < 3; f++)
		k.len[f] = strlen(k.text[f]);
	cleaner_span(c, NULL, 0, NULL, 0);
	if ((r = check_markers(c, &k, field)) != RULE_COUNT)
		return r;
	/* statistics of the prose of each field; output units for repetition */
	for (int f = 0; f < 3; f++) {
		k.prose[f] = prose_of(&c->prose[f], k.text[f], k.len[f], &k.plen[f]);
		text_stats(k.prose[f], k.plen[f], &k.st[f], f == 2 ? &c->units : NULL);
		k.replacement += k.st[f].replacement;
		c->stats[f] = k.st[f];
		k.words += k.plen[f] == k.len[f] ? k.st[f].words : clean_count_words(k.text[f], k.len[f]);
	}
	c->stats_ready = 1;
	if ((r = check_counts(c, &k, field)) != RULE_COUNT || (r = check_repetition(c, &k, field)) != RULE_COUNT)
		return r;
	*field = field_names[2];
	if (!rules->off[RULE_TRUNCATED] && output_truncated(rules, output, k.len[2], k.st[2].chars)) {
		size_t from = k.len[2] > 40 ? k.len[2] - 40 : 0;
		while (from > 0 && ((unsigned char)output[from] & 0xC0) == 0x80)
			from++;
		cleaner_span(c, output, k.len[2], output + from, k.len[2] - from);
		return RULE_TRUNCATED;
	}
	if (on(rules, RULE_WEB_BOILERPLATE)) {
		size_t tlen;
		const char *tail = output_tail(output, k.len[2], &tlen);
		if (cleaner_match(c, c->re[RE_BOILERPLATE], tail, tlen) && !asks_about(c, &k, RE_FOOTER_TOPIC))
			return RULE_WEB_BOILERPLATE;
	}
	*field = NULL;
	return RULE_COUNT;
}
