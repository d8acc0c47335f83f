"""`moderator migrate` on a real 3-primary Redis Cluster: the first layout's keys sit in many
slots, so each is copied with DUMP/RESTORE into the one `{mod}` slot and then deleted; a copy
an interrupted run left behind is finished, not duplicated; a different value under the new
name is a conflict, never overwritten."""

from __future__ import annotations

import time

import pytest

from moderator import keys
from moderator.adapters.redis import layout as redis_layout
from moderator.adapters.redis.client import connect
from moderator.cli import main
from tests.topology.harness import Topology

OLD = keys.LEGACY_PREFIX


def test_migrate_copies_old_keys_into_the_mod_slot_on_a_cluster(
    topology: Topology, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    nodes = topology.cluster(3)
    url = "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in nodes[:2])
    r = connect(url)
    try:
        for n in range(30):  # spread over the three primaries
            r.hset(f"{OLD}comment:blog:c{n}", mapping={"state": "queued", "n": n})
        r.xadd(OLD + "feed", {"data": "{}"}, id="1700000000000-0")
        r.set(OLD + "claim:blog:c1", "ana", px=600_000)
        r.set(OLD + "model", "m")
        r.set(keys.MODEL_INFO, "m")  # an interrupted run's copy: same value, finished
        r.set(OLD + "recent", "old")
        r.set(keys.RECENT, "new")  # a conflict
        assert len({r.keyslot(f"{OLD}comment:blog:c{n}") for n in range(30)}) > 1
        monkeypatch.setenv("MODERATOR_REDIS_URL", url)

        assert main(["migrate"]) == 2  # the conflict is reported
        report = capsys.readouterr().out

        assert '"moved": 32' in report and '"already": 1' in report and "mod:recent" in report
        assert r.hgetall(keys.comment("blog:c7")) == {"state": "queued", "n": "7"}
        assert r.xrange(keys.FEED_STREAM)[0][0] == "1700000000000-0"
        expiry, _, who = r.hget(keys.CLAIMS, "blog:c1").partition(":")
        assert who == "ana" and 0 < int(expiry) - time.time() * 1000 <= 600_000
        assert (r.get(keys.RECENT), r.get(OLD + "recent")) == ("new", "old")
        assert not r.exists(OLD + "model")
        slot = r.keyslot(keys.INGEST_STREAM)
        assert all(r.keyslot(k) == slot for k in r.scan_iter(match=keys.PREFIX + "*"))
        raw = connect(url, decode_responses=False)
        assert not redis_layout.has_legacy_data(raw)  # the markers moved; mod:recent is none
        raw.close()
    finally:
        r.close()
