"""Load: simulated users signed in through the real sign-in form, against gunicorn on PostgreSQL,
with the app's own minimal route (GET /healthz) as the floor, measured in the same run.

The server is the product's: `toolkit serve` (gunicorn with the repo's gunicorn.conf.py; workers
and threads from --workers/--threads through WEB_CONCURRENCY/GUNICORN_THREADS) on a fresh
PostgreSQL database made for the run (`toolkit db upgrade`, `toolkit demo`) and dropped after it;
REDIS_URL set as in a deployment; the sign-in rate limit off (every user signs in from one
address) and session cookies not Secure (plain http). Its output (gunicorn's events and the
app's JSON line per request) goes to a file, printed at the start and kept.

Each simulated user is one browser session with its own cookies, signed in by GET /auth/login
(the form's CSRF token) and POST of email, password and token. By default each request comes on
a new connection with "Connection: close", as the nginx of DEPLOY.md proxies (HTTP/1.0, no
upstream keepalive); --keep-alive gives each user one kept-alive connection instead, which
gunicorn's gthread workers keep with whichever worker accepted it (the run prints how many each
holds: often nearly all on one worker, and so on one core). City users (four in five) are the
leads and editors of the demo cities that have an editable assessment (draft or returned) and
an approved asus-quick one; network users are network staff. In the mix, between two requests a
user waits the think time (--think, mean of an exponential, default 1000 ms: people read a page
before the next; --think 0 makes them load the server as hard as they can, and then the
latency is the queue's: 50 users over the requests/s the server manages). The mix, by weight:
- city: overview of the editable assessment 15, one of its area pages 35, autosave of a level
  question of the area last seen, with the version that page showed and the page's CSRF token
  in X-CSRFToken 30 (a 409, when another user saved that question since, is a valid outcome:
  the user takes `theirs.version`), its results 12, the stored PDF of the city's approved
  asus-quick assessment 8;
- network: dashboard (/network/) 30, overview 20, area page 20, results 20 (any assessment of
  those cities), a stored PDF 10.
Every PDF is rendered once before the timed phases, so downloads come from the store.

Four phases, all users at once, each on a server started for it and warmed up (every kind of
request of the phase, untimed) so that no phase pays for the one before:
1. floor: GET /healthz without cookies (as a load balancer asks it) -> requests/s. Its server
   runs without max_requests: at this rate its workers would restart every few seconds, and
   loading the app in a new process is no cost of the route;
2. signed-in floor: GET /jobs/ (the user's downloads: the session's user loaded, one small
   query, a short page) -> requests/s: what any page of a signed-in person can reach at most;
3. area pages only (city users: their editable assessment's; network users: any) -> requests/s
   and its ratio to both floors (the target is to the first);
4. the mix for --seconds -> count, errors, p50/p95/p99 per kind and overall, requests/s.
An error is an unexpected status (pages and PDFs: 200; autosave: 200 or 409; so a redirect to
the sign-in page is one) or a failed connection. A kept-alive connection that the server closed
while idle is opened again and the request sent again, as browsers do (counted, not an error).
Each request carries an X-Request-ID naming its phase and kind, so the app's log gives its own
time per kind (without gunicorn's queue) beside what the users saw. Per phase the run prints
the CPU time of gunicorn's processes and of the client (one asyncio event loop) per request,
and how busy the machine was: work of other processes on the machine lowers every figure.

Targets (issue 8): 0 errors; p95 of the mix at most 150 ms; area pages at least 0.35x the
floor's requests/s. The verdicts are printed; the exit status is 0 unless the run could not
measure (server not starting, sign-in failing).
Run: .venv/bin/python bench/load.py [--seconds 60] [--users 50] [--think MS] [--keep-alive]
     [--workers 4] [--threads 2] [--gunicorn-args ARGS] [--phase-seconds 10]
     [--postgres URL] [--redis URL] [--server-log PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from databases import postgres_database

from toolkit.cli.demo import demo_data
from toolkit.core import instrument

HOST = "127.0.0.1"
TARGET_P95_MS = 150
TARGET_AREA_RATIO = 0.35
CITY_MIX = {"overview": 15, "area": 35, "autosave": 30, "results": 12, "pdf": 8}
NETWORK_MIX = {"dashboard": 30, "overview": 20, "area": 20, "results": 20, "pdf": 10}
NETWORK_SHARE = 5  # one user in five is network staff
KINDS = ("overview", "area", "autosave", "results", "pdf", "dashboard")
TOOLKIT = Path(sys.executable).parent / "toolkit"

CSRF_INPUT = re.compile(rb'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(rb'value="([^"]*)"')
VERSION_INPUT = re.compile(rb'<input[^>]*name="([a-z0-9_]+)__version"[^>]*>')


class Unmeasurable(RuntimeError):
    """The run cannot measure: the server did not start, or signing in failed."""


# --- HTTP/1.1, one connection per user at a time ---------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: bytes


class IdleClosed(ConnectionError):
    """A reused connection was closed by the server before any byte of the response."""


class Connection:
    """A user's connection: requests in turn, no pipelining; kept alive while the server lets
    it (a request that says "Connection: close" gets a new one next time)."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reconnects = 0

    async def request(self, head: bytes, body: bytes) -> Response:
        for _ in range(3):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            try:
                return await self._exchange(head, body, reused)
            except IdleClosed:
                self.close()
                self.reconnects += 1
            except BaseException:
                self.close()
                raise
        raise ConnectionError("the server closed three connections in a row")

    async def _exchange(self, head: bytes, body: bytes, reused: bool) -> Response:
        self.writer.write(head + body)
        try:
            await self.writer.drain()
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            if reused and not error.partial:
                raise IdleClosed from None
            raise ConnectionError("connection closed in the middle of a response") from None
        except ConnectionResetError:
            if reused:
                raise IdleClosed from None
            raise
        lines = raw[:-4].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers, cookies = {}, []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookies.append(value)
            else:
                headers[name] = value
        if status in (204, 304) or status < 200:
            data = b""
        elif "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = await self._chunked()
        else:
            data = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Response(status, headers, cookies, data)

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers are sent
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# --- measurements -----------------------------------------------------------------------------


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


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


# --- the simulated users ----------------------------------------------------------------------


@dataclass
class Target:
    """An assessment users see: its id, its areas, and the level questions of each area with
    their values as the form sends them."""

    id: int
    questionnaire: str
    areas: tuple[str, ...]
    levels: dict[str, list[tuple[str, tuple[str, ...]]]]  # area -> [(question id, values)]


@dataclass
class User:
    number: int
    email: str
    network: bool
    mine: Target | None  # the editable assessment of a city user
    pdf: int | None  # the approved asus-quick assessment whose PDF a city user downloads
    port: int
    rng: random.Random
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    seen_area: tuple[Target, str] | None = None
    versions: dict[str, str] = field(default_factory=dict)  # as the last area page showed
    connection: Connection = field(init=False)
    # False: "Connection: close" on every request, a new connection each time, as the nginx of
    # DEPLOY.md proxies (HTTP/1.0, no upstream keepalive); True: one kept-alive connection.
    keep_alive = False

    def __post_init__(self):
        self.connection = Connection(self.port)

    async def send(
        self,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        headers: dict | None = None,
        cookies: bool = True,
        request_id: str = "",
    ) -> Response:
        body = urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if not self.keep_alive:
            lines.append("Connection: close")
        if cookies and self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if request_id:
            lines.append(f"X-Request-ID: {request_id}")
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if form is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
            lines.append(f"Content-Length: {len(body)}")
        response = await self.connection.request(
            ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), body
        )
        for cookie in response.cookies:
            name, _, rest = cookie.partition("=")
            value, _, attributes = rest.partition(";")
            expired = "max-age=0" in attributes.lower() or "1970" in attributes
            if expired or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    async def sign_in(self) -> None:
        page = await self.send("GET", "/auth/login")
        token = csrf_token(page.body)
        form = {"email": self.email, "password": demo_data().password, "csrf_token": token}
        response = await self.send("POST", "/auth/login", form=form)
        if response.status != 302 or "/auth/login" in response.headers.get("location", ""):
            raise Unmeasurable(f"{self.email} could not sign in: {response.status}")


def csrf_token(page: bytes) -> str:
    found = CSRF_INPUT.search(page)
    if found is None:
        raise Unmeasurable("no CSRF token in the page")
    return VALUE.search(found.group(0)).group(1).decode()


class Workload:
    """The requests of each kind, the checks of their responses, and the phases."""

    def __init__(self, targets: dict[int, Target], pdfs: list[int], log: Path):
        self.targets = targets
        self.log = log
        self.server_pid = 0
        self.all_ids = list(targets)
        self.pdfs = pdfs
        self.think = 0.0
        self.serial = 0

    def request_id(self, phase: str, kind: str) -> str:
        self.serial += 1
        return f"{phase}.{kind}.{self.serial}"

    def _viewed(self, user: User) -> Target:
        return user.mine if user.mine else self.targets[user.rng.choice(self.all_ids)]

    async def step(self, user: User, kind: str, phase: str, stats: Stats) -> None:
        """One request of `kind` by `user`, timed and checked."""
        rng, rid = user.rng, self.request_id(phase, kind)
        expected: tuple[int, ...] = (200,)
        target = None
        start = time.perf_counter()
        try:
            if kind == "healthz":
                response = await user.send("GET", "/healthz", cookies=False, request_id=rid)
            elif kind == "downloads":
                response = await user.send("GET", "/jobs/", request_id=rid)
            elif kind == "dashboard":
                response = await user.send("GET", "/network/", request_id=rid)
            elif kind in ("overview", "results"):
                suffix = "/results" if kind == "results" else ""
                path = f"/assessments/{self._viewed(user).id}{suffix}"
                response = await user.send("GET", path, request_id=rid)
            elif kind == "area":
                target = self._viewed(user)
                area = rng.choice(target.areas)
                path = f"/assessments/{target.id}/areas/{area}"
                response = await user.send("GET", path, request_id=rid)
            elif kind == "pdf":
                assessment = user.pdf or rng.choice(self.pdfs)
                path = f"/assessments/{assessment}/report.pdf"
                response = await user.send("GET", path, request_id=rid)
            elif kind == "autosave":
                expected = (200, 409)
                target, area = user.seen_area
                question, values = rng.choice(target.levels[area])
                response = await user.send(
                    "POST",
                    f"/assessments/{target.id}/questions/{question}",
                    form={
                        f"{question}__value": rng.choice(values),
                        f"{question}__comment": "",
                        f"{question}__evidence": "",
                        f"{question}__version": user.versions.get(question, "0"),
                    },
                    headers={"X-CSRFToken": user.csrf, "Accept": "application/json"},
                    request_id=rid,
                )
            else:
                raise ValueError(kind)
        except (OSError, asyncio.IncompleteReadError) as error:
            stats.add(kind, (time.perf_counter() - start) * 1e3)
            stats.error(kind, f"{type(error).__name__}: {error}")
            return
        stats.add(kind, (time.perf_counter() - start) * 1e3)
        if response.status not in expected:
            where = response.headers.get("location", "")
            stats.error(kind, f"{response.status} {where}".strip())
            return
        if kind == "pdf" and not response.body.startswith(b"%PDF"):
            stats.error(kind, "not a PDF")
        elif kind == "area" and user.mine is target:
            # The browser's state: the page holds each answer's version and the CSRF token.
            token = CSRF_INPUT.search(response.body)
            if token is None:
                stats.error(kind, "no CSRF token in the page")
                return
            user.csrf = VALUE.search(token.group(0)).group(1).decode()
            user.seen_area = (target, area)
            user.versions.update(area_versions(response.body))
        elif kind == "autosave":
            try:
                data = json.loads(response.body)
            except ValueError:
                stats.error(kind, f"{response.status} without JSON")
                return
            if response.status == 409:
                stats.outcomes["conflict (409)"] += 1
                user.versions[question] = str(data["theirs"]["version"])
            else:
                stats.outcomes[data["status"]] += 1
                user.versions[question] = str(data["version"])

    def next_kind(self, user: User) -> str:
        mix = NETWORK_MIX if user.network else CITY_MIX
        kind = user.rng.choices(list(mix), weights=list(mix.values()))[0]
        if kind == "autosave" and user.seen_area is None:
            return "area"  # a user answers on an area page they have open
        return kind

    async def phase(self, users: list[User], seconds: float, name: str, pick) -> Stats:
        """All users at once, each request after the previous one (and the think time)."""
        stats = Stats()
        reconnects = sum(u.connection.reconnects for u in users)
        restarts = restarts_so_far(self.log)
        server0 = server_cpu(self.server_pid)
        busy0, total0 = machine_jiffies()
        cpu0 = time.process_time()
        start = time.perf_counter()
        deadline = start + seconds

        async def run(user: User) -> None:
            while time.perf_counter() < deadline:
                await self.step(user, pick(user), name, stats)
                if self.think:
                    pause = user.rng.expovariate(1 / self.think)
                    await asyncio.sleep(max(min(pause, deadline - time.perf_counter()), 0))

        await asyncio.gather(*(run(u) for u in users))
        stats.elapsed = time.perf_counter() - start
        stats.client_cpu = time.process_time() - cpu0
        busy1, total1 = machine_jiffies()
        stats.machine_busy = (busy1 - busy0) / max(total1 - total0, 1)
        stats.reconnects = sum(u.connection.reconnects for u in users) - reconnects
        stats.server_cpu = server_cpu(self.server_pid) - server0
        stats.restarts = restarts_so_far(self.log) - restarts
        return stats


def area_versions(page: bytes) -> dict[str, str]:
    versions = {}
    for found in VERSION_INPUT.finditer(page):
        value = VALUE.search(found.group(0))
        versions[found.group(1).decode()] = value.group(1).decode() if value else "0"
    return versions


# --- the database, the users, the server --------------------------------------------------------


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


def plan(url: str, users: int, port: int, seed: int, log: Path) -> tuple[list[User], Workload]:
    """The simulated users and what they work on, from the demo data in the database."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT a.id, c.slug, a.questionnaire_id, a.questionnaire_version, a.cycle, a.status"
            " FROM assessment a JOIN city c ON c.id = a.city_id ORDER BY c.slug, a.cycle, a.id"
        ).fetchall()
    editable, approved_quick = {}, {}
    for assessment_id, slug, questionnaire, _version, _cycle, status in rows:
        if status in ("draft", "returned"):
            editable.setdefault(slug, assessment_id)
        if status == "approved" and questionnaire == "asus-quick":
            approved_quick[slug] = assessment_id  # the latest cycle, as rows come by cycle
    cities = sorted(set(editable) & set(approved_quick))
    if not cities:
        raise Unmeasurable("the demo has no city with an editable and an approved assessment")
    targets = {}
    for assessment_id, slug, questionnaire_id, version, _cycle, _status in rows:
        if slug not in cities:
            continue
        questionnaire = instrument.questionnaire(questionnaire_id, version)
        levels = {
            area.id: [
                (q.id, tuple(str(level.number) for level in q.levels))
                for q in area.questions()
                if q.type == "level"
            ]
            for area in questionnaire.areas
        }
        areas = tuple(a for a, questions in levels.items() if questions)
        targets[assessment_id] = Target(assessment_id, questionnaire_id, areas, levels)
    logins = [
        (f"{role}.{slug}@example.org", slug) for slug in cities for role in ("lead", "editor")
    ]
    rng = random.Random(seed)
    people = []
    for number in range(users):
        network = number % NETWORK_SHARE == NETWORK_SHARE - 1
        seeded = random.Random(rng.random())
        if network:
            people.append(User(number, "network@example.org", True, None, None, port, seeded))
        else:
            email, slug = logins[(number - number // NETWORK_SHARE) % len(logins)]
            mine, pdf = targets[editable[slug]], approved_quick[slug]
            people.append(User(number, email, False, mine, pdf, port, seeded))
    pdfs = [approved_quick[slug] for slug in cities]
    return people, Workload(targets, pdfs, log)


def busy_before(seconds: float = 2.0) -> float:
    """How busy the machine's cores are before the run (other work skews every figure)."""
    busy0, total0 = machine_jiffies()
    time.sleep(seconds)
    busy1, total1 = machine_jiffies()
    return (busy1 - busy0) / max(total1 - total0, 1)


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


# --- the run --------------------------------------------------------------------------------------


async def load(people: list[User], work: Workload, server: Server, args) -> dict[str, Stats]:
    """The three phases, each on a server started for it and warmed up first."""
    phases = (
        # The floor without max_requests: at its rate the workers would restart every few
        # seconds, and a restart (a new process loading the app) is no cost of the route.
        ("floor", args.phase_seconds, lambda u: "healthz", "--max-requests 0"),
        ("page", args.phase_seconds, lambda u: "downloads", ""),
        ("area", args.phase_seconds, lambda u: "area", ""),
        ("mix", args.seconds, work.next_kind, ""),
    )
    results = {}
    for name, seconds, pick, extra in phases:
        work.server_pid = server.start(extra)
        try:
            if name == "floor":
                await sign_in(people, work)
            await warm_up(people, work, WARM_UP[name])
            spread = connections_per_worker(work.server_pid, server.port)
            work.think = args.think / 1000 if name == "mix" else 0.0
            results[name] = await work.phase(people, seconds, name, pick)
            results[name].spread = spread if User.keep_alive else []
            work.think = 0.0
        finally:
            for user in people:
                user.connection.close()
            server.stop()
    return results


# Untimed requests on each phase's new server, so that its workers have loaded the
# questionnaires and compiled the templates before the clock starts.
WARM_UP = {
    "floor": ("healthz",) * 5,
    "page": ("downloads",) * 3,
    "area": ("area",) * 3,
    "mix": ("area", "overview", "results", "dashboard", "pdf", "autosave") * 2,
}


async def sign_in(people: list[User], work: Workload) -> None:
    """Every user signs in; every PDF is rendered and stored, as network staff downloads it,
    so that the phases download stored PDFs."""
    await asyncio.gather(*(u.sign_in() for u in people))
    staff = User(-1, "network@example.org", True, None, None, people[0].port, random.Random(0))
    await staff.sign_in()
    rendered = Stats()
    for assessment in work.pdfs:
        staff.pdf = assessment
        await work.step(staff, "pdf", "warm", rendered)
    staff.connection.close()
    if rendered.errors:
        raise Unmeasurable("rendering the PDFs failed: " + "; ".join(rendered.error_samples))
    print(f"  {len(people)} users signed in through the sign-in form; {len(work.pdfs)} PDFs stored")


async def warm_up(people: list[User], work: Workload, kinds: tuple[str, ...]) -> None:
    warm = Stats()
    for kind in kinds:
        await asyncio.gather(
            *(
                work.step(u, kind, "warm", warm)
                for u in people
                if (kind != "dashboard" or u.network) and (kind != "autosave" or not u.network)
            )
        )
    if warm.errors:
        raise Unmeasurable("warming up failed: " + "; ".join(warm.error_samples))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def cost(stats: Stats) -> str:
    n = max(stats.count(), 1)
    return (
        f"  CPU: server (gunicorn) {stats.server_cpu / n * 1e3:.2f} ms a request, "
        f"{stats.server_cpu / stats.elapsed:.0%} of one core; client "
        f"{stats.client_cpu / n * 1e3:.2f} ms a request, "
        f"{stats.client_cpu / stats.elapsed:.0%} of one core; machine "
        f"{stats.machine_busy:.0%} busy\n"
        f"  gunicorn: {stats.restarts} worker restarts (max_requests); "
        f"{stats.reconnects} idle connections closed and opened again"
        + (f"; kept-alive connections per worker: {stats.spread}" if stats.spread else "")
    )


def row(label: str, values: list[float], rate: float, errors: int, server: list[float]) -> str:
    p50, p95, p99 = percentiles(values)
    s50, s95, _ = percentiles(server) if server else (float("nan"),) * 3
    return (
        f"  {label:<10} {len(values):>7} {rate:>7.1f} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f}"
        f" {max(values, default=0):>7.1f} {errors:>6} {s50:>9.1f} {s95:>9.1f}"
    )


def report(results: dict[str, Stats], server: dict, booted: int, restarted: int, args) -> None:
    floor, page, area, mix = (results[name] for name in ("floor", "page", "area", "mix"))
    think = f"exponential, mean {args.think:g} ms" if args.think else "none"
    print(f"\n{args.users} users; think time in the mix: {think}. Milliseconds as the users saw")
    print("them, and the app's own time (its log, without gunicorn's queue) as server p50/p95.")
    header = (
        f"  {'kind':<10} {'count':>7} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7}"
        f" {'max':>7} {'errors':>6} {'server50':>9} {'server95':>9}"
    )
    for number, (name, stats, title) in enumerate(
        (
            ("floor", floor, "floor: GET /healthz, no cookies"),
            ("page", page, "signed-in floor: GET /jobs/ (the user, one query, a small page)"),
            ("area", area, "area pages only"),
        ),
        start=1,
    ):
        print(f"\nPhase {number}, {title}, {stats.elapsed:.1f} s:\n{cost(stats)}")
        print(header)
        for kind, values in stats.times.items():
            print(row(kind, values, stats.rate(kind), stats.errors[kind], server[name][kind]))
    ratio = area.rate() / floor.rate()
    by_cpu = (floor.server_cpu / floor.count()) / (area.server_cpu / area.count())
    print(
        f"  area pages / floor: {ratio:.2f}x in requests/s; {by_cpu:.2f}x in gunicorn's CPU per"
        " request (about the ratio on cores left to the server alone)"
    )
    signed_in = area.rate() / page.rate()
    print(
        f"  area pages / signed-in floor: {signed_in:.2f}x; signed-in floor / floor:"
        f" {page.rate() / floor.rate():.2f}x (what any signed-in page can reach)"
    )

    print(f"\nPhase 4, the mix, {mix.elapsed:.1f} s:\n{cost(mix)}")
    print(header)
    for kind in KINDS:
        if mix.times[kind]:
            values = mix.times[kind]
            print(row(kind, values, mix.rate(kind), mix.errors[kind], server["mix"][kind]))
    everything = [t for values in server["mix"].values() for t in values]
    print(row("all", mix.everything(), mix.rate(), sum(mix.errors.values()), everything))
    print("  autosaves: " + ", ".join(f"{k} {v}" for k, v in sorted(mix.outcomes.items())))
    print(f"  gunicorn: {booted} workers booted in the whole run, {restarted} of them restarts")
    errors = sum(s for stats in results.values() for s in stats.errors.values())
    for stats in results.values():
        for sample in stats.error_samples:
            print(f"  error: {sample}")

    p95 = percentiles(mix.everything())[1]
    print("\nTargets (issue 8):")
    print(f"  errors: {errors} (target 0): {verdict(errors == 0)}")
    print(
        f"  p95 of the mix: {p95:.1f} ms (target <= {TARGET_P95_MS} ms):"
        f" {verdict(p95 <= TARGET_P95_MS)}"
    )
    print(
        f"  area pages: {area.rate():.1f} req/s = {ratio:.2f}x the floor's {floor.rate():.1f}"
        f" (target >= {TARGET_AREA_RATIO}x): {verdict(ratio >= TARGET_AREA_RATIO)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="the mixed phase")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--phase-seconds", type=float, default=10, help="floor and area phases")
    parser.add_argument("--think", type=float, default=1000, help="mean think time, ms")
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="one kept-alive connection per user (default: a new one per request, as nginx)",
    )
    parser.add_argument("--workers", type=int, default=4, help="WEB_CONCURRENCY")
    parser.add_argument("--threads", type=int, default=2, help="GUNICORN_THREADS")
    parser.add_argument("--gunicorn-args", default="", help="GUNICORN_CMD_ARGS, to try settings")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="'' for none")
    parser.add_argument("--server-log", type=Path)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    log = args.server_log or Path(tempfile.gettempdir()) / f"toolkit-load-{os.getpid()}.log"
    port = free_port()
    idle = busy_before()
    print(f"Machine: {os.cpu_count()} cores, {idle:.0%} busy before the run", end="")
    print(" (other work is running: the figures will be low)" if idle > 0.1 else "")

    with postgres_database(args.postgres) as url:
        env = dict(os.environ, DATABASE_URL=url)
        env.pop("REDIS_URL", None)
        print(f"Database: {url.rsplit('/', 1)[-1]} (new, dropped at the end)")
        prepare(env)
        env.update(
            SECRET_KEY=secrets.token_hex(32),
            TOOLKIT_SESSION_COOKIE_SECURE="false",
            TOOLKIT_REMEMBER_COOKIE_SECURE="false",
            TOOLKIT_RATELIMIT_ENABLED="false",
            BIND=f"{HOST}:{port}",
            WEB_CONCURRENCY=str(args.workers),
            GUNICORN_THREADS=str(args.threads),
        )
        if args.redis:
            env["REDIS_URL"] = args.redis
        if args.gunicorn_args:
            env["GUNICORN_CMD_ARGS"] = args.gunicorn_args
        people, work = plan(url, args.users, port, args.seed, log)
        User.keep_alive = args.keep_alive
        extra = f", GUNICORN_CMD_ARGS={args.gunicorn_args!r}" if args.gunicorn_args else ""
        print(
            f"Server: toolkit serve on {HOST}:{port}, WEB_CONCURRENCY={args.workers}, "
            f"GUNICORN_THREADS={args.threads}{extra}, started anew for each phase; "
            f"its output: {log}"
        )
        log.write_bytes(b"")
        results = asyncio.run(load(people, work, Server(env, log, port), args))
    server, booted, restarted = server_times(log)
    report(results, server, booted, restarted, args)


if __name__ == "__main__":
    try:
        main()
    except Unmeasurable as error:
        sys.exit(f"load: cannot measure: {error}")
