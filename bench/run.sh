#!/usr/bin/env bash
# Herald vs redis-server, side by side: builds Herald in release mode, installs Debian's
# redis-server/redis-tools if they are missing, and runs herald-bench (default set: every
# workload, 3 alternating pairs, ~2 s per run; under 15 minutes on 2 cores).
#
#   bench/run.sh                      # default set; tables on stdout,
#                                     # target/bench-results/results.{json,md}
#   bench/run.sh --update-doc docs/benchmarks.md   # also splice the tables into the doc
#   bench/run.sh --only rb,queue --pairs 5 ...     # any herald-bench option (--help)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
    echo "installing redis-server and redis-tools (Debian packages)" >&2
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q redis-server redis-tools
fi

cargo build --release --bin herald --bin herald-bench
exec target/release/herald-bench all "$@"
