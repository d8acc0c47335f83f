"""`moderator serve --workers N`: N uvicorn processes accept connections on one port, each with
its own Redis connections; a comment posted through any of them is stored once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import redis

from moderator import keys
from tests.e2e.harness import free_port
from tests.faults.harness import ROOT, processes, signed_post, wait_for


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _serving(pid: int) -> bool:
    return "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


def _established_inodes(port: int) -> set[str]:
    """Socket inodes of the server side of established loopback connections to `port`."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
            found.add(fields[9])
    return found


def _sockets_of(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def test_serve_workers_2_runs_two_processes_that_both_answer(
    redis_client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    with processes(redis_url, tmp_path) as procs:
        server = procs.start("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2")
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _healthy(base), 60, 0.2)
        wait_for(lambda: len([c for c in _children(server.pid) if _serving(c)]) == 2, 30)
        workers = [c for c in _children(server.pid) if _serving(c)]
        # 40 open connections: the kernel hands them to both processes
        clients = [httpx.Client(timeout=10) for _ in range(40)]
        try:
            for n, client in enumerate(clients):
                answer = signed_post(client, base, {"id": f"w{n}", "site": "procs", "text": "hi"})
                assert answer.status_code == 202, answer.text
            established = _established_inodes(port)
            held = {pid: len(_sockets_of(pid) & established) for pid in workers}
        finally:
            for client in clients:
                client.close()
    assert len(held) == 2 and all(count > 0 for count in held.values()), held
    assert sum(held.values()) == 40
    assert redis_client.xlen(keys.INGEST_STREAM) == 40


def _healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_workers_0_is_refused_with_a_sentence(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "moderator.cli", "serve", "--workers", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "--workers must be 1 or more (got 0)" in done.stderr
