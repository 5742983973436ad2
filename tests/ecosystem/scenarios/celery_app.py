"""The Celery application the celery_tasks scenario's worker runs (`celery -A celery_app worker`).

Broker and result backend are both Redis at ECO_HOST:ECO_PORT db 0 (kombu's Redis transport and
Celery's Redis backend, whose chord bookkeeping is a Lua script). Tasks record each run (name,
arguments, wall-clock time) in the list `eco:ran` so the scenario can check what ran and when.
"""
import json
import time

import redis
from celery import Celery

from common import HOST, PORT

URL = f"redis://{HOST}:{PORT}/0"
app = Celery("eco", broker=URL, backend=URL)
app.conf.update(
    broker_connection_retry_on_startup=True,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
    worker_prefetch_multiplier=1,
)
_log = redis.Redis(host=HOST, port=PORT, socket_timeout=10)


def _ran(name, *args):
    _log.rpush("eco:ran", json.dumps([name, list(args), time.time()]))


@app.task(name="eco.add")
def add(a, b):
    _ran("add", a, b)
    return a + b


@app.task(name="eco.tsum")
def tsum(values):
    _ran("tsum", sorted(values))
    return sum(values)


@app.task(name="eco.stamp")
def stamp(label):
    _ran("stamp", label)
    return {"label": label, "ran_at": time.time()}


@app.task(name="eco.fail")
def fail(why):
    _ran("fail", why)
    raise ValueError(f"task failed on purpose: {why}")
