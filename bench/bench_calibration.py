"""Calibrated for this community: the simulated site (bench/site_sim.py) on the real offline
stack, then `moderator backtest` and `moderator calibrate --apply`, as processes.

An embedded Redis, `moderator serve` and `moderator worker --model offline` (the lexicons and
the packaged policy), each a subprocess on loopback; a few hundred labelled public comments per
language posted through the signed webhook and decided through the review and platform APIs by
their labels. Reports before/after per language: the toxicity review threshold, recall, miss
rate with its interval, comments sent to a person, false holds, and how long each step took.
Baseline: the packaged policy, in the same table. Needs the shared data sets
(MODERATOR_SHARED_DATA or the nearest `shared/data` above the checkout).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import services
from bench.report import ROOT, Section
from bench.site_sim import Site, load_sets, run_site

PER_CLASS_FULL = 150
PER_CLASS_QUICK = 15
TARGET = 0.95


def shared_data() -> Path:
    if os.environ.get("MODERATOR_SHARED_DATA"):
        return Path(os.environ["MODERATOR_SHARED_DATA"])
    found = (p / "shared" / "data" for p in ROOT.parents)
    return next((p for p in found if p.is_dir()), ROOT.parent / "shared" / "data")


def run(quick: bool) -> Section:
    section = Section("calibration", "Calibrated for this community: backtest and calibrate")
    shared = shared_data()
    if not shared.is_dir():
        section.line(f"Skipped: no shared data at {shared} (set MODERATOR_SHARED_DATA).")
        return section
    per_class = PER_CLASS_QUICK if quick else PER_CLASS_FULL
    items = load_sets(shared, per_class)
    # quick runs decide too few comments to calibrate: the notes say so.
    min_rejected = "5" if quick else "30"
    with services.stack() as stack:
        url = stack.api()
        stack.worker(model__spec="offline", policy__reload_s="1")
        reviewer = _moderator(stack, "tokens", "create", "--role", "reviewer", "--name", "sim")
        platform = _moderator(stack, "tokens", "create", "--role", "platform", "--name", "cms")
        site = Site(url, services.WEBHOOK_SECRET, _last(reviewer), _last(platform))
        try:
            started = time.monotonic()
            states = run_site(site, items)
            site_s = time.monotonic() - started
        finally:
            site.close()
        before, backtest_s = _timed(stack, "backtest", "--format", "json")
        calibrated, calibrate_s = _timed(
            stack,
            "calibrate",
            "--target-recall",
            str(TARGET),
            "--min-rejected",
            min_rejected,
            "--apply",
            "--by",
            "bench",
            "--why",
            "python -m bench calibration",
        )
        after, _ = _timed(stack, "backtest", "--format", "json")
    _report(
        section,
        items,
        states,
        json.loads(before)["current"],
        json.loads(after)["current"],
        calibrated,
    )
    section.line()
    section.line(
        f"Timings (offline model, {len(items)} comments): webhook + scoring + "
        f"{len(items)} decisions over HTTP {site_s:.1f} s; `moderator backtest` {backtest_s:.1f} s;"
        f" `moderator calibrate --apply` {calibrate_s:.1f} s (each a new process: start-up "
        "included)."
    )
    return section


def _moderator(stack: services.Stack, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "moderator.cli", *args],
        cwd=ROOT,
        env=services.env(stack.redis_url),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"moderator {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def _timed(stack: services.Stack, *args: str) -> tuple[str, float]:
    started = time.monotonic()
    out = _moderator(stack, *args)
    return out, time.monotonic() - started


def _last(output: str) -> str:
    return output.strip().splitlines()[-1]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _threshold(text: str, language: str) -> str:
    """The review thresholds calibrate changed for `language` ("rule old → new; …")."""
    changed = []
    for line in text.splitlines():
        head, _, rest = line.strip().partition("):")
        if head.startswith(f"{language} ") and "(" in head and "→" in rest:
            rule = head.split("(", 1)[1]
            change = rest.split("recall")[0].strip().rstrip(",")
            old, _, new = change.partition("→")
            if old.strip() != new.strip():
                changed.append(f"{rule} {change}")
    return "; ".join(changed) or "unchanged"


def _report(
    section: Section,
    items: list[Any],
    states: dict[str, str],
    before: dict[str, Any],
    after: dict[str, Any],
    calibrated: str,
) -> None:
    langs = sorted({i.language for i in items})
    queued = sum(s == "queued" for s in states.values())
    section.line(
        f"Sets: {', '.join(f'{lang} {sum(i.language == lang for i in items)}' for lang in langs)}"
        " comments, half rejected by their labels (Spanish: toxicity-es-latam protest tweets both"
        " coders agreed on; English: Davidson, hate or offensive = reject). The packaged policy "
        f"queued {queued}, approved {len(items) - queued}; every label entered as a decision "
        f"(reviewers on queued ones, the platform on approved ones). Target recall {TARGET}."
    )
    section.line()
    section.line(
        "| language | policy | review thresholds changed | recall | miss rate [95 %] | "
        "sent per day | false holds | review precision |"
    )
    section.line("|---|---|---|---|---|---|---|---|")
    for lang in langs:
        for name, report, threshold in (
            ("packaged (baseline)", before, "-"),
            ("calibrated", after, _threshold(calibrated, lang)),
        ):
            r = report["by_language"][lang]
            m = r["miss_rate"]
            section.line(
                f"| {lang} | {name} `{report['policy']}` | {threshold} | "
                f"{_pct(r['recall']['review'])} | {_pct(m['value'])} [{_pct(m['low'])}, "
                f"{_pct(m['high'])}] | {r['per_day_review']:.0f} | {_pct(r['false_hold_rate'])} |"
                f" {_pct(r['precision']['review'])} |"
            )
    notes = [
        line.strip() for line in calibrated.splitlines() if "too few" in line or "reach" in line
    ]
    for note in notes:
        section.line(f"- calibrate: {note}")
    section.targets.append(
        ("backtest counts every decided comment", before["decided"] == len(items))
    )
    section.targets.append(("calibrated policy applied", after["policy"] != before["policy"]))
