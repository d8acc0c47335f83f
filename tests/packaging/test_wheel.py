"""The built wheel works where users install it (issue 15): a fresh virtual environment holding
only the wheel (torch pinned first, the rest resolved through constraints.txt) runs `moderator
init`, `moderator score` and `moderator run` from an empty directory, with no source tree on
the path; the run takes a signed comment, scores it with the packaged lexicon and policy, and
answers /healthz. `pipx install` of the same wheel inits and scores too.

Slow (two environments with torch: about 9 minutes on a busy 2-core machine, most of it
unpacking torch twice; pip's cache and the local torch wheel are used): `make test` runs it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from moderator.core.signing import HEADER, sign
from tests.e2e.harness import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "constraints.txt"
TORCH = "torch==2.13.0"  # the Makefile's pin: an unpinned torch pulls a CUDA build
SLUR = "Listen to what the retard Freddy has to say about him"


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's shell: no MODERATOR_* settings, no PYTHONPATH or virtualenv of
    ours, and empty model caches (so nothing downloaded on this machine is found)."""
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODERATOR_") and k not in drop}
    env.update(HF_HUB_OFFLINE="1", TORCH_HOME=str(tmp / "torch"), HF_HOME=str(tmp / "hf"))
    env.update(extra)
    return env


def run(cmd: list[str | Path], cwd: Path, env: dict[str, str], timeout_s: float = 900) -> str:
    done = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `make dist` builds, built here from the source tree (sdist, then wheel)."""
    out = tmp_path_factory.mktemp("dist")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT], ROOT, env)
    (found,) = out.glob("moderator-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed as a user would (pip, a venv)."""
    home = tmp_path_factory.mktemp("venv")
    env = clean_env(home)
    run([sys.executable, "-m", "venv", home / "venv"], home, env)
    pip = [home / "venv/bin/python", "-m", "pip", "install", "--quiet", "--no-compile"]
    run([*pip, TORCH], home, env)
    run([*pip, "-c", CONSTRAINTS, wheel], home, env)
    return home / "venv"


def test_the_wheel_carries_every_tracked_file_of_the_package(wheel: Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "moderator"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked, "git ls-files found nothing"
    names = set(zipfile.ZipFile(wheel).namelist())
    assert sorted(set(tracked) - names) == []
    assert "moderator/config/policy.toml" in names and "moderator/DATA_SOURCES.md" in names
    licence = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert licence, "the LICENSE file is not in the wheel"


def test_init_score_and_run_from_an_empty_directory(venv: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    here = tmp_path / "empty"
    here.mkdir()
    bin_ = venv / "bin"
    where = run([bin_ / "python", "-c", "import moderator; print(moderator.__file__)"], here, env)
    assert where.strip().startswith(str(venv)), where
    assert_init_and_score(bin_ / "moderator", here, env)
    assert_run_takes_a_comment(bin_ / "moderator", here, env)


def assert_init_and_score(moderator: Path, here: Path, env: dict[str, str]) -> None:
    """init writes a site directory; score reads the packaged lexicon and policy under the site's
    settings (spec switched to offline) and its lexicon override (damn switched off)."""
    run([moderator, "init", "site"], here, env)
    settings = here / "site/moderator.toml"
    settings.write_text(settings.read_text().replace('# spec = "auto"', 'spec = "offline"'))
    lexicon = here / "site/lexicons/site.toml"
    lexicon.write_text(
        lexicon.read_text().replace(
            '# [[override]]\n# term = "damn"\n# language = "en"\n# disabled = true',
            '[[override]]\nterm = "damn"\nlanguage = "en"\ndisabled = true',
        )
    )
    record = json.loads(run([moderator, "--config", "site", "score", SLUR], here, env))
    assert record["action"] == "hold"
    assert record["model"]["fallback"] is True
    assert [m["term"] for m in record["matches"]] == ["retard"]
    damn = json.loads(run([moderator, "score", "damn it", "--config", "site"], here, env))
    assert damn["matches"] == []
    packaged = json.loads(run([moderator, "score", "--model", "offline", "damn it"], here, env))
    assert [m["term"] for m in packaged["matches"]] == ["damn"]


def assert_run_takes_a_comment(moderator: Path, here: Path, env: dict[str, str]) -> None:
    port = free_port()
    secret = _env_value(here / "site/.env", "MODERATOR_WEBHOOK_SECRET")
    log = (here / "run.log").open("w")
    cmd = [str(moderator), "--config", "site", "run", "--port", str(port), "--data-dir", "var"]
    proc = subprocess.Popen(cmd, cwd=here, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        health = _wait(lambda: _get(f"{base}/healthz"), proc, here / "run.log")
        assert health["status"] == "ok" and health["redis"] is True
        body = json.dumps({"id": "w1", "text": SLUR, "author": {"id": "a", "name": "A"}}).encode()
        headers = {HEADER: sign(secret, body, int(time.time())), "Content-Type": "application/json"}
        answer = httpx.post(f"{base}/v1/comments", content=body, headers=headers, timeout=10)
        assert answer.status_code == 202, answer.text
        out = run([moderator, "tokens", "create", "--role", "reviewer", "--name", "wheel-test",
                   "--data-dir", "var", "--config", "site"], here, env)  # fmt: skip
        auth = {"Authorization": f"Bearer {out.strip().splitlines()[-1]}"}
        item = _wait(lambda: _scored(f"{base}/v1/comments/w1", auth), proc, here / "run.log")
        assert item["action"] == "hold", item
        assert _get(f"{base}/healthz")["model"]["fallback"] is True
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _env_value(path: Path, name: str) -> str:
    for line in path.read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1].strip()
    raise AssertionError(f"{name} is not in {path}")


def _get(url: str, headers: dict[str, str] | None = None) -> dict[str, Any] | None:
    try:
        answer = httpx.get(url, headers=headers, timeout=5)
    except httpx.TransportError:
        return None
    return answer.json() if answer.status_code == 200 else None


def _scored(url: str, headers: dict[str, str]) -> dict[str, Any] | None:
    """The comment's score record once the worker has stored it."""
    item = _get(url, headers)
    record = item.get("record") if item else None
    return record if isinstance(record, dict) else None


def _wait(probe: Callable[[], Any], proc: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"moderator run exited:\n{log.read_text()}"
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out; moderator run said:\n{log.read_text()}")


@pytest.fixture
def pipx_home(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = clean_env(
        tmp_path,
        PIPX_HOME=str(tmp_path / "pipx"),
        PIPX_BIN_DIR=str(tmp_path / "bin"),
        PIPX_MAN_DIR=str(tmp_path / "man"),
    )
    yield env


def test_pipx_install_of_the_same_wheel(wheel: Path, pipx_home: dict[str, str], tmp_path: Path):
    here = tmp_path / "empty"
    here.mkdir()
    pip_args = f"--no-compile -c {CONSTRAINTS}"  # torch==2.13.0 among them: never a CUDA build
    run([sys.executable, "-m", "pipx", "install", "--pip-args", pip_args, wheel], here, pipx_home)
    moderator = Path(pipx_home["PIPX_BIN_DIR"]) / "moderator"
    assert "moderator 0.1.0" in run([moderator, "--version"], here, pipx_home)
    run([moderator, "init", "site"], here, pipx_home)
    record = json.loads(run([moderator, "score", "--model", "offline", SLUR], here, pipx_home))
    assert record["action"] == "hold"
