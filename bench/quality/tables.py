"""Print the tables of docs/quality.md from the JSON reports `moderator eval` wrote.

    python bench/quality/tables.py [--eval var/eval]

One table of every set's overall figures, the targets of issue 3 with pass/fail, and a table per
HateCheck / MHC functionality. Run bench/quality/run_all.sh first.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SETS = [
    ("hatecheck", "HateCheck (en)"),
    ("mhc-es", "Multilingual HateCheck (es)"),
    ("obfuscated_slurs", "Obfuscated slurs (fixture, en+es)"),
    ("community_en_es", "Community comments (fixture, en+es)"),
    ("es-latam", "toxicity-es-latam (es, coders agree)"),
    ("offendes-test", "OffendES test (es)"),
    ("davidson", "Davidson et al. (en)"),
    ("olid-test", "OLID test A (en)"),
    ("hatexplain-test", "HateXplain test (en)"),
    ("jigsaw-templates", "Jigsaw identity templates (en)"),
]
HELD = (
    "counter_quote_nh",
    "counter_ref_nh",
    "profanity_nh",
    "slur_reclaimed_nh",
    "slur_homonym_nh",
)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def overall(reports: dict[str, Any]) -> list[str]:
    lines = [
        "| set | n | positive | flagged | held | precision | recall | F1 | ROC AUC |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, name in SETS:
        if key in reports:
            s = reports[key]["overall"]
            lines.append(
                f"| {name} | {s['n']} | {s['positives']} | {_pct(s['flagged_rate'])} | "
                f"{_pct(s['held_rate'])} | {_num(s['precision'])} | {_num(s['recall'])} | "
                f"{_num(s['f1'])} | {_num(s['auc'])} |"
            )
    return lines


def targets(reports: dict[str, Any]) -> list[str]:
    lines = ["| target | set | measured | pass |", "|---|---|---:|:---:|"]
    for key, name in (("hatecheck", "HateCheck"), ("mhc-es", "MHC (es)")):
        groups = reports.get(key, {}).get("groups", {}).get("functionality", {})
        for func, floor in (("slur_h", 0.95), ("threat_dir_h", 0.80), ("threat_norm_h", 0.80)):
            if func in groups:
                got = groups[func]["recall"]
                lines.append(_target(f"recall {func} ≥ {floor:.2f}", name, got, got >= floor))
        for func in HELD:
            if func in groups:
                got = groups[func]["held_rate"]
                lines.append(_target(f"held {func} ≤ 10 %", name, got, got <= 0.10, pct=True))
    columns = reports.get("obfuscated_slurs", {}).get("groups", {}).get("column", {})
    for column, s in columns.items():
        got = s["recall"]
        lines.append(_target(f"obfuscated {column} recall ≥ 0.90", "fixture", got, got >= 0.9))
    return lines


def _target(what: str, where: str, got: float, ok: bool, pct: bool = False) -> str:
    value = _pct(got) if pct else f"{got:.3f}"
    return f"| {what} | {where} | {value} | {'pass' if ok else 'FAIL'} |"


def functionalities(report: dict[str, Any]) -> list[str]:
    lines = [
        "| functionality | n | gold | flagged (review or hold) | held |",
        "|---|---:|---|---:|---:|",
    ]
    for func, s in report["groups"]["functionality"].items():
        gold = "hateful" if s["positives"] else "non-hateful"
        lines.append(
            f"| {func} | {s['n']} | {gold} | {_pct(s['flagged_rate'])} | {_pct(s['held_rate'])} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT / "var/eval")
    args = parser.parse_args()
    reports = {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(args.eval.glob("*.json"))
    }
    print("### All sets\n")
    print("\n".join(overall(reports)))
    print("\n### Targets\n")
    print("\n".join(targets(reports)))
    for key, name in SETS[:2]:
        if key in reports:
            print(f"\n### {name}, per functionality\n")
            print("\n".join(functionalities(reports[key])))


if __name__ == "__main__":
    main()
