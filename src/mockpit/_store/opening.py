"""Which store a URL names: ``redis://`` (and ``rediss://``, ``unix://``) or ``memory://``, opened and checked."""

from __future__ import annotations

from .store import Store


def open_store(url: str, *, namespace: str = "mockpit") -> Store:
    """The store at ``url``: ``redis://host:port/db`` (or ``rediss://``, ``unix://``), or ``memory://NAME``
    (shared by the instances of this process that name it). Connects now: raises :class:`StoreError`
    naming the URL if the store cannot be reached, and ``ValueError`` for a URL of no known kind."""
    if not namespace or any(c in namespace for c in " \t\r\n{}"):
        raise ValueError(f"a store namespace must be a non-empty name without spaces or braces, got {namespace!r}")
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in {"redis", "rediss", "unix"}:
        from mockpit._extras import require

        require("redis", "A store on Redis (--store redis://...)")
        from .redis_store import RedisStore

        return RedisStore(url, namespace=namespace)
    if scheme == "memory":
        from .memory import MemoryStore

        return MemoryStore.named(url.split("://", 1)[1] or "default", namespace)
    raise ValueError(f"unknown store {url!r}: give redis://host:port/db (a Redis server) or memory://NAME")
