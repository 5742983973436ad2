"""RQ 3.0: jobs enqueued, then run by `rq worker --burst --with-scheduler` subprocesses.

RQ's unique jobs (enqueue and schedule) are Lua scripts (one calls `unpack(ARGV, 4)`), and its
scheduler takes its lock with a Lua script. Checks: 10 jobs with distinct generated IDs and
their results, unique job IDs (a second enqueue or schedule of the same ID raises
DuplicateJobError and changes nothing), a job scheduled with `enqueue_in` that a first burst
worker (run before it is due) leaves in the scheduled registry and a second one (after it is due)
runs, a failing job that lands in the failed registry with its traceback, FIFO order, and each
job ran exactly once.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

import redis
from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry

from common import HOST, PORT, check, done, eq, scripts_run, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from rq_funcs import add, fail, stamp  # noqa: E402

TIMEOUT = 30
DELAY = 3

r = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
r.flushdb()
scripts_before = scripts_run(r)
q = Queue("eco", connection=r)

adds = [q.enqueue(add, i, i * 10) for i in range(10)]
eq(len({j.id for j in adds}), 10, "generated job IDs are distinct")

uniq = q.enqueue(add, 100, 1, job_id="eco-unique", unique=True)
eq(uniq.id, "eco-unique", "explicit job ID kept")
try:
    q.enqueue(add, 200, 2, job_id="eco-unique", unique=True)
    raise AssertionError("a second unique enqueue of the same ID must raise")
except DuplicateJobError:
    pass
failing = q.enqueue(fail, "boom")
eq(q.count, 12, "queued jobs (the duplicate was not queued)")

scheduled_at = time.time() + DELAY
later = q.enqueue_in(timedelta(seconds=DELAY), stamp, "later", job_id="eco-later", unique=True)
try:
    q.enqueue_in(timedelta(seconds=DELAY), stamp, "again", job_id="eco-later", unique=True)
    raise AssertionError("a second unique schedule of the same ID must raise")
except DuplicateJobError:
    pass
eq(later.get_status(), JobStatus.SCHEDULED, "scheduled job's status")
eq(ScheduledJobRegistry(queue=q).get_job_ids(), ["eco-later"], "scheduled registry")
check(scripts_run(r) - scripts_before >= 2, "unique enqueue and schedule ran as scripts",
      scripts_run(r) - scripts_before)

rq_bin = os.path.join(os.path.dirname(sys.executable), "rq")
env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
url = f"redis://{HOST}:{PORT}/0"


def burst(what):
    """Runs one `rq worker --burst --with-scheduler` to completion; returns its output."""
    with tempfile.TemporaryFile(mode="w+") as log:
        worker = subprocess.Popen(
            [rq_bin, "worker", "--burst", "--with-scheduler", "--url", url, "eco"],
            cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            rc = worker.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
            rc = None
        log.seek(0)
        out = log.read()
    if rc != 0 or os.environ.get("ECO_VERBOSE"):
        print(f"--- rq worker log ({what}) ---\n{out}--- end of worker log ---", flush=True)
    eq(rc, 0, f"burst worker ({what}) exit code")
    return out


# First burst: everything queued runs; the scheduled job is not due yet and stays scheduled
# (unless this machine was so slow that it became due meanwhile).
burst("before the scheduled job is due")
first_done = time.time()
eq([j.return_value(refresh=True) for j in adds], [i * 11 for i in range(10)], "add results")
eq(uniq.return_value(refresh=True), 101, "unique job result")
eq(failing.get_status(), JobStatus.FAILED, "failing job's status")
eq(FailedJobRegistry(queue=q).get_job_ids(), [failing.id], "failed registry")
failing.refresh()
check("ValueError: job failed on purpose: boom" in (failing.exc_info or ""),
      "failed job keeps its traceback", failing.exc_info)
eq(q.count, 0, "queue drained")
eq(len(FinishedJobRegistry(queue=q).get_job_ids()), 11, "finished registry")
ran = [json.loads(x) for x in r.lrange("eco:ran", 0, -1)]
if first_done < scheduled_at:
    check(all(x[0] != "stamp" for x in ran), "scheduled job did not run before it was due", ran)
    eq(later.get_status(), JobStatus.SCHEDULED, "still scheduled after the first burst")

# Second burst, once the job is due: the worker's scheduler enqueues and runs it.
wait_until(lambda: time.time() >= scheduled_at + 0.1, DELAY + 5, "the scheduled job to be due")
burst("after the scheduled job is due")
eq(later.get_status(), JobStatus.FINISHED, "scheduled job finished")
got = later.return_value(refresh=True)
eq(got["label"], "later", "scheduled job result")
check(got["ran_at"] >= scheduled_at - 0.05, "scheduled job ran after its time",
      got["ran_at"] - scheduled_at)
eq(ScheduledJobRegistry(queue=q).get_job_ids(), [], "scheduled registry empty")

ran = [json.loads(x) for x in r.lrange("eco:ran", 0, -1)]
eq([(x[0], x[1]) for x in ran],
   [("add", [i, i * 10]) for i in range(10)] + [("add", [100, 1]), ("fail", ["boom"]),
                                                 ("stamp", ["later"])],
   "each job ran once, in FIFO order, the duplicate never")
r.flushdb()
done("rq_jobs")
