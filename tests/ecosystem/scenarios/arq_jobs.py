"""arq (sorted-set job queue, WATCH/MULTI, no Lua): enqueue, a burst worker, results, retries,
deferral.

Enqueues jobs, runs an arq Worker in burst mode in this process, and checks: results of plain
jobs, a job that raises Retry and succeeds on its second try (job_try 2), a job that fails
(its result re-raises), a deferred job (`_defer_by`) that does not run before its time, a
duplicate `_job_id` that is refused, job status and the worker's counters.
"""
import asyncio
import time

from arq import Retry, create_pool
from arq.connections import RedisSettings
from arq.jobs import JobStatus
from arq.worker import Worker

from common import HOST, PORT, check, done, eq

DEFER = 1.5


async def add(ctx, a, b):
    return a + b


async def flaky(ctx, key):
    # Fails with Retry on the first try, succeeds on the second.
    if ctx["job_try"] == 1:
        raise Retry(defer=0.2)
    return f"{key} ok on try {ctx['job_try']}"


async def boom(ctx):
    raise ValueError("boom")


async def stamp(ctx):
    return time.time()


async def main():
    settings = RedisSettings(host=HOST, port=PORT, conn_timeout=5)
    pool = await create_pool(settings)
    await pool.flushdb()
    try:
        adds = [await pool.enqueue_job("add", i, 10 * i) for i in range(10)]
        check(all(j is not None for j in adds), "every add job enqueued")
        fl = await pool.enqueue_job("flaky", "retry-me")
        bad = await pool.enqueue_job("boom")
        enqueued_at = time.time()
        deferred = await pool.enqueue_job("stamp", _defer_by=DEFER)
        uniq = await pool.enqueue_job("add", 1, 1, _job_id="unique-1")
        check(uniq is not None, "job with an explicit id enqueued")
        eq(await pool.enqueue_job("add", 2, 2, _job_id="unique-1"), None, "duplicate _job_id refused")
        eq(await deferred.status(), JobStatus.deferred, "deferred job status before running")
        eq(await adds[0].status(), JobStatus.queued, "queued job status")
        eq(len(await pool.queued_jobs()), 14, "queued_jobs() lists every job")

        worker = Worker(
            functions=[add, flaky, boom, stamp],
            redis_pool=pool,
            burst=True,
            poll_delay=0.05,
            max_jobs=5,
            handle_signals=False,
            keep_result=60,
        )
        await asyncio.wait_for(worker.main(), timeout=60)

        eq([await j.result(timeout=5) for j in adds], [i + 10 * i for i in range(10)], "add results")
        eq(await uniq.result(timeout=5), 2, "result of the job with an explicit id")
        eq(await fl.result(timeout=5), "retry-me ok on try 2", "Retry then success")
        info = await fl.result_info()
        eq((info.job_try, info.success), (2, True), "retried job's try count")
        try:
            await bad.result(timeout=5)
            raise AssertionError("a failed job's result must raise")
        except ValueError as e:
            eq(str(e), "boom", "failed job re-raises its exception")
        ran_at = await deferred.result(timeout=5)
        check(ran_at >= enqueued_at + DEFER - 0.05, "deferred job did not run early",
              f"ran {ran_at - enqueued_at:.3f}s after enqueue, defer {DEFER}s")
        check(ran_at <= enqueued_at + DEFER + 10, "deferred job ran on time",
              f"ran {ran_at - enqueued_at:.3f}s after enqueue")
        eq(await deferred.status(), JobStatus.complete, "deferred job complete")
        eq((worker.jobs_complete, worker.jobs_retried, worker.jobs_failed), (13, 1, 1),
           "worker counters (complete, retried, failed)")
        eq(await pool.queued_jobs(), [], "queue empty after the burst")
        results = await pool.all_job_results()
        eq(len(results), 14, "all_job_results() count")
        await worker.close()
    finally:
        await pool.flushdb()
        await pool.aclose()
    done("arq_jobs")


asyncio.run(main())
