"""What a client meets while Redis switches primaries is a 503 the sender retries, never a 500:
a write on a demoted primary (READONLY), a Sentinel that knows no primary, a dropped connection.
Real Debian redis-server processes, the real API in a uvicorn thread."""

from __future__ import annotations

import httpx
import pytest
import redis

from moderator.adapters.redis.client import SWITCHING, store_error
from tests.faults.harness import api_in_thread, signed_post
from tests.topology.harness import Topology


def _comment(n: int) -> dict[str, str]:
    return {"id": f"c{n}", "site": "switch", "text": f"comment {n} on the news"}


def test_a_write_on_a_demoted_primary_answers_503_not_500(
    make_settings, topology: Topology
) -> None:
    """A client still pointed at the old primary, now a replica, gets READONLY from every write:
    the webhook answers 503 with a problem document and Retry-After; /readyz takes the process
    out of a load balancer, /healthz keeps it alive."""
    primary = topology.server()
    replica = topology.replica_of(primary)
    settings = make_settings(redis_url=f"redis://127.0.0.1:{replica.port}/0")
    with api_in_thread(settings) as url, httpx.Client(timeout=10) as client:
        answer = signed_post(client, url, _comment(1))
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert "switching primaries" in answer.json()["detail"]
        assert answer.headers["retry-after"] == "5"
        assert client.get(url + "/healthz").status_code == 200  # alive: not restarted
        assert client.get(url + "/readyz").status_code == 503  # but takes no traffic
    assert primary.client().dbsize() == 0


def test_a_script_whose_write_lands_on_a_replica_is_switching_not_a_bug(
    topology: Topology,
) -> None:
    """A Lua script's refused write on a replica: Redis answers READONLY itself or, as Debian's
    7.0 did here, an error that quotes it; CI once met the second as a 500 from the webhook."""
    primary = topology.server()
    replica = topology.replica_of(primary)
    script = replica.client().register_script("redis.call('SET', KEYS[1], '1') return 1")

    with pytest.raises(redis.ResponseError) as caught:
        script(keys=["{mod}:probe"])

    mapped = store_error(caught.value)
    assert mapped is not None and "switching primaries" in str(mapped)


def test_readonly_quoted_in_a_script_error_is_switching() -> None:
    """The text Redis 7.0.15 answered in that CI run (not a ReadOnlyError, so it is matched by
    its words); another script error stays a bug."""
    quoted = redis.ResponseError(
        "Error running script (call to f_f454e39094a588acc5a1e4798e03e1ac7795d947): "
        "@user_script:4: @user_script: 4: -READONLY You can't write against a read only replica."
    )
    other = redis.ResponseError("Error running script: @user_script:4: user_script:4: bad type")

    assert not isinstance(quoted, SWITCHING)
    mapped = store_error(quoted)
    assert mapped is not None and "switching primaries" in str(mapped)
    assert store_error(other) is None


def test_a_sentinel_url_with_no_reachable_sentinel_answers_503(
    make_settings, topology: Topology
) -> None:
    primary = topology.server()
    sentinel = topology.sentinel(primary)
    settings = make_settings(redis_url=f"redis+sentinel://127.0.0.1:{sentinel.port}/mymaster")
    with api_in_thread(settings) as url, httpx.Client(timeout=10) as client:
        assert signed_post(client, url, _comment(2)).status_code == 202
        sentinel.kill()
        primary.kill()
        answers = [signed_post(client, url, _comment(n)).status_code for n in range(3, 8)]
    assert answers == [503] * 5
