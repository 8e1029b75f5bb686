"""Downloading a file from an https URL into bytes, for task imports that name media by address.

An import is run by a pool manager, but the addresses come from a file someone else may have
written, so a download must not become a way into our own network (SSRF):

- https only; no user name or password in the address;
- the host name is resolved once and every address it resolves to must be public: private,
  loopback, link-local, multicast, reserved, unspecified and shared (CGNAT) addresses are
  refused, IPv4 and IPv6 alike, including IPv4 written inside IPv6 (::ffff:10.0.0.1, 6to4, NAT64);
- the connection goes to the address that was checked (TLS still checks the certificate for
  the host name, sent as SNI and Host), so a second DNS answer cannot swap in a private one;
- redirects are not followed (a 3xx is an error naming where it pointed), only 200 is accepted;
- time-limited (connect, and the whole download) and size-capped (reading stops past the cap).

SAMASCHOOL_MEDIA_FETCH_ALLOW lists "host:port" entries that are exempt from the address check
and may use plain http: it exists so that tests can serve files from 127.0.0.1. It is empty by
default, is not read from the environment, and must stay empty in production.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from urllib.parse import unquote, urlsplit

from flask import current_app, has_app_context
from flask_babel import gettext as _

from samaschool.media.errors import MediaError

CONNECT_TIMEOUT = 10.0  # seconds to connect (and for any one read)
TOTAL_TIMEOUT = 30.0  # seconds for the whole download
MAX_URL_LENGTH = 2000
CHUNK = 64 * 1024
USER_AGENT = "Samaschool media import"

# IPv6 prefixes that carry an IPv4 address in their last 32 bits (RFC 6052 NAT64).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(MediaError):
    """A download that failed or was refused. `str(error)` is "<url>: <reason>"."""

    def __init__(self, url: str, reason: str):
        super().__init__(url, reason)
        self.url = url

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


def _setting(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


def allowed_hosts() -> set[str]:
    """The test-only allow-list ("host:port" entries), from SAMASCHOOL_MEDIA_FETCH_ALLOW."""
    value = _setting("SAMASCHOOL_MEDIA_FETCH_ALLOW", ())
    if isinstance(value, str):
        value = value.split(",")
    return {entry.strip().lower() for entry in value if entry.strip()}


def is_url(value: str) -> bool:
    """Whether an import cell holds an address (to download) rather than a file name."""
    return "://" in value


def shown_name(url: str) -> str:
    """A file name for a downloaded file: the last part of the address's path."""
    parts = urlsplit(url)
    name = unquote(parts.path.rsplit("/", 1)[-1]) or parts.hostname or "download"
    return name[:255]


def refused_address(address: str) -> bool:
    """Whether a resolved address is one we never download from (anything not public)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.teredo is not None:
            return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _resolve(url: str, host: str, port: int, checked: bool) -> list[tuple[int, str]]:
    """(family, address) for each address `host` resolves to; every one of them checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(url, _("the host name could not be found")) from None
    addresses = []
    for family, _type, _proto, _name, sockaddr in infos:
        address = sockaddr[0]
        if checked and refused_address(address):
            raise FetchError(
                url,
                _(
                    "the address leads to a private or local network (%(address)s); we never download from those",
                    address=address,
                ),
            )
        if (family, address) not in addresses:
            addresses.append((family, address))
    if not addresses:
        raise FetchError(url, _("the host name could not be found"))
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain http to one given address (allow-listed test servers only)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self) -> None:
        self.sock = self.opened = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """https to one given address, checking the certificate for the host name (sent as SNI)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.pinned_address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        try:
            self.sock = self.opened = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def fetch(
    url: str,
    *,
    max_bytes: int,
    connect_timeout: float | None = None,
    total_timeout: float | None = None,
) -> bytes:
    """The body of a 200 answer to GET `url`, at most `max_bytes` long; FetchError otherwise.

    Timeouts default to SAMASCHOOL_MEDIA_FETCH_CONNECT_TIMEOUT (10 s) and
    SAMASCHOOL_MEDIA_FETCH_TIMEOUT (30 s, the whole download)."""
    if connect_timeout is None:
        connect_timeout = float(_setting("SAMASCHOOL_MEDIA_FETCH_CONNECT_TIMEOUT", CONNECT_TIMEOUT))
    if total_timeout is None:
        total_timeout = float(_setting("SAMASCHOOL_MEDIA_FETCH_TIMEOUT", TOTAL_TIMEOUT))
    if len(url) > MAX_URL_LENGTH or any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise FetchError(url[:200], _("this is not an address we can download from"))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchError(url, _("this is not an address we can download from")) from None
    host = parts.hostname
    if not host:
        raise FetchError(url, _("this is not an address we can download from"))
    if parts.username is not None or parts.password is not None:
        raise FetchError(url, _("addresses with a user name or password are not accepted"))
    scheme = parts.scheme.lower()
    port = port or (443 if scheme == "https" else 80)
    exempt = f"{host}:{port}".lower() in allowed_hosts() or f"[{host}]:{port}".lower() in allowed_hosts()
    if scheme != "https" and not (exempt and scheme == "http"):
        raise FetchError(url, _("only https addresses can be downloaded"))
    addresses = _resolve(url, host, port, checked=not exempt)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    timed_out = threading.Event()
    connection: list[http.client.HTTPConnection] = []

    def give_up() -> None:  # the whole download's time limit: cut the connection
        timed_out.set()
        opened = getattr(connection[0], "opened", None) if connection else None
        if opened is not None:  # kept: http.client lets go of its socket once the answer starts
            with contextlib.suppress(OSError):  # TCP's own shutdown, under any TLS layer
                socket.socket.shutdown(opened, socket.SHUT_RDWR)

    too_slow = _("the server took too long (more than %(seconds)s seconds)", seconds=f"{total_timeout:g}")
    timer = threading.Timer(total_timeout, give_up)
    timer.daemon = True
    started = time.monotonic()
    timer.start()
    try:
        response = _connect_and_get(url, scheme, host, port, addresses, target, connect_timeout, connection)
        body = _read(url, response, max_bytes)
    except FetchError:
        if timed_out.is_set():
            raise FetchError(url, too_slow) from None
        raise
    except TimeoutError:  # one step (connecting, or waiting for the next bytes) took too long
        if timed_out.is_set():
            raise FetchError(url, too_slow) from None
        raise FetchError(
            url, _("the server took too long (more than %(seconds)s seconds)", seconds=f"{connect_timeout:g}")
        ) from None
    except ssl.SSLError as error:
        if timed_out.is_set():
            raise FetchError(url, too_slow) from None
        raise FetchError(
            url, _("the secure connection failed (%(reason)s)", reason=getattr(error, "reason", None) or error)
        ) from None
    except (OSError, http.client.HTTPException) as error:
        if timed_out.is_set() or time.monotonic() - started >= total_timeout:
            raise FetchError(url, too_slow) from None
        raise FetchError(
            url, _("the download failed (%(reason)s)", reason=str(error) or type(error).__name__)
        ) from None
    finally:
        timer.cancel()
        for conn in connection:
            conn.close()
    if timed_out.is_set():  # cut short by the time limit: what we have is not the whole file
        raise FetchError(url, too_slow)
    return body


def _connect_and_get(url, scheme, host, port, addresses, target, timeout, connection) -> http.client.HTTPResponse:
    last_error: OSError | None = None
    for _family, address in addresses:
        kind = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        conn = kind(host, port, address, timeout)
        connection[:] = [conn]
        try:
            conn.connect()
        except ssl.SSLError:
            raise
        except TimeoutError:
            raise
        except OSError as error:  # refused, unreachable: try the host's next address
            conn.close()
            last_error = error
            continue
        conn.request(
            "GET",
            target,
            headers={"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity", "Connection": "close"},
        )
        return conn.getresponse()
    raise FetchError(url, _("could not connect (%(reason)s)", reason=str(last_error) or "no address"))


def _read(url: str, response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    with response:
        return _body(url, response, max_bytes)


def _body(url: str, response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    too_large = _("the file is larger than %(size)s MB", size=f"{max_bytes / (1024 * 1024):g}")
    if 300 <= response.status < 400:
        location = (response.getheader("Location") or "").strip()[:200] or "?"
        raise FetchError(
            url,
            _(
                "the server redirects to %(location)s (status %(status)d); redirects are not followed, "
                "give the file's own address",
                location=location,
                status=response.status,
            ),
        )
    if response.status != 200:
        raise FetchError(url, _("the server answered %(status)d instead of sending the file", status=response.status))
    declared = response.getheader("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > max_bytes:
        raise FetchError(url, too_large)
    chunks, total = [], 0
    while chunk := response.read(CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(url, too_large)
        chunks.append(chunk)
    return b"".join(chunks)
