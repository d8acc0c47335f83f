"""webhook.wait_replicas: 202 only once a replica has the comment (WAIT). A replica that does
not confirm in time (here: stopped with SIGSTOP) gets the sender a 503 that says so, the comment
stays stored on the primary, and the retry after the replica is back is a 200 redelivery.
Real Debian redis-server primary and replica, the real API in a uvicorn thread."""

from __future__ import annotations

import signal

import httpx

from moderator import keys
from tests.faults.harness import api_in_thread, signed_post
from tests.topology.harness import Topology, wait_for


def test_wait_replicas_answers_503_when_no_replica_confirms_and_keeps_the_comment(
    make_settings, topology: Topology
) -> None:
    primary = topology.server()
    replica = topology.replica_of(primary)
    settings = make_settings(
        redis_url=f"redis://127.0.0.1:{primary.port}/0",
        webhook={"wait_replicas": 1, "wait_timeout_ms": 300},
    )
    first = {"id": "c1", "site": "wait", "text": "replicated before 202"}
    second = {"id": "c2", "site": "wait", "text": "stored, not yet replicated"}
    with api_in_thread(settings) as url, httpx.Client(timeout=10) as client:
        assert signed_post(client, url, first).status_code == 202
        # WAIT returned 1: the replica holds the comment at the moment of the 202
        assert replica.client().hget(keys.comment("wait:c1"), "state") == "received"

        replica.process.send_signal(signal.SIGSTOP)
        try:
            refused = signed_post(client, url, second)
            again = signed_post(client, url, second)
        finally:
            replica.process.send_signal(signal.SIGCONT)
        assert refused.status_code == 503, refused.text
        assert "only 0 of 1 replica(s) confirmed it within 300 ms" in refused.json()["detail"]
        assert refused.headers["retry-after"] == "5"
        assert again.status_code == 503  # a redelivery waits too: it may be this 503's retry
        assert primary.client().hget(keys.comment("wait:c2"), "state") == "received"

        wait_for(lambda: replica.client().exists(keys.comment("wait:c2")), 20)
        assert replica.client().hget(keys.comment("wait:c2"), "state") == "received"
        retried = signed_post(client, url, second)
        assert retried.status_code == 200, retried.text
        assert retried.json()["status"] == "duplicate"
    assert primary.client().xlen(keys.INGEST_STREAM) == 2  # stored once each, never twice
