"""Background jobs on a queue (Huey): outgoing email, and the periodic work.

**The queue.** Each app has one Huey instance, built from its config on first use and kept in
`app.extensions["huey"]`: `RedisHuey` on SAMASCHOOL_REDIS_URL when that is set (several app
servers and workers share it), else `SqliteHuey` in the file SAMASCHOOL_JOBS_PATH (one machine;
queued jobs survive a restart). `flask --app app jobs worker` consumes it: worker threads run the
jobs, and a scheduler enqueues the periodic ones on their schedule. `make run` starts one beside
gunicorn. With SAMASCHOOL_REDIS_URL set, every worker on every machine takes from the same queue.

**The API** (all the rest of the code needs):

- `enqueue(name, *args)`: put the job `name` (a key of JOBS) on the queue now.
- `after_commit(callback)`: call `callback()` once the current database transaction commits;
  it is dropped if the transaction rolls back. Enqueue from a request this way
  (`after_commit(lambda: enqueue("send_email", row_id))`) so that no worker ever sees a job
  before its rows exist. `mail.send_email()` and `mail.queue()` already do it for email.
- `run_periodic()`: every periodic job once, now (`flask --app app jobs run --once`, for cron or
  an operator); `PERIODIC` maps their summaries to the plain functions.
- `queue_status()`: what /admin/jobs shows.

A job runs inside an app context of the worker's app; it commits when it returns, rolls back when
it raises, and removes its session either way.

**Nothing is lost when a worker dies.** Huey takes a job off the queue before running it, so a
worker killed mid-job loses that job. The state that matters is therefore in the database (the
`mail_outbox` rows, claim leases, submissions, certificates, sessions), every job is idempotent,
and the periodic sweeps redo whatever a dead worker left: a claimed email is sent by the next
sweep after its claim lapses (mail.CLAIM_LEASE), an expired lease by the next lease sweep.

**The schedule** (UTC): every minute, queued email (a sweep of anything pending: each message is
also enqueued the moment it is queued, so a reset link arrives within seconds), lease expiry and
auto-approval; every hour, overdue certificate awards (minute 7), ending expired sessions (minute
17) and pruning job records older than 30 days (minute 37); every 5 minutes, long sounds still
waiting to be made (media.services) are queued again. Run one worker with the schedule
(`--no-periodic` on any others): two schedulers run each periodic job twice, which is harmless,
only wasted.

**Failures.** The email job retries with backoff (Huey's retries: 1, 2, 4 … minutes, 7 times,
matching the outbox's own schedule, mail.retry_delay); periodic jobs simply run again on their
next turn. Every failed attempt is recorded in `job_events` (job, attempt, error, when, next
retry) through Huey's error signal, and each periodic job's last run in the queue's own store;
admins see both, the queue length and the scheduled retries at /admin/jobs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import redis
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.signals import SIGNAL_ERROR
from sqlalchemy import Index, String, Text, delete, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from samaschool.db_types import UTCDateTime, one_of, utcnow
from samaschool.extensions import db

log = logging.getLogger(__name__)
jobs_cli = AppGroup("jobs", help="Background jobs: the queue's worker, and the periodic jobs run now.")

QUEUE_NAME = "samaschool"
KEEP_EVENTS = timedelta(days=30)
OUTCOMES = ("retrying", "failed")


class JobEvent(db.Model):
    """One failed attempt at a job: retried later (`next_retry_at`) or given up on."""

    __tablename__ = "job_events"
    __table_args__ = (one_of("outcome", OUTCOMES), Index("ix_job_events_occurred_at", "occurred_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    task_id: Mapped[str] = mapped_column(String(64), default="")
    attempt: Mapped[int] = mapped_column(default=1)
    outcome: Mapped[str] = mapped_column(String(10), default="failed")
    error: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def label(self):
        return _label(self.job)


# The jobs ----------------------------------------------------------------------------------


def _send_email(row_id: int) -> int:
    from samaschool.mail import send_now

    return int(send_now(row_id))


def _send_pending_email() -> int:
    from samaschool.mail import send_pending

    return send_pending()


def _expire_leases() -> int:
    from samaschool.pools import work

    return work.expire_leases()


def _auto_approve() -> int:
    from samaschool.pools import review

    return review.auto_approve_due()


def _award_due() -> int:
    from samaschool.certification.cli import award_due

    return award_due(active_days=2)


def _end_expired_sessions() -> int:
    from samaschool.auth.services import end_expired_sessions

    return end_expired_sessions()


def _transcode_media(key: str) -> int:
    from samaschool.media.services import transcode_waiting

    return transcode_waiting(key)


def _queue_waiting_media() -> int:
    from samaschool.media.services import queue_waiting_again

    return queue_waiting_again()


def _prune_job_events() -> int:
    result = db.session.execute(delete(JobEvent).where(JobEvent.occurred_at < utcnow() - KEEP_EVENTS))
    return result.rowcount or 0


@dataclass(frozen=True)
class Job:
    name: str  # the queue's name for it: enqueue(name, ...)
    label: object  # what /admin/jobs calls it (lazy gettext)
    function: Callable[..., int]
    schedule: Callable[[datetime], bool] | None = None  # a crontab for periodic jobs
    every: object = None  # the schedule, in words
    summary: str = ""  # `jobs run --once`: "3 emails sent"
    retries: int = 0
    retry_delay: int = 0  # seconds before the first retry
    retry_backoff: float = 0  # each later retry waits this many times longer


EVERY_MINUTE = _l("Every minute")
EVERY_HOUR = _l("Every hour")
JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        # 1 + 7 tries over about two hours, like the outbox's own retry_delay (MAX_ATTEMPTS = 8).
        Job("send_email", _l("Send an email"), _send_email, retries=7, retry_delay=60, retry_backoff=2),
        Job(
            "send_pending_email",
            _l("Send queued email"),
            _send_pending_email,
            crontab(),
            EVERY_MINUTE,
            "emails sent",
        ),
        Job("expire_leases", _l("Expire task claims"), _expire_leases, crontab(), EVERY_MINUTE, "expired leases"),
        Job(
            "auto_approve",
            _l("Approve due submissions"),
            _auto_approve,
            crontab(),
            EVERY_MINUTE,
            "auto-approved submissions",
        ),
        Job(
            "award_due",
            _l("Issue overdue certificates"),
            _award_due,
            crontab(minute="7"),
            EVERY_HOUR,
            "overdue certificates issued",
        ),
        Job(
            "end_expired_sessions",
            _l("Remove ended sessions"),
            _end_expired_sessions,
            crontab(minute="17"),
            EVERY_HOUR,
            "ended sessions removed",
        ),
        Job(
            "prune_job_events",
            _l("Remove job records older than 30 days"),
            _prune_job_events,
            crontab(minute="37"),
            EVERY_HOUR,
            "old job records removed",
        ),
        # A long sound uploaded in the studio (media.services.BACKGROUND_AUDIO_SECONDS): 1 + 3 tries
        # over 7 minutes; the sweep queues files still waiting again (media.services.REQUEUE_AFTER).
        Job(
            "transcode_media",
            _l("Prepare an uploaded sound"),
            _transcode_media,
            retries=3,
            retry_delay=60,
            retry_backoff=2,
        ),
        Job(
            "queue_waiting_media",
            _l("Queue sounds still waiting to be prepared"),
            _queue_waiting_media,
            crontab(minute="*/5"),
            _l("Every 5 minutes"),
            "waiting sound files queued again",
        ),
    )
}
PERIODIC: dict[str, Callable[[], int]] = {job.summary: job.function for job in JOBS.values() if job.schedule}


# The queue ---------------------------------------------------------------------------------

_build_lock = threading.Lock()


def huey_for(app: Flask) -> Huey:
    """The app's queue, built on first use from its config and kept in app.extensions."""
    huey = app.extensions.get("huey")
    if huey is None:
        with _build_lock:
            huey = app.extensions.get("huey")
            if huey is None:
                huey = app.extensions["huey"] = _build(app)
    return huey


def _build(app: Flask) -> Huey:
    if redis_url := app.config.get("SAMASCHOOL_REDIS_URL"):
        # A Redis that does not answer fails an enqueue in seconds, not a page (see after_commit).
        pool = redis.ConnectionPool.from_url(redis_url, socket_connect_timeout=5)
        huey = RedisHuey(QUEUE_NAME, connection_pool=pool, results=False)
    else:
        path = Path(app.config["SAMASCHOOL_JOBS_PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(QUEUE_NAME, filename=str(path), results=False, timeout=15)
    tasks = {}
    for job in JOBS.values():
        settings = {"name": job.name, "retries": job.retries, "retry_delay": job.retry_delay}
        settings["retry_backoff"] = job.retry_backoff
        decorate = huey.periodic_task(job.schedule, **settings) if job.schedule else huey.task(**settings)
        tasks[job.name] = decorate(_runner(app, huey, job))
    app.extensions["huey_tasks"] = tasks
    huey.signal(SIGNAL_ERROR)(lambda _signal, task, error: _record_failure(app, task, error))
    return huey


def _runner(app: Flask, huey: Huey, job: Job) -> Callable[..., int]:
    def run(*args):
        with app.app_context():
            return _run(huey, job, args)

    run.__module__ = __name__
    return run


def _run(huey: Huey, job: Job, args: tuple = ()) -> int:
    """Run one job in the current app context: commit on success, roll back on error, then
    remove the session. A periodic job's run is remembered for /admin/jobs."""
    started = utcnow()
    try:
        done = job.function(*args)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        if job.schedule:
            _remember_run(huey, job, started, error=_describe(error))
        raise
    finally:
        db.session.remove()
    if job.schedule:
        _remember_run(huey, job, started, done=done)
    return done


def _remember_run(huey: Huey, job: Job, started: datetime, *, done: int | None = None, error: str = "") -> None:
    run = {"started_at": started, "finished_at": utcnow(), "done": done, "error": error}
    try:
        huey.put(f"last-run:{job.name}", run)
    except Exception:  # the queue's store is down: the run happened anyway
        log.exception("could not record the run of %s", job.name)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def _record_failure(app: Flask, task, error: BaseException) -> None:
    """Huey's error signal: keep the failed attempt, and when it will be tried again, for admins."""
    retries_left = task.retries  # not yet counted down for this failure
    attempt = max(1, type(task).default_retries - retries_left + 1)
    now = utcnow()
    next_retry = now + timedelta(seconds=task.retry_delay or 0) if retries_left > 0 else None
    with app.app_context():
        try:
            db.session.add(
                JobEvent(
                    job=task.name[:60],
                    task_id=str(task.id)[:64],
                    attempt=attempt,
                    outcome="retrying" if next_retry else "failed",
                    error=_describe(error),
                    occurred_at=now,
                    next_retry_at=next_retry,
                )
            )
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("could not record the failure of job %s", task.name)
        finally:
            db.session.remove()


def enqueue(name: str, *args) -> None:
    """Put the job `name` on the current app's queue now (see `after_commit` in a transaction)."""
    app = current_app._get_current_object()
    huey_for(app)
    app.extensions["huey_tasks"][name](*args)


_AFTER_COMMIT = "samaschool_after_commit"


def after_commit(callback: Callable[[], object]) -> None:
    """Call `callback()` after the current transaction commits; drop it if it rolls back. A
    callback that fails is logged, never raised: the transaction has committed, and the periodic
    sweeps do whatever the callback would have started."""
    db.session().info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: wait for the real commit
        return
    for callback in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:
            log.exception("after-commit callback failed")


@event.listens_for(Session, "after_transaction_end")
def _drop_after_rollback(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outer transaction ended without committing (or ran them)
        session.info.pop(_AFTER_COMMIT, None)


# What admins see ---------------------------------------------------------------------------


@dataclass
class ScheduledRetry:
    label: object
    eta: datetime | None
    retries_left: int


@dataclass
class PeriodicRun:
    label: object
    every: object
    started_at: datetime | None = None
    finished_at: datetime | None = None
    done: int | None = None
    error: str = ""


@dataclass
class QueueStatus:
    backend: str
    queued: int
    scheduled: int
    retries: list[ScheduledRetry]
    failures: list[JobEvent]
    periodic: list[PeriodicRun]


def _label(name: str):
    job = JOBS.get(name)
    return job.label if job else name


def queue_status(app: Flask, *, limit: int = 50) -> QueueStatus:
    """The queue as admins see it: its length, the retries waiting, recent failures, last runs."""
    huey = huey_for(app)
    retries = []
    for task in huey.scheduled(limit):
        eta = task.eta.replace(tzinfo=UTC) if task.eta is not None and task.eta.tzinfo is None else task.eta
        retries.append(ScheduledRetry(_label(task.name), eta, task.retries))
    periodic = []
    for job in JOBS.values():
        if job.schedule:
            last = huey.get(f"last-run:{job.name}", peek=True) or {}
            periodic.append(PeriodicRun(job.label, job.every, **last))
    failures = list(db.session.scalars(select(JobEvent).order_by(JobEvent.occurred_at.desc()).limit(limit)))
    return QueueStatus(
        backend="Redis" if isinstance(huey, RedisHuey) else "SQLite",
        queued=huey.pending_count(),
        scheduled=huey.scheduled_count(),
        retries=retries,
        failures=failures,
        periodic=periodic,
    )


# Running them now --------------------------------------------------------------------------


def run_periodic(jobs: dict[str, Callable[[], int]] | None = None) -> dict[str, int]:
    """Run every periodic job once, now; a job that fails is logged and the others still run."""
    huey = huey_for(current_app._get_current_object())
    done = {}
    chosen = PERIODIC if jobs is None else jobs
    for job in JOBS.values():
        if job.schedule and job.summary in chosen:
            try:
                done[job.summary] = _run(huey, job)
            except Exception:  # one broken job must not stop the others
                log.exception("periodic job failed: %s", job.name)
    return done


@jobs_cli.command("run")
@click.option("--once", is_flag=True, help="Accepted for older cron lines: every run is one round.")
def run_command(once: bool) -> None:
    """Run every periodic job once, now (for cron, or an operator); the worker runs them on schedule."""
    done = run_periodic()
    click.echo(", ".join(f"{count} {name}" for name, count in done.items()))


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1), help="Jobs run at once.")
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Also enqueue the periodic jobs on their schedule (one worker on the queue is enough).",
)
def worker_command(workers: int, periodic: bool) -> None:
    """Run the job queue's consumer until stopped: SIGTERM lets running jobs finish (up to 20 s),
    Ctrl-C stops at once (the jobs are idempotent, and the periodic sweeps redo them)."""
    huey = huey_for(current_app._get_current_object())
    consumer = huey.create_consumer(
        workers=workers,
        periodic=periodic,
        worker_type="thread",
        max_delay=1.0,  # a SQLite queue is polled at least every second: email goes out within seconds
        graceful_signal="TERM",
        shutdown_timeout=20,
    )
    consumer.run()
