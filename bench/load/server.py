"""The server under load: `toolkit serve` (gunicorn) on the run's database, and what its
processes and log tell."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

from bench.load import Unmeasurable
from bench.load.client import HOST

TOOLKIT = Path(sys.executable).parent / "toolkit"


def prepare(env: dict) -> None:
    """`toolkit db upgrade` and `toolkit demo`, as an operator runs them."""
    for command in (["db", "upgrade"], ["demo"]):
        done = subprocess.run(
            [str(TOOLKIT), *command], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise Unmeasurable(f"toolkit {' '.join(command)} failed:\n{done.stderr[-2000:]}")
        if command == ["demo"]:
            print("  " + done.stdout.splitlines()[0])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """`toolkit serve` (gunicorn) in the background, its output appended to one log file."""

    def __init__(self, env: dict, log: Path, port: int):
        self.env, self.log, self.port = env, log, port
        self.process: subprocess.Popen | None = None

    def start(self, extra_args: str = "") -> int:
        """Start it and return its process id once /readyz answers 200. `extra_args` go to
        gunicorn through GUNICORN_CMD_ARGS, after any given with --gunicorn-args."""
        env = dict(self.env)
        given = " ".join(a for a in (env.get("GUNICORN_CMD_ARGS", ""), extra_args) if a)
        if given:
            env["GUNICORN_CMD_ARGS"] = given
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [str(TOOLKIT), "serve"], env=env, stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise Unmeasurable(f"the server stopped ({self.process.returncode}):\n{tail}")
            try:
                address = f"http://{HOST}:{self.port}/readyz"
                with urllib.request.urlopen(address, timeout=2) as answer:
                    if answer.status == 200:
                        return self.process.pid  # `toolkit serve` execs gunicorn: the master
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise Unmeasurable("the server was not ready within 60 s")

    def stop(self) -> None:
        """SIGTERM (gunicorn's graceful stop), and wait for it."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def server_cpu(master: int) -> float:
    """CPU seconds used so far by gunicorn: the master, its live workers, and the workers it
    has reaped (a restarted worker's time moves into the master's children's time)."""
    tick = os.sysconf("SC_CLK_TCK")

    def times(pid: int, reaped: bool) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0  # a worker that has just exited: counted once the master reaps it
        return sum(int(x) for x in fields[11 : 15 if reaped else 13])  # utime stime (cutime cstime)

    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return (times(master, True) + sum(times(int(pid), False) for pid in children)) / tick


def connections_per_worker(master: int, port: int) -> list[int]:
    """How many open connections each gunicorn worker holds (by `ss`), most first: kept-alive
    connections stay with the worker that accepted them."""
    try:
        listing = subprocess.run(
            ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    held = Counter(re.findall(r"pid=(\d+)", listing))
    return sorted((held.get(pid, 0) for pid in workers), reverse=True)


def restarts_so_far(log: Path) -> int:
    """Workers gunicorn has restarted after max_requests, by its log."""
    with log.open("rb") as lines:
        return sum(b"Autorestarting worker" in line for line in lines if not line.startswith(b"{"))


def server_times(log: Path) -> tuple[dict[str, dict[str, list[float]]], int, int]:
    """From the app's log: the server's own milliseconds per phase and kind (by the request id
    the client sent), and how many workers gunicorn booted and restarted."""
    times: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    booted = restarted = 0
    with log.open(errors="replace") as lines:
        for line in lines:
            if line.startswith("{"):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                phase, _, rest = str(entry.get("request_id") or "").partition(".")
                kind = rest.partition(".")[0]
                if kind and entry.get("duration_ms") is not None:
                    times[phase][kind].append(entry["duration_ms"])
            elif "Booting worker" in line:
                booted += 1
            elif "Autorestarting worker" in line:
                restarted += 1
    return times, booted, restarted
