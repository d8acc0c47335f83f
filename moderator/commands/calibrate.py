"""`moderator calibrate --target-recall R [--apply]`: per label and per language, the review
thresholds that reach recall R on rejected comments at the least workload (core/calibrate.py);
prints them, the policy diff and its backtest. `--apply` stores the result as a new policy
version (logged with who and why). Too few decisions: it says so, recommends nothing, exits 0."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

from moderator.commands import model_args, store_args
from moderator.commands.backtest import decided_store, load_decided, render, window_args
from moderator.commands.policy import who
from moderator.core.backtest import backtest
from moderator.core.calibrate import MIN_REJECTED, calibrate, calibrated_policy
from moderator.core.policy_text import diff_policies
from moderator.errors import ConfigError


def register(sub: Any) -> None:
    p = sub.add_parser("calibrate", help="thresholds that reach a recall at the least workload")
    p.add_argument("--target-recall", type=float, default=0.95, help="on rejected comments")
    p.add_argument("--min-rejected", type=int, default=MIN_REJECTED, help="per language")
    window_args(p)
    p.add_argument("--rescore", action="store_true", help="score again with today's models")
    p.add_argument("--apply", action="store_true", help="store it as a new policy version")
    p.add_argument("--why", default="", help="kept in the policy log (default: the target)")
    p.add_argument("--by", default="", help="who (default: the login name)")
    model_args(p)
    store_args(p)
    p.set_defaults(handler=run)


def calibrated_version(version: str, now: float) -> str:
    """`<base>+cal<UTC time>`: the base version without an earlier calibration's suffix."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d%H%M%S")
    return f"{version.split('+cal', 1)[0]}+cal{stamp}"


def run(args: argparse.Namespace) -> int:
    from moderator.adapters.redis.policies import RedisPolicies

    if not 0 < args.target_recall <= 1:
        raise ConfigError(f"--target-recall must be in (0, 1], got {args.target_recall}.")
    with decided_store(args) as (settings, url, client, current):
        items, window = load_decided(url, args, settings)
        result = calibrate(current, items, args.target_recall, min_rejected=args.min_rejected)
        print(
            f"Calibrating policy {current.version} for recall {args.target_recall:.2f} on "
            f"{len(items)} decided comments ({window.since} … {window.until})."
        )
        for note in result.notes:
            print(f"  {note}")
        if not result.changes:
            print(
                "No threshold to change: nothing recommended."
                if not result.thresholds
                else "The thresholds in force are already the least workload at this recall."
            )
            return 0
        for t in result.thresholds:
            print(
                f"  {t.language} {t.label} ({t.rule}): {t.old:.2f} → {t.new:.2f}  recall "
                f"{t.recall:.3f}, sent {t.workload_before} → {t.workload}"
            )
        candidate = calibrated_policy(
            current, result, calibrated_version(current.version, time.time())
        )
        print("\n".join(["", "Policy diff:", *diff_policies(current, candidate), ""]))
        print(render(backtest(current, items, window), backtest(candidate, items, window)))
        if args.apply:
            why = args.why or f"moderator calibrate --target-recall {args.target_recall}"
            version = RedisPolicies(client).apply(candidate, who(args), why)
            print(f"\nPolicy version {version} is current; workers pick it up within reload_s.")
    return 0
