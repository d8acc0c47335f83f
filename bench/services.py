"""The processes the live benchmarks run against: an embedded Redis (append-only, fsync always,
as `moderator run` starts it), the API as `moderator serve` runs it, and `moderator worker`s,
each a real subprocess on loopback. Plus signed webhook bodies, as a platform sends them."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench import corpus
from bench.report import ROOT

WEBHOOK_SECRET = "bench-webhook-secret-" + "0" * 24
SESSION_SECRET = "bench-session-secret-" + "0" * 24
SITE = "bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env(redis_url: str, **settings: str) -> dict[str, str]:
    """The environment of a moderator process: secrets, Redis, and MODERATOR_* overrides."""
    out = dict(os.environ)
    out.update(
        MODERATOR_REDIS_URL=redis_url,
        MODERATOR_WEBHOOK_SECRET=WEBHOOK_SECRET,
        MODERATOR_SESSION_SECRET=SESSION_SECRET,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    out.update({f"MODERATOR_{k.upper()}": v for k, v in settings.items()})
    return out


@dataclass
class Stack:
    redis_url: str
    data_dir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    api_url: str = ""
    api_process: subprocess.Popen[bytes] | None = None

    def api(self, *, baseline: bool = False, **settings: str) -> str:
        """Start `moderator serve` on a free port; returns its base URL once it answers. With
        `baseline`, the same app on plain asyncio + h11 (bench/serve_api.py)."""
        port = free_port()
        args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--no-callbacks"]
        if baseline:
            args = [
                "-m",
                "bench.serve_api",
                "--port",
                str(port),
                "--loop",
                "asyncio",
                "--http",
                "h11",
            ]
        process = self._spawn(args, settings)
        self.api_url = f"http://127.0.0.1:{port}"
        self.api_process = process
        wait_http(self.api_url + "/healthz", process)
        return self.api_url

    def worker(self, **settings: str) -> subprocess.Popen[bytes]:
        return self._spawn(["worker"], settings)

    def _spawn(self, args: list[str], settings: dict[str, str]) -> subprocess.Popen[bytes]:
        command = args if args[0] == "-m" else ["-m", "moderator.cli", *args]
        with (self.data_dir / f"{args[0]}-{len(self.processes)}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, *command],
                cwd=ROOT,
                env=env(self.redis_url, **settings),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def stack() -> Iterator[Stack]:
    """An embedded Redis in a temporary folder; every process started on it is stopped after."""
    from moderator.adapters.redis.embedded import EmbeddedRedis

    with tempfile.TemporaryDirectory(prefix="moderator-bench-") as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis").start()
        running = Stack(redis.url, Path(tmp))
        try:
            yield running
        finally:
            for process in reversed(running.processes):
                running.stop(process)
            redis.stop()


def wait_http(url: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


def body(n: int, text: str, prefix: str = "b", site: str = SITE) -> bytes:
    """A webhook body as a platform sends it: comment, author, thread."""
    return json.dumps(
        {
            "id": f"{prefix}{n:08d}",
            "text": text,
            "site": site,
            "author": {"id": f"u{n % 997}", "name": f"reader {n % 997}"},
            "thread": {
                "id": f"t{n % 50}",
                "title": "Sanctions, blackouts and the next election",
                "url": f"https://news.example/{n % 50}",
            },
        },
        ensure_ascii=False,
    ).encode()


def signed_bodies(
    count: int, prefix: str = "b", seed: int = 21, sites: tuple[str, ...] = (SITE,)
) -> list[tuple[str, bytes]]:
    """`count` (signature header, body) pairs of distinct comments, signed now, taking the
    sites in turn."""
    from moderator.core.signing import sign

    texts = [c.text for c in corpus.comments(min(count, 2000), seed=seed)]
    now = int(time.time())
    out = []
    for n in range(count):
        raw = body(n, texts[n % len(texts)], prefix, sites[n % len(sites)])
        out.append((sign(WEBHOOK_SECRET, raw, now), raw))
    return out


def run_id() -> str:
    return secrets.token_hex(3)
