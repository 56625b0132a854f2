"""Sync handlers run off the event loop, on threads that take calls from one queue.

A sync handler may block (``time.sleep`` to play a slow API, waiting on an event the test sets), so it
must not run on the loop. ``loop.run_in_executor`` costs two thread wake-ups and a future pair per call
(about 40 us, a third of an echo's throughput under load). Here a worker that is already busy takes
the next call without being woken, finished calls are handed back to the loop in batches (one wake-up
for all calls done since the last one), and a handler that blocks only costs a second worker: a
watcher starts another one when the oldest waiting call has waited ``SPILL_AFTER`` seconds, up to
``MAX_WORKERS``. Idle workers leave after ``IDLE_EXIT`` seconds. Nothing in the standard library
batches this way (``concurrent.futures`` wakes a thread and the loop once per call), hence this module.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

#: threads for sync handlers. Blocking is what they are for in a mock, and every blocked handler holds
#: one: on a 2-CPU runner asyncio's default pool (CPUs + 4) would let the 7th hold up every other one.
MAX_WORKERS = 256
#: how long a call may wait behind busy workers before another worker is started for it
SPILL_AFTER = 0.002
#: how long a worker stays with nothing to do
IDLE_EXIT = 10.0

_Call = tuple[Callable[[Any], Any], Any, asyncio.AbstractEventLoop, "asyncio.Future[Any]", float]


class HandlerRunner:
    """Runs ``fn(arg)`` on a worker thread; :meth:`run` is awaited on the loop that wants the result."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # workers wait here for calls
        self._watch = threading.Condition(self._lock)  # the watcher waits here for calls left waiting
        self._calls: deque[_Call] = deque()
        self._idle = 0
        self._workers = 0
        self._watching = False
        self._done: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        self._watcher: threading.Thread | None = None

    async def run(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            calls = self._calls
            calls.append((fn, arg, loop, future, time.monotonic()))
            if self._idle:
                self._work.notify()
            elif not self._workers:
                self._start_worker()
            # More calls waiting than idle workers (a notified worker counts as idle until it wakes, so
            # this also covers a burst): make sure a blocked worker cannot hold them.
            if len(calls) > self._idle and not self._watching:
                self._watching = True
                if self._watcher is None:
                    self._watcher = threading.Thread(target=self._watch_loop, name="mockpit-handler-watch", daemon=True)
                    self._watcher.start()
                else:
                    self._watch.notify()
        return await future

    def _start_worker(self) -> None:  # holds the lock
        self._workers += 1
        threading.Thread(target=self._work_loop, name=f"mockpit-handler-{self._workers}", daemon=True).start()

    def _work_loop(self) -> None:
        lock, calls = self._lock, self._calls
        while True:
            with lock:
                while not calls:
                    self._idle += 1
                    woken = self._work.wait(IDLE_EXIT)
                    self._idle -= 1
                    if not woken and not calls:
                        self._workers -= 1
                        return
                fn, arg, loop, future, _ = calls.popleft()
            try:
                outcome: tuple[asyncio.Future[Any], bool, Any] = (future, True, fn(arg))
            except BaseException as exc:  # handed to the awaiting request, which reports it
                if isinstance(exc, StopIteration):  # a future cannot hold one
                    exc = RuntimeError(f"the handler raised StopIteration: {exc!r}")
                outcome = (future, False, exc)
            with lock:
                done = self._done.get(loop)
                if done is None:
                    self._done[loop] = [outcome]
                else:
                    done.append(outcome)
                    continue  # the loop has been told already and takes this one with the others
            try:
                loop.call_soon_threadsafe(self._deliver, loop)
            except RuntimeError:  # that loop is closed: nobody awaits these any more
                with lock:
                    self._done.pop(loop, None)

    def _deliver(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            done = self._done.pop(loop, [])
        for future, ok, value in done:
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _watch_loop(self) -> None:
        lock, calls = self._lock, self._calls
        with lock:
            while True:
                while not self._watching:
                    self._watch.wait()
                if not calls:
                    if self._idle:  # nothing waits and a worker is free: nothing to watch
                        self._watching = False
                        continue
                    # every worker busy but nothing waiting: keep watching (a wake-up every SPILL_AFTER
                    # under load costs less than being woken again by the next call)
                    self._watch.wait(SPILL_AFTER)
                    continue
                waited = time.monotonic() - calls[0][4]
                if waited < SPILL_AFTER:
                    self._watch.wait(SPILL_AFTER - waited)
                elif self._workers < MAX_WORKERS:
                    self._start_worker()
                    self._watch.wait(SPILL_AFTER)  # give it time to take the call before looking again
                else:
                    self._watch.wait(SPILL_AFTER)


_RUNNER = HandlerRunner()


async def run_handler(fn: Callable[[Any], Any], arg: Any) -> Any:
    """``fn(arg)`` on a handler thread, awaited on the running loop."""
    return await _RUNNER.run(fn, arg)
