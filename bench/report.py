"""What every benchmark result carries (machine, date, commit, command) and how the results land
in docs/benchmarks.md: one section per benchmark between markers, so running a subset
(`python -m bench scoring`) replaces only that benchmark's section."""

from __future__ import annotations

import datetime
import os
import platform
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"

HEADER = """# Benchmarks

Produced by `make bench` (`python -m bench`), which runs every benchmark in `bench/` and
rewrites the section of each one it ran; `python -m bench NAME ...` runs a subset
(`lexicon`, `scoring`, `ingest`, `e2e`, `queue`, `hostile`, `login`, `ui`) and `--quick` runs
tiny sizes (what the smoke tests in `tests/bench/` use; such runs are not written here). Every
section says on which machine, at which commit, when and with which command its figures were
measured. Each benchmark measures its baseline in the same run, side by side, and prints the ratio.
Timings are never asserted in tests.

Reading the figures: the machine these were taken on has 2 cores and was shared with other
test runs (each section gives the load average when it started); the load generator, the API,
Redis and the worker share those cores in the live benchmarks. Re-run `make bench` on a quiet
machine before quoting a number. The scoring checkpoints have random weights (the real
Detoxify weights cannot be downloaded here): speed does not depend on weight values, but the
int8-vs-fp32 differences below are those of random weights; `moderator models export --onnx
--int8` prints the same difference for the real weights on the machine that exports them
(and `tests/adapters/test_onnx_scorer.py` holds int8 to 0.02 on a tiny checkpoint whose
activations are the size of a trained bert-base's). The plain loop's figure is lower than the
issue's "about ten per second" because that was measured on uniform 60-token comments, where
a batch of 8 pads nothing; on a thread of mixed lengths the loop pads each batch of 8 to its
longest comment.
"""


@dataclass
class Section:
    """One benchmark's result: a title, its figures as markdown, and pass/fail per target."""

    name: str
    title: str
    body: list[str] = field(default_factory=list)
    targets: list[tuple[str, bool]] = field(default_factory=list)
    started: str = field(
        default_factory=lambda: datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    )
    load: str = field(default_factory=lambda: ", ".join(f"{x:.2f}" for x in os.getloadavg()))

    def line(self, text: str = "") -> None:
        print(text, flush=True)
        self.body.append(text)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(row) + " |" for row in rows),
        ]
        for text in lines:
            self.line(text)
        self.line()

    def target(self, what: str, met: bool) -> None:
        self.targets.append((what, met))
        self.line(f"- target {what}: **{'met' if met else 'NOT met'}**")


def machine() -> str:
    """CPU model, cores (usable/total), RAM, OS and Python, in one line."""
    model = platform.processor() or "unknown CPU"
    try:
        info = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
        model = found.group(1).strip() if found else model
    except OSError:
        pass
    ram = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{model}, {usable} usable of {os.cpu_count()} cores, {ram} RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def commit() -> str:
    """HEAD's short hash, with "+ uncommitted changes" when the tree differs (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}{' + uncommitted changes' if dirty else ''}"


def provenance(section: Section, command: str) -> list[str]:
    return [
        f"- machine: {machine()}",
        f"- date: {section.started}; load average (1, 5, 15 min) at start: {section.load}",
        f"- commit: {commit()}",
        f"- command: `{command}`",
    ]


def command_line() -> str:
    args = " ".join(sys.argv[1:])
    return f"python -m bench {args}".strip()


def write(sections: list[Section], command: str, path: Path = DOC) -> None:
    """Replace (or append) each section's block in `path`, keeping the others."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    for section in sections:
        block = "\n".join(
            [
                f"<!-- bench:{section.name} -->",
                f"## {section.title}",
                "",
                *provenance(section, command),
                "",
                *section.body,
                f"<!-- /bench:{section.name} -->",
            ]
        )
        pattern = re.compile(
            rf"<!-- bench:{section.name} -->.*?<!-- /bench:{section.name} -->", re.S
        )
        if pattern.search(text):
            text = pattern.sub(lambda _, block=block: block, text)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
