"""gunicorn settings for the toolkit (`toolkit serve` loads this module; see DEPLOY.md).

Each value can be set by an environment variable; the defaults suit one app host behind a
reverse proxy. Threads let a worker keep serving while a slow connection uploads or downloads.
"""

import multiprocessing
import os

wsgi_app = "toolkit:serving_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9)))
worker_class = "gthread"
# Two threads per worker: more contend for Python's lock and cost CPU per page (bench/load/).
threads = int(os.environ.get("GUNICORN_THREADS", 2))
# A report PDF rendered on request takes a few seconds; longer work goes to background jobs.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then, so that a slow leak never grows into an outage (rarely: a new
# worker's first pages are slow).
max_requests = 20_000
max_requests_jitter = 2_000
# The reverse proxy's X-Forwarded-Proto is trusted from these addresses only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app logs every request as JSON (toolkit/core/logs.py); gunicorn logs only its own events.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# gunicorn's control socket is one file per user (~/.gunicorn/gunicorn.ctl): two servers on one
# host would take it from each other, and nothing of ours uses it.
control_socket_disable = True
