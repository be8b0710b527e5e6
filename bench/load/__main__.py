"""Load: simulated users signed in through the real sign-in form, against gunicorn on PostgreSQL,
with the app's own minimal route (GET /healthz) as the floor, measured in the same run.

The server is the product's: `toolkit serve` (gunicorn with toolkit/cli/gunicorn_settings.py;
workers and threads from --workers/--threads through WEB_CONCURRENCY/GUNICORN_THREADS) on a fresh
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
Run, from the repository's root:
     .venv/bin/python -m bench.load [--seconds 60] [--users 50] [--think MS] [--keep-alive]
     [--workers 4] [--threads 2] [--gunicorn-args ARGS] [--phase-seconds 10]
     [--postgres URL] [--redis URL] [--server-log PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
from pathlib import Path

from bench.databases import postgres_database
from bench.load import Unmeasurable
from bench.load.client import HOST, User
from bench.load.measure import busy_before
from bench.load.report import report
from bench.load.server import Server, free_port, prepare, server_times
from bench.load.workload import load, plan


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.splitlines()[0]
    )
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
