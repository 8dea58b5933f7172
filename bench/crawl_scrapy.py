#!/usr/bin/python3
"""crawl_scrapy.py - the Scrapy side of bench/crawl.sh: crawl the generated
site with the same concurrency as winnow, extract each page's text and
write it as JSON Lines (Scrapy's own feed export).

usage: /usr/bin/python3 crawl_scrapy.py START_URL CONCURRENCY OUT.jsonl
"""
import sys

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor

START, CONC, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class SiteSpider(scrapy.Spider):
    name = "site"
    start_urls = [START]
    links = LinkExtractor()

    def parse(self, response):
        yield {
            "url": response.url,
            "title": response.xpath("//title/text()").get(),
            "text": "\n".join(t.strip() for t in response.xpath("//article//text()").getall()
                              if t.strip()),
        }
        for link in self.links.extract_links(response):
            yield response.follow(link.url, callback=self.parse)


process = CrawlerProcess(settings={
    "CONCURRENT_REQUESTS": CONC,
    "CONCURRENT_REQUESTS_PER_DOMAIN": CONC,
    "DOWNLOAD_DELAY": 0,
    "ROBOTSTXT_OBEY": False,
    "LOG_LEVEL": "ERROR",
    "TELNETCONSOLE_ENABLED": False,
    "FEEDS": {OUT: {"format": "jsonlines", "overwrite": True}},
})
process.crawl(SiteSpider)
process.start()
