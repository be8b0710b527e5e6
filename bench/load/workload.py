"""What the users do: the mixes of requests, the users and their assessments from the demo
data, and the four phases."""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

import psycopg

from bench.load import Unmeasurable
from bench.load.client import CSRF_INPUT, VALUE, Target, User, area_versions
from bench.load.measure import Stats, machine_jiffies
from bench.load.server import Server, connections_per_worker, restarts_so_far, server_cpu
from toolkit.core import instrument

CITY_MIX = {"overview": 15, "area": 35, "autosave": 30, "results": 12, "pdf": 8}
NETWORK_MIX = {"dashboard": 30, "overview": 20, "area": 20, "results": 20, "pdf": 10}
NETWORK_SHARE = 5  # one user in five is network staff
KINDS = ("overview", "area", "autosave", "results", "pdf", "dashboard")


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


async def load(people: list[User], work: Workload, server: Server, args) -> dict[str, Stats]:
    """The four phases, each on a server started for it and warmed up first."""
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
