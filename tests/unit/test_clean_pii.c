/*
 * test_clean_pii.c - every PII pattern, table-driven: Chinese and English
 * positives, and the negatives that must survive (ordinary numbers, dates,
 * versions, prices, order numbers, IDs with a wrong check character, card
 * numbers failing Luhn). The valid ID numbers and card numbers were
 * computed with a separate Python script (GB 11643 weights, Luhn), not
 * with this code.
 */
#include "unit.h"

#include <string.h>

#include "../../clean/clean.h"
#include "../../lib/strbuf.h"

struct pii_case {
	const char *in, *want;
};

static const struct pii_case positives[] = {
	/* e-mail */
	{ "邮箱：zhang.san@example.com。", "邮箱：<EMAIL>。" },
	{ "write to john_doe+tag@mail.co.uk today", "write to <EMAIL> today" },
	{ "联系 13812345678@qq.com 或 admin@163.com", "联系 <EMAIL> 或 <EMAIL>" },
	/* mainland mobiles */
	{ "手机13812345678", "手机<PHONE>" },
	{ "电话:15900001111,谢谢", "电话:<PHONE>,谢谢" },
	{ "call 138-1234-5678 now", "call <PHONE> now" },
	{ "call 138 1234 5678.", "call <PHONE>." },
	{ "+86 138 1234 5678", "<PHONE>" },
	{ "+8613812345678", "<PHONE>" },
	{ "(+86)13912345678", "<PHONE>" },
	{ "0086 13812345678", "<PHONE>" },
	{ "+86-199-0000-1234", "<PHONE>" },
	/* landlines */
	{ "座机010-62345678", "座机<PHONE>" },
	{ "深圳 0755-86013388 转 8", "深圳 <PHONE> 转 8" },
	{ "(0755) 8601 3388", "<PHONE>" },
	{ "+86 10 6234 5678", "<PHONE>" },
	/* international */
	{ "US office +1 (415) 555-2671.", "US office <PHONE>." },
	{ "London +44 20 7946 0958", "London <PHONE>" },
	{ "Tokyo +81-3-1234-5678", "Tokyo <PHONE>" },
	/* resident ID numbers */
	{ "身份证号11010519491231002X。", "身份证号<ID_NUMBER>。" },
	{ "ID 11010519491231002x ok", "ID <ID_NUMBER> ok" },
	{ "身份证：440308199001011239", "身份证：<ID_NUMBER>" },
	{ "320106200012294566 and 510107198507150080", "<ID_NUMBER> and <ID_NUMBER>" },
	/* bank cards */
	{ "卡号 6222020200000000006", "卡号 <BANK_CARD>" },
	{ "card 4111 1111 1111 1111 exp 12/25", "card <BANK_CARD> exp 12/25" },
	{ "MC 5500-0000-0000-0004", "MC <BANK_CARD>" },
	{ "amex 3782 822463 10005", "amex <BANK_CARD>" },
	{ "银行卡：6217001234567890122", "银行卡：<BANK_CARD>" },
	/* IP addresses */
	{ "server 192.168.1.10 is down", "server <IP_ADDRESS> is down" },
	{ "连接到10.0.0.1失败", "连接到<IP_ADDRESS>失败" },
	{ "v6 2001:db8:85a3::8a2e:370:7334 here", "v6 <IP_ADDRESS> here" },
	{ "fe80:0:0:0:202:b3ff:fe1e:8329", "<IP_ADDRESS>" },
	/* credentials in URLs */
	{ "DSN https://admin:s3cret@db.example.com/x", "DSN https://<CREDENTIALS>@db.example.com/x" },
	{ "postgres://app:p%40ss@10.1.2.3:5432/db", "postgres://<CREDENTIALS>@<IP_ADDRESS>:5432/db" },
};

static const char *const negatives[] = {
	/* order numbers and other long numbers */
	"订单号：202312250001234567",
	"订单号 20231225000123，运单号 SF1234567890123",
	"order #13812345678 shipped",
	"SKU-13812345678",
	"13812345678901 is too long for a phone",
	"12345678901 starts with 12",
	"1234567890123456",
	/* ID-shaped numbers that fail the checks */
	"110105194912310021",
	"110105194913310025",
	"990105194912310026",
	/* card-shaped numbers that fail Luhn or have no issuer */
	"4111 1111 1111 1112",
	"6222020200000000007",
	"9999 9999 9999 9995",
	/* dates and times */
	"日期 2023-12-25，时间 12:30:45",
	"2023年12月25日 08:00",
	"2024/01/31 and 31.01.2024",
	/* versions */
	"版本 v1.2.3.4 已发布",
	"version 10.0.0.1 fixes it",
	"Python 3.11.4 and Node 20.10.0",
	"ISBN 978-7-111-54742-6",
	/* prices and amounts */
	"价格 ¥1,299.00，原价 $13,800",
	"售价 3999 元，销量 1380000 件",
	"GDP 12,345,678,901 yuan",
	/* maths and code */
	"3.1415926 and 2^32 = 4294967296",
	"std::vector<int> a; a::b::c; x[::2]",
	"MAC 00:1A:2B:3C:4D:5E",
	"http://example.com:8080/path?q=1",
	"user@localhost",
	"a @ b . com",
	"1.2.3.4.5",
	"256.1.1.1",
};

static void test_positives(void **state)
{
	struct strbuf out = STRBUF_INIT;
	int failed = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
		strbuf_reset(&out);
		size_t n = pii_mask(&out, positives[i].in, strlen(positives[i].in), NULL);
		if (strcmp(out.buf, positives[i].want) || !n) {
			print_error("'%s': got '%s', want '%s'\n", positives[i].in, out.buf, positives[i].want);
			failed++;
		}
	}
	strbuf_release(&out);
	assert_int_equal(failed, 0);
}

static void test_negatives(void **state)
{
	struct strbuf out = STRBUF_INIT;
	int failed = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(negatives) / sizeof(negatives[0]); i++) {
		strbuf_reset(&out);
		size_t n = pii_mask(&out, negatives[i], strlen(negatives[i]), NULL);
		if (n || strcmp(out.buf, negatives[i])) {
			print_error("false positive: '%s' became '%s'\n", negatives[i], out.buf);
			failed++;
		}
	}
	strbuf_release(&out);
	assert_int_equal(failed, 0);
}

static void test_counts_by_type(void **state)
{
	const char *s = "a@b.cn 13812345678 010-62345678 11010519491231002X 4111111111111111 1.2.3.4";
	size_t counts[PII_TYPE_COUNT] = { 0 };
	struct strbuf out = STRBUF_INIT;
	(void)state;
	assert_int_equal(pii_mask(&out, s, strlen(s), counts), 6);
	assert_int_equal(counts[PII_EMAIL], 1);
	assert_int_equal(counts[PII_PHONE], 2);
	assert_int_equal(counts[PII_ID_NUMBER], 1);
	assert_int_equal(counts[PII_BANK_CARD], 1);
	assert_int_equal(counts[PII_IP_ADDRESS], 1);
	assert_int_equal(counts[PII_CREDENTIALS], 0);
	strbuf_release(&out);
}

static void test_validators(void **state)
{
	static const struct { const char *id; int valid; } ids[] = {
		{ "11010519491231002X", 1 }, { "440308199001011239", 1 }, { "320106200012294566", 1 },
		{ "510107198507150080", 1 }, { "440308199001011238", 0 }, { "11010519491231002Y", 0 },
		{ "110105190002290019", 0 },	/* 1900 is not a leap year; date checked before the sum */
		{ "010105194912310021", 0 },	/* region 0 */
	};
	static const struct { const char *digits; int valid; } cards[] = {
		{ "4111111111111111", 1 }, { "5500000000000004", 1 }, { "378282246310005", 1 },
		{ "6222020200000000006", 1 }, { "79927398713", 1 }, { "79927398710", 0 },
		{ "4111111111111112", 0 }, { "0", 1 }, { "", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (pii_id_number_valid(ids[i].id) != ids[i].valid)
			fail_msg("id %s: want %d", ids[i].id, ids[i].valid);
	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++)
		if (pii_luhn_valid(cards[i].digits, strlen(cards[i].digits)) != cards[i].valid)
			fail_msg("luhn %s: want %d", cards[i].digits, cards[i].valid);
}

/* Masked text has nothing left to mask: running again changes nothing. */
static void test_stable(void **state)
{
	struct strbuf once = STRBUF_INIT, twice = STRBUF_INIT;
	(void)state;
	for (size_t i = 0; i < sizeof(positives) / sizeof(positives[0]); i++) {
		strbuf_reset(&once);
		strbuf_reset(&twice);
		pii_mask(&once, positives[i].in, strlen(positives[i].in), NULL);
		assert_int_equal(pii_mask(&twice, once.buf, once.len, NULL), 0);
	}
	strbuf_release(&once);
	strbuf_release(&twice);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positives),
		cmocka_unit_test(test_negatives),
		cmocka_unit_test(test_counts_by_type),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_stable),
	};
	return RUN_TESTS(tests);
}
