"""Pages against the framework's own ceiling: each page's requests/s as a ratio of a bare route's.

    .venv/bin/python bench/pages.py                       # SQLite, then PostgreSQL if a URL is given
    BENCH_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/pages.py
    BENCH_DATABASES=sqlite .venv/bin/python bench/pages.py  # one of them only

For each database (SQLite in a temporary folder; PostgreSQL at BENCH_DATABASE_URL, else
TEST_POSTGRES_URL: a scratch database, emptied first) it sets an instance up as `make setup` does
(`database upgrade`, `courses import`, `pools seed-demo`, `users ensure-admin`), then adds one
learner per client connection, each enrolled in the first course with a few lessons done, a
certificate of "data-annotation" (the paid pools' requirement) and a quiz attempt in progress,
and a paid pool of 10,000 classification tasks without a daily cap. It serves the app with
`gunicorn --workers 2` (rate limits off: every client comes from 127.0.0.1) and
`bench/bare_app.py` (a fixed 2 KB page from a bare Flask route) with the same flags, and drives
both with wrk: BENCH_CONNECTIONS (16) connections, one wrk thread and one learner each, for
BENCH_SECONDS (5) after a 1 s warm-up per page, the bare route measured the same way right
before each page. It prints requests/s, the ratio to that bare route's, and p50/p99 latency.

What each line measures:
- lesson, course, catalog, dashboard, verify, admin stats: GET of the page, each client with
  its own learner's session cookie (verify: anonymous, as a verifier is; admin stats: the
  admin's session, `/reports/`, the first statistics page).
- quiz save: POST of the first page of the learner's own attempt with one answer per question
  and "Save" (CSRF token included): every request loads the attempt and its questions, checks
  and compares the answers, and answers with its redirect. After the first, the answers are the
  same as those saved, so nothing is written: this is the replayed save of a phone that lost its
  connection, which must change nothing twice.
- claim + submit: POST claim (a new task claimed with its lease, the eligibility check), then
  POST the answer to the assignment it redirected to (eligibility again, the answer stored, the
  task filled, auto-review and quality bookkeeping). Every pair consumes a fresh task, so the
  work never becomes a no-op. Its requests/s counts pairs (claim and submit together), so its
  ratio is per completed task, half the HTTP request rate.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Another checkout of the app to serve (e.g. `git archive` of an older commit, for "before"
# figures); this checkout's venv, set-up code and bare route are used either way.
APP_ROOT = Path(os.environ.get("BENCH_APP_ROOT") or ROOT)

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WRK = os.environ.get("BENCH_WRK", shutil.which("wrk") or "/usr/bin/wrk")
COURSE = "data-annotation-essentials"
CERTIFICATION = "data-annotation"
POOL = "bench-classification"
LABELS = ["Electronics > Mobile phones", "Grocery > Beverages", "Fashion > Shoes"]
TASKS = 10_000
PASSWORD = "bench-password-1234"
ADMIN_EMAIL = "admin@bench.example"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LESSON_RE = re.compile(rf'href="/courses/{COURSE}/lessons/([a-z0-9-]+)"')
RADIO_RE = re.compile(r'<input type="radio" name="(q\d+)" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(instance: Path, database_url: str) -> dict:
    return dict(
        os.environ,
        DATABASE_URL=database_url,
        SAMASCHOOL_SECRET_KEY="bench-secret",
        SAMASCHOOL_KEYS_PATH=str(instance / "keys"),
        SAMASCHOOL_OUTBOX=str(instance / "outbox"),
        SAMASCHOOL_BACKUPS_PATH=str(instance / "backups"),
        SAMASCHOOL_MEDIA_PATH=str(instance / "media"),
        SAMASCHOOL_MEDIA_CACHE=str(ROOT / ".media-cache"),  # the tests' encode cache: seed-demo encodes nothing twice
        SAMASCHOOL_JOBS_PATH=str(instance / "jobs.sqlite3"),
        SAMASCHOOL_BASE_URL="http://127.0.0.1",
        SAMASCHOOL_RATELIMIT_ENABLED="0",  # every client comes from 127.0.0.1
        SAMASCHOOL_RATELIMIT_STORAGE_URI="memory://",
        SAMASCHOOL_REDIS_URL="",
        SAMASCHOOL_ADMIN_EMAIL=ADMIN_EMAIL,
        SAMASCHOOL_ADMIN_PASSWORD=PASSWORD,
    )


def _empty_postgres(url: str) -> None:
    from sqlalchemy import MetaData, create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        metadata = MetaData()
        metadata.reflect(connection)
        metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def prepare(instance: Path, database_url: str) -> tuple[dict, dict]:
    """A fresh instance as `make setup` makes it, plus the learners, certificate, attempts and pool."""
    env = _env(instance, database_url)
    if database_url.startswith("postgresql"):
        _empty_postgres(database_url)
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "app"]
    for command in (["database", "upgrade"], ["courses", "import"], ["pools", "seed-demo"], ["users", "ensure-admin"]):
        subprocess.run(flask + command, env=env, cwd=APP_ROOT, check=True, capture_output=True)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        made = _add_learners(instance)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return env, made


def _add_learners(instance: Path) -> dict:
    """Returns each learner's attempt id and certificate code, in order."""
    from datetime import timedelta

    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from samaschool import config, create_app
    from samaschool.assessments import services as assessments
    from samaschool.assessments.models import Quiz
    from samaschool.auth.models import User
    from samaschool.catalog import services as catalog
    from samaschool.catalog.models import Course
    from samaschool.certification.credentials import issue_credential
    from samaschool.certification.models import Certificate, Certification
    from samaschool.certification.services import new_code
    from samaschool.db_types import utcnow
    from samaschool.extensions import db
    from samaschool.learning import services as learning
    from samaschool.pools.models import Pool, Task

    app = create_app(config.from_env(str(instance)))
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == COURSE))
        lessons = catalog.ordered_lessons(catalog.get_course_outline(COURSE))
        quiz = db.session.scalar(
            select(Quiz).where(Quiz.course_id == course.id, Quiz.module_id == lessons[0].module_id)
        )
        certification = db.session.scalar(select(Certification).where(Certification.slug == CERTIFICATION))
        hashed = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
        made = {"attempts": [], "codes": []}
        for n in range(CONNECTIONS):
            user = User(email=f"learner{n}@bench.example", name=f"Learner {n}", password_hash=hashed, country="KE")
            db.session.add(user)
            db.session.flush()
            catalog.enrol(user, course)
            for lesson in lessons[:5]:
                learning.mark_complete(user, lesson)
            certificate = Certificate(
                user_id=user.id,
                certification_id=certification.id,
                code=new_code(),
                holder_name=user.name,
                issued_at=utcnow(),
                expires_at=utcnow() + timedelta(days=365),
            )
            certificate.certification, certificate.user = certification, user
            db.session.add(certificate)
            db.session.flush()
            issue_credential(certificate)
            made["attempts"].append(assessments.start_attempt(user, quiz).id)
            made["codes"].append(certificate.code)
        pool = Pool(
            slug=POOL,
            name="Bench classification",
            client="Bench",
            description="Classify product titles.",
            instructions_html="<p>Pick the best label.</p>",
            task_type="classification",
            labels=LABELS,
            reward_minor=500,
            currency="KES",
            status="open",
            lease_minutes=15,
            max_concurrent_claims=1,
            daily_cap=None,
            overlap=1,
            review_mode="auto_days",
            auto_approve_days=3,
            required_certifications=[CERTIFICATION],
        )
        db.session.add(pool)
        db.session.flush()
        db.session.execute(
            Task.__table__.insert(),
            [
                {
                    "pool_id": pool.id,
                    "external_id": f"t{i}",
                    "payload": {"title": f"Phone model {i}"},
                    "is_gold": False,
                    "filled": False,
                    "slots_taken": 0,
                    "created_at": utcnow(),
                }
                for i in range(TASKS)
            ],
        )
        db.session.commit()
        db.engine.dispose()
    return made


def serve(command: list[str], env: dict, root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        + ["--log-level", "warning", *command],
        env=env,
        cwd=root,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/", timeout=1).read()
            return server, base
        except urllib.error.HTTPError:
            return server, base
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}") from None
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One signed-in user, to fetch what wrk will send: the session cookie, CSRF tokens, forms."""

    def __init__(self, base: str, email: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        token = self.csrf("/account/login")
        status, _location = self.post("/account/login", {"csrf_token": token, "email": email, "password": PASSWORD})
        assert status == 302, f"login of {email}: {status}"

    def open(self, path: str, data: bytes | None = None, cookie: bool = True) -> tuple[int, str, str]:
        request = urllib.request.Request(self.base + path, data=data)
        opener = self.opener if cookie else urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=60) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode()

    def get(self, path: str) -> str:
        status, _location, body = self.open(path)
        assert status == 200, f"GET {path}: {status}"
        return body

    def post(self, path: str, form: dict) -> tuple[int, str]:
        status, location, _body = self.open(path, urllib.parse.urlencode(form).encode())
        return status, location

    def csrf(self, path: str) -> str:
        return CSRF_RE.search(self.get(path)).group(1)

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


LUA = r"""
local entries = %(entries)s
local mode = "%(mode)s"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
end

local plain, claim, held, pairs_done

function init(args)
  local entry = entries[((index - 1) %% #entries) + 1]
  local headers = {}
  if entry.cookie ~= "" then headers["Cookie"] = entry.cookie end
  if entry.body ~= "" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    plain = wrk.format(entry.method, entry.path, headers, entry.body)
  else
    plain = wrk.format(entry.method, entry.path, headers)
  end
  claim = {headers = headers, submit = entry.submit}
end

function request()
  if mode == "claim" and held then
    return wrk.format("POST", "/work/" .. held, claim.headers, claim.submit)
  end
  return plain
end

if mode == "claim" then
  function response(status, headers, body)
    if held then
      held = nil
    else
      held = string.match(headers["Location"] or headers["location"] or "", "/work/(%%d+)")
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "errors": %%d, "status_errors": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for these ASCII values


def wrk(base: str, entries: list[dict], mode: str, seconds: int, folder: Path) -> dict:
    listing = ",\n".join(
        "{"
        + ", ".join(
            f"{key} = {_lua_string(entry.get(key, ''))}" for key in ("method", "path", "cookie", "body", "submit")
        )
        + "}"
        for entry in entries
    )
    script = folder / f"bench-{mode}.lua"
    script.write_text(LUA % {"entries": "{\n" + listing + "\n}", "mode": mode})
    output = subprocess.run(
        [WRK, "-t", str(CONNECTIONS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "10s"]
        + ["-s", str(script), base + entries[0]["path"]],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    result["per_second"] = result["requests"] / (result["duration_us"] / 1e6)
    if mode == "claim":
        result["per_second"] /= 2  # a claim and its submit make one completed task
    return result


def measure(base: str, entries: list[dict], mode: str, folder: Path) -> dict:
    wrk(base, entries, mode, 1, folder)  # warm-up
    return wrk(base, entries, mode, SECONDS, folder)


def page_entries(admin: Browser, learners: list[Browser], made: dict) -> dict[str, tuple[list[dict], str]]:
    """What each benchmark's clients send, checked once here to answer as it should."""
    first = learners[0]
    lesson_slugs = LESSON_RE.findall(first.get(f"/courses/{COURSE}"))
    lesson = f"/courses/{COURSE}/lessons/{lesson_slugs[2]}"
    gets = {
        "lesson": lesson,
        "course page": f"/courses/{COURSE}",
        "catalog": "/courses/",
        "dashboard": "/dashboard",
    }
    plan: dict[str, tuple[list[dict], str]] = {}
    for name, path in gets.items():
        for learner in learners:
            learner.get(path)
        plan[name] = ([{"method": "GET", "path": path, "cookie": b.cookie} for b in learners], "get")

    saves = []
    for learner, attempt_id in zip(learners, made["attempts"], strict=True):
        attempt_path = f"/attempts/{attempt_id}"
        page = learner.get(attempt_path)
        answers = {}
        for name, value in RADIO_RE.findall(page):
            answers.setdefault(name, value)
        form = {"csrf_token": CSRF_RE.search(page).group(1), "page": "1", "action": "save", **answers}
        status, location = learner.post(attempt_path, form)
        assert status == 302 and "/attempts/" in location, f"quiz save: {status} {location}"
        saves.append(
            {"method": "POST", "path": attempt_path, "cookie": learner.cookie, "body": urllib.parse.urlencode(form)}
        )
    plan["quiz save (POST)"] = (saves, "post")

    verify = f"/verify/{made['codes'][0]}"
    status, _location, _body = first.open(verify, cookie=False)
    assert status == 200, f"GET {verify}: {status}"
    plan["certificate verify"] = ([{"method": "GET", "path": verify, "cookie": ""}], "get")

    claims = []
    for learner in learners:
        token = learner.csrf(f"/pools/{POOL}")
        status, location = learner.post(f"/pools/{POOL}/claim", {"csrf_token": token})
        assert status == 302 and "/work/" in location, f"claim: {status} {location}"
        submit = {"csrf_token": token, "answer": LABELS[0]}
        status, back = learner.post(urllib.parse.urlsplit(location).path, submit)
        assert status == 302 and back.endswith(f"/pools/{POOL}"), f"submit: {status} {back}"
        claims.append(
            {
                "method": "POST",
                "path": f"/pools/{POOL}/claim",
                "cookie": learner.cookie,
                "body": urllib.parse.urlencode({"csrf_token": token}),
                "submit": urllib.parse.urlencode(submit),
            }
        )
    plan["claim + submit (POSTs)"] = (claims, "claim")

    admin.get("/reports/")
    plan["admin stats (/reports/)"] = ([{"method": "GET", "path": "/reports/", "cookie": admin.cookie}], "get")
    return plan


def run(label: str, database_url: str) -> list[tuple[str, dict, dict]]:
    instance = Path(tempfile.mkdtemp(prefix="samaschool-pages-bench-"))
    servers = []
    try:
        if database_url == "sqlite":
            database_url = f"sqlite:///{instance / 'bench.db'}"
        env, made = prepare(instance, database_url)
        app_server, app_base = serve(["app:app"], env, APP_ROOT)
        servers.append(app_server)
        bare_server, bare_base = serve(["bench.bare_app:app"], env, ROOT)
        servers.append(bare_server)
        admin = Browser(app_base, ADMIN_EMAIL)
        learners = [Browser(app_base, f"learner{n}@bench.example") for n in range(CONNECTIONS)]
        plan = page_entries(admin, learners, made)
        bare = [{"method": "GET", "path": "/"}]
        results = []
        for name, (entries, mode) in plan.items():
            # The bare route right before each page: the machine's load drifts during a run, and
            # each ratio compares two measurements taken under the same load.
            results.append(
                (name, measure(bare_base, bare, "get", instance), measure(app_base, entries, mode, instance))
            )
        _print(label, results)
        return results
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(instance, ignore_errors=True)


def _print(label: str, results: list[tuple[str, dict, dict]]) -> None:
    served = "" if APP_ROOT == ROOT else f" (app from {APP_ROOT})"
    print(
        f"\n{label}{served}: gunicorn --workers 2, wrk -t{CONNECTIONS} -c{CONNECTIONS} -d{SECONDS}s"
        " after a 1 s warm-up, the bare route measured right before each page"
    )
    print("| page | requests/s | bare route requests/s | × bare | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, bare, result in results:
        print(
            f"| {name} | {result['per_second']:.0f} | {bare['per_second']:.0f} "
            f"| {result['per_second'] / bare['per_second']:.3f} "
            f"| {result['p50_us'] / 1000:.1f} | {result['p99_us'] / 1000:.1f} "
            f"| {result['errors'] + result['status_errors']} |",
            flush=True,
        )


def main() -> None:
    postgres = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_POSTGRES_URL") or ""
    wanted = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
    if "sqlite" in wanted:
        run("SQLite", "sqlite")
    if "postgresql" in wanted:
        if postgres:
            run("PostgreSQL", postgres)
        else:
            print("\nPostgreSQL: skipped (set BENCH_DATABASE_URL or TEST_POSTGRES_URL to a scratch database)")


if __name__ == "__main__":
    main()
