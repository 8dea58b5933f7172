#!/usr/bin/env python3
"""measure.py - run a command N times; report median wall and CPU time, peak RSS.

    bench/measure.py [-n 3] [--setup 'SHELL CMD'] [--log FILE] -- COMMAND ARGS...

Prints one line on stdout that a shell can read with `read`:

    median_s=1.234 median_cpu_s=1.100 max_rss_mb=56.7 runs=1.250,1.234,1.198

median_s is the median wall-clock seconds over the runs, median_cpu_s the
median user + system CPU seconds of the command (less disturbed than wall
time when other work shares the machine), max_rss_mb the largest peak
resident set size (ru_maxrss of the command itself, read with os.wait4, so
neither this script nor --setup counts) in MiB. --setup runs
through the shell before every run and is not timed (e.g. remove the corpus
so each import starts fresh). The command's stdout and stderr go to --log
(appended) or, without it, to this script's stderr. A run that exits
non-zero stops everything: measure.py prints the command's exit code and
exits 1, so a benchmark never reports the speed of a failure.

Shared by the bench/*.sh scripts; bench/lib.sh wraps it.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time


def run_once(cmd, log):
    out = log if log else sys.stderr
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out)
    except OSError as e:
        print("measure.py: cannot run '%s': %s" % (cmd[0], e.strerror), file=sys.stderr)
        return 0.0, 0.0, 0.0, 127
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024.0, proc.returncode  # ru_maxrss is KiB on Linux


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--runs", type=int, default=3)
    ap.add_argument("--setup", help="shell command run before each run, not timed")
    ap.add_argument("--log", help="append the command's output here")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd or args.runs < 1:
        ap.error("give a command after --, and -n 1 or more")

    log = open(args.log, "a") if args.log else None
    times, cpus, rss = [], [], []
    for i in range(args.runs):
        if args.setup and subprocess.call(args.setup, shell=True) != 0:
            print("measure.py: setup failed: %s" % args.setup, file=sys.stderr)
            return 1
        if log:
            log.write("\n$ %s   # run %d\n" % (" ".join(cmd), i + 1))
            log.flush()
        elapsed, cpu, peak, code = run_once(cmd, log)
        if code != 0:
            print("measure.py: '%s' exited with %d on run %d" % (" ".join(cmd), code, i + 1),
                  file=sys.stderr)
            return 1
        times.append(elapsed)
        cpus.append(cpu)
        rss.append(peak)
    print("median_s=%.3f median_cpu_s=%.3f max_rss_mb=%.1f runs=%s" %
          (statistics.median(times), statistics.median(cpus), max(rss),
           ",".join("%.3f" % t for t in times)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
