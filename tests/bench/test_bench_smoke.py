"""The benchmark suite runs: every benchmark at tiny sizes (`--quick`), and the report lands in
docs/benchmarks.md section by section. No timing is asserted; correctness figures the
benchmarks check on the way (every 202 stored, nothing dropped past capacity) are."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import report
from bench.suite import BENCHMARKS
from tests.topology.harness import need_binaries

ROOT = Path(__file__).resolve().parents[2]


def met(section: report.Section) -> dict[str, bool]:
    return dict(section.targets)


def test_report_replaces_only_the_sections_it_ran(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    first = report.Section("alpha", "Alpha")
    first.line("alpha one")
    other = report.Section("beta", "Beta")
    other.line("beta one")
    report.write([first, other], "python -m bench", doc)
    again = report.Section("alpha", "Alpha")
    again.line("alpha two")
    report.write([again], "python -m bench alpha", doc)

    text = doc.read_text()
    assert text.startswith("# Benchmarks")
    assert "alpha two" in text and "alpha one" not in text and "beta one" in text
    assert text.count("<!-- bench:alpha -->") == 1
    assert "- command: `python -m bench alpha`" in text
    assert "- machine: " in text and "- commit: " in text and "- date: " in text


def test_unknown_benchmark_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "nope", "--quick"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2 and "unknown benchmark" in result.stderr


def test_the_suite_knows_every_benchmark() -> None:
    assert list(BENCHMARKS) == [
        "lexicon",
        "scoring",
        "cli",
        "routing",
        "ingest",
        "e2e",
        "queue",
        "hostile",
        "login",
        "ui",
        "scale",
        "coral",
        "offline",
        "calibration",
        "retention",
        "perspective",
        "cluster",
    ]


def test_lexicon_quick() -> None:
    section = BENCHMARKS["lexicon"](quick=True)
    assert "comments/s" in "\n".join(section.body) and section.targets


def test_hostile_quick() -> None:
    section = BENCHMARKS["hostile"](quick=True)
    assert "× baseline" in "\n".join(section.body) and section.targets


@pytest.mark.slow
def test_scoring_quick() -> None:
    section = BENCHMARKS["scoring"](quick=True)
    body = "\n".join(section.body)
    for variant in ("baseline", "torch", "onnx-fp32", "default", "default-8"):
        assert f"`{variant}`" in body
    assert met(section)["`tiny`: int8 within 0.02 of PyTorch fp32"]


@pytest.mark.slow
def test_cli_quick() -> None:
    section = BENCHMARKS["cli"](quick=True)
    body = "\n".join(section.body)
    assert "`moderator score`" in body and "PyTorch path" in body
    assert met(section)["`tiny`: max |Δtoxicity| ≤ 0.02 vs PyTorch fp32"]


@pytest.mark.slow
def test_routing_quick() -> None:
    section = BENCHMARKS["routing"](quick=True)
    body = "\n".join(section.body)
    assert "RSS loaded" in body and "detoxify-multilingual-onnx-int8" in body


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_ingest_quick() -> None:
    section = BENCHMARKS["ingest"](quick=True)
    assert met(section)["every 202 stored"]


@pytest.mark.slow
def test_e2e_quick() -> None:
    section = BENCHMARKS["e2e"](quick=True)
    outcome = met(section)  # whether the ceiling is reached at all depends on the machine
    assert outcome[
        "offline: nothing dropped past capacity (every 202 scored, every 503 stored nothing)"
    ]


@pytest.mark.slow
def test_queue_quick() -> None:
    section = BENCHMARKS["queue"](quick=True)
    body = "\n".join(section.body)
    assert "claim-next" in body and "bytes" in body


@pytest.mark.slow
def test_login_quick() -> None:
    section = BENCHMARKS["login"](quick=True)
    assert met(section)["at most 5 password checks of 30"]
    assert "/healthz during burst" in "\n".join(section.body)


@pytest.mark.slow
def test_ui_quick() -> None:
    section = BENCHMARKS["ui"](quick=True)
    body = "\n".join(section.body)
    assert "`/healthz` while `GET /ui/queue` renders" in body
    assert "matches kept per score record: 100 (" in body  # 500 found, policy.max_matches kept


@pytest.mark.slow
def test_scale_quick() -> None:
    section = BENCHMARKS["scale"](quick=True)
    body = "\n".join(section.body)
    assert "no worker (baseline)" in body and "1 worker(s)" in body
    assert met(section)["1 worker(s): every 202 scored once"]


def test_coral_quick() -> None:
    section = BENCHMARKS["coral"](quick=True)
    text = "\n".join(section.body)
    assert "p99 ms" in text and "Recommended phase timeout" in text
    assert met(section)["every answer a 200 or 204"]


def test_offline_quick() -> None:
    section = BENCHMARKS["offline"](quick=True)
    assert section.name == "offline" and len(section.targets) == 1
    assert any("offline-bilingual" in line for line in section.body)
    assert any("a site model" in line for line in section.body)


@pytest.mark.slow
def test_calibration_quick() -> None:
    section = BENCHMARKS["calibration"](quick=True)
    body = "\n".join(section.body)
    if body.startswith("Skipped: no shared data"):
        pytest.skip(body)
    assert "| en | packaged (baseline)" in body and "| es | calibrated" in body
    assert met(section)["backtest counts every decided comment"]


def test_retention_quick() -> None:
    section = BENCHMARKS["retention"](quick=True)
    body = "\n".join(section.body)
    assert "Steady state" in body and "archive MB" in body
    assert "| 4 |" in body  # one row per simulated day


def test_perspective_quick() -> None:
    section = BENCHMARKS["perspective"](quick=True)
    body = "\n".join(section.body)
    assert "worker, offline model" in body and "lexicon-only, in the API process" in body
    rows = [line for line in section.body if line.startswith(("| worker", "| lexicon"))]
    assert len(rows) == 4 and all(row.split(" | ")[2] == "0" for row in rows)  # no non-200


@pytest.mark.slow
def test_cluster_quick() -> None:
    need_binaries("redis-server", "redis-cli")  # `make test` installs them (`make redis-deps`)
    section = BENCHMARKS["cluster"](quick=True)
    body = "\n".join(section.body)
    assert "Cluster / standalone (medians)" in body
    assert "Cluster, 3 partitions / standalone (medians)" in body
    assert all(met(section).values()) and len(section.targets) == 3
