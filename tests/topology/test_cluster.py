"""Redis Cluster, phase A: a real 3-primary cluster (Debian's redis-server, joined with
`redis-cli --cluster create` on loopback). `redis+cluster://` connects and spreads keys over the
three primaries; today's key layout does not run on it, and the test that says so is expected to
fail until phase B (DESIGN.md, "Redis topologies") gives each script's keys one hash slot."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from redis.exceptions import ClusterCrossSlotError

from moderator import keys
from moderator.adapters.redis_client import connect, connect_async
from moderator.adapters.redis_ingest import RedisIngest
from moderator.core.models import Comment
from tests.e2e.harness import free_port
from tests.faults.harness import processes
from tests.topology.harness import Topology

pytestmark = pytest.mark.anyio


def _url(nodes: list) -> str:
    return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in nodes[:2])


async def test_cluster_url_reaches_all_three_primaries_and_the_server_refuses_crossslot(
    topology: Topology,
) -> None:
    nodes = topology.cluster(3)
    client = connect(_url(nodes))
    try:
        for n in range(60):
            client.set(f"spread:{n}", n)
        assert sorted(int(client.get(f"spread:{n}")) for n in range(60)) == list(range(60))
        assert len(client.get_primaries()) == 3
    finally:
        client.close()
    assert all(node.client().dbsize() > 0 for node in nodes)  # found from 2 seeds, used all 3
    with pytest.raises(ClusterCrossSlotError):  # the rule today's scripts break
        nodes[0].client().execute_command("MSET", "a", "1", "b", "2", "c", "3")


@pytest.mark.xfail(
    strict=True,
    raises=ClusterCrossSlotError,
    reason=(
        "phase B: ACCEPT's keys (mod:comment:<ref>, mod:ingest) hash to different slots, so the "
        "cluster answers CROSSSLOT. Flips to a pass when the layout gives them one hash tag."
    ),
)
async def test_accept_stores_a_comment_on_a_cluster(topology: Topology) -> None:
    nodes = topology.cluster(3)
    client = connect_async(_url(nodes))
    comment = Comment(id="c1", text="a comment on a cluster", site="cluster")
    try:
        accepted = await RedisIngest(client, max_backlog=100).accept(
            comment, int(time.time() * 1000)
        )
        assert accepted.status == "accepted"
        assert await client.hget(keys.comment(comment.ref), "state") == "received"
    finally:
        await client.aclose()


def test_serve_on_a_cluster_url_warns_loudly_that_the_layout_is_not_ready(
    topology: Topology, tmp_path: Path
) -> None:
    nodes = topology.cluster(3)
    (tmp_path / "procs").mkdir()
    with processes(_url(nodes), tmp_path / "procs") as procs:
        procs.api(free_port())
        log = procs.logs()
    assert "WARNING: redis_url names a Redis Cluster (redis+cluster://)" in log
    assert "webhooks fail with CROSSSLOT" in log
