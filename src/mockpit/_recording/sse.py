"""A recorded event stream (``text/event-stream``) as Server-Sent Events with their timing, for replay.

The body is cut into events at their blank lines (HTML standard 9.2.6); each event's delay is the time
between the arrival of the chunk that ended it and of the one that ended the event before, as the
recorder saw them (``Exchange.chunk_times``). Without timings (a journal snapshot) the delays are 0.
"""

from __future__ import annotations

import bisect
import re

from mockpit._model import SseEvent, SseStream

_BLANK_LINE = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")
_LINE = re.compile(r"\r\n|\r|\n")


def recorded_stream(body: bytes, chunk_times: tuple[tuple[int, float], ...] = ()) -> SseStream:
    """The events of ``body``; ``chunk_times`` are (end offset in the body, seconds since the stream began)."""
    ends = [end for end, _ in chunk_times]
    events: list[SseEvent] = []
    previous = 0.0
    start = 0
    for blank in _BLANK_LINE.finditer(body):
        block = body[start : blank.start()].decode("utf-8", errors="replace")
        start = blank.end()
        event = _parse(block)
        if event is None:
            continue
        at = previous
        if chunk_times:
            index = min(bisect.bisect_left(ends, blank.end()), len(chunk_times) - 1)
            at = chunk_times[index][1]
        delay = max(0, round((at - previous) * 1000))
        previous = at
        events.append(SseEvent(event.data, event.event, event.id, event.retry_ms, event.comment, delay))
    return SseStream(events=tuple(events))


def _parse(block: str) -> SseEvent | None:
    data: list[str] = []
    comments: list[str] = []
    fields: dict[str, str] = {}
    for line in _LINE.split(block):
        if not line:
            continue
        if line.startswith(":"):
            comments.append(line[1:].removeprefix(" "))
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name in {"event", "id", "retry"}:
            fields[name] = value
    retry = fields.get("retry")
    event = SseEvent(
        data="\n".join(data) if data else None,
        event=fields.get("event"),
        id=fields.get("id"),
        retry_ms=int(retry) if retry is not None and retry.isdigit() else None,
        comment="\n".join(comments) if comments else None,
    )
    if event == SseEvent():
        return None
    return event
