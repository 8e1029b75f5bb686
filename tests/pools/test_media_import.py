"""Task import with media: zips of a task file and its images or sounds, and https addresses
downloaded with the checks of samaschool/media/fetch.py (served here from 127.0.0.1 through the
test-only allow-list)."""

import http.server
import io
import random
import threading
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from samaschool.extensions import db
from samaschool.media import services as media_services
from samaschool.media.fetch import FetchError, fetch
from samaschool.media.models import MediaFile
from samaschool.permissions import Role
from samaschool.pools.models import Task
from tests import media_samples
from tests.pools.conftest import logged_in

LABELS = ["Shoe", "Phone", "Bag"]
RED = media_samples.png(64, 48, (200, 40, 40))
GREEN = media_samples.png(64, 48, (40, 160, 60))
BLUE = media_samples.png(48, 64, (40, 60, 200))


def _zip(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _csv(*rows: str) -> bytes:
    return ("external_id,image,gold_label\n" + "".join(f"{row}\n" for row in rows)).encode()


def _image_pool(make, **fields):
    return make.pool(task_type="image_classification", labels=LABELS, **fields)


def _upload(app, make, pool, data: bytes, name: str = "tasks.zip"):
    client = logged_in(app, make.user(Role.ADMIN))
    url = f"/manage/pools/{pool.id}/tasks"
    form = {"csrf_token": client.csrf_token(url), "file": FileStorage(io.BytesIO(data), name)}
    boundary, body = encode_multipart(form)  # in memory: the test client's own temporary file is never closed
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        tasks = db.session.scalar(select(func.count()).select_from(Task))
        media = db.session.scalar(select(func.count()).select_from(MediaFile))
        return tasks, media


def _stored_files(app) -> set[Path]:
    root = Path(app.config["SAMASCHOOL_MEDIA_PATH"])
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def test_a_zip_of_images_adds_tasks_that_name_their_media_by_key(app, make):
    pool = _image_pool(make)
    rows = [f"t{i},photos/{'red' if i % 2 else 'green'}.png," for i in range(1, 19)]
    rows += ["g1,photos/red.png,Shoe", "g2,./photos/blue.png,Bag"]
    data = _zip({"tasks.csv": _csv(*rows), "photos/red.png": RED, "photos/green.png": GREEN, "photos/blue.png": BLUE})
    response = _upload(app, make, pool, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "20 tasks added (2 gold)." in page and "3 media files stored." in page
    assert "or an https address to download the file from" in page  # how to name media, on the form
    with app.app_context():
        tasks = {t.external_id: t for t in db.session.scalars(select(Task).where(Task.pool_id == pool.id))}
        media = {m.original_name: m for m in db.session.scalars(select(MediaFile))}
        assert len(tasks) == 20 and len(media) == 3  # each file stored once, however many rows name it
        assert tasks["t1"].payload == {"image": media["red.png"].key}
        assert tasks["t2"].payload == {"image": media["green.png"].key}
        assert tasks["g2"].payload == {"image": media["blue.png"].key} and tasks["g2"].gold_answer == "Bag"
        assert media["blue.png"].kind == "image" and (media["blue.png"].width, media["blue.png"].height) == (48, 64)
        assert {"webp720", "jpeg360"} <= set(media["red.png"].variants)


def test_one_bad_image_in_row_7_adds_nothing(app, make):
    pool = _image_pool(make)
    rows = [f"t{i},photos/{'shoe' if i == 6 else 'red'}.png," for i in range(1, 11)]  # line 7 is the 6th row
    files = {"tasks.csv": _csv(*rows), "photos/red.png": RED, "photos/shoe.png": media_samples.html_as_png()}
    before = _stored_files(app)
    response = _upload(app, make, pool, _zip(files))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was added" in page and "tasks.csv:7: photos/shoe.png: this is not an image file we accept" in page
    assert page.count("tasks.csv:") == 1  # the good rows are fine
    assert _counts(app) == (0, 0)  # no tasks, no media rows
    assert _stored_files(app) == before  # and no stored files


def test_rows_naming_missing_or_wrong_media_are_reported_by_file_and_row(app, make):
    pool = _image_pool(make)
    rows = ["a,photos/red.png,", "b,photos/missing.png,", "c,sounds/beep.wav,", "d,../../etc/passwd,", "e,,"]
    files = {"batch/tasks.csv": _csv(*rows), "batch/photos/red.png": RED, "batch/sounds/beep.wav": media_samples.wav(1)}
    response = _upload(app, make, pool, _zip(files), "batch.zip")
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422
    assert "batch/tasks.csv:3: photos/missing.png: there is no such file in the zip" in page
    assert "batch/tasks.csv:4: sounds/beep.wav: this is not an image file we accept" in page  # audio, not an image
    assert "batch/tasks.csv:5: ../../etc/passwd: there is no such file in the zip" in page  # only ever a name
    assert "batch/tasks.csv:6: 'image' is empty" in page
    assert "tasks.csv:2" not in page
    assert _counts(app) == (0, 0)


def test_a_zip_needs_exactly_one_task_file(app, make):
    pool = _image_pool(make)
    two = _zip({"tasks.csv": _csv("a,red.png,"), "more.jsonl": b"{}\n", "red.png": RED})
    page = _upload(app, make, pool, two).get_data(as_text=True)
    assert "tasks.zip: the zip holds 2 task files (more.jsonl, tasks.csv); put exactly one in it" in page
    none = _zip({"red.png": RED, "__MACOSX/._tasks.csv": b"junk"})
    page = _upload(app, make, pool, none).get_data(as_text=True)
    assert "tasks.zip: the zip holds no task file (tasks.csv or tasks.jsonl)" in page
    page = _upload(app, make, pool, b"PK\x03\x04 not really a zip").get_data(as_text=True)
    assert "tasks.zip: this is not a zip file we can read" in page
    assert _counts(app) == (0, 0)


def test_jsonl_in_a_zip_with_an_odd_member_name(app, make):
    """Names inside the zip are only names: "../red.png" is read from the zip, never from disk."""
    pool = _image_pool(make)
    lines = b'{"external_id": "j1", "image": "../red.png"}\n{"external_id": "j2", "image": "../red.png"}\n'
    response = _upload(app, make, pool, _zip({"tasks.jsonl": lines, "../red.png": RED}))
    assert response.status_code == 200 and "2 tasks added (0 gold)." in response.get_data(as_text=True)
    assert _counts(app) == (2, 1)


def _encrypted(data: bytes) -> bytes:
    """The zip with every member marked encrypted (Python cannot write encrypted zips)."""
    raw = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := raw.find(signature, start)) != -1:
            raw[at + flag_offset] |= 0x01
            start = at + 4
    return bytes(raw)


def test_zip_bombs_huge_and_encrypted_members_are_refused_before_reading(app, make):
    pool = _image_pool(make)
    bomb = _zip({"tasks.csv": _csv("a,red.png,"), "red.png": RED, "zeros.bin": bytes(10 * 1024 * 1024)})
    assert len(bomb) < 100_000
    page = _upload(app, make, pool, bomb).get_data(as_text=True)
    assert "tasks.zip: zeros.bin: compressed far too well to be a real file (a zip bomb?); refused" in page
    huge = _zip({"tasks.csv": _csv("a,red.png,"), "red.png": RED, "big.bin": bytes(51 * 1024 * 1024)})
    page = _upload(app, make, pool, huge).get_data(as_text=True)
    assert "tasks.zip: big.bin: larger than 50 MB" in page
    many = _zip({"tasks.csv": _csv("a,red.png,"), "red.png": RED, **{f"{i}.bin": bytes(45 << 20) for i in range(5)}})
    page = _upload(app, make, pool, many).get_data(as_text=True)
    assert "tasks.zip: the files in the zip add up to more than 200 MB unpacked" in page
    crowded = _zip({"tasks.csv": _csv("a,red.png,"), "red.png": RED, **{f"{i}.txt": b"" for i in range(10_000)}})
    page = _upload(app, make, pool, crowded).get_data(as_text=True)
    assert "tasks.zip: the zip holds more than 10,000 files; split it" in page  # refused before it is listed
    locked = _encrypted(_zip({"tasks.csv": _csv("a,red.png,"), "red.png": RED}))
    page = _upload(app, make, pool, locked).get_data(as_text=True)
    assert "tasks.zip: red.png: the file is encrypted; make the zip without a password" in page
    assert _counts(app) == (0, 0)


def test_the_import_route_takes_a_large_zip_while_other_routes_keep_the_2_mb_cap(app, make):
    pool = _image_pool(make)
    padding = random.Random(5).randbytes(3 * 1024 * 1024)  # does not compress
    data = _zip({"tasks.csv": _csv("a,red.png,"), "red.png": RED, "notes.bin": padding}, zipfile.ZIP_STORED)
    assert len(data) > 3 * 1024 * 1024
    response = _upload(app, make, pool, data)
    assert response.status_code == 200 and "1 tasks added (0 gold)." in response.get_data(as_text=True)
    client = logged_in(app, make.user(Role.ADMIN))
    other = client.post(
        "/manage/pools/new",
        data={"csrf_token": client.csrf_token("/manage/pools/new"), "name": "x" * (3 * 1024 * 1024)},
    )
    assert other.status_code == 413
    assert _counts(app) == (1, 1)


def test_a_plain_csv_needs_addresses_or_keys_for_media(app, make):
    pool = _image_pool(make)
    with app.app_context():
        stored = media_services.ingest(RED, "red.png", kinds=("image",)).key
        db.session.commit()
    body = _csv("a,red.png,", f"b,{stored},", f"c,{'0' * 64},")
    response = _upload(app, make, pool, body, "tasks.csv")
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 422
    assert "tasks.csv:2: 'image' must be an https address, or the name of a file in the zip" in page
    assert f"tasks.csv:4: {'0' * 64}: no stored file has this key" in page
    assert "tasks.csv:3" not in page
    voices = make.pool(task_type="audio_transcription", labels=[])
    body = f"external_id,audio\nv1,{stored}\n".encode()
    page = _upload(app, make, voices, body, "tasks.csv").get_data(as_text=True)
    assert f"tasks.csv:2: {stored}: this stored file is not a sound" in page
    response = _upload(app, make, pool, _csv(f"b,{stored},Shoe"), "tasks.csv")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Task.payload)) == {"image": stored}


def test_the_cli_imports_a_zip(app, make, tmp_path):
    pool = _image_pool(make, slug="photos")
    audio_pool = make.pool(task_type="audio_transcription", labels=[], slug="voices")
    path = tmp_path / "batch.zip"
    path.write_bytes(_zip({"tasks.csv": _csv("a,red.png,Shoe", "b,green.png,"), "red.png": RED, "green.png": GREEN}))
    result = app.test_cli_runner().invoke(args=["pools", "import-tasks", "photos", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 task(s) into photos, 1 gold." in result.output and "2 media file(s) stored." in result.output
    result = app.test_cli_runner().invoke(args=["pools", "import-tasks", "voices", str(path)])
    assert result.exit_code == 1
    assert "tasks.csv:2: 'audio' is empty" in result.output and "nothing was imported" in result.output
    sounds = tmp_path / "sounds.zip"
    sounds.write_bytes(_zip({"tasks.jsonl": b'{"external_id": "s1", "audio": "a.png"}\n', "a.png": RED}))
    result = app.test_cli_runner().invoke(args=["pools", "import-tasks", "voices", str(sounds)])
    assert result.exit_code == 1 and "tasks.jsonl:1: a.png: this is not a sound file we accept" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Task).where(Task.pool_id == pool.id)) == 2
        assert db.session.scalar(select(func.count()).select_from(Task).where(Task.pool_id == audio_pool.id)) == 0


# Downloads ---------------------------------------------------------------------------------------


class _Files(http.server.BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        _Files.hits[self.path] = _Files.hits.get(self.path, 0) + 1
        if self.path == "/red.png":
            self._send(200, RED, {"Content-Type": "image/png"})
        elif self.path == "/page.png":
            self._send(200, media_samples.html_as_png(), {"Content-Type": "image/png"})
        elif self.path == "/moved.png":
            self._send(302, b"", {"Location": "http://10.0.0.1/red.png"})
        elif self.path == "/big.png":  # says how long it is
            self._send(200, RED + bytes(4000), {"Content-Type": "image/png"})
        elif self.path == "/endless.png":  # does not say: read until the cap
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(bytes(1000))
        elif self.path == "/slow.png":  # answers after a while
            time.sleep(1.5)
            self._send(200, RED, {})
        elif self.path == "/drip.png":  # answers at once, then a byte at a time
            self.send_response(200)
            self.send_header("Content-Length", str(len(RED)))
            self.end_headers()
            for byte in RED[:40]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.1)
        else:
            self._send(404, b"no", {})

    def _send(self, status: int, body: bytes, headers: dict):
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def files_server(app, monkeypatch):
    """A plain-http server on 127.0.0.1, allowed through SAMASCHOOL_MEDIA_FETCH_ALLOW."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Files.hits = {}
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setitem(app.config, "SAMASCHOOL_MEDIA_FETCH_ALLOW", [f"127.0.0.1:{server.server_port}"])
    monkeypatch.setitem(app.config, "SAMASCHOOL_MEDIA_FETCH_TIMEOUT", 0.8)
    yield base
    server.shutdown()
    server.server_close()


def _refused(app, url: str, **kwargs) -> str:
    with app.app_context(), pytest.raises(FetchError) as error:
        fetch(url, max_bytes=kwargs.pop("max_bytes", 1 << 20), **kwargs)
    return str(error.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/a.png",
        "https://127.0.0.1/a.png",
        "https://localhost/a.png",  # a name that resolves to loopback
        "https://[::1]/a.png",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://[::ffff:127.0.0.1]/a.png",  # IPv4-mapped IPv6
        "https://[::ffff:a00:1]/a.png",  # ::ffff:10.0.0.1
        "https://192.168.1.1/a.png",
        "https://100.64.0.1/a.png",  # shared (carrier-grade NAT)
        "https://[fe80::1]/a.png",
        "https://[fc00::1]/a.png",
        "https://0.0.0.0/a.png",
        "https://224.0.0.1/a.png",
        "https://[2002:7f00:1::]/a.png",  # 6to4 wrapping 127.0.0.1
    ],
)
def test_downloads_from_private_and_local_addresses_are_refused(app, url):
    assert "private or local network" in _refused(app, url)


def test_an_allow_listed_port_does_not_open_other_ports_or_plain_http(app, files_server):
    port = int(files_server.rsplit(":", 1)[1])
    assert "private or local network" in _refused(app, f"https://127.0.0.1:{port + 1}/red.png")
    assert "only https addresses" in _refused(app, f"http://127.0.0.1:{port + 1}/red.png")
    assert "only https addresses" in _refused(app, "ftp://example.org/red.png")
    assert "user name or password" in _refused(app, "https://user:pw@example.org/red.png")
    with app.app_context():
        assert fetch(f"{files_server}/red.png", max_bytes=1 << 20) == RED
    app.config["SAMASCHOOL_MEDIA_FETCH_ALLOW"] = []  # empty, as in production
    assert "only https addresses" in _refused(app, f"{files_server}/red.png")


def test_redirects_errors_oversize_and_slow_servers_are_refused(app, files_server):
    moved = _refused(app, f"{files_server}/moved.png")
    assert moved.startswith(f"{files_server}/moved.png: the server redirects to http://10.0.0.1/red.png (status 302)")
    assert _Files.hits.get("/red.png") is None  # not followed
    assert "answered 404" in _refused(app, f"{files_server}/gone.png")
    assert "larger than" in _refused(app, f"{files_server}/big.png", max_bytes=len(RED) + 100)
    assert "larger than" in _refused(app, f"{files_server}/endless.png", max_bytes=50_000)
    started = time.monotonic()
    assert "took too long (more than 0.8 seconds)" in _refused(app, f"{files_server}/slow.png")
    waiting = _refused(app, f"{files_server}/slow.png", connect_timeout=0.3, total_timeout=5)  # no answer yet
    assert "took too long (more than 0.3 seconds)" in waiting
    dripping = _refused(app, f"{files_server}/drip.png", connect_timeout=5)  # bytes keep coming, too slowly
    assert "took too long (more than 0.8 seconds)" in dripping
    assert time.monotonic() - started < 3


def test_rows_with_addresses_are_downloaded_once_checked_and_imported(app, make, files_server):
    pool = _image_pool(make)
    body = _csv(f"a,{files_server}/red.png,", f"b,{files_server}/red.png,Shoe")
    response = _upload(app, make, pool, body, "tasks.csv")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _Files.hits["/red.png"] == 1
    with app.app_context():
        key = db.session.scalar(select(MediaFile.key))
        assert {t.payload["image"] for t in db.session.scalars(select(Task))} == {key}
    bad = _csv(
        f"c,{files_server}/page.png,",
        f"d,{files_server}/moved.png,",
        "e,https://10.0.0.7/x.png,",
        f"f,{files_server}/red.png,",
    )
    response = _upload(app, make, pool, _zip({"tasks.csv": bad}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"tasks.csv:2: {files_server}/page.png: this is not an image file we accept" in page
    assert "(it looks like HTML)" in page
    assert f"tasks.csv:3: {files_server}/moved.png: the server redirects to" in page
    assert "tasks.csv:4: https://10.0.0.7/x.png: the address leads to a private or local network" in page
    assert _counts(app) == (2, 1)


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from datetime import UTC, datetime, timedelta
    from ipaddress import IPv4Address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_https_certificates_are_checked(app, monkeypatch, tmp_path):
    """Even on an allow-listed host, https means a certificate we trust (a self-signed one is refused)."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.handle_error = lambda *args: None  # the refused handshake is expected
    _Files.hits = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_port
        monkeypatch.setitem(app.config, "SAMASCHOOL_MEDIA_FETCH_ALLOW", [f"localhost:{port}"])
        message = _refused(app, f"https://localhost:{port}/red.png")
        assert "the secure connection failed" in message and "CERTIFICATE_VERIFY_FAILED" in message
        assert _Files.hits.get("/red.png") is None
    finally:
        server.shutdown()
        server.server_close()


def test_gold_boxes_must_lie_inside_their_picture(app, make):
    """A gold box outside the picture could never be matched: every worker would fail it."""
    pool = make.pool(task_type="bounding_boxes", labels=LABELS)
    inside = '"[{""label"": ""Shoe"", ""x"": 4, ""y"": 4, ""w"": 40, ""h"": 30}]"'
    outside = '"[{""label"": ""Shoe"", ""x"": 40, ""y"": 4, ""w"": 40, ""h"": 30}]"'  # the picture is 64 wide
    files = {"tasks.csv": _csv(f"g1,red.png,{inside}", f"g2,red.png,{outside}", "t1,red.png,"), "red.png": RED}
    response = _upload(app, make, pool, _zip(files))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "tasks.csv:3: gold boxes:" in page and "outside the image" in page
    assert page.count("tasks.csv:") == 1 and _counts(app) == (0, 0)

    files["tasks.csv"] = _csv(f"g1,red.png,{inside}", "t1,red.png,")
    assert _upload(app, make, pool, _zip(files)).status_code == 200
    with app.app_context():
        gold = db.session.scalar(select(Task).where(Task.external_id == "g1"))
        assert gold.gold_answer == [{"label": "Shoe", "x": 4, "y": 4, "w": 40, "h": 30}]
