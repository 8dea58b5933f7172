/*
 * pii.c - finding personal data and replacing it with typed placeholders.
 *
 * Hand-written scanners rather than regular expressions, because every
 * match needs validating anyway (ID checksums, Luhn, octet ranges) and a
 * byte loop over the text is faster than a dozen patterns. What counts:
 *  - e-mail addresses (local@domain.tld);
 *  - mainland mobile numbers (1[3-9] + 9 digits, optionally 3-4-4 grouped,
 *    optionally after +86 / 0086), landlines with an area code written
 *    with a separator or brackets (010-12345678, (0755) 8601 3388), and
 *    international numbers that start with '+';
 *  - 18-digit resident ID numbers whose birth date and MOD 11-2 check
 *    character are valid;
 *  - bank card numbers: 13-19 digits, plain or in groups of four, with a
 *    known issuer prefix and a valid Luhn check digit;
 *  - IPv4 (four octets 0-255, not after "v"/"version"/"版本") and IPv6
 *    (inet_pton-valid, at least three groups);
 *  - the user:password part of URLs.
 * A number only matches as a whole token: digits glued to letters, dots,
 * hyphens or other digits are left alone, which keeps order numbers,
 * versions, dates and prices unmasked.
 */
#define _GNU_SOURCE
#include "clean_internal.h"
#include "../lib/util.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[PII_TYPE_COUNT] = {
	"email", "phone", "id_number", "bank_card", "ip_address", "credentials"
};
static const char *const placeholders[PII_TYPE_COUNT] = {
	"<EMAIL>", "<PHONE>", "<ID_NUMBER>", "<BANK_CARD>", "<IP_ADDRESS>", "<CREDENTIALS>"
};

const char *pii_type_name(enum pii_type t)
{
	return (unsigned)t < PII_TYPE_COUNT ? type_names[t] : "?";
}

const char *pii_placeholder(enum pii_type t)
{
	return (unsigned)t < PII_TYPE_COUNT ? placeholders[t] : "<PII>";
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

static int is_hex(int c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* ---- validators ---- */

int pii_luhn_valid(const char *digits, size_t n)
{
	int sum = 0;
	for (size_t i = 0; i < n; i++) {
		int d = digits[n - 1 - i] - '0';
		if (d < 0 || d > 9)
			return 0;
		if (i % 2) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return n > 0 && sum % 10 == 0;
}

static int two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int pii_id_number_valid(const char *s)
{
	static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[] = "10X98765432";
	int sum = 0, year, month, day, mdays;
	for (int i = 0; i < 17; i++) {
		if (!is_digit(s[i]))
			return 0;
		sum += (s[i] - '0') * weights[i];
	}
	if (s[0] < '1' || s[0] > '8')
		return 0;	/* region codes start 1-8 */
	year = two(s + 6) * 100 + two(s + 8);
	month = two(s + 10);
	day = two(s + 12);
	if (year < 1900 || year > 2100 || month < 1 || month > 12 || day < 1)
		return 0;
	mdays = month == 2 ? ((year % 4 == 0 && year % 100) || year % 400 == 0 ? 29 : 28)
	      : (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31;
	if (day > mdays)
		return 0;
	return (s[17] == 'x' ? 'X' : s[17]) == check[sum % 11];
}

static int card_prefix_ok(const char *d, size_t n)
{
	int p2 = two(d), p4 = p2 * 100 + two(d + 2);
	if (d[0] == '4')
		return n == 13 || n == 16 || n == 19;			/* Visa */
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return n == 16;						/* Mastercard */
	if (p2 == 34 || p2 == 37)
		return n == 15;						/* American Express */
	if (p2 == 62 || p2 == 81)
		return n >= 16;						/* UnionPay */
	if (p2 == 35 || p4 == 6011 || p2 == 65 || (p4 >= 6440 && p4 <= 6499))
		return n >= 16;						/* JCB, Discover */
	if (p2 == 36 || p2 == 38 || (p4 >= 3000 && p4 <= 3059))
		return n >= 14 && n <= 16;				/* Diners */
	return 0;
}

/* ---- spans ---- */

struct span {
	size_t start, end;
	enum pii_type type;
};

struct span_list {
	struct span *items;
	size_t nr, alloc;
};

static void add_span(struct span_list *l, size_t start, size_t end, enum pii_type type)
{
	if (l->nr == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 16;
		l->items = xrealloc(l->items, l->alloc * sizeof(*l->items));
	}
	l->items[l->nr++] = (struct span){ start, end, type };
}

/* May a number-like token start right after byte c? */
static int left_ok(const unsigned char *u, size_t i)
{
	int c;
	if (!i)
		return 1;
	c = u[i - 1];
	return !is_alnum(c) && c != '.' && c != '-' && c != '/' && c != '#' &&
	       c != '+' && c != '$' && c != '%';
}

/* May a number-like token end before u[i]? */
static int right_ok(const unsigned char *u, size_t len, size_t i)
{
	if (i >= len)
		return 1;
	if (is_alnum(u[i]) || u[i] == '@')
		return 0;
	if ((u[i] == '.' || u[i] == '-' || u[i] == '/' || u[i] == ',') && i + 1 < len && is_digit(u[i + 1]))
		return 0;	/* 13812345678.5, 2023-..., 1/2 */
	return 1;
}

/*
 * Reads digits from u[i], allowing single separators from seps between
 * groups. Stores the digits in d (up to max), group lengths in groups and
 * where each group ends in ends (up to 8 groups). Returns the end offset.
 */
static size_t read_grouped(const unsigned char *u, size_t len, size_t i, const char *seps,
			   char *d, size_t max, size_t *nd, int *groups, size_t *ends, int *ngroups)
{
	size_t end = i;
	*nd = 0;
	*ngroups = 0;
	while (i < len && is_digit(u[i]) && *ngroups < 8) {
		int g = 0;
		while (i < len && is_digit(u[i])) {
			if (*nd < max)
				d[*nd] = (char)u[i];
			(*nd)++;
			g++;
			i++;
		}
		groups[*ngroups] = g;
		ends[*ngroups] = i;
		(*ngroups)++;
		end = i;
		if (i + 1 < len && seps && u[i] && strchr(seps, u[i]) && is_digit(u[i + 1]))
			i++;
		else
			break;
	}
	return end;
}

/* A mainland mobile number: 11 digits, 1[3-9]..., plain or 3-4-4. */
static int mobile_digits(const char *d, size_t nd, const int *groups, int ngroups)
{
	if (nd != 11 || d[0] != '1' || d[1] < '3')
		return 0;
	return ngroups == 1 || (ngroups == 3 && groups[0] == 3 && groups[1] == 4 && groups[2] == 4);
}

/* Scratch for reading a number: its digits and groups. */
struct digits {
	char d[32];
	size_t nd, ends[8];
	int groups[8], ng;
};

static size_t read_digits(const unsigned char *u, size_t len, size_t i, const char *seps, struct digits *n)
{
	return read_grouped(u, len, i, seps, n->d, sizeof(n->d), &n->nd, n->groups, n->ends, &n->ng);
}

/* After "+CC" (j just past the country code): a number in groups. Returns its end or 0. */
static size_t match_international(const unsigned char *u, size_t len, size_t j, size_t cc_len)
{
	size_t total = 0, last = j;
	while (j < len) {
		if (is_digit(u[j])) {
			total++;
			last = ++j;
		} else if (strchr(" -.()", u[j]) && u[j]) {
			size_t k = j;
			while (k < len && k - j < 3 && u[k] && strchr(" -.()", u[k]))
				k++;
			if (k >= len || !is_digit(u[k]))
				break;
			j = k;
		} else {
			break;
		}
	}
	if (total < 7 || total > 12 || cc_len + total < 8 || !right_ok(u, len, last))
		return 0;
	return last;
}

/* +86 / 0086 / (+86) before a mainland number, (0755) 86013388, or another country's '+' number. */
static size_t match_prefixed_phone(const unsigned char *u, size_t len, size_t i)
{
	struct digits n;
	size_t end, j = i;
	int paren = u[j] == '(';
	if (paren)
		j++;
	if (j < len && u[j] == '+')
		j++;
	else if (len - j > 4 && !memcmp(u + j, "0086", 4))
		j += 2;
	else if (!paren || j >= len || u[j] != '0')
		return 0;
	if (paren && u[j] == '0') {
		/* (0755) 86013388 */
		end = read_digits(u, len, j, NULL, &n);
		if (n.nd < 3 || n.nd > 4 || end >= len || u[end] != ')')
			return 0;
		j = end + 1;
		if (j < len && u[j] == ' ')
			j++;
		end = read_digits(u, len, j, " -", &n);
		return n.nd >= 7 && n.nd <= 8 && right_ok(u, len, end) ? end : 0;
	}
	/* country code */
	size_t cc_start = j;
	if (len - j >= 2 && u[j] == '8' && u[j + 1] == '6')
		j += 2;	/* country codes are prefix-free: +8613812345678 is +86 */
	else
		while (j < len && is_digit(u[j]) && j - cc_start < 3)
			j++;
	size_t cc_len = j - cc_start;
	if (!cc_len)
		return 0;
	if (paren) {
		if (j >= len || u[j] != ')')
			return 0;
		j++;
	}
	while (j < len && (u[j] == ' ' || u[j] == '-'))
		j++;
	if (cc_len != 2 || u[cc_start] != '8' || u[cc_start + 1] != '6')
		return match_international(u, len, j, cc_len);
	end = read_digits(u, len, j, " -", &n);
	if (mobile_digits(n.d, n.nd, n.groups, n.ng) && right_ok(u, len, end))
		return end;
	/* +86 10 1234 5678: area code without the leading 0 */
	if (n.nd >= 9 && n.nd <= 11 && n.d[0] != '0' && n.ng >= 2 && right_ok(u, len, end))
		return end;
	return 0;
}

/* Contiguous digits: resident ID, mobile, bank card. Returns the end or 0. */
static size_t match_digit_run(const unsigned char *u, size_t len, size_t i, enum pii_type *type)
{
	struct digits n;
	size_t end = read_digits(u, len, i, NULL, &n);
	if (n.nd == 17 && end < len && (u[end] == 'X' || u[end] == 'x') && right_ok(u, len, end + 1)) {
		n.d[17] = (char)u[end];
		if (pii_id_number_valid(n.d)) {
			*type = PII_ID_NUMBER;
			return end + 1;
		}
	}
	if (!right_ok(u, len, end))
		return 0;
	if (n.nd == 18 && pii_id_number_valid(n.d)) {
		*type = PII_ID_NUMBER;
		return end;
	}
	if (n.nd == 11 && mobile_digits(n.d, n.nd, n.groups, n.ng)) {
		*type = PII_PHONE;
		return end;
	}
	if (n.nd >= 13 && n.nd <= 19 && card_prefix_ok(n.d, n.nd) && pii_luhn_valid(n.d, n.nd)) {
		*type = PII_BANK_CARD;
		return end;
	}
	return 0;
}

/* Digits in groups (3-4-4 mobiles, 4-4-4-4 cards, 0xx-xxxxxxxx landlines); a longer run may be two numbers. */
static size_t match_grouped(const unsigned char *u, size_t len, size_t i, enum pii_type *type)
{
	struct digits n;
	read_digits(u, len, i, " -", &n);
	for (int k = n.ng; k >= 2; k--) {
		size_t kd = 0, end = n.ends[k - 1];
		const int *groups = n.groups;
		for (int g = 0; g < k; g++)
			kd += (size_t)groups[g];
		if (!right_ok(u, len, end) || kd > sizeof(n.d))
			continue;
		if (mobile_digits(n.d, kd, groups, k)) {
			*type = PII_PHONE;
			return end;
		}
		int fours = k >= 3 && k <= 5;
		for (int g = 0; fours && g < k; g++)
			if (groups[g] != 4 && !(g == k - 1 && groups[g] >= 1 && groups[g] <= 4))
				fours = 0;
		int amex = k == 3 && groups[0] == 4 && groups[1] == 6 && groups[2] == 5;
		if ((fours || amex) && kd >= 13 && kd <= 19 && card_prefix_ok(n.d, kd) && pii_luhn_valid(n.d, kd)) {
			*type = PII_BANK_CARD;
			return end;
		}
		/* landline: 0 + 2-3 digit area code, separator, 7-8 digits */
		if (k == 2 && n.d[0] == '0' && n.d[1] != '0' && groups[0] >= 3 && groups[0] <= 4 &&
		    groups[1] >= 7 && groups[1] <= 8) {
			*type = PII_PHONE;
			return end;
		}
	}
	return 0;
}

/* Four dot-separated numbers of at most 255 without leading zeros. Returns the end or 0. */
static size_t match_ipv4(const unsigned char *u, size_t len, size_t i)
{
	struct digits n;
	size_t end = read_digits(u, len, i, ".", &n), k = 0;
	if (n.ng != 4 || !right_ok(u, len, end))
		return 0;
	for (int g = 0; g < 4; g++) {
		int v = 0;
		if (n.groups[g] > 3 || (n.groups[g] > 1 && n.d[k] == '0'))
			return 0;
		for (int x = 0; x < n.groups[g]; x++)
			v = v * 10 + (n.d[k + x] - '0');
		if (v > 255)
			return 0;
		k += (size_t)n.groups[g];
	}
	return end;
}

/* Tries the number-shaped kinds at u[i]; returns the match end or 0. */
static size_t match_number(const unsigned char *u, size_t len, size_t i, enum pii_type *type)
{
	size_t end;
	if (u[i] == '+' || u[i] == '(' || (len - i > 4 && !memcmp(u + i, "0086", 4))) {
		*type = PII_PHONE;
		return match_prefixed_phone(u, len, i);
	}
	if (!is_digit(u[i]))
		return 0;
	/* contiguous digits first: ID number, card, mobile */
	if ((end = match_digit_run(u, len, i, type)))
		return end;
	if ((end = match_grouped(u, len, i, type)))
		return end;
	if ((end = match_ipv4(u, len, i))) {
		*type = PII_IP_ADDRESS;
		return end;
	}
	return 0;
}

/* "v1.2.3.4", "version 1.2.3.4", "版本 1.2.3.4": a version, not an address. */
static int after_version_word(const char *s, size_t i)
{
	size_t from = i > 12 ? i - 12 : 0;
	if (i && (s[i - 1] == 'v' || s[i - 1] == 'V'))
		return 1;
	for (size_t k = from; k < i; k++)
		if (!strncasecmp(s + k, "version", 7) || !strncmp(s + k, "版本", 6) ||
		    !strncasecmp(s + k, "ver.", 4))
			return 1;
	return 0;
}

/* Bytes a number-shaped match can start with: digits, '+' and '('. */
static const unsigned char number_start[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1, ['+'] = 1, ['('] = 1,
};

static void scan_numbers(const char *s, size_t len, struct span_list *spans)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		if (!number_start[u[i]]) {
			i++;
			/* '(' is 0x28, '+' 0x2B, digits 0x30-0x39 */
			while (i + 8 <= len && !swar_has_between(swar_load(u + i), 0x27, 0x3A))
				i += 8;
			continue;
		}
		if (!left_ok(u, i)) {
			i++;
			continue;
		}
		enum pii_type type;
		size_t end = match_number(u, len, i, &type);
		if (end && !(type == PII_IP_ADDRESS && after_version_word(s, i))) {
			add_span(spans, i, end, type);
			i = end;
			continue;
		}
		i++;
		while (i < len && (is_alnum(u[i]) || u[i] == '.'))
			i++;
	}
}

static int email_local(int c)
{
	return is_alnum(c) || c == '.' || c == '%' || c == '+' || c == '-';
}

static void scan_emails(const char *s, size_t len, struct span_list *spans)
{
	const unsigned char *u = (const unsigned char *)s;
	const char *at = s;
	while ((at = memchr(at, '@', len - (size_t)(at - s)))) {
		size_t a = (size_t)(at - s), l = a, r = a + 1, dot = 0;
		at++;
		while (l > 0 && email_local(u[l - 1]))
			l--;
		while (l < a && u[l] == '.')
			l++;
		while (r < len && (is_alnum(u[r]) || u[r] == '-' || (u[r] == '.' && r + 1 < len && is_alnum(u[r + 1])))) {
			if (u[r] == '.')
				dot = r;
			r++;
		}
		if (l == a || !dot || dot == a + 1 || r - dot < 3)
			continue;
		int tld_alpha = 1;
		for (size_t k = dot + 1; k < r; k++)
			if (!((u[k] | 0x20) >= 'a' && (u[k] | 0x20) <= 'z'))
				tld_alpha = 0;
		if (tld_alpha)
			add_span(spans, l, r, PII_EMAIL);
	}
}

/* scheme://user:password@host - masks user:password. */
static void scan_credentials(const char *s, size_t len, struct span_list *spans)
{
	const char *p = s;
	while ((p = memmem(p, len - (size_t)(p - s), "://", 3))) {
		size_t start = (size_t)(p - s) + 3, k = start, colon = 0;
		p += 3;
		if (start == 3 || !is_alnum((unsigned char)s[start - 4]))
			continue;
		while (k < len && s[k] != '@' && s[k] != '/' && s[k] != '?' && s[k] != '#' &&
		       (unsigned char)s[k] > ' ') {
			if (s[k] == ':' && !colon)
				colon = k;
			k++;
		}
		if (k < len && s[k] == '@' && colon > start && k > colon + 1 && k + 1 < len &&
		    is_alnum((unsigned char)s[k + 1]))
			add_span(spans, start, k, PII_CREDENTIALS);
	}
}

static void scan_ipv6(const char *s, size_t len, struct span_list *spans)
{
	const unsigned char *u = (const unsigned char *)s;
	const char *p = s;
	while ((p = memchr(p, ':', len - (size_t)(p - s)))) {
		size_t l = (size_t)(p - s), r = l;
		while (l > 0 && (is_hex(u[l - 1]) || u[l - 1] == ':'))
			l--;
		while (r < len && (is_hex(u[r]) || u[r] == ':' || u[r] == '.'))
			r++;
		while (r > l && u[r - 1] == '.')
			r--;
		p = s + (r > (size_t)(p - s) ? r : (size_t)(p - s) + 1);
		if ((l > 0 && (is_alnum(u[l - 1]) || u[l - 1] == '.')) || (r < len && is_alnum(u[r])) ||
		    r - l < 6 || r - l > 45)
			continue;
		char buf[48];
		unsigned char addr[16];
		int groups = 0;
		memcpy(buf, s + l, r - l);
		buf[r - l] = '\0';
		for (size_t k = 0; k < r - l; k++)
			if (is_hex(u[l + k]) && (k == 0 || u[l + k - 1] == ':'))
				groups++;
		if (groups >= 3 && inet_pton(AF_INET6, buf, addr) == 1)
			add_span(spans, l, r, PII_IP_ADDRESS);
	}
}

static _Thread_local struct span_list scratch_spans;

static int by_start(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start ? 1 : (int)x->type - (int)y->type;
}

size_t pii_mask(struct strbuf *out, const char *s, size_t len, size_t counts[PII_TYPE_COUNT])
{
	struct span_list *spans = &scratch_spans;
	size_t pos = 0, found = 0;
	spans->nr = 0;
	if (memchr(s, ':', len) && memmem(s, len, "://", 3))
		scan_credentials(s, len, spans);
	if (memchr(s, '@', len))
		scan_emails(s, len, spans);
	scan_numbers(s, len, spans);
	if (memchr(s, ':', len))
		scan_ipv6(s, len, spans);
	if (spans->nr > 1)
		qsort(spans->items, spans->nr, sizeof(*spans->items), by_start);
	for (size_t k = 0; k < spans->nr; k++) {
		struct span *sp = &spans->items[k];
		if (sp->start < pos)
			continue;	/* overlaps an earlier match */
		strbuf_add(out, s + pos, sp->start - pos);
		strbuf_addstr(out, placeholders[sp->type]);
		pos = sp->end;
		found++;
		if (counts)
			counts[sp->type]++;
	}
	strbuf_add(out, s + pos, len - pos);
	return found;
}
