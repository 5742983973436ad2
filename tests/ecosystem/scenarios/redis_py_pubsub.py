"""redis-py 8.x (RESP3): pub/sub with channels and patterns.

Subscribes to a channel and a pattern, checks the subscribe confirmations and counts, PUBLISH's
receiver counts, message and pmessage contents, delivery order of a burst, the PUBSUB CHANNELS /
NUMSUB / NUMPAT introspection, a subscriber thread (run_in_thread), and unsubscribing.
"""
import threading

import redis

from common import HOST, PORT, check, done, eq, wait_until

TIMEOUT = 5.0

r = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
r.flushdb()


def next_message(ps, what):
    """The next message of any type (including confirmations), within TIMEOUT."""
    m = ps.get_message(ignore_subscribe_messages=False, timeout=TIMEOUT)
    check(m is not None, f"no message within {TIMEOUT}s: expected {what}")
    return m


ps = r.pubsub()
ps.subscribe("news")
m = next_message(ps, "subscribe confirmation")
eq((m["type"], m["channel"], m["data"]), ("subscribe", b"news", 1), "subscribe confirmation")
ps.psubscribe("ev.*")
m = next_message(ps, "psubscribe confirmation")
eq((m["type"], m["channel"], m["data"]), ("psubscribe", b"ev.*", 2), "psubscribe confirmation")

eq(r.pubsub_channels(), [b"news"], "PUBSUB CHANNELS")
eq(r.pubsub_numsub("news", "nobody"), [(b"news", 1), (b"nobody", 0)], "PUBSUB NUMSUB")
eq(r.pubsub_numpat(), 1, "PUBSUB NUMPAT")

eq(r.publish("news", "hello"), 1, "PUBLISH to a subscribed channel")
eq(r.publish("ev.login", "alice"), 1, "PUBLISH matching a pattern")
eq(r.publish("other", "lost"), 0, "PUBLISH with no receiver")

m = next_message(ps, "message")
eq((m["type"], m["pattern"], m["channel"], m["data"]), ("message", None, b"news", b"hello"), "message")
m = next_message(ps, "pmessage")
eq(
    (m["type"], m["pattern"], m["channel"], m["data"]),
    ("pmessage", b"ev.*", b"ev.login", b"alice"),
    "pmessage",
)
eq(ps.get_message(timeout=0.2), None, "nothing delivered for a channel nobody subscribed")

# A channel matched by both a subscription and a pattern gets both deliveries.
ps.subscribe("ev.both")
m = next_message(ps, "second subscribe confirmation")
eq((m["type"], m["channel"], m["data"]), ("subscribe", b"ev.both", 3), "subscription count")
eq(r.publish("ev.both", "x"), 2, "PUBLISH counts channel and pattern receivers")
got = sorted((next_message(ps, "double delivery")["type"]) for _ in range(2))
eq(got, ["message", "pmessage"], "delivered once per matching subscription")

# Ordering of a burst, with binary payloads.
payloads = [b"msg-%d-\x00\xff" % i for i in range(100)]
for pl in payloads:
    r.publish("news", pl)
received = [next_message(ps, "burst message")["data"] for _ in payloads]
eq(received, payloads, "burst delivered in order, byte-exact")

# A second, threaded subscriber with handlers.
got = []
ev = threading.Event()


def handler(msg):
    got.append((msg["channel"], msg["data"]))
    if len(got) == 3:
        ev.set()


ps2 = r.pubsub(ignore_subscribe_messages=True)
ps2.subscribe(**{"jobs": handler})
ps2.psubscribe(**{"jobs.*": handler})
thread = ps2.run_in_thread(sleep_time=0.05, daemon=True)
try:
    wait_until(lambda: r.pubsub_numsub("jobs")[0][1] == 1 and r.pubsub_numpat() == 2, TIMEOUT,
               "threaded subscriber registered")
    eq(r.publish("jobs", "1"), 1, "PUBLISH to threaded subscriber")
    eq(r.publish("jobs.high", "2"), 1, "PUBLISH to threaded pattern subscriber")
    eq(r.publish("jobs", "3"), 1, "PUBLISH to threaded subscriber again")
    check(ev.wait(TIMEOUT), "threaded subscriber got 3 messages", got)
    eq(got, [(b"jobs", b"1"), (b"jobs.high", b"2"), (b"jobs", b"3")], "threaded messages in order")
finally:
    thread.stop()
    thread.join(timeout=TIMEOUT)
    ps2.close()
check(not thread.is_alive(), "subscriber thread stopped")

# Unsubscribing.
ps.unsubscribe("news")
m = next_message(ps, "unsubscribe confirmation")
eq((m["type"], m["channel"], m["data"]), ("unsubscribe", b"news", 2), "unsubscribe confirmation")
ps.punsubscribe()
m = next_message(ps, "punsubscribe confirmation")
eq((m["type"], m["channel"], m["data"]), ("punsubscribe", b"ev.*", 1), "punsubscribe confirmation")
eq(r.publish("news", "late"), 0, "PUBLISH after UNSUBSCRIBE")
ps.unsubscribe()
m = next_message(ps, "last unsubscribe confirmation")
eq((m["type"], m["channel"], m["data"]), ("unsubscribe", b"ev.both", 0), "last unsubscribe")
ps.close()
wait_until(lambda: r.pubsub_numpat() == 0 and r.pubsub_channels() == [], TIMEOUT,
           "no subscriptions left")
done("redis_py_pubsub")
