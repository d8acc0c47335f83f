"""`moderator migrate`: move data written under the first key layout (`mod:…`) to today's
(`{mod}:…`, one Redis Cluster hash slot; adapters/redis/layout.py). Run it once with every
moderator process stopped; it is safe to run again (what moved is skipped). An embedded Redis
is migrated by any command at start, so only an external Redis needs this."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from moderator import bootstrap
from moderator.commands import settings_from_args, store_args


def register(sub: Any) -> None:
    p = sub.add_parser("migrate", help="move data of the first key layout (mod:…) to {mod}:…")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="count what would move and the conflicts; change nothing",
    )
    store_args(p)
    p.set_defaults(handler=migrate)


def migrate(args: argparse.Namespace) -> int:
    from moderator.adapters.redis import layout as redis_layout
    from moderator.adapters.redis.client import connect

    settings = settings_from_args(args)
    url, embedded = bootstrap.open_store(settings, hold_lock=True, check_layout=False)
    try:
        client = connect(url, decode_responses=False)
        try:
            done = redis_layout.migrate(client, dry_run=args.dry_run)
        finally:
            client.close()
    finally:
        if embedded is not None:
            embedded.stop()
    print(json.dumps(done.as_dict()))
    verb = "would move" if args.dry_run else "moved"
    print(
        f"{verb} {done.moved} keys to the {{mod}} layout; {done.already} were there already; "
        f"{len(done.conflicts)} conflicts (new name holds other data, old key left in place).",
        file=sys.stderr,
    )
    return 2 if done.conflicts else 0
