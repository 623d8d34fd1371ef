"""gunicorn settings, read from the environment (see .env.example and docs/operations.md)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# An admin upload of a large file is stored inside its request (the check and the import run
# in the worker); a slow client's upload may take a while.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Load Django once in the master: a recycled worker is then a fork, not a fresh import of the
# whole project (about a second of CPU on two cores, during which requests queue behind it).
# Safe because nothing opens a database connection at import time.
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Path without the query string: searches and filters may carry customer names or codes.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
