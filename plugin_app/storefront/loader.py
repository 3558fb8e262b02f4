"""Serving loader.js: one file for every shop, versioned by its content hash.

The file (written by the storefront script's author at plugin_app/storefront/static/
loader.js) is read once per change of its modification time, hashed and gzipped in memory.
A URL carrying `?v=<hash>` of the current content is immutable and cached for a year; any
other URL (a theme snippet without the version) is cached for five minutes, so a release
reaches every shop quickly. ETag and If-None-Match spare the bytes either way.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

LOADER_PATH = Path(__file__).resolve().parent / "static" / "loader.js"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"


@dataclass(frozen=True)
class LoaderFile:
    body: bytes
    gzipped: bytes
    version: str
    mtime: float

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


_files: dict[Path, LoaderFile] = {}
_lock = threading.Lock()


def loader_file(path: Path = LOADER_PATH) -> LoaderFile | None:
    """The loader's bytes, gzip and content hash (None when the file is missing)."""
    path = Path(path)
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    current = _files.get(path)
    if current is not None and current.mtime == mtime:
        return current
    with _lock:
        body = path.read_bytes()
        version = hashlib.sha256(body).hexdigest()[:16]
        found = LoaderFile(body, gzip.compress(body, compresslevel=9, mtime=0), version, mtime)
        _files[path] = found
        return found


def loader_url(public_url: str, shop_public_id: str) -> str:
    """The versioned script URL a theme or extension should include (immutable)."""
    found = loader_file()
    base = f"{public_url.rstrip('/')}/storefront/v1/{shop_public_id}/loader.js"
    return f"{base}?v={found.version}" if found else base


def gzipped_size(path: Path = LOADER_PATH) -> int | None:
    found = loader_file(path)
    return None if found is None else len(found.gzipped)
