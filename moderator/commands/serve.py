"""`moderator run` (the quickstart), `serve` (API + UI) and `worker`."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import signal
import threading
from typing import Any

from moderator import bootstrap
from moderator.bootstrap.scoring import build_scoring
from moderator.commands import model_args, server_args, settings_from_args, store_args
from moderator.commands.checks import warn_durability
from moderator.commands.health import heartbeat_args, heartbeat_file
from moderator.core.models import ModelInfo
from moderator.core.urls import redact_url
from moderator.errors import ConfigError
from moderator.settings import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="quickstart: embedded Redis + API + worker in one process")
    server_args(p)
    store_args(p)
    model_args(p)
    p.set_defaults(handler=run)

    p = sub.add_parser("serve", help="the web API and UI only (needs secrets set)")
    server_args(p)
    store_args(p)
    p.add_argument("--no-callbacks", action="store_true", help="do not deliver callbacks here")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes sharing the port (each with its own connections)",
    )
    p.set_defaults(handler=serve)

    p = sub.add_parser("worker", help="a scoring worker (scale out by running several)")
    store_args(p)
    model_args(p)
    heartbeat_args(p)
    p.set_defaults(handler=worker)


def _banner(
    settings: Settings,
    args: argparse.Namespace,
    admin: tuple[str, str] | None,
    generated: list[str],
    model: ModelInfo,
) -> str:
    url = f"http://{args.host}:{args.port}"
    lines = ["", "=" * 72, f"moderator is running at {url}  (reviewer UI: {url}/login)"]
    if model.fallback:
        lines.append(
            f"Model: {model}  <- OFFLINE FALLBACK, not Detoxify: fetch the real model "
            "with `moderator models pull`"
        )
    else:
        lines.append(f"Model: {model}")
    if admin:
        lines.append(f"First start: admin login created  user: {admin[0]}  password: {admin[1]}")
        lines.append("  (shown once; add more with `moderator users add NAME --role reviewer`)")
    lines += _secret_lines(settings, generated)
    lines.append(
        f'Post a first comment:  moderator send "Listen to what the retard Freddy '
        f'has to say about him" --data-dir {settings.data_dir}'
    )
    lines.append(
        f"Data: {settings.data_dir.resolve()}  (embedded Redis, append-only file)"
        if not settings.redis_url
        else f"Redis: {redact_url(settings.redis_url)}"
    )
    lines.append("=" * 72)
    return "\n".join(lines)


def _secret_lines(settings: Settings, generated: list[str]) -> list[str]:
    """A secret's value is shown once, on the start that generated it; later starts say where
    it is kept (or that it came from the environment)."""
    lines = []
    for name, label, env, value in (
        ("webhook_secret", "Webhook secret", "MODERATOR_WEBHOOK_SECRET", settings.webhook.secret),
        (
            "callback_secret",
            "Callback signing secret",
            "MODERATOR_CALLBACK_SECRET",
            settings.callback.secret,
        ),
    ):
        path = settings.data_dir / name
        if name in generated:
            lines.append(f"{label} (generated now, shown once, kept in {path}): {value}")
        elif path.exists() and path.read_text().strip() == value:
            lines.append(f"{label}: kept in {path} (not shown again)")
        else:
            lines.append(f"{label}: from {env}")
    return lines


async def _ensure_admin(url: str) -> tuple[str, str] | None:
    from moderator.adapters.redis.auth import RedisAuthStore
    from moderator.adapters.redis.client import connect_async

    client = connect_async(url)
    try:
        auth = RedisAuthStore(client)
        if await auth.has_users():
            return None
        password = secrets.token_urlsafe(12)
        await auth.add_user("admin", password, "admin")
        return "admin", password
    finally:
        await client.aclose()


def run(args: argparse.Namespace) -> int:
    """Embedded Redis + API + worker in one process: the quickstart."""
    import uvicorn

    from moderator.web.app import create_app

    settings, generated = bootstrap.quickstart_secrets(settings_from_args(args, quickstart=True))
    url, embedded = bootstrap.open_store(settings)
    if embedded is None:
        warn_durability(url)
    try:
        admin = asyncio.run(_ensure_admin(url))
        service = build_scoring(settings)
        stop = threading.Event()
        thread = _start_worker(settings, url, service, stop)
        print(_banner(settings, args, admin, generated, service.scorer.info), flush=True)
        app = create_app(bootstrap.build_web(settings, url), host=args.host)
        # Forwarded headers are applied by the app itself, from web.trusted_proxies only.
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", proxy_headers=False)
        stop.set()
        thread.join()
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def _start_worker(
    settings: Settings, url: str, service: Any, stop: threading.Event
) -> threading.Thread:
    from moderator.worker.worker import Worker

    parts = bootstrap.worker_parts(settings, url, service, stop)
    assert parts is not None, "`stop` is set only after the server has ended"
    consumer, reloader = parts
    worker = Worker(consumer, service, settings.worker, reloader=reloader)
    thread = threading.Thread(target=worker.run, args=(stop,), name="worker", daemon=True)
    thread.start()
    return thread


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from moderator.web.app import create_app

    if args.workers < 1:
        raise ConfigError(f"--workers must be 1 or more (got {args.workers}).")
    settings = settings_from_args(args, require_secrets=True)
    url, embedded = bootstrap.open_store(settings)
    if embedded is None:
        warn_durability(url)
    try:
        if args.workers > 1:
            _serve_processes(args, url)
            return 0
        app = create_app(
            bootstrap.build_web(settings, url, deliver=not args.no_callbacks), host=args.host
        )
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", proxy_headers=False)
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def worker(args: argparse.Namespace) -> int:
    """A scoring worker in the foreground; SIGTERM or Ctrl-C finishes the batch in hand."""
    from moderator.worker.worker import Worker

    settings = settings_from_args(args)
    url, embedded = bootstrap.open_store(settings)
    if embedded is None:
        warn_durability(url)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        service = build_scoring(settings)
        parts = bootstrap.worker_parts(settings, url, service, stop)
        if parts is None:
            return 0  # stopped (SIGTERM) while waiting for Redis
        consumer, reloader = parts
        print(
            f"worker {consumer.consumer} scoring with {service.scorer.info}, "
            f"policy {service.policy.version}",
            flush=True,
        )
        beat = heartbeat_file(args, settings)
        Worker(consumer, service, settings.worker, touch=beat, reloader=reloader).run(stop)
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def _serve_processes(args: argparse.Namespace, url: str) -> None:
    """`--workers N`: uvicorn's supervisor runs N processes on one socket (a dead one is
    replaced); each builds its app with moderator.web.factory from what is resolved here (the
    Redis URL: an embedded Redis started by this process is shared, not started again)."""
    import json
    import os

    import uvicorn

    from moderator.web.factory import OPTIONS_ENV

    os.environ["MODERATOR_REDIS_URL"] = url
    if args.data_dir:
        os.environ["MODERATOR_DATA_DIR"] = str(args.data_dir)
    os.environ[OPTIONS_ENV] = json.dumps({"host": args.host, "deliver": not args.no_callbacks})
    uvicorn.run(
        "moderator.web.factory:web_app",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_level="info",
        proxy_headers=False,
    )
