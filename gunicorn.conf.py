"""Gunicorn settings for Build Atom; every value can be overridden by env.

Training runs inline in the worker that receives the request, so the worker
count and timeouts are sized for CPU-bound requests that last seconds to
minutes, next to read requests that last milliseconds.
"""

import multiprocessing
import os
import tempfile
from pathlib import Path

# Where to listen. The container sets 0.0.0.0:8000; locally loopback only.
bind = os.environ.get("BUILDATOM_BIND", "127.0.0.1:8000")

# One worker per core plus one, so a training that occupies a core still
# leaves a worker free for reads. Threads let a worker overlap the I/O waits
# of reads (MongoDB and MinIO round trips) without another process.
workers = int(os.environ.get("BUILDATOM_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("BUILDATOM_THREADS", "4"))

# The longest allowed training must finish inside `timeout`; a worker silent
# for longer is killed and its run is later marked failed. `graceful_timeout`
# lets a running training finish on reload or shutdown.
timeout = int(os.environ.get("BUILDATOM_WORKER_TIMEOUT", "300"))
graceful_timeout = int(os.environ.get("BUILDATOM_GRACEFUL_TIMEOUT", "120"))
keepalive = 5

# Recycle workers now and then so slow memory growth (pandas, numpy arenas)
# cannot accumulate; the jitter keeps workers from restarting together. A new
# worker needs a few seconds to import pandas and scikit-learn, so recycling
# is kept rare: under a read load of ~500 requests/s, once in ~20 s per worker.
max_requests = 10000
max_requests_jitter = 2000

# Reject oversized request lines and headers before Flask sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# The app is imported in each worker after the fork (no preload), so every
# worker creates its own MongoDB and S3 clients.
preload_app = False


def on_starting(server: object) -> None:
    """Share one set of training slots among this master's workers.

    Workers inherit the variable at fork; another gunicorn on the same machine
    (another instance) gets its own set.
    """
    directory = Path(tempfile.gettempdir()) / f"buildatom-slots-{os.getuid()}"
    os.environ.setdefault("BUILDATOM_TRAINING_SLOT_DIR", f"{directory}-{os.getpid()}")


accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("BUILDATOM_GUNICORN_LOG_LEVEL", "info")
