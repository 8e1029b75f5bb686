"""Configuration from the environment (SAMASCHOOL_*, DATABASE_URL).

Nothing is read at import time: `Config.from_env(instance_path)` is called by `create_app`,
so tests can set the environment first or pass a config of their own.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, not {value!r}")
    return int(value)


def _secret_key(instance_path: Path) -> str:
    """SAMASCHOOL_SECRET_KEY, else a key generated once into the instance folder."""
    if key := os.environ.get("SAMASCHOOL_SECRET_KEY"):
        return key
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance_path / 'samaschool.db'}"
    # Accept the short forms hosting providers hand out; we speak psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def base_url() -> tuple[str, bool]:
    """SAMASCHOOL_BASE_URL, or an address made from HOST and PORT (what `make run` serves on);
    the flag says whether it was set. It names the issuer in credentials, and links in emails,
    QR codes and PDFs point at it, so production must set it to the public address."""
    if url := os.environ.get("SAMASCHOOL_BASE_URL", "").strip():
        return url.rstrip("/"), True
    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    if host in {"0.0.0.0", "::", "[::]"}:  # noqa: S104 (listening everywhere: this machine answers locally)
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{os.environ.get('PORT', '').strip() or '5000'}", False


def engine_options() -> dict:
    """Database connections per process. On PostgreSQL every gunicorn worker and job worker holds
    its own pool: size it so that instances x workers x (pool + overflow) stays under the server's
    max_connections (100 by default); docs/deploy.md works an example."""
    return {
        "pool_pre_ping": True,
        "pool_size": _env_int("SAMASCHOOL_DB_POOL_SIZE", 4),
        "max_overflow": _env_int("SAMASCHOOL_DB_MAX_OVERFLOW", 4, minimum=0),
        "pool_timeout": _env_int("SAMASCHOOL_DB_POOL_TIMEOUT", 10),
    }


def from_env(instance_path: str) -> dict:
    path = Path(instance_path)
    public_address, public_address_set = base_url()
    session_days = _env_int("SAMASCHOOL_SESSION_MAX_DAYS", 30)
    redis_url = os.environ.get("SAMASCHOOL_REDIS_URL", "").strip()
    return {
        "SECRET_KEY": _secret_key(path),
        "SQLALCHEMY_DATABASE_URI": database_url(path),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        # Secure is also set per request when the request came over HTTPS.
        "SESSION_COOKIE_SECURE": _env_bool("SAMASCHOOL_COOKIE_SECURE"),
        # Sessions (rows in user_sessions) end after this long without a visit, and this long
        # after the login in any case; see the README for why these defaults.
        "SAMASCHOOL_SESSION_IDLE_MINUTES": _env_int("SAMASCHOOL_SESSION_IDLE_MINUTES", 7 * 24 * 60),
        "SAMASCHOOL_SESSION_MAX_DAYS": session_days,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=session_days),  # the cookie lasts as long
        # The cookie is sent again only when the session changes (login, a flash message), not
        # re-signed on every response: it already outlives the session's absolute lifetime.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SEND_FILE_MAX_AGE_DEFAULT": timedelta(days=365),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Shared state between processes and machines (rate limits, the job queue) lives in Redis
        # when this is set; otherwise in this process's memory and files under the instance folder.
        "SAMASCHOOL_REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": os.environ.get("SAMASCHOOL_RATELIMIT_STORAGE_URI") or redis_url or "memory://",
        # The job queue's own store on one machine (Huey's SQLite storage); Redis when set above.
        "SAMASCHOOL_JOBS_PATH": os.environ.get("SAMASCHOOL_JOBS_PATH", str(path / "jobs.sqlite3")),
        # "json": one JSON object per log line (for a log collector); "text" otherwise.
        "SAMASCHOOL_LOG_FORMAT": os.environ.get("SAMASCHOOL_LOG_FORMAT", "text").strip().lower(),
        # Off only for load tests on one address (bench/); never in production.
        "RATELIMIT_ENABLED": _env_bool("SAMASCHOOL_RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": False,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent / "translations"),
        "COMPRESS_MIMETYPES": [
            "text/html",
            "text/css",
            "application/json",
            "image/svg+xml",
            "text/plain",
        ],
        "COMPRESS_MIN_SIZE": 500,
        "SAMASCHOOL_COURSES_PATH": os.environ.get("SAMASCHOOL_COURSES_PATH", "courses"),
        "SAMASCHOOL_SMTP_HOST": os.environ.get("SAMASCHOOL_SMTP_HOST", ""),
        "SAMASCHOOL_SMTP_PORT": int(os.environ.get("SAMASCHOOL_SMTP_PORT", "587")),
        "SAMASCHOOL_SMTP_USER": os.environ.get("SAMASCHOOL_SMTP_USER", ""),
        "SAMASCHOOL_SMTP_PASSWORD": os.environ.get("SAMASCHOOL_SMTP_PASSWORD", ""),
        "SAMASCHOOL_SMTP_STARTTLS": _env_bool("SAMASCHOOL_SMTP_STARTTLS", True),
        "SAMASCHOOL_MAIL_FROM": os.environ.get("SAMASCHOOL_MAIL_FROM", "Samaschool <no-reply@samaschool.org>"),
        "SAMASCHOOL_OUTBOX": os.environ.get("SAMASCHOOL_OUTBOX", str(path / "outbox")),
        "SAMASCHOOL_PROXY_COUNT": int(os.environ.get("SAMASCHOOL_PROXY_COUNT", "0")),
        # The public address credentials name as their issuer: keep it stable once issuing.
        "SAMASCHOOL_BASE_URL": public_address,
        "SAMASCHOOL_BASE_URL_SET": public_address_set,
        "SAMASCHOOL_ISSUER_NAME": os.environ.get("SAMASCHOOL_ISSUER_NAME", "Samaschool"),
        "SAMASCHOOL_KEYS_PATH": os.environ.get("SAMASCHOOL_KEYS_PATH", str(path / "keys")),
        # Where a generated secret key is kept (unused while SAMASCHOOL_SECRET_KEY is set): `backup restore` writes it.
        "SAMASCHOOL_SECRET_KEY_FILE": str(path / "secret_key"),
        "SAMASCHOOL_BACKUPS_PATH": os.environ.get("SAMASCHOOL_BACKUPS_PATH", str(path / "backups")),
        # Images and sound (samaschool/media): the stored variants, and the cache of encodings.
        "SAMASCHOOL_MEDIA_PATH": os.environ.get("SAMASCHOOL_MEDIA_PATH", str(path / "media")),
        "SAMASCHOOL_MEDIA_CACHE": os.environ.get("SAMASCHOOL_MEDIA_CACHE", str(path / "media-cache")),
        # "s3": keep media in an S3-compatible object store (boto3; credentials from the usual
        # AWS_* variables), served by redirect to short-lived signed URLs. "filesystem" otherwise.
        "SAMASCHOOL_MEDIA_STORAGE": os.environ.get("SAMASCHOOL_MEDIA_STORAGE", "filesystem").strip().lower(),
        "SAMASCHOOL_S3_BUCKET": os.environ.get("SAMASCHOOL_S3_BUCKET", ""),
        "SAMASCHOOL_S3_PREFIX": os.environ.get("SAMASCHOOL_S3_PREFIX", "media/"),
        "SAMASCHOOL_S3_ENDPOINT_URL": os.environ.get("SAMASCHOOL_S3_ENDPOINT_URL", "") or None,
        "SAMASCHOOL_S3_REGION": os.environ.get("SAMASCHOOL_S3_REGION", "") or None,
        "SAMASCHOOL_S3_URL_SECONDS": _env_int("SAMASCHOOL_S3_URL_SECONDS", 300),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,  # uploads (baked badges) stay small
    }


def for_tests(instance_path: str, database_uri: str) -> dict:
    """The same settings, with a throwaway key and the test database."""
    config = from_env(instance_path)
    config.update(
        TESTING=True,
        SECRET_KEY="test-secret-key",  # noqa: S106 (tests only)
        SQLALCHEMY_DATABASE_URI=database_uri,
        SAMASCHOOL_SMTP_HOST="",
        SAMASCHOOL_OUTBOX=str(Path(instance_path) / "outbox"),
        SAMASCHOOL_KEYS_PATH=str(Path(instance_path) / "keys"),
        SAMASCHOOL_BACKUPS_PATH=str(Path(instance_path) / "backups"),
        SAMASCHOOL_MEDIA_PATH=str(Path(instance_path) / "media"),
        # One encode cache for every run, so the suite does not re-encode the same samples.
        SAMASCHOOL_MEDIA_CACHE=str(Path(__file__).resolve().parent.parent / ".media-cache"),
        SAMASCHOOL_BASE_URL="http://localhost",
        SAMASCHOOL_BASE_URL_SET=True,
        RATELIMIT_STORAGE_URI="memory://",
        SAMASCHOOL_REDIS_URL="",
        SAMASCHOOL_JOBS_PATH=str(Path(instance_path) / "jobs.sqlite3"),
        SAMASCHOOL_MEDIA_STORAGE="filesystem",
        SAMASCHOOL_LOG_FORMAT="text",
        SAMASCHOOL_PASSWORD_HASH_METHOD="scrypt:1024:8:1",  # noqa: S106 (cheap hashing for tests)
    )
    return config
