"""Shared helpers for the ecosystem scenarios.

Every scenario reads its target from ECO_PORT (and ECO_HOST, default 127.0.0.1), bounds every
wait with a timeout, stops the subprocesses it starts by PID, and asserts outcomes with `check`,
which raises with a message naming what differed. In the scenario's own process, SIGTERM (sent by
the runner's `timeout`) turns into SystemExit so `finally` blocks still stop child processes.
"""
import os
import signal
import subprocess
import sys
import time

HOST = os.environ.get("ECO_HOST", "127.0.0.1")
PORT = int(os.environ.get("ECO_PORT", "0"))
if PORT <= 0:
    sys.exit("ECO_PORT must name the target server's port")


def _on_term(signum, frame):
    raise SystemExit(f"terminated by signal {signum}")


# Only in a scenario's own process: the framework workers that import an app module (and so this
# one) keep their own SIGTERM handling (warm shutdown).
if os.path.dirname(os.path.abspath(sys.argv[0])) == os.path.dirname(os.path.abspath(__file__)):
    signal.signal(signal.SIGTERM, _on_term)


class ScenarioFailure(AssertionError):
    pass


def check(cond, what, *details):
    """Assert `cond`; on failure raise with `what` and the details (expected/actual values)."""
    if not cond:
        raise ScenarioFailure(what + ("" if not details else ": " + " | ".join(map(repr, details))))


def eq(actual, expected, what):
    check(actual == expected, what, f"expected {expected!r}", f"got {actual!r}")


def wait_until(pred, timeout, what, interval=0.01):
    """Poll `pred` until true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise ScenarioFailure(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def stop_process(proc, sig=signal.SIGTERM, grace=10.0):
    """Stop a subprocess by its PID: `sig`, then SIGKILL after `grace` seconds."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        os.kill(proc.pid, sig)
    except ProcessLookupError:
        return proc.wait()
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=grace)


def done(name):
    print(f"{name}: all checks passed", flush=True)


SCRIPT_COMMANDS = ("eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro")


def scripts_run(client):
    """How many script calls (EVAL/EVALSHA/FCALL and their _RO forms) the server ran
    successfully so far, from INFO commandstats: compare before and after to prove a framework
    really went through scripting."""
    stats = client.info("commandstats")
    total = 0
    for name in SCRIPT_COMMANDS:
        s = stats.get(f"cmdstat_{name}")
        if s:
            total += int(s.get("calls", 0)) - int(s.get("failed_calls", 0))
    return total
