"""A store on Redis: the instances of a fleet, on many processes and hosts, share one Redis (redis-py).

Every key starts with the namespace (``NAME:stubs``, ``NAME:journal`` ...), so that several teams or test
runs can share one Redis. Changes to stubs and settings are published on ``NAME:changes``; scenario
transitions and sequence steps are Lua scripts, so that no step is taken twice by two instances.

The client is redis-py's synchronous one, on purpose: a scenario transition happens inside matching,
which is synchronous code on the server's loop, and the admin API and a test thread read the journal
from either thread. Calls are short (a loopback round trip), time out after a fraction of a second, and
after a failure the store answers :class:`StoreError` at once for a moment instead of waiting again, so
that a lost Redis never holds a request up; the subscriber thread reconnects with a growing delay.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import msgpack
import redis

# decode_responses=True: every reply is str, which redis-py's types cannot express (hence the ignores)
from redis.exceptions import RedisError

from .store import ChangeKind, Store, StoreError, StubKind

#: seconds a call may take before Redis counts as lost (loopback round trips take ~0.1 ms)
TIMEOUT = 0.5
#: after a failure, calls fail at once for this long instead of each waiting out the timeout
QUIET = 1.0

_SAVE_STUBS = """
local removed = tonumber(ARGV[1])
for i = 2, removed + 1 do
  redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
end
for i = removed + 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[i])
end
redis.call('SET', KEYS[4], '1')
return 1
"""
# ARGV: scenario, required ('' = any state), new ('' = stay); an absent field is WireMock's 'Started'
_TRANSITION = """
local state = redis.call('HGET', KEYS[1], ARGV[1]) or 'Started'
if ARGV[2] ~= '' and state ~= string.sub(ARGV[2], 2) then return 0 end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], ARGV[1], string.sub(ARGV[3], 2)) end
return 1
"""
_STEP = """
local index = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local last = tonumber(ARGV[2])
local following = last
if index < last then following = index + 1 elseif ARGV[3] == '1' then following = 0 end
redis.call('HSET', KEYS[1], ARGV[1], following)
return math.min(index, last)
"""


def masked(url: str) -> str:
    """``url`` without its password, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


class RedisStore(Store):
    def __init__(self, url: str, *, namespace: str = "mockpit") -> None:
        self.url = masked(url)
        self.namespace = namespace
        try:
            self._redis: redis.Redis = redis.Redis.from_url(
                url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT, decode_responses=True
            )
            # the journal's entries are bytes (msgpack), read without decoding
            self._bytes: redis.Redis = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        except ValueError as exc:
            raise ValueError(f"bad Redis URL {self.url!r}: {exc}") from None
        self._quiet_until = 0.0
        self._save_stubs = self._redis.register_script(_SAVE_STUBS)
        self._transition = self._redis.register_script(_TRANSITION)
        self._step = self._redis.register_script(_STEP)
        self._subscribers: list[Callable[[str, ChangeKind], None]] = []
        self._listener: threading.Thread | None = None
        self._closing = threading.Event()
        self._listening = threading.Event()
        #: how often the connection was lost, and whether it is now (for the admin API)
        self.disconnections = 0
        self.connected = True
        with self._calling():
            self._redis.ping()

    def _key(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    @contextmanager
    def _calling(self) -> Iterator[None]:
        if self._quiet_until and time.monotonic() < self._quiet_until:
            raise StoreError(f"Redis at {self.url} is unreachable (retrying in the background)")
        try:
            yield
        except RedisError as exc:
            if self.connected:
                self.disconnections += 1
            self.connected = False
            self._quiet_until = time.monotonic() + QUIET
            raise StoreError(f"Redis at {self.url}: {type(exc).__name__}: {exc}") from exc
        self._quiet_until = 0.0
        self.connected = True

    # --- stubs and settings --------------------------------------------------------------------------

    def _stub_keys(self, kind: StubKind) -> list[str]:
        # the HTTP stubs' keys keep their first names, so that a fleet of the previous version still reads them
        names = ("stubs", "stub-order", "stub-sequence", "seeded")
        return [self._key(name if kind == "stubs" else f"{kind}:{name}") for name in names]

    def load_stubs(self, kind: StubKind = "stubs") -> dict[str, str] | None:
        stubs_key, order_key, _, seeded_key = self._stub_keys(kind)
        with self._calling():
            pipe = self._redis.pipeline(transaction=True)
            pipe.exists(seeded_key)
            pipe.hgetall(stubs_key)
            pipe.zrange(order_key, 0, -1)
            seeded, stubs, order = pipe.execute()
        if not seeded:
            return None
        return {stub_id: stubs[stub_id] for stub_id in order if stub_id in stubs}

    def save_stubs(
        self, changed: Mapping[str, str], removed: Iterable[str], *, origin: str, kind: StubKind = "stubs"
    ) -> None:
        gone = list(removed)
        args: list[Any] = [len(gone), *gone]
        for stub_id, text in changed.items():
            args += [stub_id, text]
        with self._calling():
            self._save_stubs(keys=self._stub_keys(kind), args=args)
            self._redis.publish(self._key("changes"), f"{origin} {kind}")

    def load_settings(self) -> str | None:
        with self._calling():
            value = self._redis.get(self._key("settings"))
        return value if isinstance(value, str) else None

    def save_settings(self, text: str, *, origin: str) -> None:
        with self._calling():
            self._redis.set(self._key("settings"), text)
            self._redis.publish(self._key("changes"), f"{origin} settings")

    def subscribe(self, callback: Callable[[str, ChangeKind], None]) -> None:
        self._subscribers.append(callback)
        if self._listener is None:
            self._closing.clear()
            self._listener = threading.Thread(target=self._listen, name=f"mockpit-store:{self.url}", daemon=True)
            self._listener.start()
            # a change published before Redis confirms the subscription would not be heard
            self._listening.wait(2 * TIMEOUT)

    def unsubscribe(self, callback: Callable[[str, ChangeKind], None]) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def _listen(self) -> None:
        delay = 0.05
        channel = self._key("changes")
        while not self._closing.is_set():
            pubsub = self._redis.pubsub()
            try:
                pubsub.subscribe(channel)
                while (confirmed := pubsub.get_message(timeout=TIMEOUT)) is None or confirmed["type"] != "subscribe":
                    if self._closing.is_set():
                        return
                self._listening.set()
                if delay > 0.05:  # back after a loss: what changed meanwhile was not heard
                    self._quiet_until = 0.0
                    self.connected = True
                    self._deliver("", "resync")
                delay = 0.05
                while not self._closing.is_set():
                    message = pubsub.get_message(timeout=0.2)
                    if message is not None and message.get("type") == "message":
                        origin, _, kind = str(message["data"]).partition(" ")
                        self._deliver(origin, kind)
            except RedisError:
                if self.connected:
                    self.disconnections += 1
                self.connected = False
                self._closing.wait(delay)
                delay = min(delay * 2, 2.0)
            finally:
                pubsub.close()

    def _deliver(self, origin: str, kind: ChangeKind) -> None:
        for callback in list(self._subscribers):
            try:
                callback(origin, kind)
            except Exception as exc:  # one instance's failure to apply a change must not stop the listener
                print(f"mockpit: applying a change from the store failed: {exc!r}")

    # --- scenarios and sequences ---------------------------------------------------------------------

    def transition(self, scenario: str, required: str | None, new: str | None) -> bool:
        args = [scenario, "" if required is None else "=" + required, "" if new is None else "=" + new]
        with self._calling():
            return bool(self._transition(keys=[self._key("scenarios")], args=args))

    def scenario_states(self) -> dict[str, str]:
        with self._calling():
            states: dict[str, str] = self._redis.hgetall(self._key("scenarios"))  # type: ignore[assignment]
        return dict(states)

    def set_scenario_state(self, scenario: str, state: str) -> None:
        with self._calling():
            self._redis.hset(self._key("scenarios"), scenario, state)

    def reset_scenarios(self) -> None:
        with self._calling():
            self._redis.delete(self._key("scenarios"))

    def step(self, stub_id: str, last: int, cycle: bool) -> int:
        with self._calling():
            return int(self._step(keys=[self._key("steps")], args=[stub_id, last, "1" if cycle else "0"]))

    def reset_steps(self) -> None:
        with self._calling():
            self._redis.delete(self._key("steps"))

    # --- the journal ---------------------------------------------------------------------------------

    def packer(self) -> Callable[[Any], bytes]:
        # msgpack: C, bytes as they are (no base64), safe to read from a Redis others can write to (unlike
        # pickle or marshal), and the same on every Python version of a fleet's hosts
        pack: Callable[[Any], bytes] = msgpack.Packer().pack
        return pack

    def unpack(self, data: bytes) -> Any:
        return msgpack.unpackb(data)

    def append_events(self, entries: list[bytes], capacity: int) -> None:
        key = self._key("journal")
        with self._calling():
            pipe = self._bytes.pipeline(transaction=False)
            pipe.rpush(key, *entries)
            pipe.ltrim(key, -capacity, -1)
            pipe.execute()

    def load_events(self) -> list[bytes]:
        with self._calling():
            entries: list[bytes] = self._bytes.lrange(self._key("journal"), 0, -1)  # type: ignore[assignment]
        return entries

    def replace_events(self, entries: list[bytes]) -> None:
        key = self._key("journal")
        with self._calling():
            pipe = self._bytes.pipeline(transaction=True)
            pipe.delete(key)
            if entries:
                pipe.rpush(key, *entries)
            pipe.execute()

    def clear_events(self) -> None:
        with self._calling():
            self._redis.delete(self._key("journal"))

    # --- named values and lists ----------------------------------------------------------------------

    def set_value(self, name: str, text: str | None, *, origin: str) -> None:
        key = self._key(f"value:{name}")
        with self._calling():
            if text is None:
                self._redis.delete(key)
            else:
                self._redis.set(key, text)
            self._redis.publish(self._key("changes"), f"{origin} {name}")

    def get_value(self, name: str) -> str | None:
        with self._calling():
            value = self._redis.get(self._key(f"value:{name}"))
        return value if isinstance(value, str) else None

    def append_items(self, name: str, entries: list[bytes]) -> None:
        if entries:
            with self._calling():
                self._bytes.rpush(self._key(f"items:{name}"), *entries)

    def load_items(self, name: str) -> list[bytes]:
        with self._calling():
            entries: list[bytes] = self._bytes.lrange(self._key(f"items:{name}"), 0, -1)  # type: ignore[assignment]
        return entries

    def clear_items(self, name: str) -> None:
        with self._calling():
            self._redis.delete(self._key(f"items:{name}"))

    # --- live instances ------------------------------------------------------------------------------

    def heartbeat(self, instance: str, text: str, ttl: float) -> None:
        with self._calling():
            self._redis.set(self._key(f"instance:{instance}"), text, px=int(ttl * 1000))

    def instances(self) -> dict[str, str]:
        prefix = self._key("instance:")
        with self._calling():
            keys = sorted(self._redis.scan_iter(match=prefix + "*", count=100))
            values: list[str | None] = self._redis.mget(keys) if keys else []  # type: ignore[assignment]
        return {key[len(prefix) :]: value for key, value in zip(keys, values, strict=True) if value is not None}

    def ping(self) -> None:
        with self._calling():
            self._redis.ping()

    def close(self) -> None:
        self._closing.set()
        if self._listener is not None:
            self._listener.join(2)
            self._listener = None
        self._listening.clear()
        self._subscribers.clear()
        for client in (self._redis, self._bytes):
            client.close()
            # redis-py 5.0 leaves the connections of a pool made by from_url() open on close()
            client.connection_pool.disconnect()
