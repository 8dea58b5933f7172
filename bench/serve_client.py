#!/usr/bin/env python3
"""serve_client.py - load for bench/serve.sh: C concurrent clients (threads,
stdlib http.client, one keep-alive connection each) send chat completions to
a winnow serve on 127.0.0.1 until R requests are done; prints one line:
clients, requests, seconds, requests/s, completion tokens/s, median latency.
"""
import http.client, json, statistics, sys, threading, time

port, clients, total, max_tokens = (int(a) for a in sys.argv[1:5])
lock = threading.Lock()
state = {"left": total, "tokens": 0, "lat": [], "errors": 0}

def worker(idx):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    while True:
        with lock:
            if state["left"] == 0:
                return
            state["left"] -= 1
            n = state["left"]
        body = json.dumps({"model": "m", "max_tokens": max_tokens, "temperature": 1, "seed": n,
                           "messages": [{"role": "user", "content": f"Tell me about request {n}."}]})
        t0 = time.perf_counter()
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = json.loads(r.read())
        dt = time.perf_counter() - t0
        with lock:
            if r.status != 200:
                state["errors"] += 1
            else:
                state["tokens"] += data["usage"]["completion_tokens"]
                state["lat"].append(dt)

t0 = time.perf_counter()
threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.perf_counter() - t0
print(f"{clients}\t{total}\t{wall:.2f}\t{total / wall:.2f}\t{state['tokens'] / wall:.1f}\t"
      f"{statistics.median(state['lat']):.2f}\t{state['errors']}")
