from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.topology.harness import Topology, need_binaries


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[Topology]:
    need_binaries("redis-server", "redis-sentinel", "redis-cli")
    built = Topology(tmp_path / "redis")
    try:
        yield built
    finally:
        built.stop()
