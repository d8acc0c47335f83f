"""Convert the evaluation sets in ../shared/data into JSONL files `moderator eval` reads.

    python bench/quality/prepare.py [--shared ../shared/data] [--out var/quality]

Each output line is {"id", "text", "label", "functionality"?, "category"?, "language"}, with
label 1 for what a moderator should see (review or hold) and 0 otherwise. How each set's labels
map is in SETS below and in docs/quality.md. Nothing here is committed: the sets stay in
shared/data under their own licences (DATA_SOURCES.md). A set whose folder is missing is
skipped with a note.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
Row = dict[str, object]


def _read(path: Path, delimiter: str = ",") -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f, delimiter=delimiter)


def hatecheck(shared: Path) -> Iterator[Row]:
    """HateCheck: gold hateful = 1; functionality and target kept."""
    for r in _read(shared / "hatecheck/test_suite_cases.csv"):
        yield _row(
            r["case_id"],
            r["test_case"],
            r["label_gold"] == "hateful",
            "en",
            r["functionality"],
            r["target_ident"],
        )


def mhc_es(shared: Path) -> Iterator[Row]:
    """Multilingual HateCheck, Spanish: gold hateful = 1."""
    for r in _read(shared / "mhc-spanish/hatecheck_cases_final_spanish.csv"):
        yield _row(
            r["mhc_case_id"],
            r["test_case"],
            r["label_gold"] == "hateful",
            "es",
            r["functionality"],
            r["target_ident"],
        )


def es_latam(shared: Path) -> Iterator[Row]:
    """toxicity-es-latam: rows where both coders agree; toxic = 1. Category = the subset."""
    for name in ("protests", "Convention"):
        for r in _read(shared / f"toxicity-es-latam/goldstd_{name}.csv"):
            if r["coder_1"] != r["coder_2"]:
                continue
            yield _row(
                f"{name}-{r['id_obs']}", r["text"], r["coder_1"] == "1", "es", None, name.lower()
            )


def offendes(shared: Path) -> Iterator[Row]:
    """OffendES test: offends a person or a group (OFP, OFG) = 1; NO and NOE (profanity
    that offends nobody) = 0. Category = the original label."""
    for r in _read(shared / "offendes/test_set.tsv", "\t"):
        yield _row(
            r["comment_id"], r["comment"], r["label"] in ("OFP", "OFG"), "es", None, r["label"]
        )


def davidson(shared: Path) -> Iterator[Row]:
    """Davidson et al.: hate speech or offensive language = 1, neither = 0."""
    names = {"0": "hate", "1": "offensive", "2": "neither"}
    for r in _read(shared / "davidson-hsol/labeled_data.csv"):
        yield _row(r[""], r["tweet"], r["class"] in ("0", "1"), "en", None, names[r["class"]])


def olid(shared: Path) -> Iterator[Row]:
    """OLID test, subtask A: OFF = 1, NOT = 0."""
    labels = {}
    with (shared / "olid/labels-levela.csv").open(encoding="utf-8", newline="") as f:
        for rec in csv.reader(f):
            if len(rec) == 2:
                labels[rec[0]] = rec[1].strip()
    for r in _read(shared / "olid/testset-levela.tsv", "\t"):
        label = labels[r["id"]]
        yield _row(r["id"], r["tweet"], label == "OFF", "en", None, label)


def hatexplain(shared: Path) -> Iterator[Row]:
    """HateXplain official test split: hate speech or offensive = 1, normal = 0."""
    test = set(json.loads((shared / "hatexplain/post_id_divisions.json").read_text())["test"])
    names = {"0": "normal", "1": "hatespeech", "2": "offensive"}
    for r in _read(shared / "hatexplain/092-HateXplain.csv"):
        post = next(iter(r.values()))
        if post in test and r["category"] in names:
            yield _row(
                post, r["text"], r["category"] in ("1", "2"), "en", None, names[r["category"]]
            )


def jigsaw_templates(shared: Path) -> Iterator[Row]:
    """Jigsaw identity templates (false positives on identity terms): toxic = 1; the template
    family is the functionality."""
    for n, r in enumerate(_read(shared / "jigsaw-bias/en_sentence_templates.csv")):
        yield _row(str(n), r["phrase"], r["toxicity"] == "toxic", "en", r["template"], None)


SETS: dict[str, Callable[[Path], Iterator[Row]]] = {
    "hatecheck": hatecheck,
    "mhc-es": mhc_es,
    "es-latam": es_latam,
    "offendes-test": offendes,
    "davidson": davidson,
    "olid-test": olid,
    "hatexplain-test": hatexplain,
    "jigsaw-templates": jigsaw_templates,
}


def _row(
    id_: str,
    text: str,
    label: bool,
    language: str,
    functionality: str | None,
    category: str | None,
) -> Row:
    row: Row = {"id": id_, "text": text, "label": int(label), "language": language}
    if functionality:
        row["functionality"] = functionality
    if category:
        row["category"] = category
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared/data")
    parser.add_argument("--out", type=Path, default=ROOT / "var/quality")
    parser.add_argument("sets", nargs="*", default=list(SETS), help="default: all")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.sets:
        try:
            rows = list(SETS[name](args.shared))
        except FileNotFoundError as exc:
            print(f"skipped {name}: {exc.filename} is missing", file=sys.stderr)
            continue
        path = args.out / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        positives = sum(int(str(r["label"])) for r in rows)
        print(f"{path}: {len(rows)} rows, {positives} positive")
    return 0


if __name__ == "__main__":
    sys.exit(main())
