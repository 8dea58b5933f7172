#!/bin/bash
# kill_storm.sh - the kill storm of tests/kill_storm.sh with 20 kills per
# command (make test runs 3). Prints the load average beside the result.
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
KILLS=${KILLS:-20} bash "$(dirname "$0")/../tests/kill_storm.sh"
