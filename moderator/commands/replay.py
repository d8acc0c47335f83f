"""`moderator replay`: rescore the comments whose scoring failed (ingest dead letters), and with
`--callbacks` also redeliver the callback dead letters. Works while `moderator run` is running
(it attaches to the embedded Redis). The rescoring itself is done by the running workers: this
command puts each held-for-failure comment back on the ingest stream, atomically, and says how
many it put back; a comment a reviewer decided meanwhile is left as decided."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from moderator import bootstrap
from moderator.commands import settings_from_args, store_args


def register(sub: Any) -> None:
    p = sub.add_parser("replay", help="rescore comments whose scoring failed (ingest dead letters)")
    p.add_argument("entries", nargs="*", help="dead-letter entry ids (default: all)")
    p.add_argument(
        "--callbacks", action="store_true", help="also redeliver every callback dead letter"
    )
    store_args(p)
    p.set_defaults(handler=replay)


def replay(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    url, embedded = bootstrap.open_store(settings, hold_lock=True)
    try:
        lines = asyncio.run(_replay(url, settings.webhook.max_backlog, args))
    finally:
        if embedded is not None:
            embedded.stop()
    for line in lines:
        print(line)
    return 0


async def _replay(url: str, max_backlog: int, args: argparse.Namespace) -> list[str]:
    from moderator.adapters.redis.client import connect_async
    from moderator.adapters.redis.dead_letters import RedisIngestDeadLetters
    from moderator.adapters.redis.outbox import RedisOutbox

    client = connect_async(url)
    try:
        dead = RedisIngestDeadLetters(client, max_backlog=max_backlog)
        if args.entries:
            counts: dict[str, int] = {}
            for entry in args.entries:
                status = await dead.replay(entry)
                counts[status] = counts.get(status, 0) + 1
        else:
            counts = await dead.replay_all()
        lines = [
            f"Ingest dead letters: {counts.get('rescored', 0)} comments put back for scoring "
            f"(a running worker scores them), {counts.get('resolved', 0)} already decided, "
            f"edited or rescored (cleared), {counts.get('missing', 0)} not found."
        ]
        if args.callbacks:
            outbox = RedisOutbox(client)
            letters = await outbox.dead_letters(limit=1_000_000)
            now_ms = int(time.time() * 1000)
            done = sum([await outbox.replay(d["feed_id"], now_ms) for d in letters])
            lines.append(f"Callback dead letters: {done} queued for delivery again.")
        return lines
    finally:
        await client.aclose()
