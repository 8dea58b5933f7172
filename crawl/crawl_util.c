/*
 * crawl_util.c - small pieces the crawl commands share: the two-valued --qa
 * option, XPath checking, and reading a file with a size limit.
 */
#include "crawl_internal.h"
#include "../lib/util.h"

#include <errno.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <string.h>

int take_qa_option(int argc, char **argv, const char **question, const char **answer)
{
	int out = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--qa") || !strncmp(argv[i], "--qa=", 5)) {
			int inline_value = argv[i][4] == '=';
			if (i + (inline_value ? 1 : 2) >= argc)
				return -1;
			*question = inline_value ? argv[i] + 5 : argv[i + 1];
			*answer = argv[i + (inline_value ? 1 : 2)];
			i += inline_value ? 1 : 2;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
}

int xpath_check(const char *xpath, const char *option)
{
	if (!xpath)
		return 0;
	xmlXPathCompExprPtr c = xmlXPathCompile((const xmlChar *)xpath);
	if (!c)
		return error("%s: '%s' is not a valid XPath expression", option, xpath);
	xmlXPathFreeCompExpr(c);
	return 0;
}

int read_file_limited(const char *path, size_t limit, struct strbuf *out)
{
	FILE *fp = !strcmp(path, "-") ? stdin : fopen(path, "rb");
	char buf[65536];
	size_t n;
	if (!fp)
		return error("cannot open '%s': %s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (out->len + n > limit) {
			if (fp != stdin)
				fclose(fp);
			return error("'%s' is larger than %zu MB", path, limit >> 20);
		}
		strbuf_add(out, buf, n);
	}
	int bad = ferror(fp);
	if (fp != stdin)
		fclose(fp);
	if (bad)
		return error("cannot read '%s': %s", path, strerror(errno));
	return 0;
}
