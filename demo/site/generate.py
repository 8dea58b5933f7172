#!/usr/bin/env python3
# generate.py - builds 小麦社区 (Wheatfield Forum), the sample Q&A site of
# `make demo`, from threads.txt: a home page, paginated boards (rel=next),
# about 100 thread pages (questions, answers with votes, accepted answers,
# long threads over two pages, cross-posted duplicates), navigation, ads,
# signatures, a sidebar, robots.txt (disallowing /admin and /search) and a
# sitemap. Deterministic: the same threads.txt and base URL give the same
# bytes.
#
#   python3 demo/site/generate.py OUTDIR --base http://127.0.0.1:8000
#
# tests/cli/demo.t imports it for parse() and site_pages(): the site's own
# list of threads and pages, to check the crawl against.
import argparse
import html
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
THREADS = os.path.join(HERE, "threads.txt")
PER_BOARD_PAGE = 8
SITE_NAME = "小麦社区 Wheatfield Forum"

BOARDS = [  # slug, name, description
    ("fortune", "运势闲聊", "近期运气、本命年、考试面试前的小紧张，聊聊就好"),
    ("life", "生活窍门", "洗衣、租房、睡眠、养猫养花，过日子的小办法"),
    ("kitchen", "厨房", "家常菜、米饭面条、厨具保养"),
    ("tech", "数码求助", "手机电脑、路由器、办公软件和编程入门"),
    ("work", "职场学习", "面试、周报、加薪、背单词"),
    ("english", "How-to (English)", "Practical questions and answers in English"),
]
BOARD_NAMES = {slug: name for slug, name, _ in BOARDS}

SIGNATURES = {
    "老王": "—— 生活就是一锅粥，慢慢熬。",
    "小李": "—— 今天也要按时下班。",
    "豆豆妈": "—— 豆豆三岁啦，欢迎交流育儿经验。",
    "阿May": "—— 小红书同名，分享日常。",
    "程序员小周": "—— 能用脚本解决的，绝不手动。",
    "路人甲": "",
    "智能助手小麦": "—— 本回答由小麦智能助手自动生成。",
    "管理员": "—— 小麦社区管理组",
    "Tom": "-- Fixing things since 1998.",
    "Emma": "-- Sent from my kitchen.",
    "Sam": "-- Weekend mechanic, weekday accountant.",
    "Priya": "-- Reading, baking, repeat.",
}

ADS = [
    "【广告】小麦云盘暑期特惠：1TB 空间首年只要 9.9 元，立即抢购！",
    "【广告】好运来家政：擦玻璃、深度保洁，新客立减 30 元。",
    "Sponsored: LuckyStar phone cases, buy two get one free!",
    "【推广】三天学会 Excel，报名就送模板大礼包。",
]


class ThreadsError(Exception):
    pass


def parse(path=THREADS):
    """The threads of threads.txt as dicts, in file order."""
    threads, t, page = [], None, 1
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            where = "%s:%d" % (path, lineno)
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("== "):
                parts = [p.strip() for p in line[3:].split(" | ")]
                if len(parts) < 3 or not parts[0].isdigit() or parts[1] not in BOARD_NAMES:
                    raise ThreadsError(where + ": want '== ID | BOARD | TITLE'")
                t = {"id": int(parts[0]), "board": parts[1], "title": parts[2], "body": "",
                     "answers": [], "tags": {}, "dup_of": None}
                if parts[2].startswith("dup ") and parts[2][4:].isdigit():
                    t["dup_of"] = int(parts[2][4:])
                for tag in parts[3:]:
                    k, _, v = tag.partition("=")
                    t["tags"][k] = v
                threads.append(t)
                page = 1
            elif t is None:
                raise ThreadsError(where + ": text before the first thread")
            elif line.startswith("? "):
                t["body"] = line[2:].strip()
            elif line == "~":
                page = 2
            elif line[:2] in ("* ", "- "):
                head, sep, text = line[2:].partition(" | ")
                words = head.split()
                if not sep or not words or len(words) > 2 or (len(words) == 2 and not words[1].isdigit()):
                    raise ThreadsError(where + ": want '* AUTHOR [VOTES] | TEXT'")
                if words[0] not in SIGNATURES:
                    raise ThreadsError(where + ": unknown author '%s'" % words[0])
                t["answers"].append({"author": words[0],
                                     "votes": int(words[1]) if len(words) == 2 else None,
                                     "accepted": line[0] == "*", "text": text.strip(), "page": page})
            else:
                raise ThreadsError(where + ": unrecognised line")
    by_id = {t["id"]: t for t in threads}
    for t in threads:
        if t["dup_of"] is not None:
            orig = by_id.get(t["dup_of"])
            if orig is None or orig["dup_of"] is not None:
                raise ThreadsError("thread %d: dup of a thread that is not an original" % t["id"])
            for k in ("title", "body", "answers", "tags"):
                t[k] = orig[k]
    return threads


def esc(s):
    return html.escape(s, quote=True)


def paragraphs(text):
    return "".join("<p>%s</p>" % esc(p.strip()) for p in text.split(" // "))


def thread_path(t, page=1):
    return "/t/%d.html" % t["id"] if page == 1 else "/t/%d-%d.html" % (t["id"], page)


def board_path(slug, page=1):
    return "/board/%s.html" % slug if page == 1 else "/board/%s-%d.html" % (slug, page)


def date_of(tid, k=0):
    n = tid * 7 + k * 3
    return "2024-%02d-%02d" % (1 + n % 12, 1 + (n * 5) % 28)


def layout(title, lang, main, head_links="", sidebar=""):
    nav = "".join('<a href="%s">%s</a> ' % (board_path(s), esc(n)) for s, n, _ in BOARDS)
    return """<!DOCTYPE html>
<html lang="%s">
<head>
<meta charset="utf-8">
<title>%s - %s</title>
%s</head>
<body>
<header class="site-header">
<a class="logo" href="/">%s</a>
<nav class="navbar">%s<a href="/search?q=%%E8%%BF%%90%%E6%%B0%%94">搜索</a> <a href="/about.html">关于</a></nav>
</header>
<div class="ad ad-top">%s</div>
<main>
%s
</main>
<aside class="sidebar">
%s
</aside>
<footer>
<p>© 2024 小麦社区 · 内容均为演示虚构 · <a href="/about.html">关于本站</a> · <a href="/admin/">管理后台</a></p>
</footer>
</body>
</html>
""" % (lang, esc(title), SITE_NAME, head_links, SITE_NAME, nav,
       esc(ADS[len(title) % len(ADS)]), main, sidebar)


def hot_list(threads):
    best = sorted((t for t in threads if t["dup_of"] is None and "sitemap-only" not in t["tags"]),
                  key=lambda t: (-max([a["votes"] or 0 for a in t["answers"]] or [0]), t["id"]))[:6]
    return "<h3>热门帖子</h3>\n<ul>%s</ul>" % "".join(
        '<li><a href="%s">%s</a></li>' % (thread_path(t), esc(t["title"])) for t in best)


def post(a, k, tid, sig=True):
    cls = "post reply accepted" if a["accepted"] else "post reply"
    badge = ' <span class="badge">✔ 最佳答案</span>' if a["accepted"] else ""
    votes = ' data-votes="%d"' % a["votes"] if a["votes"] is not None else ""
    shown = '<span class="votes">%d 赞</span>' % a["votes"] if a["votes"] is not None else ""
    s = SIGNATURES[a["author"]]
    return """<div class="%s" id="p%d-%d">
<div class="post-meta"><span class="author">%s</span> · <span class="date">%s</span> %s%s</div>
<div class="answer"%s>%s</div>
%s</div>
""" % (cls, tid, k, esc(a["author"]), date_of(tid, k + 1), shown, badge, votes,
       paragraphs(a["text"]), '<div class="signature">%s</div>\n' % esc(s) if s and sig else "")


def thread_pages(t, threads):
    lang = "en" if t["board"] == "english" else "zh-CN"
    pages = {}
    npages = max(a["page"] for a in t["answers"])
    crumbs = '<div class="breadcrumb"><a href="/">首页</a> › <a href="%s">%s</a></div>' % (
        board_path(t["board"]), esc(BOARD_NAMES[t["board"]]))
    asker = ["小李", "阿May", "路人甲", "豆豆妈", "老王"][t["id"] % 5] if lang != "en" else \
        ["Sam", "Priya", "Tom", "Emma"][t["id"] % 4]
    for page in range(1, npages + 1):
        posts = "".join(post(a, k, t["id"]) for k, a in enumerate(t["answers"]) if a["page"] == page)
        head, pager = "", ""
        if page < npages:
            head = '<link rel="next" href="%s">\n' % thread_path(t, page + 1)
            pager = '<div class="pager"><a rel="next" href="%s">下一页 ›</a></div>' % thread_path(t, page + 1)
        if page > 1:
            head += '<link rel="prev" href="%s">\n' % thread_path(t, page - 1)
            pager = '<div class="pager"><a rel="prev" href="%s">‹ 上一页</a></div>' % thread_path(t, page - 1)
        if page == 1:
            sig = SIGNATURES[asker]
            top = """<div class="post question" id="q%d">
<div class="post-meta"><span class="author">%s</span> · <span class="date">%s</span></div>
<h1 class="question-title">%s</h1>
%s%s</div>
""" % (t["id"], asker, date_of(t["id"]), esc(t["title"]),
       '<div class="question-body">%s</div>\n' % paragraphs(t["body"]) if t["body"] else "",
       '<div class="signature">%s</div>\n' % esc(sig) if sig else "")
        else:
            top = '<h2 class="thread-title-cont">Re: %s（第 %d 页）</h2>\n' % (esc(t["title"]), page)
        main = "%s\n<div class=\"thread\">\n%s%s</div>\n%s" % (crumbs, top, posts, pager)
        pages[thread_path(t, page)] = layout(t["title"], lang, main, head, hot_list(threads))
    return pages


def site_pages(threads, base):
    """Every file of the site: {path: text}."""
    base = base.rstrip("/")
    pages = {}
    listed = [t for t in threads if "sitemap-only" not in t["tags"]]
    for t in threads:
        pages.update(thread_pages(t, threads))
    for slug, name, desc in BOARDS:
        mine = [t for t in listed if t["board"] == slug]
        n = (len(mine) + PER_BOARD_PAGE - 1) // PER_BOARD_PAGE
        for page in range(1, n + 1):
            rows = "".join('<li><a href="%s">%s</a> <span class="replies">%d 回复</span></li>\n' % (
                thread_path(t), esc(t["title"]), len(t["answers"]))
                for t in mine[(page - 1) * PER_BOARD_PAGE:page * PER_BOARD_PAGE])
            head, pager = "", []
            if page > 1:
                head += '<link rel="prev" href="%s">\n' % board_path(slug, page - 1)
                pager.append('<a rel="prev" href="%s">‹ 上一页</a>' % board_path(slug, page - 1))
            if page < n:
                head += '<link rel="next" href="%s">\n' % board_path(slug, page + 1)
                pager.append('<a rel="next" href="%s">下一页 ›</a>' % board_path(slug, page + 1))
            main = '<h1>%s</h1>\n<p class="board-desc">%s</p>\n<ul class="threads">\n%s</ul>\n<div class="pager">%s 第 %d / %d 页</div>' % (
                esc(name), esc(desc), rows, " ".join(pager), page, n)
            pages[board_path(slug, page)] = layout(name, "en" if slug == "english" else "zh-CN",
                                                   main, head)
    boards = "".join('<li><a href="%s">%s</a> — %s</li>\n' % (board_path(s), esc(n), esc(d))
                     for s, n, d in BOARDS)
    latest = "".join('<li><a href="%s">%s</a></li>\n' % (thread_path(t), esc(t["title"]))
                     for t in sorted(listed, key=lambda t: -t["id"])[:10])
    pages["/index.html"] = layout("首页", "zh-CN", """<h1>欢迎来到小麦社区</h1>
<p>一个关于日常生活的问答社区：提问、回答、互相帮忙。</p>
<h2>版块</h2>
<ul class="boards">
%s</ul>
<h2>最新帖子</h2>
<ul class="latest">
%s</ul>""" % (boards, latest), "", hot_list(threads))
    pages["/about.html"] = layout("关于", "zh-CN", """<h1>关于小麦社区</h1>
<p>小麦社区是 winnow 演示用的示例论坛，所有问题、回答和用户名都是为演示编写的虚构内容。</p>
<p>发帖规则：提问前先搜索；回答请尽量具体；被采纳的回答会标记为最佳答案。</p>
<p>版主会定期清理广告帖和测试帖，重复发帖会被合并。</p>""")
    pages["/admin/index.html"] = layout("管理后台", "zh-CN", """<h1>管理后台</h1>
<form action="/admin/login" method="post"><p>用户名 <input name="user"> 密码 <input name="password" type="password"></p>
<p><button>登录</button></p></form>""")
    pages["/robots.txt"] = "User-agent: *\nDisallow: /admin\nDisallow: /search\n\nSitemap: %s/sitemap.xml\n" % base
    urls = ["/"] + sorted(p for p in pages if p.startswith(("/board/", "/t/")))
    pages["/sitemap.xml"] = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n%s</urlset>\n' %
                             "".join("  <url><loc>%s%s</loc></url>\n" % (base, esc(u)) for u in urls))
    return pages


def write_site(outdir, base, threads=None):
    pages = site_pages(threads if threads is not None else parse(), base)
    for path, text in pages.items():
        dest = os.path.join(outdir, path.lstrip("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return pages


def main():
    ap = argparse.ArgumentParser(description="Write the demo's sample forum into OUTDIR.")
    ap.add_argument("outdir")
    ap.add_argument("--base", required=True, help="the site's URL, for robots.txt and sitemap.xml")
    args = ap.parse_args()
    try:
        pages = write_site(args.outdir, args.base)
    except (ThreadsError, OSError) as e:
        sys.exit("generate.py: %s" % e)
    print("%d files in %s" % (len(pages), args.outdir))


if __name__ == "__main__":
    main()
