"""A worker that starts while Redis does not answer (down, or a failover under way) waits for it
and starts once it answers, instead of dying on its first write (found by the cluster failover
test: a worker still loading its model when the primary was killed exited with a traceback)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from moderator import bootstrap, keys
from moderator.adapters.redis.client import connect
from tests.offline import offline_service
from tests.topology.harness import Topology, wait_for


def test_worker_start_up_waits_for_redis_and_stops_when_asked(
    topology: Topology, make_settings: Any, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    node = topology.server()
    url = f"redis://127.0.0.1:{node.port}/0"
    node.kill()  # Redis is down when the worker starts
    settings = make_settings(redis_url=url)
    stop = threading.Event()
    found: dict[str, Any] = {}

    service = offline_service()

    def start() -> None:
        found["parts"] = bootstrap.worker_parts(settings, url, service, stop)

    with caplog.at_level(logging.WARNING, logger="moderator.layout"):
        thread = threading.Thread(target=start, daemon=True)
        thread.start()
        wait_for(lambda: "Worker start-up waits for Redis" in caplog.text or not thread.is_alive())
        assert thread.is_alive(), "the worker gave up instead of waiting"
        argv = ["redis-server", "--port", str(node.port), "--bind", "127.0.0.1", "--save", ""]
        topology._spawn(argv, node.port, "back")  # Redis is back on the same address
        thread.join(30)
    assert not thread.is_alive()
    consumer, reloader = found["parts"]
    assert connect(url).hget(keys.MODEL_INFO, "name") == service.scorer.info.name
    assert reloader.policy().version
    consumer.client.close()

    node2 = topology.server()
    url2 = f"redis://127.0.0.1:{node2.port}/0"
    node2.kill()
    stop.set()  # SIGTERM while waiting: start-up ends with nothing
    assert (
        bootstrap.worker_parts(make_settings(redis_url=url2), url2, offline_service(), stop) is None
    )
