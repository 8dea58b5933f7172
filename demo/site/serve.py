#!/usr/bin/env python3
# serve.py - serves the demo's sample forum on 127.0.0.1 for `make demo`.
#
# Binds a free port first, then writes the site (generate.py) into OUTDIR
# with that port in robots.txt and sitemap.xml, writes the port to
# --port-file (the signal that it is ready) and serves OUTDIR until killed,
# or until --max-seconds have passed, so a forgotten server never lingers.
# Each request is logged to --log as "PATH STATUS".
#
#   python3 demo/site/serve.py OUTDIR --port-file PORTFILE [--log FILE]
import argparse
import functools
import http.server
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate  # noqa: E402


class Handler(http.server.SimpleHTTPRequestHandler):
    log_file = None

    def log_message(self, fmt, *args):
        pass

    def log_request(self, code="-", size="-"):
        if self.log_file:
            self.log_file.write("%s %s\n" % (self.path, code))
            self.log_file.flush()


def main():
    ap = argparse.ArgumentParser(description="Serve the demo's sample forum on 127.0.0.1.")
    ap.add_argument("outdir")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--max-seconds", type=float, default=1800)
    args = ap.parse_args()

    handler = functools.partial(Handler, directory=args.outdir)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    port = server.server_address[1]
    try:
        generate.write_site(args.outdir, "http://127.0.0.1:%d" % port)
    except (generate.ThreadsError, OSError) as e:
        sys.exit("serve.py: %s" % e)
    if args.log:
        Handler.log_file = open(args.log, "a", encoding="utf-8")
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.port_file)
    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()


if __name__ == "__main__":
    main()
