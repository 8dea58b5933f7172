/*
 * crawl_util.c - small pieces the crawl commands share: the two-valued --qa
 * option, XPath checking.
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
