"""`moderator export decisions`: the audit log as JSON lines or CSV, for training data and for
recalibrating thresholds, read from the archive and Redis together (adapters/archive/audit.py),
so a decision is exported wherever it is kept. Each row is one decision (undos included) with
the comment's text and what the reviewer was shown: scores, model, policy version, language and
lexicon categories."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from datetime import UTC, datetime
from typing import IO, Any

from moderator import bootstrap
from moderator.commands import settings_from_args, store_args
from moderator.core.models import LABELS, SITE_LABEL
from moderator.errors import ConfigError

FIELDS = [
    "at",
    "site",
    "id",
    "decision",
    "reason",
    "note",
    "by",
    "version",
    "previous_state",
    "state",
    "priority",
    "model",
    "policy_version",
    "language",
    "categories",
    *(f"score_{label}" for label in LABELS),
    f"score_{SITE_LABEL}",  # the site model's, when one scored the comment
    "author_id",
    "thread_id",
    "text",
]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def register(sub: Any) -> None:
    export = sub.add_parser("export", help="export data").add_subparsers(
        dest="export_command", required=True
    )
    p = export.add_parser("decisions", help="every audited decision, oldest first")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("--output", help="file to write (default: standard output)")
    p.add_argument("--since", help="from this date or date-time (UTC), e.g. 2026-11-01")
    p.add_argument("--until", help="up to this date (inclusive) or date-time (UTC)")
    store_args(p)
    p.set_defaults(handler=export_decisions)


def row(entry: dict[str, Any]) -> dict[str, Any]:
    """One flat row: the audit entry plus the comment and record it is about."""
    comment, record = entry.get("comment") or {}, entry.get("record") or {}
    model = entry.get("model") or {}
    scores = entry.get("scores") or {}
    matches = record.get("matches") or []
    return {
        "at": datetime.fromtimestamp(int(entry.get("at") or 0) / 1000, UTC).isoformat(),
        **{k: entry.get(k) for k in ("site", "id", "decision", "reason", "note", "by")},
        **{k: entry.get(k) for k in ("version", "previous_state", "state", "priority")},
        "model": f"{model.get('name')}@{model.get('version')}" if model else None,
        "policy_version": entry.get("policy_version"),
        "language": record.get("language"),
        "categories": sorted({m.get("category") for m in matches if m.get("category")}),
        **{f"score_{label}": scores.get(label) for label in (*LABELS, SITE_LABEL)},
        "author_id": (comment.get("author") or {}).get("id"),
        "thread_id": (comment.get("thread") or {}).get("id"),
        "text": comment.get("text"),
    }


def _cell(value: Any) -> Any:
    """CSV cells a spreadsheet would run as a formula get a leading apostrophe."""
    if isinstance(value, list):
        value = ";".join(value)
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def _ms(value: str | None, *, end: bool = False) -> int | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{value!r} is not a date (YYYY-MM-DD) or date-time.") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    ms = int(parsed.timestamp() * 1000)
    return ms + 86_399_999 if end and len(value) == 10 else ms


async def write(
    audit: Any, out: IO[str], fmt: str, since_ms: int | None, until_ms: int | None
) -> int:
    writer = csv.DictWriter(out, FIELDS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    count = 0
    async for entry in audit.entries(since_ms, until_ms):
        flat = row(entry)
        if writer:
            writer.writerow({k: _cell(v) for k, v in flat.items()})
        else:
            out.write(json.dumps(flat, ensure_ascii=False) + "\n")
        count += 1
    return count


def export_decisions(args: argparse.Namespace) -> int:
    from moderator.adapters.archive.audit import ArchivedAudit
    from moderator.adapters.redis.audit import RedisAudit
    from moderator.adapters.redis.client import connect_async

    since, until = _ms(args.since), _ms(args.until, end=True)
    settings = settings_from_args(args)
    url, embedded = bootstrap.open_store(settings, hold_lock=True)

    async def go(out: IO[str]) -> int:
        client = connect_async(url)
        try:
            hot = RedisAudit(client, scan_max=settings.review.scan_max)
            audit = ArchivedAudit(hot, bootstrap.build_archive(settings))
            return await write(audit, out, args.format, since, until)
        finally:
            await client.aclose()

    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as f:
                count = asyncio.run(go(f))
        else:
            count = asyncio.run(go(sys.stdout))
    finally:
        if embedded is not None:
            embedded.stop()
    print(f"Exported {count} decisions.", file=sys.stderr)
    return 0
