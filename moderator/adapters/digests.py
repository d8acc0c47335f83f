"""SHA-256 of model files, hashed once per version of a file.

A checkpoint is hundreds of megabytes and hashing it takes seconds, which every `moderator
score` would pay again. So each digest is remembered, in this process and (when a memo file is
given) in a small JSON file, under the file's identity: resolved path, size and modification
time in nanoseconds (not inode or device, which change between an image's build and its run).
Rewriting a file changes its modification time, so the new version is hashed again. The memo
is advisory: an unreadable or unwritable memo file only means hashing again; a lost update (two
processes writing at once) loses a memo entry, never a wrong digest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import uuid
from pathlib import Path

#: Entries kept in a memo file (the newest): enough for every model a site might use.
MEMO_ENTRIES = 64

_memo: dict[str, str] = {}
_lock = threading.Lock()


def sha256_file(path: Path, *, memo: Path | None = None) -> str:
    """The hex sha256 of the file at `path` (OSError when it cannot be read)."""
    identity = _identity(path)
    with _lock:
        if identity in _memo:
            return _memo[identity]
    remembered = _read(memo).get(identity) if memo is not None else None
    digest = remembered or _hash(path)
    with _lock:
        _memo[identity] = digest
    if memo is not None and remembered is None:
        _remember(memo, identity, digest)
    return digest


def forget() -> None:
    """Drop this process' memo (tests; the memo files are untouched)."""
    with _lock:
        _memo.clear()


def _identity(path: Path) -> str:
    resolved = path.resolve()
    st = resolved.stat()
    return f"{resolved}|{st.st_size}|{st.st_mtime_ns}"


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read(memo: Path) -> dict[str, str]:
    try:
        data = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _remember(memo: Path, identity: str, digest: str) -> None:
    entries = _read(memo)
    entries.pop(identity, None)
    entries[identity] = digest
    kept = dict(list(entries.items())[-MEMO_ENTRIES:])
    partial = memo.with_name(f"{memo.name}.{uuid.uuid4().hex}.partial")
    with contextlib.suppress(OSError):  # a read-only cache (a baked image) just hashes again
        memo.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(kept, indent=0), encoding="utf-8")
        os.replace(partial, memo)
    with contextlib.suppress(OSError):
        partial.unlink(missing_ok=True)
