"""`moderator healthcheck` (issue 9.12: a Docker HEALTHCHECK per role; the worker container was
always "unhealthy"): the API is healthy while /readyz answers 200; a worker while it touches its
heartbeat file, so a stopped (wedged) or killed `moderator worker` process turns unhealthy and a
resumed one healthy again. Real processes, real Redis."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from moderator import cli
from moderator.commands.health import _detect
from tests.e2e.harness import free_port
from tests.faults.harness import processes, wait_for


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/usr/local/bin/python", "/usr/local/bin/moderator", "worker"], ("worker", 8000)),
        (["moderator", "serve", "--host", "0.0.0.0", "--port", "8080"], ("api", 8080)),
        (["/sbin/tini", "--", "moderator", "--config", "/etc/m", "worker"], ("worker", 8000)),
        (["moderator", "run"], ("api", 8000)),
        ([], ("api", 8000)),
    ],
)
def test_the_role_is_read_from_the_main_process(argv: list[str], expected: Any) -> None:
    assert _detect(argv) == expected


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = cli.main(["healthcheck", *argv])
    return status, capsys.readouterr().out


@pytest.mark.slow
def test_a_worker_is_healthy_while_it_loops_and_not_when_stopped_or_killed(
    redis_url: str, redis_client: Any, tmp_path: Path, capsys: Any
) -> None:
    beat = tmp_path / "var" / "worker.heartbeat"
    args = ("--role", "worker", "--heartbeat-file", str(beat), "--max-idle-s", "1.5")
    assert check(capsys, *args)[0] == 1  # no worker has run
    with processes(redis_url, tmp_path) as procs:
        worker = procs.worker()
        wait_for(lambda: check(capsys, *args)[0] == 0, 60, 0.2)
        os.kill(worker.pid, signal.SIGSTOP)  # wedged: alive, but its loop no longer turns
        try:
            wait_for(lambda: check(capsys, *args)[0] == 1, 10, 0.2)
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        wait_for(lambda: check(capsys, *args)[0] == 0, 10, 0.2)
        worker.kill()
        worker.wait()
    time.sleep(1.6)
    status, out = check(capsys, *args)
    assert status == 1 and out.startswith("worker: UNHEALTHY:") and "touched" in out, out


@pytest.mark.slow
def test_the_api_is_healthy_while_readyz_answers(
    redis_url: str, redis_client: Any, tmp_path: Path, capsys: Any
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/readyz"
    with processes(redis_url, tmp_path) as procs:
        procs.api(port)
        status, out = check(capsys, "--role", "api", "--url", url)
        assert (status, out) == (0, f"api: healthy: {url} answered 200\n")
    status, out = check(capsys, "--role", "api", "--url", url)
    assert status == 1 and "did not answer" in out, out
