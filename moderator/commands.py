"""What each CLI subcommand does (argument parsing is in cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import secrets
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from moderator import bootstrap
from moderator.bootstrap.scoring import build_scoring
from moderator.core.models import ModelInfo
from moderator.errors import ConfigError
from moderator.settings import Settings, load_settings


def _settings(
    args: argparse.Namespace, *, quickstart: bool = False, require_secrets: bool = False
) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    model: dict[str, Any] = {}
    if getattr(args, "model", None):
        model["spec"] = args.model
    if getattr(args, "hf_config", None):
        model["hf_config"] = str(args.hf_config)
    settings = load_settings(quickstart=quickstart or not require_secrets, **overrides)
    if model:
        merged = settings.model.model_copy(update=model)
        settings = load_settings(
            quickstart=quickstart or not require_secrets, model=merged, **overrides
        )
    return settings


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
    where = settings.data_dir / "webhook_secret"
    note = "generated now, " if "webhook_secret" in generated else ""
    lines.append(f"Webhook secret ({note}kept in {where}): {settings.webhook.secret}")
    lines.append(
        f'Post a first comment:  moderator send "Listen to what the retard Freddy '
        f'has to say about him" --data-dir {settings.data_dir}'
    )
    lines.append(
        f"Data: {settings.data_dir.resolve()}  (embedded Redis, append-only file)"
        if not settings.redis_url
        else f"Redis: {settings.redis_url}"
    )
    lines.append("=" * 72)
    return "\n".join(lines)


async def _ensure_admin(url: str) -> tuple[str, str] | None:
    from moderator.adapters.redis_auth import RedisAuthStore
    from moderator.adapters.redis_client import connect_async

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

    settings, generated = bootstrap.quickstart_secrets(_settings(args, quickstart=True))
    url, embedded = bootstrap.open_store(settings)
    try:
        admin = asyncio.run(_ensure_admin(url))
        service = build_scoring(settings)
        stop = threading.Event()
        thread = _start_worker(settings, url, service, stop)
        print(_banner(settings, args, admin, generated, service.scorer.info), flush=True)
        app = create_app(bootstrap.build_web(settings, url))
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
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

    consumer = bootstrap.build_consumer(settings, url)
    bootstrap.publish_model(consumer.client, service.scorer.info)
    worker = Worker(consumer, service, settings.worker)
    thread = threading.Thread(target=worker.run, args=(stop,), name="worker", daemon=True)
    thread.start()
    return thread


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from moderator.web.app import create_app

    settings = _settings(args, require_secrets=True)
    url, embedded = bootstrap.open_store(settings)
    try:
        app = create_app(bootstrap.build_web(settings, url, deliver=not args.no_callbacks))
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", proxy_headers=True)
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def worker(args: argparse.Namespace) -> int:
    """A scoring worker in the foreground; SIGTERM or Ctrl-C finishes the batch in hand."""
    from moderator.worker.worker import Worker

    settings = _settings(args)
    url, embedded = bootstrap.open_store(settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        service = build_scoring(settings)
        consumer = bootstrap.build_consumer(settings, url)
        bootstrap.publish_model(consumer.client, service.scorer.info)
        print(f"worker {consumer.consumer} scoring with {service.scorer.info}", flush=True)
        Worker(consumer, service, settings.worker).run(stop)
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path} line {n} is not valid JSON: {exc.msg}.") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ConfigError(f"{path} line {n} needs a string 'text'.")
            yield {
                "id": str(row.get("id", n)),
                "text": row["text"],
                "language": row.get("language"),
            }


def score(args: argparse.Namespace) -> int:
    """Score text or JSONL without Redis: one DESIGN.md score record per input, in order."""
    from moderator.core.models import Comment

    if (args.text is None) == (args.input is None):
        raise ConfigError("Give either TEXT or --input FILE.jsonl.")
    settings = _settings(args)
    service = build_scoring(settings, log=lambda s: print(s, file=sys.stderr))
    rows = (
        [{"id": "1", "text": args.text, "language": None}]
        if args.text is not None
        else list(_read_jsonl(args.input))
    )
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        size = settings.worker.batch_size
        for i in range(0, len(rows), size):
            comments = [
                Comment(id=r["id"], text=r["text"], language=r["language"])
                for r in rows[i : i + size]
            ]
            for record in service.score(comments):
                out.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def send(args: argparse.Namespace) -> int:
    """Sign a comment with the webhook secret and POST it, as the platform would."""
    import httpx

    from moderator.core.signing import HEADER, sign

    settings = _settings(args)
    secret = settings.webhook.secret
    if not secret:
        path = settings.data_dir / "webhook_secret"
        if not path.exists():
            raise ConfigError(
                f"No webhook secret: set MODERATOR_WEBHOOK_SECRET or start "
                f"`moderator run` (it writes {path})."
            )
        secret = path.read_text().strip()
    body = json.dumps(
        {
            "id": args.id or uuid.uuid4().hex[:12],
            "text": args.text,
            "site": args.site,
            "author": {"name": args.author},
        }
    ).encode()
    headers = {"Content-Type": "application/json", HEADER: sign(secret, body, int(time.time()))}
    response = httpx.post(args.url.rstrip("/") + "/v1/comments", content=body, headers=headers)
    print(response.status_code, response.text)
    return 0 if response.is_success else 1


def models_pull(args: argparse.Namespace) -> int:
    from moderator.adapters.models import pull

    path = pull(args.type)
    print(f"Detoxify {args.type} is cached at {path}")
    return 0


def _with_auth(args: argparse.Namespace, action: Any) -> Any:
    from moderator.adapters.redis_auth import RedisAuthStore
    from moderator.adapters.redis_client import connect_async

    settings = _settings(args)
    url, embedded = bootstrap.open_store(settings, hold_lock=True)

    async def go() -> Any:
        client = connect_async(url)
        try:
            return await action(RedisAuthStore(client))
        finally:
            await client.aclose()

    try:
        return asyncio.run(go())
    finally:
        if embedded is not None:
            embedded.stop()


def tokens_create(args: argparse.Namespace) -> int:
    token = _with_auth(args, lambda auth: auth.create_token(args.name, args.role))
    print(f"Created a {args.role} token for {args.name!r}. It is shown once; keep it secret:")
    print(token)
    return 0


def tokens_revoke(args: argparse.Namespace) -> int:
    revoked = _with_auth(args, lambda auth: auth.revoke_token(args.token))
    print("Revoked." if revoked else "No such token.")
    return 0 if revoked else 1


def users_add(args: argparse.Namespace) -> int:
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    _with_auth(args, lambda auth: auth.add_user(args.name, password, args.role))
    print(f"Added {args.role} {args.name!r}.")
    return 0
