"""`moderator score` (no Redis) and `moderator send` (sign and post, as a platform would)."""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from moderator.bootstrap.scoring import build_scoring
from moderator.commands import model_args, settings_from_args, store_args
from moderator.errors import ConfigError
from moderator.evaluation.dataset import read_jsonl

#: Comments per scoring call of `moderator score`: the model sorts every window of a call by
#: length before batching, so a bigger call pads less (a worker's batch is what it read).
SCORE_CHUNK = 256


def register(sub: Any) -> None:
    p = sub.add_parser("score", help="score text or a JSONL file, without Redis")
    p.add_argument("text", nargs="?", help="the text to score")
    p.add_argument("--input", type=Path, help="JSONL of {id, text[, language]}")
    p.add_argument("--output", type=Path, help="JSONL of score records (default stdout)")
    model_args(p)
    p.set_defaults(handler=score)

    p = sub.add_parser("send", help="sign and post a comment to a running moderator")
    p.add_argument("text")
    p.add_argument("--id", help="comment id (default: a random one)")
    p.add_argument("--site", default="default")
    p.add_argument("--author", default="quickstart")
    p.add_argument("--url", default="http://127.0.0.1:8000")
    store_args(p)
    p.set_defaults(handler=send)


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    for n, row in read_jsonl(path):
        if not isinstance(row.get("text"), str):
            raise ConfigError(f"{path} line {n} needs a string 'text'.")
        yield {"id": str(row.get("id", n)), "text": row["text"], "language": row.get("language")}


def score(args: argparse.Namespace) -> int:
    """Score text or JSONL without Redis: one DESIGN.md score record per input, in order."""
    from moderator.core.models import Comment

    if (args.text is None) == (args.input is None):
        raise ConfigError("Give either TEXT or --input FILE.jsonl.")
    settings = settings_from_args(args)
    service = build_scoring(settings, log=lambda s: print(s, file=sys.stderr))
    rows = (
        [{"id": "1", "text": args.text, "language": None}]
        if args.text is not None
        else list(_read_jsonl(args.input))
    )
    out = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        size = max(settings.worker.batch_size, SCORE_CHUNK)
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

    settings = settings_from_args(args)
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
