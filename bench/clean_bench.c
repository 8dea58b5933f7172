/*
 * clean_bench.c - the in-process half of bench/clean.sh.
 *
 *   clean_bench gen N FILE   write N mixed records as JSON Lines (deterministic)
 *   clean_bench run FILE     stream FILE through cleaner_run (normalisation,
 *                            PII masking and every filter), timing only the
 *                            cleaning; prints "records bytes cpu_seconds
 *                            wall_seconds rejected peak_rss_kb"
 *
 * The mix: Chinese and English answers of varied length, some with
 * full-width letters, HTML leftovers, mojibake, PII, code blocks, history
 * turns, refusals, repetition and garbage, so every rule does real work.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../clean/clean.h"
#include "../db/corpus.h"
#include "../lib/json.h"
#include "../lib/strbuf.h"
#include "../lib/util.h"

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static const char *pick(const char *const *list, size_t n)
{
	return list[next() % n];
}

#define PICK(list) pick(list, sizeof(list) / sizeof(list[0]))

static const char *const zh_q[] = {
	"请介绍一下长城的历史。", "如何提高学习效率？", "解释一下什么是机器学习。", "写一首关于春天的短诗。",
	"把下面的句子翻译成英文。", "总结这段话的主要内容。", "为什么天空是蓝色的？", "给我推荐三本好书。",
	"Ｐｙｔｈｏｎ和Ｊａｖａ有什么区别？", "怎样做一道好吃的番茄炒蛋？",
};
static const char *const zh_s[] = {
	"长城是中国古代的军事防御工程，始建于春秋战国时期。", "学习时应当制定合理的计划，并保持专注。",
	"机器学习是人工智能的一个分支，它让计算机从数据中学习规律。", "春风拂面，万物复苏，桃花盛开在山间。",
	"天空呈现蓝色是因为大气对短波长的光散射更强。", "《三体》是一部优秀的科幻小说，值得一读。",
	"先把鸡蛋打散炒熟盛出，再炒番茄，最后混合调味即可。", "这个问题需要从多个角度来分析，不能一概而论。",
	"根据统计，２０２３年的数据显示增长了１５％。", "总的来说，坚持和方法同样重要。",
};
static const char *const en_q[] = {
	"Explain how photosynthesis works.", "Write a short poem about the sea.", "What are the benefits of exercise?",
	"Summarise the following paragraph.", "Give me three tips for learning a language.",
	"How does a hash table work?", "Translate this sentence into French.", "What causes the seasons?",
};
static const char *const en_s[] = {
	"Photosynthesis lets plants turn sunlight, water and carbon dioxide into sugar and oxygen.",
	"Regular exercise improves the heart, the lungs and the mood, and it helps people sleep better.",
	"A hash table maps keys to buckets with a hash function, so lookups take constant time on average.",
	"The seasons are caused by the tilt of the Earth's axis relative to its orbit around the Sun.",
	"Practise a little every day, read things you enjoy and speak with native speakers when you can.",
	"The waves roll in under a silver moon, and the tide keeps time with the turning world.",
	"In short, the answer depends on the context, but the general principle is simple.",
	"Many people find that writing things down helps them remember and plan their week.",
};
static const char *const extras[] = {
	" 联系电话：13812345678，邮箱 li.si@example.com。", " Call me at +1 (415) 555-2671 or mail bob@example.org.",
	" <p>更多信息</p>&nbsp;请访问&amp;查看。", " As an AI language model, I cannot be sure.", " 抱歉，我无法回答这个问题。",
	"\n\n```python\ndef add(a, b):\n    return a + b\n```\n", " Lorem ipsum dolor sit amet.", " ä½ å¥½ means hello.",
	" \xe2\x80\x8b\xef\xbb\xbf zero width here\xc2\xad.", " 身份证号11010519491231002X。", " Server at 192.168.1.10 failed.",
	" ★☆★☆★☆★☆★☆★☆★☆★☆★☆★☆★☆★☆",
};

static void gen_record(struct strbuf *sb, long i)
{
	struct strbuf out = STRBUF_INIT;
	int zh = next() % 10 < 6;
	size_t pool = zh ? sizeof(zh_s) / sizeof(zh_s[0]) : sizeof(en_s) / sizeof(en_s[0]);
	size_t sentences = 1 + next() % pool, first = next() % pool;
	const char *q = zh ? PICK(zh_q) : PICK(en_q);
	for (size_t k = 0; k < sentences; k++) {	/* each sentence at most once, as in real answers */
		size_t s = (first + k) % pool;
		if (k)
			strbuf_addstr(&out, zh ? "" : " ");
		strbuf_addstr(&out, zh ? zh_s[s] : en_s[s]);
		if (next() % 6 == 0)
			strbuf_addstr(&out, "\n\n");
	}
	if (next() % 40 == 0)	/* repetition */
		for (int k = 0; k < 8; k++)
			strbuf_addstr(&out, zh ? "\n好的好的好的，没问题。" : "\nok ok ok, no problem.");
	if (next() % 3 == 0)	/* one in three carries something to clean or reject */
		strbuf_addstr(&out, PICK(extras));
	strbuf_addf(&out, zh ? "（%ld）" : " (%ld)", i);	/* keeps records distinct */
	strbuf_addstr(sb, "{\"instruction\":");
	json_write_string(sb, q, strlen(q));
	strbuf_addstr(sb, ",\"output\":");
	json_write_string(sb, out.buf, out.len);
	if (next() % 10 == 0)
		strbuf_addstr(sb, ",\"system\":\"You are a helpful assistant.\",\"history\":[[\"你好\",\"你好！有什么可以帮你？\"]]");
	strbuf_addstr(sb, "}\n");
	strbuf_release(&out);
}

static int gen(long n, const char *path)
{
	FILE *fp = fopen(path, "w");
	struct strbuf sb = STRBUF_INIT;
	if (!fp)
		return error("cannot write '%s'", path);
	for (long i = 0; i < n; i++) {
		strbuf_reset(&sb);
		gen_record(&sb, i);
		fwrite(sb.buf, 1, sb.len, fp);
	}
	strbuf_release(&sb);
	return fclose(fp) ? error("cannot write '%s'", path) : 0;
}

static const char *str(json_t *obj, const char *key, size_t *len)
{
	json_t *v = json_object_get(obj, key);
	*len = json_is_string(v) ? json_string_length(v) : 0;
	return json_is_string(v) ? json_string_value(v) : "";
}

/* CPU time of this thread: the honest "per core" clock on a shared machine. */
static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run(const char *path)
{
	struct json_reader r;
	struct clean_rules rules;
	struct cleaner *c;
	struct cleaned out;
	struct strbuf history = STRBUF_INIT;
	long records = 0, rejected = 0;
	double bytes = 0, seconds = 0, wall = 0;
	struct rusage ru;

	if (json_reader_open(&r, path, JSON_LAYOUT_LINES))
		return error("cannot read '%s'", path);
	clean_rules_default(&rules);
	c = cleaner_new(&rules);
	cleaned_init(&out);
	while (json_reader_next(&r) == 1) {
		json_t *obj = json_loadb(r.item.buf, r.item.len, 0, NULL);
		struct record rec;
		json_t *h = json_object_get(obj, "history");
		strbuf_reset(&history);
		if (h) {
			char *dump = json_dumps(h, JSON_COMPACT);
			strbuf_addstr(&history, dump);
			free(dump);
		} else {
			strbuf_addstr(&history, "[]");
		}
		rec.instruction = str(obj, "instruction", &rec.instruction_len);
		rec.input = str(obj, "input", &rec.input_len);
		rec.output = str(obj, "output", &rec.output_len);
		rec.system = str(obj, "system", &rec.system_len);
		rec.history = history.buf;
		rec.history_len = history.len;
		bytes += (double)(rec.instruction_len + rec.input_len + rec.output_len + rec.system_len + rec.history_len);
		double t0 = cpu_seconds(), w0 = now_seconds();
		rejected += cleaner_run(c, &rec, &out) != RULE_COUNT;
		seconds += cpu_seconds() - t0;
		wall += now_seconds() - w0;
		records++;
		json_decref(obj);
	}
	json_reader_close(&r);
	getrusage(RUSAGE_SELF, &ru);
	printf("%ld %.0f %.3f %.3f %ld %ld\n", records, bytes, seconds, wall, rejected, ru.ru_maxrss);
	cleaned_release(&out);
	cleaner_free(c);
	strbuf_release(&history);
	return 0;
}

int main(int argc, char **argv)
{
	long n;
	if (argc == 4 && !strcmp(argv[1], "gen") && !parse_long(argv[2], 1, 100000000, &n))
		return gen(n, argv[3]) ? 1 : 0;
	if (argc == 3 && !strcmp(argv[1], "run"))
		return run(argv[2]) ? 1 : 0;
	fprintf(stderr, "usage: clean_bench gen N FILE | run FILE\n");
	return 2;
}
