/*
 * forum.c - forum and Q&A software recognised from its markup, so a
 * thread gives a record without per-site rules: Discuz!, phpBB,
 * vBulletin, Discourse, Flarum, and StackExchange-shaped Q&A (the markup
 * StackExchange sites and their clones share).
 *
 * Each kind is a marker (bytes only that software writes) and the three
 * XPaths a user would pass as --qa / --qa-input: the thread title, the
 * first post (input) and the replies (answers). extract_qa then picks the
 * accepted reply, else the most voted, else the first, as for rules.
 */
#define _GNU_SOURCE /* memmem */
#include "crawl.h"

#include <string.h>

static const struct forum_kind kinds[] = {
	{ "stackexchange", "question-hyperlink",
	  "(//h1[@itemprop='name'] | //div[@id='question-header']/h1)[1]",
	  "(//div[@id='question']//div[contains(concat(' ',@class,' '),' s-prose ') or "
	  "contains(concat(' ',@class,' '),' post-text ')])[1]",
	  "//div[contains(concat(' ',@class,' '),' answer ')]//div[contains(concat(' ',@class,' '),' s-prose ') or "
	  "contains(concat(' ',@class,' '),' post-text ')]" },
	{ "discuz", "Discuz!",
	  "(//span[@id='thread_subject'] | //h1)[1]",
	  "(//td[starts-with(@id,'postmessage_')])[1]",
	  "(//td[starts-with(@id,'postmessage_')])[position() > 1]" },
	{ "phpbb", "phpBB",
	  "(//h2[contains(@class,'topic-title')] | //h2)[1]",
	  "(//div[contains(concat(' ',@class,' '),' post ')]//div[@class='content'])[1]",
	  "(//div[contains(concat(' ',@class,' '),' post ')]//div[@class='content'])[position() > 1]" },
	{ "vbulletin", "vBulletin",
	  "(//*[contains(@class,'threadtitle')] | //h1)[1]",
	  "(//div[starts-with(@id,'post_message_')])[1]",
	  "(//div[starts-with(@id,'post_message_')])[position() > 1]" },
	{ "discourse", "Discourse",
	  "(//*[@id='topic-title']//a | //h1)[1]",
	  "(//div[contains(@class,'topic-body')]//div[@class='post'])[1]",
	  "(//div[contains(@class,'topic-body')]//div[@class='post'])[position() > 1]" },
	{ "flarum", "flarum",
	  "(//h1)[1]",
	  "(//div[contains(@class,'Post-body')])[1]",
	  "(//div[contains(@class,'Post-body')])[position() > 1]" },
};

const struct forum_kind *forum_detect(const char *html, size_t len)
{
	/* markers sit in the head (generator, assets) or the footer ("Powered by") */
	size_t head = len < 32768 ? len : 32768, tail = len - head < 8192 ? len - head : 8192;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].marker);
		if (memmem(html, head, kinds[i].marker, n) ||
		    (tail && memmem(html + len - tail, tail, kinds[i].marker, n)))
			return &kinds[i];
	}
	return NULL;
}
