#!/usr/bin/env bash
# Runs the ecosystem scenarios (redis-py 8.x, arq, Huey) against a Redis-protocol server.
#
#   tests/ecosystem/run.sh PORT [SCENARIO ...]   run the scenarios (all by default) against
#                                                127.0.0.1:PORT (ECO_HOST overrides the host)
#   tests/ecosystem/run.sh --herald [SCENARIO ...]
#                                                start Herald (target/debug/herald, or $HERALD_BIN;
#                                                built with cargo if missing) on a free port, run
#                                                the scenarios against it, stop it by PID
#   tests/ecosystem/run.sh --setup               only create/refresh the virtualenvs
#   tests/ecosystem/run.sh --list                print the scenario names
#
# The target's data is wiped (FLUSHDB on db 0). Virtualenvs live in $ECO_VENV_DIR (default
# <repo>/target/ecosystem, so `cargo clean` resets them) and are reused while their requirements
# file and the Python version are unchanged (a stamp file holds their hash). Each scenario runs
# in its own process, bounded by $ECO_TIMEOUT seconds (default 180), and is reported on its own:
# "PASS name" or "FAIL name" followed by its output, then "N passed, N failed".
# Exit status: 0 all passed, 1 a scenario failed, 2 usage, 77 python3 or the package index is
# unavailable (the caller decides whether that is a skip).
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV_DIR="${ECO_VENV_DIR:-$REPO/target/ecosystem}"
PYTHON="${PYTHON:-python3}"
SCENARIO_TIMEOUT="${ECO_TIMEOUT:-180}"
ALL_SCENARIOS=(redis_py_pipelines redis_py_watch redis_py_pubsub redis_py_blocking redis_py_streams
    arq_jobs huey_tasks)

unavailable() {
    echo "ecosystem: UNAVAILABLE: $*" >&2
    exit 77
}

# The requirements file and virtualenv a scenario runs with: arq pins redis<6, so it has its own.
venv_of() {
    case "$1" in
        arq_*) echo arq ;;
        *) echo main ;;
    esac
}
requirements_of() {
    case "$1" in
        arq) echo "$HERE/requirements-arq.txt" ;;
        *) echo "$HERE/requirements.txt" ;;
    esac
}

# Creates (or reuses) one virtualenv.
setup_venv() {
    local name="$1" req venv stamp want
    req="$(requirements_of "$name")"
    venv="$VENV_DIR/$name"
    stamp="$venv/.requirements.sha256"
    want="$( (cat "$req"; "$PYTHON" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)"
    if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    echo "ecosystem: creating virtualenv $venv from $(basename "$req")" >&2
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv" || unavailable "$PYTHON -m venv failed (is python3-venv installed?)"
    # --no-deps: every dependency is pinned in the file itself; pip check proves the set is whole.
    if ! "$venv/bin/pip" install --disable-pip-version-check --quiet --timeout 30 --retries 2 \
        --no-deps -r "$req" >&2; then
        rm -rf "$venv"
        unavailable "pip install -r $(basename "$req") failed (package index unreachable?)"
    fi
    if ! "$venv/bin/pip" check --disable-pip-version-check >/dev/null; then
        rm -rf "$venv"
        echo "ecosystem: $(basename "$req") does not pin a consistent set of packages" >&2
        exit 1
    fi
    echo "$want" >"$stamp"
}

setup() {
    command -v "$PYTHON" >/dev/null 2>&1 || unavailable "$PYTHON not found"
    mkdir -p "$VENV_DIR" || exit 1
    # Several test processes may set up at once: one at a time.
    exec 9>"$VENV_DIR/.lock"
    flock -w 600 9 || { echo "ecosystem: timed out waiting for $VENV_DIR/.lock" >&2; exit 1; }
    setup_venv main
    setup_venv arq
    flock -u 9
}

case "${1:-}" in
    --setup) setup; exit 0 ;;
    --list) printf '%s\n' "${ALL_SCENARIOS[@]}"; exit 0 ;;
    ''|-h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
if [ "$1" = "--herald" ]; then
    shift
    command -v "$PYTHON" >/dev/null 2>&1 || unavailable "$PYTHON not found"
    bin="${HERALD_BIN:-$REPO/target/debug/herald}"
    if [ ! -x "$bin" ]; then
        (cd "$REPO" && cargo build --bin herald) || exit 1
    fi
    log="$(mktemp)"
    # The AOF stays on (Herald's default), in a directory of its own.
    aofdir="$(mktemp -d)"
    "$bin" --port 0 --bind 127.0.0.1 --dir "$aofdir" >"$log" 2>&1 &
    herald_pid=$!
    trap 'kill "$herald_pid" 2>/dev/null; wait "$herald_pid" 2>/dev/null; rm -f "$log"; rm -rf "$aofdir"' EXIT
    port=""
    for _ in $(seq 1 200); do
        port="$(sed -n 's/.*Ready to accept connections on \[127\.0\.0\.1:\([0-9]*\)\].*/\1/p' "$log")"
        [ -n "$port" ] && break
        kill -0 "$herald_pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "ecosystem: Herald did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    echo "ecosystem: Herald (pid $herald_pid) on port $port"
    # Run as a child so the trap above stops Herald whatever the outcome.
    "$0" "$port" "$@"
    exit $?
fi
PORT="$1"
shift
case "$PORT" in
    ''|*[!0-9]*) echo "ecosystem: PORT must be a number, got '$PORT'" >&2; exit 2 ;;
esac
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -eq 0 ] && SCENARIOS=("${ALL_SCENARIOS[@]}")
for s in "${SCENARIOS[@]}"; do
    [ -f "$HERE/scenarios/$s.py" ] || { echo "ecosystem: no scenario '$s'" >&2; exit 2; }
done
setup

passed=0
failed=0
failed_names=()
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
for s in "${SCENARIOS[@]}"; do
    py="$VENV_DIR/$(venv_of "$s")/bin/python"
    start_ms=$((${EPOCHREALTIME/./} / 1000))
    ECO_HOST="${ECO_HOST:-127.0.0.1}" ECO_PORT="$PORT" PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
        timeout --kill-after=10 "$SCENARIO_TIMEOUT" "$py" "$HERE/scenarios/$s.py" >"$out" 2>&1
    rc=$?
    ms=$((${EPOCHREALTIME/./} / 1000 - start_ms))
    took="$((ms / 1000)).$((ms % 1000 / 100))s"
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS $s ($took)"
    else
        failed=$((failed + 1))
        failed_names+=("$s")
        [ $rc -eq 124 ] && echo "(timed out after ${SCENARIO_TIMEOUT}s)" >>"$out"
        echo "FAIL $s (exit $rc, $took)"
        sed 's/^/    | /' "$out"
    fi
done
[ $failed -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "ecosystem: $passed passed, $failed failed"
[ $failed -eq 0 ]
