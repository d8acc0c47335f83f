"""The key layout's move from the first layout (`mod:…`) to the hash-tagged one (`{mod}:…`), on
the suite's real Redis: what moves (every type, with its TTL, stream ids and consumer groups),
what stays (another application's `mod:` keys, a new name that holds other data), a second run,
and the commands: an external Redis with old data stops `serve` with a sentence until
`moderator migrate` has run; an embedded one is moved at start."""

from __future__ import annotations

import asyncio
import inspect
import time
from pathlib import Path

import pytest
import redis

from moderator import bootstrap, keys
from moderator.adapters.redis import layout as redis_layout
from moderator.adapters.redis.client import connect, connect_async
from moderator.adapters.redis.ingest import RedisIngest
from moderator.cli import main
from moderator.core.models import Comment
from moderator.errors import ConfigError

OLD = keys.LEGACY_PREFIX


#: Functions of moderator/keys.py that build no key name (the partitions' own machinery).
_NOT_NAMES = {"configure", "partitions", "tag", "part", "parts", "partition_of", "part_of_site"}
_NOT_NAMES |= {"part_of", "prefix_of"}


def test_every_key_moderator_builds_has_the_tag_and_a_family_the_move_knows() -> None:
    names = [
        v
        for k, v in vars(keys).items()
        if k.isupper() and isinstance(v, str) and v.startswith(keys.PREFIX) and v != keys.PREFIX
    ]
    part = keys.part(0)
    names += [
        getattr(part, p) for p in dir(type(part)) if isinstance(getattr(type(part), p), property)
    ]
    names += [part.queue("hold"), part.queue_index("hold", "oldest"), part.claims_of("x")]
    for name, fn in vars(keys).items():
        if name in _NOT_NAMES:
            continue
        if inspect.isfunction(fn) and fn.__module__ == keys.__name__:
            arity = len(inspect.signature(fn).parameters)
            names.append(fn(*(["x"] * arity)) if name != "queue_index" else fn("hold", "oldest"))
    assert len(names) > 40
    for name in names:
        assert name.startswith("{mod}:"), name
        legacy = OLD + name[len(keys.PREFIX) :]
        assert redis_layout.new_name(legacy) == name, f"{legacy} would not move"
    assert redis_layout.new_name("mod:someone-elses:key") is None
    assert redis_layout.new_name("other:comment:x") is None


def _old_layout(r: redis.Redis) -> None:
    """What the first layout left in Redis: a bit of every type, a TTL, a stream group."""
    r.hset(OLD + "comment:blog:c1", mapping={"state": "queued", "text": "hola"})
    r.zadd(OLD + "queue:hold", {"blog:c1": 0.9})
    first = r.xadd(OLD + "ingest", {"ref": "blog:c2"})
    r.xgroup_create(OLD + "ingest", keys.INGEST_GROUP, id="0")
    r.xreadgroup(keys.INGEST_GROUP, "w1", {OLD + "ingest": ">"})  # one pending entry
    r.xadd(OLD + "feed", {"data": "{}"}, id="1700000000000-0")
    r.rpush(OLD + "outbox:chain:blog:c1", "1700000000000-0")
    r.sadd(OLD + "users", "ana")
    r.set(OLD + "claim:blog:c1", "ana", px=600_000)
    r.set(OLD + "policy:current", "2026.11.3")
    r.set("mod:someone-elses:key", "not ours")
    r.set("unrelated", "x")
    assert first


def test_migrate_moves_every_type_keeps_ttls_ids_and_groups_and_leaves_others(
    redis_client: redis.Redis,
) -> None:
    _old_layout(redis_client)
    redis_client.set(keys.PREFIX + "sites", "already written by a new process")
    redis_client.set(OLD + "sites", "old sites")  # the conflict: never overwritten
    raw = redis.Redis(connection_pool=redis_client.connection_pool)
    assert redis_layout.has_legacy_data(raw)
    planned = redis_layout.migrate(raw, dry_run=True)
    assert (planned.moved, planned.conflicts) == (8, [OLD + "sites"])
    assert redis_client.exists(OLD + "comment:blog:c1")  # a dry run changes nothing

    done = redis_layout.migrate(raw)

    assert (done.moved, done.already, done.conflicts) == (8, 0, [OLD + "sites"])
    assert redis_client.hgetall(keys.comment("blog:c1")) == {"state": "queued", "text": "hola"}
    assert redis_client.zscore(keys.queue("hold"), "blog:c1") == 0.9
    assert redis_client.xinfo_groups(keys.INGEST_STREAM)[0]["pending"] == 1
    assert redis_client.xrange(keys.FEED_STREAM)[0][0] == "1700000000000-0"  # cursors hold
    assert redis_client.lrange(keys.outbox_chain("blog:c1"), 0, -1) == ["1700000000000-0"]
    expiry, _, who = redis_client.hget(keys.CLAIMS, "blog:c1").partition(":")
    assert who == "ana" and 0 < int(expiry) - time.time() * 1000 <= 600_000
    assert redis_client.get(keys.POLICY_CURRENT) == "2026.11.3"
    assert redis_client.get(keys.SITES) == "already written by a new process"
    assert redis_client.get(OLD + "sites") == "old sites"
    assert redis_client.get("mod:someone-elses:key") == "not ours"
    assert redis_client.get("unrelated") == "x"
    assert sorted(redis_client.scan_iter(match=OLD + "*")) == [
        "mod:sites",
        "mod:someone-elses:key",
    ]

    again = redis_layout.migrate(raw)
    assert (again.moved, again.conflicts) == (0, [OLD + "sites"])


def test_a_key_moved_by_another_process_meanwhile_is_skipped(redis_client: redis.Redis) -> None:
    redis_client.set(OLD + "recent", "x")
    raw = redis.Redis(connection_pool=redis_client.connection_pool)
    redis_client.rename(OLD + "recent", keys.RECENT)  # moved between the scan and the rename
    assert redis_layout._move_rename(raw, OLD + "recent", keys.RECENT) == "already"


def test_serve_refuses_an_external_redis_with_old_data_until_migrate_has_run(
    redis_client: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _old_layout(redis_client)
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    for n, secret in enumerate(("WEBHOOK_SECRET", "SESSION_SECRET", "CALLBACK_SECRET")):
        monkeypatch.setenv(f"MODERATOR_{secret}", f"{n}" * 32)
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "first key layout" in err and "moderator migrate" in err
    assert redis_client.exists(OLD + "comment:blog:c1")  # refused, not changed

    assert main(["migrate", "--dry-run"]) == 0
    assert '"moved": 8' in capsys.readouterr().out
    assert main(["migrate"]) == 0
    assert '"moved": 8' in capsys.readouterr().out
    assert not redis_layout.has_legacy_data(connect(redis_url, decode_responses=False))
    assert redis_client.hget(keys.comment("blog:c1"), "state") == "queued"


def test_an_embedded_redis_is_moved_at_start_and_serves_the_old_comments(
    make_settings, tmp_path: Path
) -> None:
    settings = make_settings(redis_url="", data_dir=tmp_path / "var")
    url, embedded = bootstrap.open_store(settings, check_layout=False)
    assert embedded is not None
    try:
        comment = Comment(id="c1", text="una noticia", site="blog")
        assert asyncio.run(_accept(url, comment)) == "accepted"
        sync = connect(url)
        for key in list(sync.scan_iter(match=keys.PREFIX + "*")):  # as the first layout wrote it
            sync.rename(key, OLD + key[len(keys.PREFIX) :])
        assert not sync.exists(keys.comment(comment.ref))

        again, second = bootstrap.open_store(settings)  # attaches to the running server

        assert second is not None and again == url
        assert sync.hget(keys.comment(comment.ref), "state") == "received"
        assert sync.xlen(keys.INGEST_STREAM) == 1
        assert list(sync.scan_iter(match=OLD + "*")) == []
        second.stop()
        sync.close()
    finally:
        embedded.stop()


async def _accept(url: str, comment: Comment) -> str:
    client = connect_async(url)
    try:
        accepted = await RedisIngest(client, max_backlog=100).accept(
            comment, int(time.time() * 1000)
        )
        return accepted.status
    finally:
        await client.aclose()


def test_a_conflict_stops_an_embedded_start_with_a_sentence(make_settings, tmp_path: Path) -> None:
    settings = make_settings(redis_url="", data_dir=tmp_path / "var")
    url, embedded = bootstrap.open_store(settings, check_layout=False)
    assert embedded is not None
    try:
        sync = connect(url)
        sync.set(OLD + "model", "old")
        sync.set(keys.MODEL_INFO, "new")
        with pytest.raises(ConfigError, match="their new names hold other data"):
            bootstrap.open_store(settings)
        sync.close()
    finally:
        embedded.stop()


def test_a_redis_that_does_not_answer_at_start_is_not_an_error_of_the_layout_check(
    make_settings, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.e2e.harness import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with caplog.at_level("INFO", logger="moderator.layout"):
        assert bootstrap.open_store(make_settings(redis_url=url)) == (url, None)
    assert "Key layout not checked" in caplog.text  # the commands wait for Redis as always


def test_the_partitions_are_recorded_once_and_a_process_with_another_count_is_refused(
    redis_client: redis.Redis,
) -> None:
    raw = redis.Redis(connection_pool=redis_client.connection_pool)
    redis_layout.check_partitions(raw, 3)  # a fresh Redis: recorded
    assert redis_client.hget(keys.LAYOUT, "partitions") == "3"
    redis_layout.check_partitions(raw, 3)
    with pytest.raises(ConfigError, match="split into 3 partitions"):
        redis_layout.check_partitions(raw, 1)


def test_data_written_before_the_record_counts_as_one_partition(
    redis_client: redis.Redis,
) -> None:
    raw = redis.Redis(connection_pool=redis_client.connection_pool)
    redis_client.sadd(keys.USERS, "ana")
    with pytest.raises(ConfigError, match="splitting existing data is not built"):
        redis_layout.check_partitions(raw, 4)
    assert not redis_client.exists(keys.LAYOUT)
    redis_layout.check_partitions(raw, 1)
    assert redis_client.hget(keys.LAYOUT, "partitions") == "1"


def test_every_partitions_names_carry_its_own_tag(partitioned: int) -> None:
    for k, part in enumerate(keys.parts()):
        tag = keys.tag(k)
        assert part.ingest.startswith(tag + ":") and part.claims_of("x").startswith(tag + ":")
        assert part.queue_index("hold", "oldest", "site:news").startswith(tag + ":")
    assert len({keys.tag(k) for k in range(3)}) == 3
    assert keys.comment("news:c1").startswith(keys.tag(2) + ":")
    assert keys.author("blog", "u1").startswith(keys.tag(1) + ":")
