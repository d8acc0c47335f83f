"""Labelled examples from CSV, TSV or JSONL files, with configurable column names.

A file needs a text column and a label column; optional group columns (functionality,
category, language by default) give the breakdowns. Labels are read as positive or negative:
numbers (≥ 0.5 is positive), booleans, or words such as hateful / non-hateful, toxic, OFF / NOT.
`--positive` replaces the word lists: then a listed value is positive and anything else is
negative. Every problem raises ConfigError naming the file, the line and what is wrong.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moderator.errors import ConfigError

POSITIVE = frozenset(
    {"1", "true", "yes", "hateful", "hate", "toxic", "offensive", "off", "abusive", "positive"}
)
NEGATIVE = frozenset(
    {
        "0",
        "false",
        "no",
        "non-hateful",
        "not",
        "non-toxic",
        "nontoxic",
        "normal",
        "neither",
        "negative",
        "none",
    }
)
GROUPS = ("functionality", "category", "language")


@dataclass(frozen=True, slots=True)
class Columns:
    """Which columns hold what. `positive`, when given, lists the positive label values."""

    text: str = "text"
    label: str = "label"
    id: str = "id"
    groups: tuple[str, ...] = GROUPS
    positive: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    text: str
    label: bool
    groups: Mapping[str, str] = field(default_factory=dict)


def read_examples(path: Path, columns: Columns = Columns()) -> list[Example]:
    """All examples of `path` (.csv, .tsv or .jsonl, by extension). Raises ConfigError."""
    rows = _rows(path)
    return [_example(path, n, row, columns) for n, row in rows]


def read_jsonl(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file. ConfigError, naming the
    file and line, when it cannot be read or a line is not a JSON object."""
    with _open(path) as handle:
        yield from _jsonl(path, handle)


def _open(path: Path) -> Any:
    try:
        return path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}.") from None


def _rows(path: Path) -> Iterator[tuple[int, Mapping[str, Any]]]:
    suffix = path.suffix.lower()
    with _open(path) as handle:
        if suffix in (".jsonl", ".ndjson", ".json"):
            yield from _jsonl(path, handle)
        elif suffix in (".csv", ".tsv"):
            reader = csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ",")
            yield from enumerate(reader, start=2)
        else:
            raise ConfigError(f"{path}: use a .csv, .tsv or .jsonl file.")


def _jsonl(path: Path, handle: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for n, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path} line {n} is not valid JSON: {exc.msg}.") from None
        if not isinstance(row, dict):
            raise ConfigError(f"{path} line {n} is not a JSON object.")
        yield n, row


def _example(path: Path, n: int, row: Mapping[str, Any], columns: Columns) -> Example:
    text = row.get(columns.text)
    if not isinstance(text, str):
        raise ConfigError(f"{path} line {n} has no text in column '{columns.text}'.")
    if columns.label not in row:
        raise ConfigError(f"{path} line {n} has no label in column '{columns.label}'.")
    label = parse_label(row[columns.label], columns.positive)
    if label is None:
        raise ConfigError(
            f"{path} line {n}: cannot read label {row[columns.label]!r} as positive or "
            "negative; name the positive values with --positive."
        )
    groups = {g: str(row[g]) for g in columns.groups if row.get(g) not in (None, "")}
    return Example(str(row.get(columns.id) or n), text, label, groups)


def parse_label(value: Any, positive: frozenset[str] | None = None) -> bool | None:
    """True, False, or None when the value is neither (only without `positive`)."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if positive is not None:
        return word in positive
    if isinstance(value, int | float) or _is_number(word):
        return float(word) >= 0.5
    if word in POSITIVE:
        return True
    if word in NEGATIVE:
        return False
    return None


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True
