"""`moderator sample stats`: what auto-approval misses, estimated from the control sample
(policy `sample_rate`): reviewed samples, rejections, the miss rate and its Wilson 95 % interval,
overall, per language and per site, from the archive and Redis together."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from moderator import bootstrap
from moderator.commands import settings_from_args, store_args
from moderator.commands.export import _ms
from moderator.core.sampling import MissRate, MissRates


def register(sub: Any) -> None:
    sample = sub.add_parser("sample", help="the control sample of auto-approved comments")
    commands = sample.add_subparsers(dest="sample_command", required=True)
    p = commands.add_parser("stats", help="miss rate of auto-approval, per language and site")
    p.add_argument("--since", help="from this date or date-time (UTC), e.g. 2026-11-01")
    p.add_argument("--until", help="up to this date (inclusive) or date-time (UTC)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    store_args(p)
    p.set_defaults(handler=stats)


def stats(args: argparse.Namespace) -> int:
    from moderator.adapters.archive.control_sample import sample_miss_rates
    from moderator.adapters.redis.client import connect_async

    since, until = _ms(args.since), _ms(args.until, end=True)
    settings = settings_from_args(args)
    url, embedded = bootstrap.open_store(settings, hold_lock=True)

    async def go() -> MissRates:
        client = connect_async(url)
        try:
            archive = bootstrap.build_archive(settings)
            return await sample_miss_rates(client, archive, since_ms=since, until_ms=until)
        finally:
            await client.aclose()

    try:
        rates = asyncio.run(go())
    finally:
        if embedded is not None:
            embedded.stop()
    print(json.dumps(rates.as_dict(), indent=2) if args.format == "json" else text(rates))
    return 0


def text(rates: MissRates) -> str:
    lines = ["Miss rate of auto-approval (control sample, Wilson 95 % interval)"]
    lines.append(_line("all", rates.overall))
    for title, group in (("language", rates.by_language), ("site", rates.by_site)):
        lines += [f"by {title}:"] + [_line(f"  {k}", v) for k, v in sorted(group.items())]
    return "\n".join(lines)


def _line(name: str, rate: MissRate) -> str:
    if rate.value is None:
        return f"{name:<16} no reviewed samples yet"
    return (
        f"{name:<16} {rate.misses}/{rate.reviewed} rejected = {rate.value:.1%} "
        f"[{rate.low:.1%}, {rate.high:.1%}]"
    )
