"""Redis Cluster: a real cluster of Debian's redis-server processes, joined with
`redis-cli --cluster create` on loopback. Every moderator key carries the hash tag `{mod}`
(moderator/keys.py), so every script's keys share one slot and the whole product runs on
`redis+cluster://`: the proof below runs two API processes and two workers on 3 primaries with a
replica each, posts 2,000 signed comments, kills a worker midway and checks that nothing is lost,
nothing is scored twice and no cluster redirection or CROSSSLOT error reaches anyone; the last
test kills the primary that owns `{mod}` and checks the failover costs 503s, not comments."""

from __future__ import annotations

import asyncio
import collections
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from redis.exceptions import ClusterCrossSlotError

from moderator import keys
from moderator.adapters.redis.auth import RedisAuthStore
from moderator.adapters.redis.client import connect, connect_async
from moderator.adapters.redis.durability import acheck, check
from moderator.adapters.redis.ingest import RedisIngest
from moderator.adapters.redis.outbox import RedisOutbox
from moderator.core.models import Comment
from moderator.errors import NotReplicatedError
from tests.e2e.harness import free_port
from tests.faults.harness import Sender, assert_each_queued_once, processes, states
from tests.topology.harness import Node, Topology, wait_for
from tests.topology.test_sentinel_failover import Poster


def _url(nodes: list[Node]) -> str:
    return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in nodes[:2])


def _owner(nodes: list[Node]) -> Node:
    """The primary that owns the `{mod}` slot (all of moderator's keys)."""
    client = connect(_url(nodes))
    try:
        port = client.get_node_from_key(keys.INGEST_STREAM).port
    finally:
        client.close()
    return next(n for n in nodes if n.port == port)


def _owner_and_replica(nodes: list[Node]) -> tuple[Node, Node]:
    """The primary that owns the `{mod}` slot, and its replica."""
    owner = _owner(nodes)
    replica = next(
        n for n in nodes if n.client().info("replication").get("master_port") == owner.port
    )
    return owner, replica


def _on_replica(replica: Node, key: str) -> str | None:
    """The comment's state as `replica` holds it (READONLY: a cluster replica answers reads)."""
    client = redis.Redis(port=replica.port, decode_responses=True, single_connection_client=True)
    try:
        client.execute_command("READONLY")
        return client.hget(key, "state")
    finally:
        client.close()


@pytest.mark.anyio
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
    with pytest.raises(ClusterCrossSlotError):  # the rule a script without one hash tag breaks
        nodes[0].client().execute_command("MSET", "a", "1", "b", "2", "c", "3")


@pytest.mark.anyio
async def test_accept_stores_a_comment_on_a_cluster_and_a_chain_is_found_by_scan(
    topology: Topology,
) -> None:
    nodes = topology.cluster(3)
    client = connect_async(_url(nodes))
    comment = Comment(id="c1", text="a comment on a cluster", site="cluster")
    try:
        accepted = await RedisIngest(client, max_backlog=100).accept(
            comment, int(time.time() * 1000)
        )
        assert accepted.status == "accepted"
        assert await client.hget(keys.comment(comment.ref), "state") == "received"
        # ref_of's fallback (a chain without its OUTBOX_REFS entry, written before that hash
        # existed) SCANs: on a cluster redis-py scans every primary and finds it on the owner.
        for n in range(50):  # keys on the other primaries too, so the scan has more to skip
            await client.set(f"other:{n}", n)
        await client.rpush(keys.outbox_chain("cluster:c1"), "1-1", "2-1")
        assert await RedisOutbox(client).ref_of("2-1") == "cluster:c1"
        assert await RedisOutbox(client).ref_of("3-1") is None
    finally:
        await client.aclose()


@pytest.mark.anyio
async def test_wait_replicas_on_a_cluster_waits_for_the_replica_of_the_mod_slot_owner(
    topology: Topology,
) -> None:
    """WAIT goes to the primary that owns `{mod}`, after a replicated write there: 202 only once
    its replica has the comment; that replica stopped, 503, and the other replicas do not count."""
    nodes = topology.cluster(3, replicas=1)
    owner, replica = _owner_and_replica(nodes)
    others = [n for n in nodes[3:] if n is not replica]
    client = connect_async(_url(nodes))
    ingest = RedisIngest(client, max_backlog=100, wait_replicas=1, wait_timeout_ms=300)
    now = int(time.time() * 1000)
    try:
        await ingest.accept(Comment(id="c1", text="replicated", site="w"), now)
        assert _on_replica(replica, keys.comment("w:c1")) == "received"

        for other in others:  # the replicas of the other primaries: not the ones that count
            other.process.send_signal(signal.SIGSTOP)
        try:
            await ingest.accept(Comment(id="c2", text="replicated too", site="w"), now)
        finally:
            for other in others:
                other.process.send_signal(signal.SIGCONT)
        assert _on_replica(replica, keys.comment("w:c2")) == "received"

        replica.process.send_signal(signal.SIGSTOP)
        try:
            with pytest.raises(NotReplicatedError, match="only 0 of 1 replica"):
                await ingest.accept(Comment(id="c3", text="not replicated", site="w"), now)
        finally:
            replica.process.send_signal(signal.SIGCONT)
        assert owner.client().hget(keys.comment("w:c3"), "state") == "received"
    finally:
        await client.aclose()


@pytest.mark.anyio
async def test_the_durability_check_reads_the_settings_of_the_mod_slot_owner(
    topology: Topology,
) -> None:
    """CONFIG GET names no key: on a cluster it goes to the primary holding moderator's data,
    not to whichever node redis-py would pick, so a lax owner is reported however the others
    are set."""
    nodes = topology.cluster(3)
    owner = _owner(nodes)
    owner.client().config_set("appendfsync", "everysec")
    url = _url(nodes)
    for _ in range(3):  # redis-py picks its default node at random: several clients
        found = check(connect(url))
        assert found.durable is False and "appendfsync everysec" in found.warnings[0]
        client = connect_async(url)
        try:
            assert (await acheck(client)).settings["appendfsync"] == "everysec"
        finally:
            await client.aclose()


@pytest.mark.anyio
async def test_a_fresh_asyncio_cluster_client_takes_a_concurrent_first_burst(
    topology: Topology,
) -> None:
    """The first commands an API process sends may all arrive at once: each must succeed."""
    nodes = topology.cluster(3)
    for _ in range(3):
        client = connect_async(_url(nodes))
        script = client.register_script("return redis.call('INCR', KEYS[1])")
        try:
            replies = await asyncio.gather(
                *(script(keys=[keys.PREFIX + "burst"]) for _ in range(20)),
                *(client.hgetall(keys.SITES) for _ in range(20)),
                return_exceptions=True,
            )
        finally:
            await client.aclose()
        assert [r for r in replies if isinstance(r, BaseException)] == []


#: Tests that once failed on a cluster only: redis-py's cluster pipelines refuse MGET and EVALSHA
#: (the claims' holders, the archiver's deletes); the login limits' 30 parallel logins were the
#: first concurrent burst on a fresh asyncio cluster client (redis_client._AsyncCluster).
ON_A_CLUSTER = [
    "tests/adapters/test_redis_claims.py",
    "tests/adapters/test_archiver.py",
    "tests/e2e/test_login_limits.py",
]


@pytest.mark.slow
def test_claims_and_the_archiver_pass_their_own_tests_on_a_cluster(topology: Topology) -> None:
    """The suite's redis_url fixture takes any topology (MODERATOR_TEST_REDIS_URL): these
    modules' tests, unchanged, against a 3-primary cluster."""
    nodes = topology.cluster(3)
    env = dict(os.environ, MODERATOR_TEST_REDIS_URL=_url(nodes))
    env.pop("MODERATOR_FAIL_ON_SKIP", None)  # the run below skips nothing; its outcome is read
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *ON_A_CLUSTER],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout


RUDE = "comment {n}: you are an idiot and a moron"
CLEAN = "comment {n}: the raid was on the news"


def _token(url: str, name: str, role: str) -> str:
    async def create() -> str:
        client = connect_async(url)
        try:
            return await RedisAuthStore(client).create_token(name, role)
        finally:
            await client.aclose()

    return asyncio.run(create())


def _all_scored(client: redis.Redis, refs: list[str]) -> bool:
    return all(s in ("queued", "approved") for s in states(client, refs).values())


class Reviewer:
    """A reviewer working the review queue through one API process, in a thread: claim five,
    approve the five, again."""

    def __init__(self, api: str, token: str, rounds: int) -> None:
        self.api, self.rounds = api, rounds
        self.headers = {"Authorization": f"Bearer {token}"}
        self.claimed: list[str] = []  # refs, in the order they came back
        self.answers: list[int] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.api, headers=self.headers, timeout=15) as http:
            for _ in range(self.rounds):
                answer = http.post("/v1/queue/review/claim", params={"count": 5})
                self.answers.append(answer.status_code)
                items = answer.json()["items"] if answer.status_code == 200 else []
                for item in items:
                    site, comment_id = item["comment"]["site"], item["comment"]["id"]
                    self.claimed.append(f"{site}:{comment_id}")
                    decided = http.post(
                        f"/v1/comments/{comment_id}/decision",
                        params={"site": site},
                        json={"decision": "approve"},
                    )
                    self.answers.append(decided.status_code)


def _feed(api: str, token: str) -> tuple[list[dict[str, Any]], list[int]]:
    """Every event of the pull feed, page by page, through `api`; and every answer's status."""
    events: list[dict[str, Any]] = []
    answers: list[int] = []
    after: str | None = None
    with httpx.Client(base_url=api, timeout=15) as http:
        while True:
            params: dict[str, Any] = {"limit": 1000} | ({"after": after} if after else {})
            page = http.get(
                "/v1/decisions", params=params, headers={"Authorization": f"Bearer {token}"}
            )
            answers.append(page.status_code)
            if page.status_code != 200 or not page.json()["events"]:
                return events, answers
            events += page.json()["events"]
            after = page.json()["next"]


@pytest.mark.slow
def test_two_apis_and_two_workers_on_a_cluster_lose_nothing_when_a_worker_is_killed(
    topology: Topology, tmp_path: Path, partitioned: int
) -> None:
    """The proof (issue 14): 3 primaries with a replica each, `redis.partitions = 3` (the four
    platforms' sites fall in all three, and the three partitions' tags on three primaries),
    `webhook.wait_replicas = 1`, two `moderator serve` and two `moderator worker` processes on
    `redis+cluster://`; 2,000 signed comments from four platforms posting at once, two per API;
    one worker SIGKILLed once a third are scored. Every accepted comment is scored and queued
    exactly once, each primary holds its partition's comments, the counts add up, two reviewers
    claiming through different APIs never get the same comment, a decision made through one
    API is in the pull feed read through the other, and no CROSSSLOT, MOVED or ASK reaches a
    log or an answer."""
    nodes = topology.cluster(3, replicas=1)
    url = _url(nodes)
    env = {
        "MODERATOR_WEBHOOK__WAIT_REPLICAS": "1",
        "MODERATOR_WEBHOOK__WAIT_TIMEOUT_MS": "2000",
        "MODERATOR_REDIS__PARTITIONS": str(partitioned),
    }
    (tmp_path / "procs").mkdir()
    client = connect(url)
    try:
        with processes(url, tmp_path / "procs", **env) as procs:
            apis = [f"http://127.0.0.1:{port}" for port in (free_port(), free_port())]
            for api in apis:
                procs.api(int(api.rsplit(":", 1)[1]))
            victim = procs.worker()
            procs.worker()
            sites = iter(("es", "blog", "news", "forum"))  # partitions 0, 1, 2 and 1
            senders = [  # two platforms per API process, posting at the same time
                Sender(api, 500, prefix=f"p{n}{k}", site=next(sites), texts=(CLEAN, RUDE, CLEAN))
                for n, api in enumerate(apis)
                for k in range(2)
            ]
            for sender in senders:
                sender.start()
            wait_for(lambda: sum(client.xlen(p.feed) for p in keys.parts()) >= 667, 180, 0.05)
            victim.send_signal(signal.SIGKILL)  # mid-batch: its pending entries are reclaimed
            victim.wait()
            for sender in senders:
                sender.join(300)
            refs = [ref for sender in senders for ref in sender.refs()]
            assert [len(s.accepted) for s in senders] == [500] * 4
            try:
                wait_for(lambda: _all_scored(client, refs), 180, 0.2)
            except AssertionError:
                raise AssertionError(f"not all scored:\n{procs.logs()}") from None
            assert_each_queued_once(client, refs)
            owners = {client.get_node_from_key(p.ingest).port for p in keys.parts()}
            assert len(owners) == 3, "the three partitions are not on three primaries"
            for sender in senders:  # each comment is on its partition's primary
                node = client.get_node_from_key(keys.part_of_site(sender.site).ingest)
                held = redis.Redis(port=node.port, decode_responses=True)
                assert held.exists(keys.comment(sender.refs()[0])), sender.site
                held.close()

            found = states(client, refs)
            rude = {f"{s.site}:{s.prefix}-{i:05d}" for s in senders for i in range(1, 500, 3)}
            assert {r for r, s in found.items() if s == "queued"} == rude
            reviewer_token = [_token(url, name, "reviewer") for name in ("ann", "bob")]
            with httpx.Client(timeout=15) as http:
                counts = http.get(
                    apis[1] + "/v1/counts",
                    headers={"Authorization": f"Bearer {reviewer_token[0]}"},
                )
            assert counts.status_code == 200, counts.text
            queues = counts.json()["queues"]
            assert queues["review"]["count"] == len(rude) == 668
            assert sum(q["count"] for name, q in queues.items() if name != "review") == 0

            reviewers = [
                Reviewer(api, token, rounds=8)
                for api, token in zip(apis, reviewer_token, strict=True)
            ]
            for reviewer in reviewers:
                reviewer.thread.start()
            for reviewer in reviewers:
                reviewer.thread.join(120)
            ann, bob = (r.claimed for r in reviewers)
            assert len(ann) == len(set(ann)) == 40 and len(bob) == len(set(bob)) == 40
            assert not set(ann) & set(bob), "two reviewers were handed the same comment"
            assert set(ann) | set(bob) <= rude

            # each API's feed shows the decisions made through the other one, once each
            platform = _token(url, "platform", "platform")
            feed_answers: list[int] = []
            for api, other in ((apis[0], bob), (apis[1], ann)):
                events, statuses = _feed(api, platform)
                feed_answers += statuses
                assert [e["event"] for e in events].count("scored") == 2000
                decided = [f"{e['site']}:{e['id']}" for e in events if e["event"] == "decided"]
                assert sorted(decided) == sorted(ann + bob)
                assert set(other) <= set(decided)
            with httpx.Client(timeout=15) as http:
                after = http.get(
                    apis[0] + "/v1/counts",
                    headers={"Authorization": f"Bearer {reviewer_token[1]}"},
                )
            assert after.json()["queues"]["review"]["count"] == 668 - 80

            answers = [*feed_answers, *(a for r in reviewers for a in r.answers)]
            assert set(answers) == {200}, answers
            logs = "\n".join(p.read_text(errors="replace") for p in procs.workdir.glob("*.log"))
            # Redis's own error texts and redis-py's names for them
            escaped = re.findall(
                r"CROSSSLOT Keys|MOVED \d+|ASK \d+|CrossSlot|MovedError|AskError|Traceback", logs
            )
            assert escaped == [], f"{escaped} in a process log:\n{procs.logs()}"
            print(
                f"refused (503 or reset, retried): {[s.refused for s in senders]}; "
                f"review queue {queues['review']['count']}; claimed {len(ann)} + {len(bob)}"
            )
    finally:
        client.close()


@pytest.mark.slow
def test_a_failover_of_the_mod_primary_answers_503_never_500_and_loses_no_accepted_comment(
    topology: Topology, tmp_path: Path
) -> None:
    """3 primaries with two replicas each, `webhook.wait_replicas = 1`: comments are posted
    continuously and the primary that owns `{mod}` is SIGKILLed. The cluster promotes one of its
    replicas (the other follows it, so WAIT 1 can be met again); the API answers 503 while the
    slot has no primary, never a 500 or a MOVED, recovers by itself, and every comment that got
    a 202 is on the new primary and scored."""
    nodes = topology.cluster(3, replicas=2)
    owner, _ = _owner_and_replica(nodes)
    url = "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in nodes[:3] if n != owner)
    env = {"MODERATOR_WEBHOOK__WAIT_REPLICAS": "1", "MODERATOR_WEBHOOK__WAIT_TIMEOUT_MS": "500"}
    (tmp_path / "procs").mkdir()
    with processes(url, tmp_path / "procs", **env) as procs:
        port = free_port()
        procs.api(port)
        procs.worker()
        poster = Poster(f"http://127.0.0.1:{port}")
        poster.thread.start()
        wait_for(lambda: len(poster.accepted) >= 40, 60)
        before = len(poster.answers)
        owner.kill()
        promoted = wait_for(lambda: _promoted(nodes, owner), 60, 0.1)
        switched_at = len(poster.accepted)
        wait_for(lambda: len(poster.accepted) >= switched_at + 40, 60)  # recovered by itself
        poster.stop.set()
        poster.thread.join(30)
        client = connect(url)
        try:
            found = states(client, poster.accepted)
            assert [r for r, s in found.items() if s is None] == [], "a 202 was lost"
            try:
                wait_for(lambda: _all_scored(client, poster.accepted), 90, 0.2)
            except AssertionError:
                raise AssertionError(f"not all scored:\n{procs.logs()}") from None
            assert client.get_node_from_key(keys.INGEST_STREAM).port == promoted.port
        finally:
            client.close()
        logs = "\n".join(p.read_text(errors="replace") for p in procs.workdir.glob("*.log"))
    counts = collections.Counter(poster.answers)
    print(f"answers: {dict(counts)}; accepted {len(poster.accepted)}")
    assert set(counts) <= {200, 202, 503}, counts
    assert 503 in poster.answers[before:], "the switch was never seen as 503"
    assert set(poster.answers[-10:]) <= {200, 202}, "the API did not recover by itself"
    assert re.findall(r"CROSSSLOT Keys|MovedError|AskError|Traceback", logs) == []


def _promoted(nodes: list[Node], dead: Node) -> Node | None:
    """The replica of `dead` that the cluster made a primary, once it has a replica itself."""
    for node in nodes:
        if node is dead:
            continue
        info = node.client().info("replication")
        if info["role"] == "master":
            table = node.client().cluster("nodes").values()
            mine = next(v for v in table if "myself" in v["flags"])
            slot = node.client().cluster("keyslot", keys.INGEST_STREAM)
            owns = any(int(lo) <= slot <= int(hi) for lo, hi in (r[:2] for r in mine["slots"]))
            if owns and int(info["connected_slaves"]) >= 1:
                return node
    return None
