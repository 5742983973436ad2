"""Job functions for the rq_jobs scenario, imported by `rq worker` (the scenarios directory is on
its PYTHONPATH). Each records its run (name, arguments, wall-clock time) in the list `eco:ran`.
"""
import json
import time

import redis

from common import HOST, PORT

_log = redis.Redis(host=HOST, port=PORT, socket_timeout=10)


def _ran(name, *args):
    _log.rpush("eco:ran", json.dumps([name, list(args), time.time()]))


def add(a, b):
    _ran("add", a, b)
    return a + b


def stamp(label):
    _ran("stamp", label)
    return {"label": label, "ran_at": time.time()}


def fail(why):
    _ran("fail", why)
    raise ValueError(f"job failed on purpose: {why}")
