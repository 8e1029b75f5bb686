"""gunicorn's settings in production: `gunicorn -c deploy/gunicorn.conf.py app:app` (the Dockerfile's
command; docs/deploy.md). Each setting can be overridden on the command line.

Sizing: every worker process holds its own database pool (SAMASCHOOL_DB_POOL_SIZE +
SAMASCHOOL_DB_MAX_OVERFLOW connections at most), so workers x instances sets the PostgreSQL
connections this needs (docs/deploy.md works the sum). Threads let one worker wait on the
database for several requests at once; nginx buffers whole request bodies and responses, so a
slow phone never holds a thread.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 60  # a request running longer than this is killed (the worker is restarted)
graceful_timeout = 30  # on SIGTERM (a deploy), requests in flight get this long to finish
keepalive = 5  # nginx keeps connections to the upstream open (deploy/nginx.conf: keepalive)
max_requests = 5000  # a worker is replaced after this many requests, slowly leaking memory or not
max_requests_jitter = 500
preload_app = False  # each worker makes its own app, database pool and Redis connections

# One access line per request on stdout, with the request id that nginx made (X-Request-ID) and
# the app sent back, so a line in nginx's log, gunicorn's and the app's (samaschool/logs.py) can
# be matched, and so can the "Reference" a learner reads on an error page. On the command line:
#   gunicorn --access-logfile - --access-logformat '%(h)s "%(r)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s' app:app
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'
if os.environ.get("SAMASCHOOL_LOG_FORMAT", "").strip().lower() == "json":
    # The same as a JSON object per line, beside the app's JSON lines (gunicorn escapes double quotes).
    access_log_format = (
        '{"logger": "gunicorn.access", "time": "%(t)s", "request_id": "%({x-request-id}o)s", '
        '"method": "%(m)s", "path": "%(U)s", "status": %(s)s, "bytes": "%(b)s", "ms": %(M)s, '
        '"remote_addr": "%(h)s", "user_agent": "%(a)s"}'
    )
