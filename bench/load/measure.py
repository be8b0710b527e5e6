"""What a phase measured, and how busy the machine was."""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Stats:
    """What one phase measured: latencies per kind, errors, outcomes of autosaves."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    client_cpu: float = 0.0
    machine_busy: float = 0.0  # share of all cores busy, 0-1
    server_cpu: float = 0.0  # CPU seconds of gunicorn's processes
    reconnects: int = 0
    restarts: int = 0  # gunicorn workers restarted after max_requests
    spread: list[int] = field(default_factory=list)  # kept-alive connections per worker

    def add(self, kind: str, milliseconds: float) -> None:
        self.times[kind].append(milliseconds)

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {what}")

    def count(self) -> int:
        return sum(len(v) for v in self.times.values())

    def rate(self, kind: str | None = None) -> float:
        n = self.count() if kind is None else len(self.times[kind])
        return n / self.elapsed

    def everything(self) -> list[float]:
        return [t for values in self.times.values() for t in values]


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 (the exclusive method of `statistics.quantiles`)."""
    if len(values) < 2:
        return (values[0],) * 3 if values else (float("nan"),) * 3
    cuts = statistics.quantiles(values, n=100)
    return cuts[49], cuts[94], cuts[98]


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_before(seconds: float = 2.0) -> float:
    """How busy the machine's cores are before the run (other work skews every figure)."""
    busy0, total0 = machine_jiffies()
    time.sleep(seconds)
    busy1, total1 = machine_jiffies()
    return (busy1 - busy0) / max(total1 - total0, 1)
