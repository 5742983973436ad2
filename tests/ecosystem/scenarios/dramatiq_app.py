"""The Dramatiq application the dramatiq_tasks scenario's worker runs (`dramatiq dramatiq_app`).

RedisBroker at ECO_HOST:ECO_PORT: every broker operation is one Lua script (`dispatch.lua`).
In the worker (ECO_DRAMATIQ_MAINTENANCE=1) `maintenance_chance` is at its maximum, so every
dispatch also runs the maintenance part, which requeues the unacked messages of dead workers and
calls KEYS inside the script; the scenario's own brokers never run it. Results go to the
Results middleware's Redis backend. Actors record each run (name, arguments, wall-clock time) in
the list `eco:ran`.
"""
import json
import os
import time

import dramatiq
import redis
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend

from common import HOST, PORT

QUEUE = "eco"


def make_broker():
    maintenance = MAINTENANCE_SCALE if os.environ.get("ECO_DRAMATIQ_MAINTENANCE") == "1" else 0
    broker = RedisBroker(host=HOST, port=PORT, socket_timeout=10, maintenance_chance=maintenance)
    broker.add_middleware(Results(backend=RedisBackend(host=HOST, port=PORT, socket_timeout=10)))
    return broker


broker = make_broker()
dramatiq.set_broker(broker)
_log = redis.Redis(host=HOST, port=PORT, socket_timeout=10)


def _ran(name, *args):
    _log.rpush("eco:ran", json.dumps([name, list(args), time.time()]))


@dramatiq.actor(queue_name=QUEUE, store_results=True, max_retries=0)
def add(a, b):
    _ran("add", a, b)
    return a + b


@dramatiq.actor(queue_name=QUEUE, store_results=True, max_retries=0)
def stamp(label):
    _ran("stamp", label)
    return {"label": label, "ran_at": time.time()}


@dramatiq.actor(queue_name=QUEUE, store_results=True, max_retries=0)
def fail(why):
    _ran("fail", why)
    raise ValueError(f"actor failed on purpose: {why}")
