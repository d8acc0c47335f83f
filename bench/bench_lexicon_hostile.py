"""Hostile input for the lexicon: what the worst 20,000-character comments cost to scan.

    python -m bench hostile          # in the suite (docs/benchmarks.md)

The tests assert the scan is linear in operations (tests/fuzz/test_lexicon_fuzz.py) and that a
budgeted scan stops; the seconds live here. Each pathological pattern (repeated characters,
spaced-out letters, masked words, phrase fragments) is repeated to 20,000 characters and scanned
with a warm token cache, best of three, in CPU seconds of this process. Baseline in the same
run: 20,000 characters of ordinary comments. Target: the worst stays under the default
`policy.lexicon_budget_s` (0.25 s), so that ceiling only ever stops something new.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bench.report import ROOT, Section

LONG = 20_000
BUDGET_S = 0.25
UNITS = [
    "a ",
    "f u ",
    "r e t a r d ",
    "p u t a ",
    "retard ",
    "h1jo de p*ta ",
    "guevo ",
    "f\u200bu",
    "ret ",
    "re-",
    "1!|",
    "\u200b",
    "fuuu",
    "hope someone shoots that ",  # phrases through {any}
    "gringos are a bunch of ",
    "one down ",  # a phrase that needs a context word: none near, every candidate looks
    "killed. one down ",  # ... and one near each candidate
]
BASELINE = (
    "The raid on the village last night left three families without a home. "
    "El gobierno volvió a subir el precio de la gasolina y nadie dice nada. "
)


def repeated(unit: str, length: int = LONG) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def cpu_s(find: Callable[[str], object], text: str, rounds: int) -> float:
    find(text)  # fills the token cache, as a running worker has it
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        find(text)
        best = min(best, time.process_time() - started)
    return best


def run(quick: bool) -> Section:
    from moderator.core.lexicon import load_lexicon

    section = Section("hostile", "Lexicon scan of hostile 20,000-character comments (one core)")
    lexicon = load_lexicon(sorted(Path(ROOT, "moderator/config/lexicons").glob("*.toml")))
    rounds = 1 if quick else 3
    units = UNITS[:3] if quick else UNITS
    baseline = cpu_s(lexicon.find, repeated(BASELINE), rounds)
    section.line(f"Baseline, ordinary comments: {baseline * 1000:.1f} ms CPU per 20,000 chars.")
    section.line()
    section.line("| pattern (repeated to 20,000 chars) | CPU ms (best of 3) | × baseline |")
    section.line("|---|---:|---:|")
    worst = 0.0
    for unit in units:
        took = cpu_s(lexicon.find, repeated(unit), rounds)
        worst = max(worst, took)
        shown = unit.encode("unicode_escape").decode().replace("|", "\\|")
        section.line(f"| `{shown}` | {took * 1000:.1f} | {took / baseline:.1f}× |")
    section.line()
    section.line(
        f"Worst {worst * 1000:.0f} ms = **{worst / BUDGET_S:.2f}×** the default "
        f"`policy.lexicon_budget_s` ({BUDGET_S} s)."
    )
    section.target(f"worst hostile comment under {BUDGET_S} s CPU", worst < BUDGET_S)
    return section
