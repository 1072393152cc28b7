"""gunicorn settings for production (`make serve-prod`, or `gunicorn -c gunicorn.conf.py app:server`).

Workers are stateless: sessions are signed cookies (every worker needs the same
SECRET_KEY, which production refuses to start without), the cache is Redis when
REDIS_URL is set, metrics are summed across workers through PROMETHEUS_MULTIPROC_DIR.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

import settings
from serving.configuration import check_configuration

check_configuration()
bind = f"{settings.get('HOST')}:{settings.get('PORT')}"
workers = int(settings.get("WEB_WORKERS") or 2 * multiprocessing.cpu_count() + 1)
threads = settings.get_int("WEB_THREADS")
worker_class = "gthread" if threads > 1 else "sync"
timeout = settings.get_int("WEB_TIMEOUT")
graceful_timeout = 30
keepalive = 5
preload_app = True              # import the app once, share its memory, fail before forking if misconfigured
max_requests = 20000            # recycle workers now and then: bounds any slow growth of memory
max_requests_jitter = 2000
accesslog = None                # the app writes one JSON line per request (logger ioc.request) instead
errorlog = "-"


# prometheus_client in multi-process mode: each worker writes its counts to files here and
# /metrics sums them. Set before the app (and prometheus_client) is imported.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="ioc-metrics-")
else:
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()  # counts of a previous run

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(message)s"},
        "plain": {"format": "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"},
    },
    "handlers": {
        "requests": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "line"},
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"},
    },
    "loggers": {"ioc.request": {"level": "INFO", "handlers": ["requests"], "propagate": False}},
    "root": {"level": "WARNING", "handlers": ["console"]},
}


def post_fork(_server, _worker):
    """Connections must not be shared across processes: each worker opens its own. Its job launcher
    is forked now, while the worker has one thread (components/jobs.py)."""
    from components import jobs
    from data_access import db

    db.forget_engines_after_fork()
    jobs.start_launcher()


def post_worker_init(worker):
    """Before a worker takes requests: Dash's set-up finished by a request of its own, and the map's
    layers kept warm, so no visitor builds them (serving/warmup.py)."""
    from serving.warmup import finish_dash_setup, start_keep_warm

    finish_dash_setup(worker.wsgi)
    start_keep_warm()


def child_exit(_server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(_server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
