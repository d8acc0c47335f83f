"""Build tests/fixtures/quality/obfuscated_slurs.jsonl from HateCheck's and MHC's placeholder
tables (CC BY 4.0; credited in DATA_SOURCES.md).

    python bench/quality/build_obfuscated.py [--shared ../shared/data]

Each slur of HateCheck's `[SLUR_S]`/`[SLUR_P]` and MHC-Spanish's `SLR` placeholders is put, in
each obfuscated spelling, into the hateful slur templates of its own test suite (HateCheck
`slur_h` / `spell_*`, MHC `slur_h`). The columns:

- `leet` and `space_add`: the tables' own `_leet` and `_space_add` spellings, as published.
- `char_del`: neither table has a character-deleted slur column (only identity terms have one:
  "womn", "disabld", "Muslm", "immigrnt"). We derive it with the rule those identity columns
  follow: delete the last vowel that is neither the first nor the last letter of the (last)
  word: retard → retrd, faggots → faggts, maricones → maricnes. A deletion that leaves fewer
  than four letters, or spells another ordinary word (coon → con, marica → marca, indio →
  indo, Jihadis → Jihads), is not an obfuscated slur any more and is listed in SKIPPED.

The output is committed; rerun this script only when the tables change.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/fixtures/quality/obfuscated_slurs.jsonl"
VOWELS = set("aeiouáéíóúAEIOUÁÉÍÓÚ")
EN_TEMPLATES = {
    "S": [
        "Typical {} behaviour.",
        "You are nothing but a {}.",
        "Just another common {}.",
        "That's only natural for a {} like you.",
    ],
    "P": [
        "Too many {} in this country.",
        "They are just a bunch of {}.",
        "{} just can't help themselves.",
    ],
}
ES_TEMPLATES = {
    ("male", "S"): [
        "Típico de un {}.",
        "No eres más que un {}.",
        "Solo otro simple {}.",
        "Eso solo es natural para un {} como tú.",
    ],
    ("male", "P"): ["Hay demasiados {} en este país.", "Son solo un montón de {}."],
    ("female", "S"): [
        "Típico de una {}.",
        "No eres más que una {}.",
        "Solo otra simple {}.",
        "Eso solo es natural para una {} como tú.",
    ],
    ("female", "P"): ["Hay demasiadas {} en este país.", "Son solo un montón de {}."],
}
#: Character deletions that spell another word or are too short to read as the slur.
SKIPPED = {
    "fag": "fg (2 letters)",
    "fags": "fgs (3 letters)",
    "coon": "con (an ordinary word)",
    "coons": "cons (an ordinary word)",
    "mong": "mng (3 letters)",
    "slut": "slt (3 letters)",
    "puta": "pta (3 letters; an abbreviation of peseta)",
    "puto": "pto (3 letters; an abbreviation of punto)",
    "marica": "marca (an ordinary word: brand)",
    "indio": "indo (an ordinary word: Indo-)",
    "jihadis": "jihads (an ordinary word)",
    "putas": "puts (an ordinary English word)",
    "putos": "puts (an ordinary English word)",
}


def char_del(phrase: str) -> str | None:
    """Delete the last interior vowel of the last word; None when there is none."""
    head, _, word = phrase.rpartition(" ")
    for i in range(len(word) - 2, 0, -1):
        if word[i] in VOWELS:
            deleted = word[:i] + word[i + 1 :]
            return f"{head} {deleted}" if head else deleted
    return None


def _split(cell: str) -> list[str]:
    return [v.strip() for v in cell.split(",")]


def english(shared: Path) -> list[dict[str, str]]:
    with (shared / "hatecheck/template_placeholders.csv").open(encoding="utf-8") as f:
        table = {row["Placeholder"]: _split(row["Values"]) for row in csv.DictReader(f)}
    rows = []
    for number in ("S", "P"):
        plain = table[f"[SLUR_{number}]"]
        columns = {
            "leet": table[f"[SLUR_{number}_leet]"],
            "space_add": table[f"[SLUR_{number}_space_add]"],
            "char_del": [char_del(s) for s in plain],
        }
        for column, spellings in columns.items():
            for slur, spelled in zip(plain, spellings, strict=True):
                rows += _sentences("en", column, slur, spelled, EN_TEMPLATES[number])
    return rows


def spanish(shared: Path) -> list[dict[str, str]]:
    rows = []
    with (shared / "mhc-spanish/placeholders_SLR.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for gender in ("male", "female"):
                for number in ("S", "P"):
                    slur = row[f"[{gender}_SLR_{number}]"]
                    if slur == "-":
                        continue
                    columns = {
                        "leet": row[f"[{gender}_SLR_{number}_leet]"],
                        "space_add": row[f"[{gender}_SLR_{number}_space_add]"],
                        "char_del": char_del(slur),
                    }
                    for column, spelled in columns.items():
                        templates = ES_TEMPLATES[(gender, number)]
                        rows += _sentences("es", column, slur, spelled, templates)
    return rows


def _sentences(
    language: str, column: str, slur: str, spelled: str | None, templates: list[str]
) -> list[dict[str, str]]:
    if column == "char_del" and (spelled is None or slur.lower() in SKIPPED):
        return []
    assert spelled is not None
    return [
        {
            "text": template.format(spelled),
            "label": "1",
            "language": language,
            "column": column,
            "functionality": f"{language}:{column}",
            "slur": slur,
            "spelling": spelled,
        }
        for template in templates
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared/data")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows = english(args.shared) + spanish(args.shared)
    with args.out.open("w", encoding="utf-8") as f:
        for number, row in enumerate(rows, start=1):
            f.write(json.dumps({"id": f"obf-{number}", **row}, ensure_ascii=False) + "\n")
    print(f"{args.out}: {len(rows)} sentences; skipped char_del for {', '.join(SKIPPED)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
