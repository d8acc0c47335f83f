"""A live moderator for end-to-end tests: real uvicorn on a free port, a worker thread, a real
Redis; plus a real HTTP server standing in for the platform's callback endpoint."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import uvicorn

from moderator import bootstrap
from moderator.adapters.redis.auth import RedisAuthStore
from moderator.adapters.redis.client import connect_async
from moderator.core.scoring import ScoringService
from moderator.core.signing import HEADER, sign
from moderator.settings import Settings
from moderator.web.app import create_app
from moderator.worker.worker import Worker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class CallbackServer:
    """Records every POST; answers 503 while `down` is set."""

    received: list[dict[str, Any]] = field(default_factory=list)
    down: threading.Event = field(default_factory=threading.Event)
    attempts: int = 0
    url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.attempts += 1
                if server.down.is_set():
                    self.send_response(503)
                    self.end_headers()
                    return
                server.received.append(
                    {"headers": dict(self.headers), "body": body, "json": json.loads(body)}
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def callback_server() -> Iterator[CallbackServer]:
    state = CallbackServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/moderation"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class Live:
    settings: Settings
    url: str
    worker: Worker

    def post(self, body: dict[str, Any]) -> httpx.Response:
        raw = json.dumps(body).encode()
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(self.settings.webhook.secret, raw, int(time.time())),
        }
        return httpx.post(self.url + "/v1/comments", content=raw, headers=headers)

    def token(self, role: str = "reviewer", name: str = "alice") -> str:
        async def create() -> str:
            client = connect_async(self.settings.redis_url)
            try:
                return await RedisAuthStore(client).create_token(name, role)
            finally:
                await client.aclose()

        return asyncio.run(create())

    def wait_for(self, predicate: Any, timeout_s: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError("timed out waiting for the condition")


def scoring_worker(settings: Settings, consumer: Any, service: ScoringService) -> Worker:
    """A worker without `serve`'s PolicyReloader, which is what applies the `policy.sample_rate`
    setting (the suite sets 0): apply it here too, or the policy file's 0.01 control sample
    leaves a random clean comment "queued" (a WordPress test saw one)."""
    if settings.policy.sample_rate is not None:
        service.policy = replace(service.policy, sample_rate=settings.policy.sample_rate)
    return Worker(consumer, service, settings.worker)


@contextmanager
def live_moderator(settings: Settings, service: ScoringService) -> Iterator[Live]:
    consumer = bootstrap.build_consumer(settings, settings.redis_url)
    bootstrap.publish_model(consumer.client, service.scorer.info)
    worker = scoring_worker(settings, consumer, service)
    stop = threading.Event()
    worker_thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    worker_thread.start()
    port = free_port()
    app = create_app(bootstrap.build_web(settings, settings.redis_url))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    server_thread = threading.Thread(target=server.run, daemon=True)
    server_thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield Live(settings, f"http://127.0.0.1:{port}", worker)
    finally:
        server.should_exit = True
        server_thread.join(10)
        stop.set()
        worker_thread.join(10)
