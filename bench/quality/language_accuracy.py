"""Accuracy of offline language detectors on short English and Spanish comments.

    python bench/quality/language_accuracy.py [--shared ../shared/data] [--per-set 1500]

Compares lingua-language-detector (high and low accuracy mode) with py3langid (if installed),
all restricted to the same candidate set as config/moderator.toml ([language] languages), on
real comments from the evaluation sets (EN: HateCheck, OLID test, Davidson; ES: Multilingual
HateCheck, toxicity-es-latam, OffendES test) and on the committed code-switched EN/ES fixture
(tests/fixtures/quality/mixed_en_es.jsonl, where either en or es is right). Prints accuracy by
length and the share of EN/ES comments that would be called another language ("unsupported")
at three confidence thresholds.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from moderator.core.language import Detection  # noqa: E402

CANDIDATES = ["en", "es", "pt", "fr", "it", "de"]
THRESHOLDS = (0.5, 0.7, 0.9)
BUCKETS = ((0, 40, "≤ 40 chars"), (41, 100, "41–100"), (101, 10**9, "> 100"))


def _csv(path: Path, column: str, delimiter: str = ",") -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return [row[column] for row in csv.DictReader(f, delimiter=delimiter) if row[column]]


def load_sets(shared: Path, per_set: int) -> list[tuple[str, str, str]]:
    """(set name, gold language, text) rows, `per_set` sampled per set with a fixed seed."""
    sources = {
        ("hatecheck", "en"): (shared / "hatecheck/test_suite_cases.csv", "test_case", ","),
        ("olid-test", "en"): (shared / "olid/testset-levela.tsv", "tweet", "\t"),
        ("davidson", "en"): (shared / "davidson-hsol/labeled_data.csv", "tweet", ","),
        ("mhc-es", "es"): (
            shared / "mhc-spanish/hatecheck_cases_final_spanish.csv",
            "test_case",
            ",",
        ),
        ("es-latam", "es"): (shared / "toxicity-es-latam/goldstd_protests.csv", "text", ","),
        ("offendes-test", "es"): (shared / "offendes/test_set.tsv", "comment", "\t"),
    }
    rng = random.Random(7)
    rows = []
    for (name, language), (path, column, delimiter) in sources.items():
        texts = _csv(path, column, delimiter)
        for text in rng.sample(texts, min(per_set, len(texts))):
            rows.append((name, language, text))
    mixed = ROOT / "tests/fixtures/quality/mixed_en_es.jsonl"
    for line in mixed.read_text(encoding="utf-8").splitlines():
        rows.append(("mixed-en-es", "en|es", json.loads(line)["text"]))
    return rows


def detectors() -> dict[str, Callable[[list[str]], list[Detection]]]:
    from moderator.adapters.language import LinguaDetector

    found: dict[str, Callable[[list[str]], list[Detection]]] = {
        "lingua (high accuracy)": LinguaDetector(CANDIDATES, min_confidence=0.0).detect,
        "lingua (low accuracy)": LinguaDetector(
            CANDIDATES, min_confidence=0.0, low_accuracy=True
        ).detect,
    }
    try:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
    except ImportError:
        return found
    ident = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    ident.set_languages(CANDIDATES)

    def langid(texts: list[str]) -> list[Detection]:
        return [Detection(*ident.classify(t)) for t in texts]

    found["py3langid"] = langid
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared/data")
    parser.add_argument("--per-set", type=int, default=1500)
    args = parser.parse_args()
    rows = load_sets(args.shared, args.per_set)
    texts = [t for _, _, t in rows]
    print(f"{len(rows)} comments; candidates {', '.join(CANDIDATES)}\n")
    heads = " | ".join(f"other language, conf ≥ {t}" for t in THRESHOLDS)
    print(f"| detector | set | n | accuracy | {heads} | ms/comment |")
    print("|---|---|---:|---:|" + "---:|" * len(THRESHOLDS) + "---:|")
    for name, detect in detectors().items():
        start = time.perf_counter()
        found = detect(texts)
        ms = (time.perf_counter() - start) * 1000 / len(texts)
        for label, keep in _groups(rows):
            picked = [(g, d) for (s, g, t), d in zip(rows, found, strict=True) if keep(s, g, t)]
            right = sum(1 for g, d in picked if d.language in g.split("|"))
            n = len(picked)
            other = [
                sum(1 for g, d in picked if d.language not in ("en", "es") and d.confidence >= t)
                / n
                for t in THRESHOLDS
            ]
            cells = " | ".join(f"{o:.3f}" for o in other)
            print(f"| {name} | {label} | {n} | {right / n:.3f} | {cells} | {ms:.2f} |")


def _groups(rows: list[tuple[str, str, str]]) -> list[tuple[str, Callable[[str, str, str], bool]]]:
    groups: list[tuple[str, Callable[[str, str, str], bool]]] = []
    for language in ("en", "es"):
        groups.append((f"all {language}", lambda s, g, t, lg=language: g == lg))
        for low, high, label in BUCKETS:
            groups.append(
                (
                    f"{language} {label}",
                    lambda s, g, t, lg=language, a=low, b=high: g == lg and a <= len(t) <= b,
                )
            )
    groups.append(("mixed EN/ES", lambda s, g, t: s == "mixed-en-es"))
    return groups


if __name__ == "__main__":
    main()
