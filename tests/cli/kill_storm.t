#!/bin/bash
# kill_storm.t - three kill -9 at random moments into each long command
# (import, clean, dedupe, export, crawl, train --resume), then a run to the
# end: the corpus, the exported files and the adapter must equal an
# uninterrupted run's. The script is tests/kill_storm.sh; `make bench` runs
# it with 20 kills per command (bench/kill_storm.sh).
KILLS=3 exec bash "$(dirname "$0")/../kill_storm.sh"
