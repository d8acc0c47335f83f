"""`moderator archive`: move decided comments older than retention.hot_days from Redis to the
archive now (the service does it every retention.every_s), then trim the streams behind it."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from moderator import bootstrap
from moderator.commands import settings_from_args, store_args


def register(sub: Any) -> None:
    p = sub.add_parser("archive", help="move old decided comments from Redis to the archive")
    p.add_argument(
        "--hot-days", type=float, help="keep this many days in Redis (default retention.hot_days)"
    )
    store_args(p)
    p.set_defaults(handler=archive)


def archive(args: argparse.Namespace) -> int:
    from moderator.adapters.archive.archiver import Archiver
    from moderator.adapters.redis.client import connect_async

    settings = settings_from_args(args)
    retention = settings.retention
    url, embedded = bootstrap.open_store(settings, hold_lock=True)

    async def go() -> dict[str, Any]:
        client = connect_async(url)
        try:
            worker = Archiver(
                client,
                bootstrap.build_archive(settings),
                hot_days=args.hot_days or retention.hot_days,
                batch_size=retention.batch_size,
                lease_ms=int(retention.lease_s * 1000),
            )
            return (await worker.run(int(time.time() * 1000))).as_dict()
        finally:
            await client.aclose()

    try:
        report = asyncio.run(go())
    finally:
        if embedded is not None:
            embedded.stop()
    print(json.dumps(report))
    print(
        f"Archived {report['archived']} comments and {report['audit_entries']} audit entries "
        f"to {settings.archive.url or settings.data_dir / 'archive'}; {report['kept']} kept "
        "in Redis (changed since, or a callback still owed).",
        file=sys.stderr,
    )
    return 0
