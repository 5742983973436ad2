"""Huey with RedisHuey/RedisStorage: immediate tasks run by a consumer, results come back.

Tasks are enqueued before the consumer starts (they wait in the queue), including one that is
revoked; then `huey_consumer` runs as a subprocess with one worker thread (so execution order is
the enqueue order) and is stopped by PID. Checks: every result, a task that fails once and is
retried (retries=2, no delay), a failing task whose result raises TaskException, a revoked task
that never runs, a pipeline (`.then`), a task enqueued while the consumer runs, and the order in
which tasks ran.
"""
import os
import subprocess
import sys
import tempfile

import redis
from huey.exceptions import TaskException

from common import HOST, PORT, check, done, eq, stop_process, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from huey_app import add, describe, fail, flaky, huey, skipped  # noqa: E402

TIMEOUT = 20

r = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
r.flushdb()

res_skip = skipped()
res_skip.revoke()
check(res_skip.is_revoked(), "task revoked before it runs")
adds = [add(i, i * 100) for i in range(20)]
res_flaky = flaky("f1")
res_fail = fail()
res_desc = describe([1, "two", 3.0])
res_pipe = huey.enqueue(add.s(1, 2).then(add, 10).then(add, 100))
eq(huey.pending_count(), 25, "tasks waiting in the queue before the consumer starts")

consumer_bin = os.path.join(os.path.dirname(sys.executable), "huey_consumer")
env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
# The consumer's log goes to a file (a pipe nobody reads could fill up and stall it).
log = tempfile.TemporaryFile(mode="w+")
consumer = subprocess.Popen(
    [consumer_bin, "huey_app.huey", "-w", "1", "-k", "thread", "-q"],
    cwd=HERE,
    env=env,
    stdout=log,
    stderr=subprocess.STDOUT,
)
ok = False
try:
    eq([x.get(blocking=True, timeout=TIMEOUT) for x in adds], [i * 101 for i in range(20)],
       "add results")
    eq(res_flaky.get(blocking=True, timeout=TIMEOUT), "f1 ok after 2 attempts", "retried task result")
    try:
        res_fail.get(blocking=True, timeout=TIMEOUT)
        raise AssertionError("a failed task's result must raise")
    except TaskException as e:
        check("task failed on purpose" in str(e.metadata.get("error")),
              "TaskException carries the error", e.metadata)
    eq(res_desc.get(blocking=True, timeout=TIMEOUT), {"value": [1, "two", 3.0], "type": "list"},
       "pickled result round-trips")
    eq(res_pipe.get(blocking=True, timeout=TIMEOUT), [3, 13, 113], "pipeline results")

    # A task enqueued while the consumer is already waiting (BRPOP wake-up).
    eq(add(7, 8).get(blocking=True, timeout=TIMEOUT), 15, "task enqueued while consumer runs")

    wait_until(lambda: huey.pending_count() == 0, TIMEOUT, "queue drained")
    ran = [x.decode() for x in r.lrange("eco:ran", 0, -1)]
    expected = (
        [f"add:{i}:{i * 100}" for i in range(20)]
        + ["flaky:1", "fail", "describe", "add:1:2", "flaky:2", "add:10:3", "add:100:13", "add:7:8"]
    )
    # The retry and the pipeline's follow-ups are enqueued behind what was already queued; with
    # one worker, everything runs in queue order and the revoked task never runs.
    eq(ran, expected, "tasks ran exactly once each, in queue order, revoked one skipped")
    eq(r.get("eco:attempts:f1"), b"2", "flaky ran twice")
    check(consumer.poll() is None, "consumer still running")
    ok = True
finally:
    stop_process(consumer)
    # On failure (or with ECO_VERBOSE=1) show the consumer's log; on success it only holds the
    # expected tracebacks of the failing tasks.
    if not ok or os.environ.get("ECO_VERBOSE"):
        log.seek(0)
        print("--- huey consumer log ---\n" + log.read() + "--- end of consumer log ---", flush=True)
    log.close()
huey.storage.flush_all()
done("huey_tasks")
