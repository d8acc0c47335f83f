"""Per category and language, how the offline stack treats the hand-written policy sentences
(issue 12, part 5): tests/fixtures/quality/policy_tuning.jsonl (used to set the thresholds) and
blind_policy.jsonl (written before any tuning; reported apart).

    python bench/quality/policy_sets.py [--model offline] [FILE ...]

`expect` per row: flag (review or hold), approve, or not_hold (approve or review).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILES = [
    "tests/fixtures/quality/policy_tuning.jsonl",
    "tests/fixtures/quality/blind_policy.jsonl",
    "tests/fixtures/quality/blind_policy_2.jsonl",
    "tests/fixtures/quality/blind_policy_3.jsonl",
    "tests/fixtures/quality/blind_policy_4.jsonl",
    "tests/fixtures/quality/blind_policy_5.jsonl",
    "tests/fixtures/quality/blind_policy_6.jsonl",
    "tests/fixtures/quality/blind_policy_7.jsonl",
    "tests/fixtures/quality/blind_policy_8.jsonl",
    "tests/fixtures/quality/blind_policy_9.jsonl",
    "tests/fixtures/quality/blind_policy_10.jsonl",
]


def right(expect: str, action: str) -> bool:
    return {
        "flag": action != "approve",
        "approve": action == "approve",
        "not_hold": action != "hold",
    }[expect]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="offline")
    parser.add_argument("--misses", action="store_true", help="list the wrong ones")
    parser.add_argument("files", nargs="*", default=FILES)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from moderator.bootstrap.scoring import build_scoring
    from moderator.core.models import Comment
    from moderator.settings import load_settings

    service = build_scoring(
        load_settings(quickstart=True, model={"spec": args.model}), log=lambda s: None
    )
    for name in args.files:
        rows = [json.loads(x) for x in (ROOT / name).read_text(encoding="utf-8").splitlines()]
        records = service.score([Comment(str(i), r["text"]) for i, r in enumerate(rows)])
        cells: dict[tuple[str, str], list[bool]] = defaultdict(list)
        for row, record in zip(rows, records, strict=True):
            ok = right(row["expect"], str(record.action))
            cells[(row["category"], row["language"])].append(ok)
            if args.misses and not ok:
                print(f"  MISS {record.action}: {row['text']}  {record.reasons}")
        total = sum(sum(v) for v in cells.values())
        count = sum(len(v) for v in cells.values())
        print(f"\n{name} with {service.scorer.info}: {total}/{count} right\n")
        print("| category | expected | en | es |")
        print("|---|---|---:|---:|")
        expects = {r["category"]: r["expect"] for r in rows}
        for cat in dict.fromkeys(r["category"] for r in rows):
            en, es = cells.get((cat, "en"), []), cells.get((cat, "es"), [])
            fmt = lambda v: f"{sum(v)}/{len(v)}" if v else "–"  # noqa: E731
            print(f"| {cat} | {expects[cat]} | {fmt(en)} | {fmt(es)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
