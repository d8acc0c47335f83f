"""`moderator backtest`: replay decided comments through the current policy and a candidate,
against people's decisions (core/backtest.py); text for people, JSON (DESIGN.md) for tools."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from moderator import bootstrap
from moderator.commands import model_args, settings_from_args, store_args
from moderator.commands.export import _ms
from moderator.core.backtest import Window, backtest
from moderator.core.decided import Decided
from moderator.core.policy import Policy, load_policy
from moderator.settings import Settings

_RESCORE_BATCH = 64


def register(sub: Any) -> None:
    p = sub.add_parser("backtest", help="replay decided comments through a candidate policy")
    window_args(p)
    p.add_argument("--policy", type=Path, help="a candidate policy file")
    p.add_argument("--rescore", action="store_true", help="score again with today's models")
    p.add_argument("--format", choices=("text", "json"), default="text")
    model_args(p)
    store_args(p)
    p.set_defaults(handler=run)


def window_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", help="decisions from this date or date-time (UTC)")
    p.add_argument("--until", help="decisions up to this date (inclusive) or date-time (UTC)")


@contextmanager
def decided_store(args: argparse.Namespace) -> Iterator[tuple[Settings, str, Any, Policy]]:
    """Settings, the Redis URL, a Redis client and the current policy (seeded from the file if
    none)."""
    from moderator.adapters.redis.client import connect
    from moderator.adapters.redis.policies import RedisPolicies

    settings = settings_from_args(args)
    url, embedded = bootstrap.open_store(settings, hold_lock=True)
    client = connect(url)
    try:
        policies = RedisPolicies(client)
        path = settings.path(settings.policy.path)
        policies.seed(load_policy(path), f"file:{path}")
        current = policies.current()
        assert current is not None
        yield settings, url, client, current.policy
    finally:
        client.close()
        if embedded is not None:
            embedded.stop()


def load_decided(
    url: str, args: argparse.Namespace, settings: Settings
) -> tuple[list[Decided], Window]:
    """The window's decided comments from the archive (archive.url) and Redis together."""
    from moderator.adapters.redis.decided import read_decided

    since, until = _ms(args.since), _ms(args.until, end=True)
    items = read_decided(url, bootstrap.build_archive(settings), since, until)
    if getattr(args, "rescore", False):
        items = rescore(settings, items)
    return items, Window.of(since, until, items)


def rescore(settings: Settings, items: Sequence[Decided]) -> list[Decided]:
    """Score each comment's text again through today's scoring pipeline (models, language,
    lexicons); comments without a text keep their stored record."""
    from moderator.bootstrap.scoring import build_scoring

    service = build_scoring(settings)
    out = list(items)
    todo = [i for i, item in enumerate(out) if item.text]
    for start in range(0, len(todo), _RESCORE_BATCH):
        chunk = todo[start : start + _RESCORE_BATCH]
        records = service.score([out[i].comment() for i in chunk])
        for i, record in zip(chunk, records, strict=True):
            out[i] = dataclasses.replace(out[i], record=record)
    return out


def run(args: argparse.Namespace) -> int:
    with decided_store(args) as (settings, url, _client, current):
        items, window = load_decided(url, args, settings)
    candidate = load_policy(args.policy) if args.policy else None
    now = backtest(current, items, window)
    then = backtest(candidate, items, window) if candidate else None
    if args.format == "json":
        print(json.dumps({"current": now, "candidate": then}, indent=2, ensure_ascii=False))
    else:
        print(render(now, then))
    return 0


def render(current: dict[str, Any], candidate: dict[str, Any] | None) -> str:
    """The reports side by side: totals, then per language, site and label."""
    window = current["window"]
    lines = [
        f"Backtest {window['since']} … {window['until']}: {current['decided']} decided comments "
        f"({current['sampled']} from the control sample, {current['unscored']} never scored)",
        f"{'':<34}{'current ' + current['policy']:<28}"
        + (f"candidate {candidate['policy']}" if candidate else ""),
    ]
    lines += _rows("", current, candidate)
    for group in ("by_language", "by_site"):
        for key in current[group]:
            lines.append(f"{group.removeprefix('by_')} {key}:")
            other = candidate[group].get(key) if candidate else None
            lines += _rows("  ", current[group][key], other)
    lines.append("by label (sent to a person by the label's rules: count, precision, recall):")
    for label, row in current["by_label"].items():
        other = candidate["by_label"][label] if candidate else None
        cells = [_label_cell(row)] + ([_label_cell(other)] if other else [])
        lines.append(f"  {label:<32}" + "".join(f"{c:<28}" for c in cells).rstrip())
    return "\n".join(lines)


def _rows(indent: str, a: dict[str, Any], b: dict[str, Any] | None) -> list[str]:
    def cells(r: dict[str, Any]) -> list[str]:
        m = r["miss_rate"]
        return [
            f"{r['decided']}",
            f"{r['per_day_review']:.1f}",
            f"{_pct(m['value'])} [{_pct(m['low'])}, {_pct(m['high'])}]",
            _pct(r["false_hold_rate"]),
            f"{_pct(r['precision']['hold'])} / {_pct(r['recall']['hold'])}",
            f"{_pct(r['precision']['review'])} / {_pct(r['recall']['review'])}",
        ]

    names = [
        "decided",
        "sent to a person per day",
        "miss rate [95 % interval]",
        "false-hold rate",
        "hold precision / recall",
        "review precision / recall",
    ]
    left, right = cells(a), cells(b) if b else [""] * len(names)
    width = 34 - len(indent)
    return [
        f"{indent}{n:<{width}}{x:<28}{y}".rstrip()
        for n, x, y in zip(names, left, right, strict=True)
    ]


def _label_cell(row: dict[str, Any]) -> str:
    return f"{row['sent']}: {_pct(row['precision'])} / {_pct(row['recall'])}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"
