#!/usr/bin/env bash
# Runs the ecosystem scenarios (redis-py 8.x, arq, Huey, Celery, RQ, Dramatiq in Python; BullMQ in
# Node; Sidekiq in Ruby) against a Redis-protocol server.
#
#   tests/ecosystem/run.sh PORT [SCENARIO ...]   run the scenarios (all by default) against
#                                                127.0.0.1:PORT (ECO_HOST overrides the host)
#   tests/ecosystem/run.sh --herald [SCENARIO ...]
#                                                start Herald (target/debug/herald, or $HERALD_BIN;
#                                                built with cargo if missing) on a free port, run
#                                                the scenarios against it, stop it by PID
#   tests/ecosystem/run.sh --setup [SCENARIO ...]
#                                                only create/refresh what the scenarios (all by
#                                                default) need: virtualenvs, node_modules
#   tests/ecosystem/run.sh --list                print the scenario names
#
# The target's data is wiped (FLUSHDB on db 0). Virtualenvs and the Node packages (node/) live in
# $ECO_VENV_DIR (default <repo>/target/ecosystem, so `cargo clean` resets them) and are reused
# while their pinned requirements and the interpreter's version are unchanged (a stamp file holds
# their hash). A scenario is scenarios/NAME.py (Python), NAME.js (Node) or NAME.rb (Ruby, with
# Debian's ruby-sidekiq). Each scenario runs
# in its own process, bounded by $ECO_TIMEOUT seconds (default 180), and is reported on its own:
# "PASS name" or "FAIL name" followed by its output, then "N passed, N failed".
# Exit status: 0 all passed, 1 a scenario failed, 2 usage, 77 an interpreter (python3, node/npm,
# ruby/sidekiq) or the package index is unavailable (the caller decides whether that is a skip).
set -uo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV_DIR="${ECO_VENV_DIR:-$REPO/target/ecosystem}"
PYTHON="${PYTHON:-python3}"
SCENARIO_TIMEOUT="${ECO_TIMEOUT:-180}"
ALL_SCENARIOS=(redis_py_pipelines redis_py_watch redis_py_pubsub redis_py_blocking redis_py_streams
    arq_jobs huey_tasks
    redis_py_lock celery_tasks rq_jobs dramatiq_tasks bullmq_jobs sidekiq_jobs)

unavailable() {
    echo "ecosystem: UNAVAILABLE: $*" >&2
    exit 77
}

# A scenario's file: scenarios/NAME.py, .js or .rb.
scenario_file() {
    local ext
    for ext in py js rb; do
        if [ -f "$HERE/scenarios/$1.$ext" ]; then
            echo "$HERE/scenarios/$1.$ext"
            return 0
        fi
    done
    return 1
}

# What a scenario runs with: a virtualenv (main, or arq: arq pins redis<6, so it has its own),
# node (the packages of node/package-lock.json) or ruby (Debian's ruby-sidekiq).
venv_of() {
    case "$(scenario_file "$1")" in
        *.js) echo node ;;
        *.rb) echo ruby ;;
        */arq_*) echo arq ;;
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

# Installs (or reuses) the pinned Node packages of node/package-lock.json into $VENV_DIR/node.
setup_node() {
    local dir="$VENV_DIR/node" stamp want
    command -v node >/dev/null 2>&1 || unavailable "node not found (install Debian's nodejs)"
    command -v npm >/dev/null 2>&1 || unavailable "npm not found (install Debian's npm)"
    stamp="$dir/.package-lock.sha256"
    want="$( (cat "$HERE/node/package-lock.json"; node --version) | sha256sum | cut -d' ' -f1)"
    if [ -d "$dir/node_modules" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    echo "ecosystem: installing the Node packages into $dir from package-lock.json" >&2
    rm -rf "$dir"
    mkdir -p "$dir" || exit 1
    cp "$HERE/node/package.json" "$HERE/node/package-lock.json" "$dir/" || exit 1
    # npm ci installs exactly the lock file; no install scripts (msgpackr's optional native
    # extension is not needed: it falls back to JavaScript).
    if ! (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2); then
        rm -rf "$dir"
        unavailable "npm ci failed (package registry unreachable?)"
    fi
    echo "$want" >"$stamp"
}

# Ruby scenarios use Debian's packages as they are installed (.ci/run installs ruby-sidekiq).
setup_ruby() {
    command -v ruby >/dev/null 2>&1 || unavailable "ruby not found (apt-get install ruby-sidekiq)"
    command -v sidekiq >/dev/null 2>&1 || unavailable "sidekiq not found (apt-get install ruby-sidekiq)"
    ruby -e 'require "sidekiq"' 2>/dev/null || unavailable "ruby cannot load sidekiq (apt-get install ruby-sidekiq)"
}

# Prepares what the given scenarios (all by default) need.
setup() {
    local s env needs=()
    [ $# -eq 0 ] && set -- "${ALL_SCENARIOS[@]}"
    for s in "$@"; do
        env="$(venv_of "$s")"
        [[ " ${needs[*]} " == *" $env "* ]] || needs+=("$env")
    done
    mkdir -p "$VENV_DIR" || exit 1
    # Several test processes may set up at once: one at a time.
    exec 9>"$VENV_DIR/.lock"
    flock -w 600 9 || { echo "ecosystem: timed out waiting for $VENV_DIR/.lock" >&2; exit 1; }
    for env in "${needs[@]}"; do
        case "$env" in
            node) setup_node ;;
            ruby) setup_ruby ;;
            *)
                command -v "$PYTHON" >/dev/null 2>&1 || unavailable "$PYTHON not found"
                setup_venv "$env"
                ;;
        esac
    done
    flock -u 9
}

case "${1:-}" in
    --setup)
        shift
        for s in "$@"; do
            scenario_file "$s" >/dev/null || { echo "ecosystem: no scenario '$s'" >&2; exit 2; }
        done
        setup "$@"
        exit 0
        ;;
    --list) printf '%s\n' "${ALL_SCENARIOS[@]}"; exit 0 ;;
    ''|-h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
if [ "$1" = "--herald" ]; then
    shift
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
    scenario_file "$s" >/dev/null || { echo "ecosystem: no scenario '$s'" >&2; exit 2; }
done
setup "${SCENARIOS[@]}"

passed=0
failed=0
failed_names=()
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
for s in "${SCENARIOS[@]}"; do
    file="$(scenario_file "$s")"
    case "$(venv_of "$s")" in
        node) runner=(node) ;;
        ruby) runner=(ruby) ;;
        *) runner=("$VENV_DIR/$(venv_of "$s")/bin/python") ;;
    esac
    start_ms=$((${EPOCHREALTIME/./} / 1000))
    ECO_HOST="${ECO_HOST:-127.0.0.1}" ECO_PORT="$PORT" PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
        NODE_PATH="$VENV_DIR/node/node_modules" \
        timeout --kill-after=10 "$SCENARIO_TIMEOUT" "${runner[@]}" "$file" >"$out" 2>&1
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
