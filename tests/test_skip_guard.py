"""`.ci/run` fails on a skip nobody expected (issue 9.15): tests that skipped on every clean
machine went unnoticed. Runs pytest on small suites with the project's conftest as a plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each run imports the project's conftest (torch): about 7 s
ROOT = Path(__file__).resolve().parents[1]
SUITE = """
import pytest

def test_runs():
    assert True

def test_skips():
    pytest.skip("{reason}")
"""


def run_suite(
    tmp_path: Path, reason: str, *, guard: bool, allowed: str = "", source: str = SUITE
) -> tuple[int, str]:
    (tmp_path / "test_small.py").write_text(source.format(reason=reason))
    (tmp_path / "allowed.txt").write_text(f"# expected\n{allowed}\n")
    env = {k: v for k, v in os.environ.items() if k != "MODERATOR_FAIL_ON_SKIP"}
    env["MODERATOR_EXPECTED_SKIPS"] = str(tmp_path / "allowed.txt")
    if guard:
        env["MODERATOR_FAIL_ON_SKIP"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path / "test_small.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def test_an_unexpected_skip_fails_the_run_and_is_named(tmp_path: Path) -> None:
    status, out = run_suite(tmp_path, "lingua is not installed", guard=True)
    assert status == pytest.ExitCode.TESTS_FAILED, out
    assert "1 unexpected skip(s)" in out and "test_skips: lingua is not installed" in out


def test_an_expected_skip_passes(tmp_path: Path) -> None:
    allowed = "test_small.py::test_sk* | no CUDA here"
    status, out = run_suite(tmp_path, "no CUDA here", guard=True, allowed=allowed)
    assert status == pytest.ExitCode.OK, out


def test_the_reason_must_match_too(tmp_path: Path) -> None:
    allowed = "test_small.py::test_skips | no CUDA here"
    status, out = run_suite(tmp_path, "word lists are missing", guard=True, allowed=allowed)
    assert status == pytest.ExitCode.TESTS_FAILED, out


def test_without_the_guard_a_skip_is_only_reported(tmp_path: Path) -> None:
    status, out = run_suite(tmp_path, "lingua is not installed", guard=False)
    assert status == pytest.ExitCode.OK and "unexpected" not in out, out


def test_a_module_skipped_at_collection_counts_too(tmp_path: Path) -> None:
    source = 'import pytest\npytest.importorskip("no_such_module_{reason}")\n'
    status, out = run_suite(tmp_path, "xyz", guard=True, source=source)
    assert status == pytest.ExitCode.TESTS_FAILED and "no_such_module_xyz" in out, out
