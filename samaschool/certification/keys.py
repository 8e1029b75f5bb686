"""Ed25519 signing keys for credentials, kept as files in the instance folder.

The private keys never leave that folder; `jwks()` publishes every public key, old ones
included, so credentials signed before a rotation still verify.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

CURRENT = "current"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def keys_dir() -> Path:
    configured = current_app.config.get("SAMASCHOOL_KEYS_PATH")
    return Path(configured) if configured else Path(current_app.instance_path) / "keys"


def public_jwk(public_key: Ed25519PublicKey) -> dict:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw)}
    # RFC 7638 thumbprint: the key's id is derived from the key itself.
    thumbprint = _b64(hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest())
    return {**jwk, "kid": thumbprint, "use": "sig", "alg": "EdDSA"}


@contextmanager
def _locked(folder: Path):
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_new_key(folder: Path) -> str:
    private_key = Ed25519PrivateKey.generate()
    kid = public_jwk(private_key.public_key())["kid"]
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(folder / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    # Atomically: a reader that finds the file must never find it empty (it exists from the
    # moment it is opened for writing, before the id is in it).
    pending = folder / f".{CURRENT}.{os.getpid()}"
    pending.write_text(kid)
    os.replace(pending, folder / CURRENT)
    return kid


def _load(folder: Path, kid: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key((folder / f"{kid}.pem").read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"key {kid} is not an Ed25519 key")
    return key


def current_key() -> tuple[str, Ed25519PrivateKey]:
    """The key that signs new credentials, generated on first use (once, even across processes)."""
    folder = keys_dir()
    current = folder / CURRENT
    if not current.exists():
        with _locked(folder):
            if not current.exists():
                _write_new_key(folder)
    kid = current.read_text().strip()
    return kid, _load(folder, kid)


def rotate() -> str:
    """Make a new current key; the old ones stay published for verification."""
    folder = keys_dir()
    with _locked(folder):
        return _write_new_key(folder)


def all_public_keys() -> dict[str, Ed25519PublicKey]:
    folder = keys_dir()
    if not folder.exists():
        return {}
    keys = {}
    for path in sorted(folder.glob("*.pem")):
        keys[path.stem] = _load(folder, path.stem).public_key()
    return keys


def jwks() -> dict:
    current_key()  # publish a key from the first request on
    return {"keys": [public_jwk(key) for key in all_public_keys().values()]}
