"""The Huey application the huey_tasks scenario's consumer runs (`huey_consumer huey_app.huey`).

RedisHuey with its Redis storage (blocking dequeue with BRPOP), pointed at ECO_HOST:ECO_PORT.
Tasks record each run in the list `eco:ran` so the scenario can check what ran, and in what order.
"""
import redis
from huey import RedisHuey

from common import HOST, PORT

# Huey 3.5 stores a retried task's intermediate error as its result by default, so a blocking
# get() could see attempt 1's error before the retry ran: keep only final results.
huey = RedisHuey("eco", host=HOST, port=PORT, blocking=True, read_timeout=1, socket_timeout=10,
                 store_intermediate_errors=False)
_log = redis.Redis(host=HOST, port=PORT, socket_timeout=10)


def _ran(name):
    _log.rpush("eco:ran", name)


@huey.task()
def add(a, b):
    _ran(f"add:{a}:{b}")
    return a + b


@huey.task(retries=2)
def flaky(key):
    attempt = _log.incr(f"eco:attempts:{key}")
    _ran(f"flaky:{attempt}")
    if attempt < 2:
        raise RuntimeError(f"attempt {attempt} fails")
    return f"{key} ok after {attempt} attempts"


@huey.task()
def fail():
    _ran("fail")
    raise ValueError("task failed on purpose")


@huey.task()
def skipped():
    _ran("skipped")
    return "should never run"


@huey.task()
def describe(value):
    _ran("describe")
    return {"value": value, "type": type(value).__name__}
