"""The lexicon benchmark in the suite: runs bench/bench_lexicon.py (the detection-quality
engineer's script, unchanged) in a subprocess and reads its figures back.

Target: 20,000 comments/s on one core for ~300-character comments; the ratio printed is to
that target (the lexicon has no slower implementation to race against).
"""

from __future__ import annotations

import re
import subprocess
import sys

from bench.report import ROOT, Section

TARGET_PER_S = 20_000


def run(quick: bool) -> Section:
    section = Section("lexicon", "Lexicon matching (one core)")
    args = ["--count", "300", "--seconds", "0.5"] if quick else ["--seconds", "5"]
    command = [sys.executable, "bench/bench_lexicon.py", *args]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    figures = parse(out)
    section.line(f"`{' '.join(['python', *command[1:]])}` printed:")
    section.line()
    section.line("```")
    for text in out.strip().splitlines():
        section.line(text)
    section.line("```")
    section.line()
    steady = figures["steady"]
    section.line(
        f"Steady state {steady:,.0f} comments/s = **{steady / TARGET_PER_S:.2f}×** the "
        f"{TARGET_PER_S:,} comments/s target; first pass (cold token cache) "
        f"{figures['cold']:,.0f} comments/s."
    )
    section.target(f"≥ {TARGET_PER_S:,} comments/s on one core", steady >= TARGET_PER_S)
    return section


def parse(output: str) -> dict[str, float]:
    """The numbers bench_lexicon.py prints: steady-state and first-pass comments per second and
    the corpus' mean length."""

    def number(pattern: str) -> float:
        found = re.search(pattern, output)
        if not found:
            raise RuntimeError(f"bench_lexicon.py output has no {pattern!r}:\n{output}")
        return float(found.group(1).replace(",", ""))

    return {
        "steady": number(r"steady state[^:]*:\s*([\d,]+)"),
        "cold": number(r"first pass[^:]*:\s*([\d,]+)"),
        "mean_chars": number(r"mean\s+([\d,]+)\s+chars"),
    }
