"""`moderator eval FILE` as a user runs it: report on stdout, Markdown, JSON and PNG files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from moderator.evaluation.dataset import read_examples
from moderator.evaluation.metrics import Outcome
from moderator.evaluation.plot import write_curves

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "quality" / "eval_small.csv"


def moderator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moderator.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )


def test_eval_writes_a_report_json_and_curves(tmp_path: Path):
    out = moderator("eval", str(SMALL), "--model", "offline", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "| all | 8 | 4 |" in out.stdout
    for heading in ("### By functionality", "### By language", "gold \\ action", "Worst misses"):
        assert heading in out.stdout
    assert "8/8" in out.stderr  # the progress bar
    summary = json.loads((tmp_path / "eval_small.json").read_text())
    slur = summary["groups"]["functionality"]["slur_h"]
    assert slur["recall"] == 1.0 and summary["overall"]["n"] == 8
    assert summary["groups"]["functionality"]["counter_quote_nh"]["held"] == 0
    assert (tmp_path / "eval_small.md").read_text().startswith("## eval_small")
    assert (tmp_path / "eval_small.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_column_options_and_a_bad_file(tmp_path: Path):
    data = tmp_path / "other.jsonl"
    data.write_text(
        json.dumps({"comment": "you are a retard", "y": "OFP"})
        + "\n"
        + json.dumps({"comment": "nice photo", "y": "NO"})
        + "\n",
        encoding="utf-8",
    )
    out = moderator(
        "eval",
        str(data),
        "--model",
        "offline",
        "--out",
        str(tmp_path),
        "--quiet",
        "--text-column",
        "comment",
        "--label-column",
        "y",
        "--positive",
        "OFP,OFG",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "other.json").read_text())["overall"]["recall"] == 1.0
    bad = moderator(
        "eval",
        str(data),
        "--model",
        "offline",
        "--out",
        str(tmp_path),
        "--text-column",
        "comment",
        "--label-column",
        "y",
    )
    assert bad.returncode == 2 and "cannot read label 'OFP'" in bad.stderr


def test_curves_need_both_classes(tmp_path: Path):
    examples = read_examples(SMALL)
    one_class = [Outcome(e, 0.5, "review") for e in examples if e.label]
    assert write_curves(one_class, tmp_path / "x.png", "t") is False
    assert not (tmp_path / "x.png").exists()
