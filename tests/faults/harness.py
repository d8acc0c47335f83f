"""Fault-injection harness: real `moderator` processes (workers, API) on a real Redis, a sender
that behaves like a platform (retries until it gets 202 or 200), and a callback endpoint that
can be taken down. Processes are started with the project's own CLI, so what is killed here is
what runs in production."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis
import uvicorn

from moderator import bootstrap, keys
from moderator.core.signing import HEADER, sign
from moderator.settings import Settings
from moderator.web.app import create_app
from tests.conftest import CALLBACK_SECRET, SESSION_SECRET, WEBHOOK_SECRET
from tests.e2e.harness import free_port

ROOT = Path(__file__).resolve().parents[2]
#: Fast failure detection for the tests: a killed worker's messages are reclaimed after 0.5 s.
WORKER_SETTINGS = {
    "MODERATOR_MODEL__SPEC": "offline",
    "MODERATOR_WORKER__BATCH_SIZE": "16",
    "MODERATOR_WORKER__BATCH_WAIT_MS": "20",
    "MODERATOR_WORKER__BLOCK_MS": "100",
    "MODERATOR_WORKER__CLAIM_IDLE_MS": "500",
    # A message handed to many killed workers must still be scored, not dead-lettered.
    "MODERATOR_WORKER__MAX_ATTEMPTS": "100",
}


def wait_for(predicate: Callable[[], Any], timeout_s: float = 60, every_s: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {predicate}")


@dataclass
class Processes:
    """`moderator` subprocesses sharing one Redis; all are SIGKILLed at the end."""

    redis_url: str
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, **more: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            MODERATOR_REDIS_URL=self.redis_url,
            MODERATOR_WEBHOOK_SECRET=WEBHOOK_SECRET,
            MODERATOR_SESSION_SECRET=SESSION_SECRET,
            MODERATOR_CALLBACK_SECRET=CALLBACK_SECRET,
            MODERATOR_DATA_DIR=str(self.workdir / "var"),
            HF_HUB_OFFLINE="1",
            **WORKER_SETTINGS,
            **self.extra_env,
            **more,
        )
        return env

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        with (self.workdir / f"{args[0]}-{len(self.running)}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "moderator.cli", *args],
                cwd=ROOT,
                env=self.env(**env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill_all reaches its children
            )
        self.running.append(process)
        return process

    def worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker")

    def api(self, port: int, **env: str) -> subprocess.Popen[bytes]:
        """`moderator serve` on `port`, once /healthz answers."""
        process = self.start("serve", "--host", "127.0.0.1", "--port", str(port), **env)
        url = f"http://127.0.0.1:{port}/healthz"

        def up() -> bool:
            assert process.poll() is None, f"the API exited: {self.logs()}"
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(url, timeout=1).status_code == 200
            return False

        wait_for(up, 60, 0.1)
        return process

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
            for p in sorted(self.workdir.glob("*.log"))
        )

    def kill_all(self) -> None:
        """SIGKILL every process started here and all it spawned: `serve --workers N` runs
        uvicorn's worker processes, which outlive a killed parent and kept the port and their
        Redis connections after the test."""
        for process in self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def processes(redis_url: str, workdir: Path, **extra_env: str) -> Iterator[Processes]:
    procs = Processes(redis_url, workdir, extra_env)
    try:
        yield procs
    finally:
        procs.kill_all()


def consumer_of(pid: int) -> str:
    """The start of the consumer name `moderator worker` with this pid uses (bootstrap)."""
    import socket

    return f"{socket.gethostname()}-{pid}-"


@contextlib.contextmanager
def api_in_thread(settings: Settings) -> Iterator[str]:
    """The API in this process (uvicorn in a thread), no worker; yields its base URL."""
    port = free_port()
    app = create_app(bootstrap.build_web(settings, settings.redis_url, deliver=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 10, 0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def signed_post(client: httpx.Client, url: str, body: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        HEADER: sign(WEBHOOK_SECRET, raw, int(time.time())),
    }
    return client.post(url + "/v1/comments", content=raw, headers=headers)


@dataclass
class Sender:
    """A platform: posts comments `ids` in order, retrying each (with a short pause) until it is
    answered 202 or 200, as DESIGN.md asks of senders. Runs in a thread."""

    url: str
    count: int
    prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    per_s: float = 0.0  # 0: as fast as it goes
    site: str = "faults"
    #: Comment n's text is texts[n % len(texts)] with {n} filled in.
    texts: tuple[str, ...] = ("comment {n}: the raid was on the news",)
    accepted: dict[str, int] = field(default_factory=dict)  # id -> status (202 or 200)
    refused: int = 0  # 5xx answers and connection errors, each retried
    thread: threading.Thread | None = None

    def ids(self) -> list[str]:
        return [f"{self.prefix}-{n:05d}" for n in range(self.count)]

    def start(self) -> Sender:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def join(self, timeout_s: float = 300) -> None:
        assert self.thread is not None
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "the sender did not finish"

    def _run(self) -> None:
        started = time.monotonic()
        with httpx.Client(timeout=10) as client:
            for n, comment_id in enumerate(self.ids()):
                if self.per_s:
                    time.sleep(max(0.0, started + n / self.per_s - time.monotonic()))
                body = {
                    "id": comment_id,
                    "text": self.texts[n % len(self.texts)].format(n=n),
                    "site": self.site,
                }
                while comment_id not in self.accepted:
                    try:
                        status = signed_post(client, self.url, body).status_code
                    except httpx.HTTPError:
                        status = 0
                    if status in (200, 202):
                        self.accepted[comment_id] = status
                    else:
                        assert status in (0, 503), f"unexpected answer {status}"
                        self.refused += 1
                        time.sleep(0.05)

    def refs(self) -> list[str]:
        return [f"{self.site}:{i}" for i in self.accepted]


def scored_events(client: redis.Redis) -> list[str]:
    """The ref of every "scored" event in the feed (a comment stored twice shows up twice)."""
    refs = []
    for part in keys.parts():
        for _, fields in client.xrange(part.feed):
            event = json.loads(fields["data"])
            if event["event"] == "scored":
                refs.append(f"{event['site']}:{event['id']}")
    return refs


def states(client: redis.Redis, refs: list[str]) -> dict[str, str | None]:
    pipe = client.pipeline(transaction=False)
    for ref in refs:
        pipe.hget(keys.comment(ref), "state")
    return dict(zip(refs, pipe.execute(), strict=True))


def queued_members(client: redis.Redis) -> list[str]:
    members: list[str] = []
    for part in keys.parts():
        for name in ("hold", "review", "escalated"):
            members += client.zrange(part.queue(name), 0, -1)
    return members


def assert_each_queued_once(client: redis.Redis, refs: list[str]) -> None:
    """Every ref is scored (queued or approved), has exactly one "scored" feed event, sits in at
    most one queue once, nothing was dead-lettered and the ingest stream is empty."""
    found = states(client, refs)
    assert {s for s in found.values()} <= {"queued", "approved"}, {
        r: s for r, s in found.items() if s not in ("queued", "approved")
    }
    events = scored_events(client)
    assert sorted(events) == sorted(refs), "a comment was scored twice or not at all"
    members = queued_members(client)
    assert len(members) == len(set(members))
    assert sorted(members) == sorted(r for r, s in found.items() if s == "queued")
    assert all(client.xlen(part.dead) == 0 for part in keys.parts())
    assert all(client.xlen(part.ingest) == 0 for part in keys.parts())
