"""Rendered parts of pages, kept in each process's memory and found again by what they show.

An area page's questions are most of its work (a hundred form fields, their labels in the
reader's language) and change only when the assessment does. They are kept under a key that
names everything they show, the assessment's version among it: a saved answer raises that
version, so the next reader asks for a new key and nothing needs to be thrown away. Old
entries fall out when the cache is full (least recently used first). Several processes and
hosts each keep their own; the database's version keeps them all in step.

Nothing of one person goes in: no CSRF token, no name, no flash message.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Protocol

from flask import Flask, current_app


class Sized(Protocol):
    """A rendered part: its size in bytes counts against the cache's limit."""

    def size(self) -> int: ...


class PageCache:
    """A least-recently-used store of rendered parts, bounded by their total size."""

    def __init__(self, limit: int):
        self.limit = limit
        self._parts: OrderedDict[Hashable, tuple[Sized, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, render: Callable[[], Sized]) -> Sized:
        """The part kept under `key`, or `render()`'s, then kept (unless it alone overflows)."""
        with self._lock:
            found = self._parts.get(key)
            if found is not None:
                self._parts.move_to_end(key)
                self.hits += 1
                return found[0]
            self.misses += 1
        # Rendered outside the lock: two threads may render the same part once each.
        part = render()
        size = part.size()
        if size > self.limit:
            return part
        with self._lock:
            if key not in self._parts:
                self._parts[key] = (part, size)
                self._used += size
            while self._used > self.limit:
                _, (_, oldest) = self._parts.popitem(last=False)
                self._used -= oldest
        return part

    def __len__(self) -> int:
        return len(self._parts)

    @property
    def used(self) -> int:
        """Bytes held now."""
        return self._used


def init_app(app: Flask) -> None:
    """Give `app` its cache, PAGE_CACHE_MB large (0 turns it off)."""
    app.extensions["page_cache"] = PageCache(int(float(app.config["PAGE_CACHE_MB"]) * 2**20))


def cached(key: Hashable, render: Callable[[], Sized]) -> Sized:
    """The current app's part under `key`, rendered by `render` when it has none."""
    return current_app.extensions["page_cache"].get(key, render)
