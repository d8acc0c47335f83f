"""Real Redis topologies on loopback, built from Debian's redis-server, redis-sentinel and
redis-cli (`make redis-deps`): a primary with replicas, three sentinels watching it, a 3-primary
Redis Cluster. Every process is started here and SIGKILLed at the end; each keeps its files in
the test's tmp_path."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

SERVICE = "mymaster"
#: How long a primary may stay silent before the sentinels call it down: small, so a failover
#: takes a few seconds in the tests (production: 5-30 s, docs/reliability.md).
DOWN_AFTER_MS = 1000


def need_binaries(*names: str) -> None:
    """Skip loudly when a Debian package is missing (`make test` installs them first)."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not found and cannot be installed here: run `make redis-deps` "
            "(Debian's redis-server, redis-sentinel, redis-tools)"
        )


def free_port(bus: bool = False) -> int:
    """A free loopback port; with `bus`, port + 10000 (a cluster node's bus) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if not bus:
            return port
        if port + 10000 < 65536:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            return port


def wait_for(predicate: Callable[[], Any], timeout_s: float = 30, every_s: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except redis.RedisError:
            value = None
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {predicate}")


@dataclass
class Node:
    """One redis-server or redis-sentinel process."""

    port: int
    process: subprocess.Popen[bytes]
    workdir: Path

    def client(self) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=5
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def log(self) -> str:
        path = self.workdir / "log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def _in_sync(node: Node) -> bool:
    """A cluster node is a primary, or a replica whose link to its primary is up."""
    info = node.client().info("replication")
    return info["role"] == "master" or info.get("master_link_status") == "up"


@dataclass
class Topology:
    workdir: Path
    nodes: list[Node] = field(default_factory=list)

    def _spawn(self, argv: list[str], port: int, name: str) -> Node:
        workdir = self.workdir / name
        workdir.mkdir(parents=True, exist_ok=True)
        with (workdir / "log").open("wb") as log:
            process = subprocess.Popen(argv, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
        node = Node(port, process, workdir)
        self.nodes.append(node)
        wait_for(lambda: node.client().ping(), 15)
        return node

    def server(self, *extra: str, name: str = "", bus: bool = False) -> Node:
        """redis-server on a free port, durable as moderator asks (AOF, fsync always)."""
        port = free_port(bus)
        name = name or f"redis-{port}"
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "yes", "--appendfsync", "always", "--dir", "."]
        argv += ["--maxmemory-policy", "noeviction", *extra]
        return self._spawn(argv, port, name)

    def replica_of(self, primary: Node) -> Node:
        node = self.server("--replicaof", "127.0.0.1", str(primary.port))
        wait_for(lambda: node.client().info("replication")["master_link_status"] == "up", 20)
        return node

    def sentinel(self, primary: Node) -> Node:
        port = free_port()
        workdir = self.workdir / f"sentinel-{port}"
        workdir.mkdir(parents=True)
        (workdir / "sentinel.conf").write_text(
            f"port {port}\nbind 127.0.0.1\ndir {workdir}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {primary.port} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} 10000\n"
            f"sentinel parallel-syncs {SERVICE} 2\n"
        )
        return self._spawn(["redis-sentinel", str(workdir / "sentinel.conf")], port, workdir.name)

    def cluster(self, primaries: int = 3, replicas: int = 0) -> list[Node]:
        """`primaries` cluster-enabled servers, each with `replicas` replicas, joined with
        `redis-cli --cluster create`; the primaries come first in the list."""
        count = primaries * (1 + replicas)
        nodes = [
            self.server("--cluster-enabled", "yes", "--cluster-node-timeout", "2000", bus=True)
            for _ in range(count)
        ]
        addresses = [f"127.0.0.1:{n.port}" for n in nodes]
        replication = ["--cluster-replicas", str(replicas)]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *addresses, *replication, "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        wait_for(lambda: all(n.client().cluster("info")["cluster_state"] == "ok" for n in nodes))
        if replicas:
            wait_for(lambda: all(_in_sync(n) for n in nodes))
        # redis-cli assigns roles in address order (primaries first); sort to be sure
        roles = {n.port: n.client().info("replication")["role"] for n in nodes}
        return sorted(nodes, key=lambda n: roles[n.port] != "master")

    def logs(self) -> str:
        return "\n".join(f"--- {n.workdir.name}\n{n.log()}" for n in self.nodes)

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()
