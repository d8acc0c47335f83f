"""`python -m bench [NAME ...] [--quick] [--no-write]`: run the benchmark suite.

    python -m bench                  # everything, rewrites docs/benchmarks.md (`make bench`)
    python -m bench scoring ingest   # a subset; only their sections of docs/benchmarks.md change
    python -m bench --quick          # tiny sizes, nothing written (the smoke tests)

Each benchmark prints its figures as it goes, and its baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench import report
from bench.suite import BENCHMARKS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"default all: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes; implies --no-write")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}: use {', '.join(BENCHMARKS)}")
    sections = []
    for name in names:
        started = time.monotonic()
        print(f"\n=== {name} ===", flush=True)
        section = BENCHMARKS[name](quick=args.quick)
        print(f"({name} took {time.monotonic() - started:.0f} s)", flush=True)
        sections.append(section)
    if not (args.quick or args.no_write):
        report.write(sections, report.command_line())
        print(f"\nWrote {', '.join(names)} to {report.DOC.relative_to(report.ROOT)}")
    missed = [f"{s.name}: {what}" for s in sections for what, met in s.targets if not met]
    print("\nTargets not met: " + ("; ".join(missed) if missed else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
