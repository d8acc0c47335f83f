"""Reading labelled CSV/TSV/JSONL files with configurable columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderator.errors import ConfigError
from moderator.evaluation.dataset import Columns, parse_label, read_examples

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "quality" / "eval_small.csv"


def test_reads_the_committed_csv_with_groups():
    examples = read_examples(SMALL)
    assert len(examples) == 8
    first = examples[0]
    assert first.label is True and first.groups == {"functionality": "slur_h", "language": "en"}
    assert examples[2].label is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hateful", True),
        ("non-hateful", False),
        ("OFF", True),
        ("NOT", False),
        (1, True),
        ("0.3", False),
        ("0.7", True),
        (True, True),
        ("maybe", None),
    ],
)
def test_labels(value, expected):
    assert parse_label(value) is expected


def test_positive_values_replace_the_word_lists():
    assert parse_label("OFG", frozenset({"ofp", "ofg"})) is True
    assert parse_label("NOE", frozenset({"ofp", "ofg"})) is False


def test_jsonl_and_tsv_with_other_column_names(tmp_path: Path):
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text(json.dumps({"comment": "hi", "toxic": 0}) + "\n\n", encoding="utf-8")
    tsv = tmp_path / "b.tsv"
    tsv.write_text("comment\ttoxic\nhello\t1\n", encoding="utf-8")
    columns = Columns(text="comment", label="toxic")
    assert [e.label for e in read_examples(jsonl, columns)] == [False]
    assert [e.text for e in read_examples(tsv, columns)] == ["hello"]


@pytest.mark.parametrize(
    ("name", "body", "sentence"),
    [
        ("x.jsonl", "not json\n", "line 1 is not valid JSON"),
        ("x.jsonl", '{"label": 1}\n', "no text in column 'text'"),
        ("x.csv", "text,label\nhi,perhaps\n", "line 2: cannot read label 'perhaps'"),
        ("x.csv", "text\nhi\n", "no label in column 'label'"),
        ("x.txt", "hi\n", "use a .csv, .tsv or .jsonl"),
    ],
)
def test_problems_are_one_sentence(tmp_path: Path, name: str, body: str, sentence: str):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=sentence):
        read_examples(path)


def test_a_missing_file_is_one_sentence(tmp_path: Path):
    with pytest.raises(ConfigError, match="Cannot read"):
        read_examples(tmp_path / "nope.csv")
