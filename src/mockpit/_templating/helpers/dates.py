"""Dates: ``now``, ``date``, ``parseDate``, ``truncateDate`` and the :class:`RenderableDate` they give.

WireMock's dates speak Java: offsets such as ``'3 days'``, time zones by IANA name or offset, patterns
read as ``DateTimeFormatter`` reads them (``parseDate``) and printed as ``SimpleDateFormat`` prints
them (``format=``, ``dateFormat``)."""

from __future__ import annotations

import calendar
import datetime as _dt
import functools
import re
import time
from collections.abc import Callable
from typing import Any

from mockpit._templating.errors import HelperFailure
from mockpit._templating.values import (
    MISSING,
    TemplateObject,
    to_text,
)

UTC = _dt.timezone.utc


class RenderableDate(TemplateObject):
    """A point in time with the format and zone it prints in (WireMock's ``now``, ``date``, ``parseDate``).

    Without a format it prints ISO 8601 to the second (``2024-05-01T12:00:00Z``); ``epoch`` prints
    milliseconds, ``unix`` seconds; any other format is a Java ``SimpleDateFormat`` pattern
    (``yyyy-MM-dd``), or a Python ``strftime`` one if it contains ``%``.
    """

    __slots__ = ("_format", "_instant", "_timezone")

    def __init__(self, instant: _dt.datetime, format: str | None = None, timezone: _dt.tzinfo | None = None) -> None:
        self._instant = instant
        self._format = format
        self._timezone = timezone

    def _text(self) -> str:
        fmt = self._format
        millis = epoch_millis(self._instant)
        if fmt == "epoch":
            return str(millis)
        if fmt == "unix":
            return str(millis // 1000)
        local = self._instant.astimezone(self._timezone or UTC)
        if fmt is None:
            text = local.strftime("%Y-%m-%dT%H:%M:%S")
            offset = local.utcoffset()
            if not offset:
                return text + "Z"
            return text + format_offset(offset, colon=True)
        if "%" in fmt:
            return local.strftime(fmt)
        return java_date_format(fmt, local)

    def _keys(self) -> list[str]:
        return []

    def __bool__(self) -> bool:
        return True


def epoch_millis(instant: _dt.datetime) -> int:
    delta = instant - _dt.datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def format_offset(offset: _dt.timedelta, *, colon: bool) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}" if colon else f"{sign}{hours:02d}{mins:02d}"


_JAVA_PATTERN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+|'")
JAVA_FORMAT_LETTERS = frozenset("GyYMLwWDdFEuaHkKhmsSzZX")
_MONTHS = list(calendar.month_name)
_MONTHS_SHORT = list(calendar.month_abbr)
_DAYS = list(calendar.day_name)
_DAYS_SHORT = list(calendar.day_abbr)


def check_java_date_pattern(pattern: str) -> None:
    """Raise ValueError naming the first letter ``SimpleDateFormat`` does not know."""
    for match in _JAVA_PATTERN.finditer(pattern):
        letter = match.group(1)
        if letter and letter not in JAVA_FORMAT_LETTERS:
            raise ValueError(
                f"the date format {pattern!r} has the letter {letter!r}, which is not a Java date pattern letter; "
                "quote literal text ('T') or use letters such as yyyy MM dd HH mm ss SSS Z"
            )
        if match.group(0) == "'":
            raise ValueError(f"the date format {pattern!r} has an unclosed quote")


def java_date_format(pattern: str, moment: _dt.datetime) -> str:
    """Format ``moment`` with a Java ``SimpleDateFormat`` pattern (English names)."""
    out: list[str] = []
    for match in _JAVA_PATTERN.finditer(pattern):
        token = match.group(0)
        letter = match.group(1)
        if not letter:
            if token.startswith("'"):
                out.append("'" if token == "''" else token[1:-1].replace("''", "'"))
            else:
                out.append(token)
            continue
        out.append(_java_field(letter, len(token), moment))
    return "".join(out)


def _java_field(letter: str, n: int, m: _dt.datetime) -> str:
    if letter in "yY":
        return f"{m.year % 100:02d}" if n == 2 else str(m.year).zfill(n)
    if letter in "ML":
        if n >= 4:
            return _MONTHS[m.month]
        if n == 3:
            return _MONTHS_SHORT[m.month]
        return str(m.month).zfill(n)
    if letter == "d":
        return str(m.day).zfill(n)
    if letter == "H":
        return str(m.hour).zfill(n)
    if letter == "k":
        return str(m.hour or 24).zfill(n)
    if letter == "K":
        return str(m.hour % 12).zfill(n)
    if letter == "h":
        return str(m.hour % 12 or 12).zfill(n)
    if letter == "m":
        return str(m.minute).zfill(n)
    if letter == "s":
        return str(m.second).zfill(n)
    if letter == "S":
        return str(m.microsecond // 1000).zfill(n)
    if letter == "E":
        return _DAYS[m.weekday()] if n >= 4 else _DAYS_SHORT[m.weekday()]
    if letter == "u":
        return str(m.isoweekday()).zfill(n)
    if letter == "a":
        return "AM" if m.hour < 12 else "PM"
    if letter == "D":
        return str(m.timetuple().tm_yday).zfill(n)
    if letter == "F":
        return str((m.day - 1) // 7 + 1).zfill(n)
    if letter == "w":
        first = m.replace(month=1, day=1)
        shift = (first.weekday() + 1) % 7  # weeks start on Sunday (US)
        return str((m.timetuple().tm_yday - 1 + shift) // 7 + 1).zfill(n)
    if letter == "W":
        first = m.replace(day=1)
        shift = (first.weekday() + 1) % 7
        return str((m.day - 1 + shift) // 7 + 1).zfill(n)
    if letter == "G":
        return "AD"
    offset = m.utcoffset() or _dt.timedelta(0)
    if letter == "Z":
        return format_offset(offset, colon=False)
    if letter == "X":
        if not offset:
            return "Z"
        if n == 1:
            return format_offset(offset, colon=False)[:3]
        return format_offset(offset, colon=n >= 3)
    # z: the zone's short name; Java's long names (zzzz) are not in Python's zone data
    name = m.tzname()
    if name and not name.startswith(("+", "-")):
        return name
    return "GMT" + format_offset(offset, colon=True)


_OFFSET_UNITS = {
    "millisecond": "milliseconds",
    "second": "seconds",
    "minute": "minutes",
    "hour": "hours",
    "day": "days",
    "week": "weeks",
    "month": "months",
    "year": "years",
}
_OFFSET = re.compile(r"(?:now\s+)?([+-]?\d+)\s+([A-Za-z]+)", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def parse_offset(text: str) -> tuple[int, str]:
    """``'3 days'``, ``'-24 seconds'``, ``'now +5 years'`` -> (amount, unit). Raises ValueError."""
    stripped = text.strip()
    if stripped.lower() == "now":
        return 0, "seconds"
    match = _OFFSET.fullmatch(stripped)
    unit = _OFFSET_UNITS.get(match.group(2).lower().rstrip("s")) if match else None
    if match is None or unit is None:
        raise ValueError(
            f"the date offset {text!r} is not '<amount> <unit>' such as '3 days', '-24 seconds' or 'now +1 years' "
            "(units: milliseconds, seconds, minutes, hours, days, weeks, months, years)"
        )
    return int(match.group(1)), unit


def shift(instant: _dt.datetime, offset: str) -> _dt.datetime:
    amount, unit = parse_offset(offset)
    if unit in ("months", "years"):
        months = amount * (12 if unit == "years" else 1)
        total = instant.year * 12 + instant.month - 1 + months
        year, month = divmod(total, 12)
        if not 1 <= year <= 9999:
            raise HelperFailure(f"the date offset {offset!r} leads outside the years 1 to 9999")
        day = min(instant.day, calendar.monthrange(year, month + 1)[1])  # Jan 31 + 1 month = Feb 28/29
        return instant.replace(year=year, month=month + 1, day=day)
    try:
        return instant + _dt.timedelta(**{unit: amount})
    except OverflowError:
        raise HelperFailure(f"the date offset {offset!r} leads outside the years 1 to 9999") from None


_FIXED_ZONE = re.compile(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?")


@functools.lru_cache(maxsize=256)
def zone(name: str) -> _dt.tzinfo:
    """A time zone by IANA name (``Australia/Sydney``), ``UTC``/``Z`` or a fixed offset (``+05:30``)."""
    if name in ("Z", "UTC", "GMT", "UT"):
        return UTC
    fixed = _FIXED_ZONE.fullmatch(name)
    if fixed:
        sign, hours, minutes = fixed.groups()
        delta = _dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
        return _dt.timezone(-delta if sign == "-" else delta)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"the time zone {name!r} is unknown; use an IANA name such as 'Europe/Paris', 'UTC' or an offset '+02:00'"
        ) from None


def check_date_format(fmt: str) -> None:
    if fmt in ("epoch", "unix") or "%" in fmt:
        return
    check_java_date_pattern(fmt)


def current_instant() -> _dt.datetime:
    # milliseconds, as a Java Date has
    millis = time.time_ns() // 1_000_000
    return _dt.datetime.fromtimestamp(millis / 1000, UTC)


def _options(fmt: Any, timezone: Any) -> tuple[str | None, _dt.tzinfo | None]:
    text_format = None if fmt is None or fmt is MISSING else to_text(fmt)
    if text_format is not None:
        try:
            check_date_format(text_format)
        except ValueError as exc:
            raise HelperFailure(str(exc)) from None
    tz = None
    if timezone is not None and timezone is not MISSING:
        try:
            tz = zone(to_text(timezone))
        except ValueError as exc:
            raise HelperFailure(str(exc)) from None
    return text_format, tz


def now(offset: Any = None, format: Any = None, timezone: Any = None) -> RenderableDate:
    """WireMock's ``now``: the current time, shifted by ``offset``, printed with ``format`` in ``timezone``."""
    fmt, tz = _options(format, timezone)
    instant = current_instant()
    if offset is not None and offset is not MISSING:
        instant = _shift_checked(instant, offset)
    return RenderableDate(instant, fmt, tz)


def _shift_checked(instant: _dt.datetime, offset: Any) -> _dt.datetime:
    try:
        return shift(instant, to_text(offset))
    except ValueError as exc:
        raise HelperFailure(str(exc)) from None


def date(value: Any, offset: Any = None, format: Any = None, timezone: Any = None) -> RenderableDate:
    """WireMock's ``date``: a date (from ``parseDate``, ``now`` ...) printed again; not a date: now."""
    fmt, tz = _options(format, timezone)
    instant: _dt.datetime
    if isinstance(value, RenderableDate):
        instant, tz = value._instant, value._timezone  # WireMock keeps the date's own zone
    elif isinstance(value, _dt.datetime):
        instant = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        instant = current_instant()
    if offset is not None and offset is not MISSING:
        instant = _shift_checked(instant, offset)
    return RenderableDate(instant, fmt, tz)


_JAVA_PARSE_FIELDS: dict[str, str] = {
    "y": r"(?P<year>\d{4}|\d{2}|\d+)",
    "u": r"(?P<year>\d{4}|\d{2}|\d+)",
    "M": r"(?P<month>\d{1,2}|[A-Za-z]+)",
    "d": r"(?P<day>\d{1,2})",
    "H": r"(?P<hour>\d{1,2})",
    "h": r"(?P<hour12>\d{1,2})",
    "m": r"(?P<minute>\d{1,2})",
    "s": r"(?P<second>\d{1,2})",
    "S": r"(?P<fraction>\d+)",
    "a": r"(?P<ampm>AM|PM|am|pm)",
    "E": r"[A-Za-z]+",
    "Z": r"(?P<offset>Z|[+-]\d{2}:?\d{2})",
    "X": r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)",
    "x": r"(?P<offset>[+-]\d{2}(?::?\d{2})?)",
    "z": r"(?P<zone>[A-Za-z_/+-]+)",
    "V": r"(?P<zone>[A-Za-z_/+-]+)",
}
_PARSE_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")


@functools.lru_cache(maxsize=256)
def compile_date_pattern(pattern: str) -> re.Pattern[str]:
    """A regex reading dates written in the Java ``DateTimeFormatter`` pattern. Raises ValueError."""
    parts: list[str] = []
    seen: set[str] = set()
    for match in _PARSE_TOKEN.finditer(pattern):
        token, letter = match.group(0), match.group(1)
        if not letter:
            text = token[1:-1].replace("''", "'") if token.startswith("'") else token
            parts.append(re.escape(text))
            continue
        field = _JAVA_PARSE_FIELDS.get(letter)
        if field is None:
            raise ValueError(f"the date pattern {pattern!r} has the letter {letter!r}, which parseDate cannot read")
        if len(token) == 2 and letter in "yu":
            field = r"(?P<year2>\d{2})"
        group = re.search(r"\?P<(\w+)>", field)
        if group and group.group(1) in seen:
            field = re.sub(r"\?P<\w+>", "?:", field)
        elif group:
            seen.add(group.group(1))
        parts.append(field)
    return re.compile("".join(parts), re.IGNORECASE)


_ISO_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def parse_date(text: Any, format: Any = None) -> RenderableDate | None:
    """WireMock's ``parseDate``: ISO 8601, RFC 1123, RFC 1036 or asctime; or ``format`` (Java, unix, epoch)."""
    if text is None or text is MISSING:
        return None
    value = to_text(text).strip()
    fmt = None if format is None or format is MISSING else to_text(format)
    instant: _dt.datetime | None
    try:
        if fmt is not None and fmt.lower() in ("unix", "epoch"):
            number = int(value)
            instant = _dt.datetime.fromtimestamp(number if fmt.lower() == "unix" else number / 1000, UTC)
        elif fmt is not None:
            instant = _parse_with_pattern(value, fmt)
        else:
            instant = _parse_standard(value)
    except (ValueError, OverflowError, OSError):
        return None
    return None if instant is None else RenderableDate(instant)


def _parse_standard(value: str) -> _dt.datetime | None:
    iso = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    iso = re.sub(r"\[[^\]]*\]$", "", iso)  # 2021-06-15T15:16:17+01:00[Europe/London]
    try:
        parsed = _dt.datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
    if parsed is not None and (parsed.tzinfo is not None or _ISO_LOCAL.fullmatch(value)):
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    for pattern in ("%a, %d %b %Y %H:%M:%S %Z", "%A, %d-%b-%y %H:%M:%S %Z", "%a %b %d %H:%M:%S %Y"):
        try:
            return _dt.datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _parse_with_pattern(value: str, pattern: str) -> _dt.datetime:
    match = compile_date_pattern(pattern).fullmatch(value)
    if match is None:
        raise ValueError(value)
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    if "year" in fields:
        year = int(fields["year"])
    elif "year2" in fields:
        year = 2000 + int(fields["year2"])  # DateTimeFormatter reads 'yy' as 2000-2099
    else:
        year = 1970
    month_text = fields.get("month", "1")
    month = int(month_text) if month_text.isdigit() else _month_number(month_text)
    hour = int(fields.get("hour", 0))
    if "hour12" in fields:
        hour = int(fields["hour12"]) % 12 + (12 if fields.get("ampm", "AM").upper() == "PM" else 0)
    fraction = fields.get("fraction", "0")
    micro = int((fraction + "000000")[:6])
    tz: _dt.tzinfo = UTC
    if "offset" in fields and fields["offset"].upper() != "Z":
        tz = zone(fields["offset"] if ":" in fields["offset"] else fields["offset"][:3] + ":" + fields["offset"][3:])
    elif "zone" in fields:
        tz = zone(fields["zone"])
    return _dt.datetime(
        year,
        month,
        int(fields.get("day", 1)),
        hour,
        int(fields.get("minute", 0)),
        int(fields.get("second", 0)),
        micro,
        tzinfo=tz,
    ).astimezone(UTC)


def _month_number(name: str) -> int:
    lowered = name.lower()
    for number in range(1, 13):
        if calendar.month_name[number].lower() == lowered or calendar.month_abbr[number].lower() == lowered:
            return number
    raise ValueError(name)


_TRUNCATIONS: dict[str, Callable[[_dt.datetime], _dt.datetime]] = {
    "first second of minute": lambda d: d.replace(second=0, microsecond=0),
    "first minute of hour": lambda d: d.replace(minute=0, second=0, microsecond=0),
    "first hour of day": lambda d: d.replace(hour=0, minute=0, second=0, microsecond=0),
    "first day of month": lambda d: _midnight(d.replace(day=1)),
    "first day of next month": lambda d: _midnight(_next_month(d)),
    "last day of month": lambda d: _midnight(d.replace(day=calendar.monthrange(d.year, d.month)[1])),
    "first day of year": lambda d: _midnight(d.replace(month=1, day=1)),
    "first day of next year": lambda d: _midnight(d.replace(year=d.year + 1, month=1, day=1)),
    "last day of year": lambda d: _midnight(d.replace(month=12, day=31)),
}
TRUNCATIONS = tuple(_TRUNCATIONS)


def _midnight(d: _dt.datetime) -> _dt.datetime:
    return d.replace(hour=0, minute=0, second=0, microsecond=0)


def _next_month(d: _dt.datetime) -> _dt.datetime:
    return d.replace(year=d.year + d.month // 12, month=d.month % 12 + 1, day=1)


def check_truncation(name: str) -> None:
    if name.lower().replace("_", " ") not in _TRUNCATIONS:
        raise ValueError(f"the date truncation {name!r} is not one of: {', '.join(TRUNCATIONS)}")


def truncate_date(value: Any, truncation: Any) -> RenderableDate:
    """WireMock's ``truncateDate``: e.g. ``'first day of month'`` (in UTC)."""
    if not isinstance(value, RenderableDate):
        raise HelperFailure("A date object must be passed to the truncateDate helper")
    name = to_text(truncation).lower().replace("_", " ")
    truncate = _TRUNCATIONS.get(name)
    if truncate is None:
        raise HelperFailure(f"the date truncation {to_text(truncation)!r} is not one of: {', '.join(TRUNCATIONS)}")
    return RenderableDate(truncate(value._instant.astimezone(UTC)), value._format, value._timezone)
