"""Sentinel failover with nothing lost: Debian's redis-server (a primary and two replicas) and
three redis-sentinel processes on loopback; a real `moderator serve` (uvicorn subprocess) and a
real `moderator worker` on `redis+sentinel://`, with `webhook.wait_replicas = 1`. Signed comments
are posted continuously and the primary is killed with SIGKILL. Two replicas: after one is
promoted, the other is there to confirm WAIT 1, so the API recovers by itself (with a single
replica, every webhook would rightly answer 503 until a replica came back: reliability.md)."""

from __future__ import annotations

import collections
import signal
import threading
import time
from pathlib import Path

import httpx
import redis

from moderator import keys
from tests.e2e.harness import free_port
from tests.faults.harness import processes, signed_post
from tests.topology.harness import SERVICE, Node, Topology, wait_for


class Poster:
    """A platform posting comment after comment, each retried until it is answered 202 or 200;
    every answer is counted, in order."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[int] = []  # every status, 0 for a transport error
        self.accepted: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=15) as client:
            n = 0
            while not self.stop.is_set():
                body = {"id": f"s{n:05d}", "site": "sentinel", "text": f"comment {n} on the news"}
                while not self.stop.is_set():
                    try:
                        status = signed_post(client, self.url, body).status_code
                    except httpx.HTTPError:
                        status = 0
                    self.answers.append(status)
                    if status in (200, 202):
                        self.accepted.append(f"sentinel:{body['id']}")
                        break
                    time.sleep(0.05)
                n += 1
                time.sleep(0.01)


def _primary_port(sentinel: Node) -> int:
    return int(sentinel.client().sentinel_get_master_addr_by_name(SERVICE)[1])


def test_sentinel_failover_loses_no_accepted_comment_and_answers_503_never_500(
    topology: Topology, tmp_path: Path
) -> None:
    primary = topology.server()
    replicas = [topology.replica_of(primary) for _ in range(2)]
    sentinels = [topology.sentinel(primary) for _ in range(3)]
    wait_for(lambda: sentinels[0].client().sentinel_master(SERVICE)["num-other-sentinels"] == 2)
    hosts = ",".join(f"127.0.0.1:{s.port}" for s in sentinels)
    url = f"redis+sentinel://{hosts}/{SERVICE}"
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
        primary.process.send_signal(signal.SIGKILL)  # no shutdown, no last replication
        primary.process.wait()
        wait_for(lambda: _primary_port(sentinels[0]) != primary.port, 60, 0.1)
        promoted = next(r for r in replicas if r.port == _primary_port(sentinels[0]))
        switched_at = len(poster.accepted)
        wait_for(lambda: len(poster.accepted) >= switched_at + 40, 60)  # recovered by itself
        poster.stop.set()
        poster.thread.join(30)
        client = promoted.client()
        missing = [r for r in poster.accepted if not client.exists(keys.comment(r))]
        assert missing == [], f"{len(missing)} comments answered 202/200 are gone after failover"
        try:
            wait_for(lambda: _all_scored(client, poster.accepted), 90, 0.2)
        except AssertionError:
            raise AssertionError(f"not all scored:\n{procs.logs()}\n{topology.logs()}") from None
    counts = collections.Counter(poster.answers)
    print(f"answers: {dict(counts)}; accepted {len(poster.accepted)}")
    assert set(counts) <= {200, 202, 503}, counts  # never a 500, never a hung request
    assert 503 in poster.answers[before:], "the switch was never seen as 503"
    assert set(poster.answers[-10:]) <= {200, 202}, "the API did not recover by itself"


def _all_scored(client: redis.Redis, refs: list[str]) -> bool:
    pipe = client.pipeline(transaction=False)
    for ref in refs:
        pipe.hget(keys.comment(ref), "state")
    return all(state in ("queued", "approved") for state in pipe.execute())
