// BullMQ 6.7 (ioredis 5.9), pinned in tests/ecosystem/node/package-lock.json.
//
// Every BullMQ queue operation is a Lua script (EVALSHA via ioredis `defineCommand`, with
// cmsgpack-packed arguments). A Queue adds jobs before the Worker starts: 5 plain jobs, 3
// prioritized ones (priorities 5, 1, 3), a delayed one (1.5 s) and a failing one with
// `attempts: 2`; then a Worker (concurrency 1) runs them. Checks: every result, the processing
// order (plain jobs FIFO, prioritized ones by priority, the delayed job not before its delay), the failing job tried twice then failed with its reason, job states and counts,
// QueueEvents 'completed' for every completed job with its return value and 'failed' once, and
// that the server ran scripts (INFO commandstats).
"use strict";

const { Queue, QueueEvents, Worker } = require("bullmq");
const IORedis = require("ioredis");

const HOST = process.env.ECO_HOST || "127.0.0.1";
const PORT = Number(process.env.ECO_PORT || 0);
if (!(PORT > 0)) {
  console.error("ECO_PORT must name the target server's port");
  process.exit(2);
}
const TIMEOUT_MS = 30000;
const DELAY_MS = 1500;

// The whole scenario is bounded: a hang is a failure, not a stuck test.
const watchdog = setTimeout(() => {
  console.error(`bullmq_jobs: timed out after ${TIMEOUT_MS * 2} ms`);
  process.exit(1);
}, TIMEOUT_MS * 2);

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e} | got ${a}`);
}

function check(cond, what, ...details) {
  if (!cond) throw new Error(what + (details.length ? ": " + JSON.stringify(details) : ""));
}

async function waitUntil(pred, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function scriptsRun(redis) {
  const text = await redis.info("commandstats");
  let total = 0;
  for (const name of ["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"]) {
    const m = text.match(new RegExp(`^cmdstat_${name}:calls=(\\d+).*failed_calls=(\\d+)`, "m"));
    if (m) total += Number(m[1]) - Number(m[2]);
  }
  return total;
}

async function main() {
  const connection = { host: HOST, port: PORT, maxRetriesPerRequest: null };
  const redis = new IORedis(connection);
  await redis.flushdb();
  const scriptsBefore = await scriptsRun(redis);

  const queue = new Queue("eco", { connection });
  const events = new QueueEvents("eco", { connection });
  await events.waitUntilReady();
  const completedEvents = new Map();
  const failedEvents = [];
  events.on("completed", ({ jobId, returnvalue }) => completedEvents.set(jobId, returnvalue));
  events.on("failed", ({ jobId, failedReason }) => failedEvents.push([jobId, failedReason]));

  const plain = [];
  for (let i = 0; i < 5; i++) plain.push(await queue.add("add", { label: `plain${i}`, a: i, b: 10 * i }));
  const prio = [];
  for (const p of [5, 1, 3]) {
    prio.push(await queue.add("add", { label: `prio${p}`, a: p, b: 100 }, { priority: p }));
  }
  const delayed = await queue.add("add", { label: "delayed", a: 7, b: 7 }, { delay: DELAY_MS });
  const failing = await queue.add("fail", { label: "fail" }, { attempts: 2 });
  const ids = [...plain, ...prio, delayed, failing].map((j) => j.id);
  eq(new Set(ids).size, ids.length, "job ids are distinct");
  eq(await queue.getJobCounts("wait", "prioritized", "delayed"), { wait: 6, prioritized: 3, delayed: 1 },
    "counts before the worker starts");
  eq(await delayed.getState(), "delayed", "delayed job's state");

  const order = [];
  const worker = new Worker(
    "eco",
    async (job) => {
      order.push(`${job.data.label}:${job.attemptsMade + 1}`);
      if (job.name === "fail") throw new Error(`job failed on purpose (attempt ${job.attemptsMade + 1})`);
      return { sum: job.data.a + job.data.b, label: job.data.label };
    },
    { connection, concurrency: 1 },
  );
  try {
    await waitUntil(async () => {
      const c = await queue.getJobCounts("completed", "failed");
      return c.completed === 9 && c.failed === 1;
    }, TIMEOUT_MS, "9 completed and 1 failed job");

    eq([...order].sort(), ["delayed:1", "fail:1", "fail:2", "plain0:1", "plain1:1", "plain2:1",
      "plain3:1", "plain4:1", "prio1:1", "prio3:1", "prio5:1"], "every job ran once, the failing one twice");
    const plainOrder = order.filter((x) => x.startsWith("plain"));
    eq(plainOrder, ["plain0:1", "plain1:1", "plain2:1", "plain3:1", "plain4:1"], "plain jobs in FIFO order");
    const prioOrder = order.filter((x) => x.startsWith("prio"));
    eq(prioOrder, ["prio1:1", "prio3:1", "prio5:1"], "prioritized jobs by priority");
    eq(order.filter((x) => x.startsWith("fail")), ["fail:1", "fail:2"], "failing job tried twice");

    for (const [i, j] of plain.entries()) {
      const job = await queue.getJob(j.id);
      eq(job.returnvalue, { sum: 11 * i, label: `plain${i}` }, `plain${i} result`);
      eq(await job.getState(), "completed", `plain${i} state`);
    }
    for (const j of prio) {
      const job = await queue.getJob(j.id);
      eq(job.returnvalue.sum, job.data.a + 100, `${job.data.label} result`);
    }
    const d = await queue.getJob(delayed.id);
    eq(d.returnvalue, { sum: 14, label: "delayed" }, "delayed job result");
    check(d.processedOn - d.timestamp >= DELAY_MS, "delayed job ran after its delay",
      d.processedOn - d.timestamp);

    const f = await queue.getJob(failing.id);
    eq(await f.getState(), "failed", "failing job's state");
    eq(f.attemptsMade, 2, "failing job's attempts");
    eq(f.failedReason, "job failed on purpose (attempt 2)", "failing job's reason");
    eq(f.stacktrace.length, 2, "a stack trace per attempt");

    await waitUntil(() => completedEvents.size === 9 && failedEvents.length === 1, TIMEOUT_MS,
      "QueueEvents to deliver 9 'completed' and 1 'failed'");
    for (const j of [...plain, ...prio, delayed]) {
      const job = await queue.getJob(j.id);
      eq(completedEvents.get(j.id), job.returnvalue, `'completed' event of ${job.data.label}`);
    }
    eq(failedEvents, [[failing.id, "job failed on purpose (attempt 2)"]], "'failed' event");
    eq(await queue.getJobCounts("wait", "prioritized", "delayed", "active"),
      { wait: 0, prioritized: 0, delayed: 0, active: 0 }, "nothing left to do");
    const ran = (await scriptsRun(redis)) - scriptsBefore;
    check(ran >= 20, "BullMQ's queue operations ran as scripts", ran);
  } finally {
    await worker.close();
    await events.close();
    await queue.close();
  }
  await redis.flushdb();
  await redis.quit();
  clearTimeout(watchdog);
  console.log("bullmq_jobs: all checks passed");
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
