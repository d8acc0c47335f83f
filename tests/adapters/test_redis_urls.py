"""`redis_url` schemes (adapters/redis/client.py): each topology parsed from one setting, ACL
user and password in each, and a sentence naming the accepted forms for a URL that is wrong."""

from __future__ import annotations

import pytest
import redis

from moderator.adapters.redis.client import connect, connect_async, parse_redis_url
from moderator.errors import ConfigError


def test_standalone_and_tls_urls_keep_user_password_and_database() -> None:
    plain = parse_redis_url("redis://app:s%40cret@cache.internal:6380/2")
    assert (plain.topology, plain.nodes, plain.tls) == (
        "standalone",
        (("cache.internal", 6380),),
        False,
    )
    assert (plain.username, plain.password) == ("app", "s@cret")
    assert parse_redis_url("unix:///var/run/redis.sock?db=1").topology == "standalone"
    tls = parse_redis_url("rediss://:pw@redis.example.com")
    assert (tls.topology, tls.tls, tls.nodes, tls.password) == (
        "standalone",
        True,
        (("redis.example.com", 6379),),
        "pw",
    )


def test_sentinel_url_lists_sentinels_service_database_and_both_credentials() -> None:
    target = parse_redis_url(
        "redis+sentinel://app:pw@10.0.0.1:26379,10.0.0.2,[::1]:26380/mymaster"
        "?db=3&sentinel_password=spw"
    )
    assert target.topology == "sentinel"
    assert target.nodes == (("10.0.0.1", 26379), ("10.0.0.2", 26379), ("::1", 26380))
    assert (target.service, target.db) == ("mymaster", 3)
    assert (target.username, target.password) == ("app", "pw")
    assert target.sentinel_auth == {"password": "spw"}
    assert parse_redis_url("rediss+sentinel://h:1/s").tls is True


def test_cluster_url_lists_seed_nodes_with_credentials() -> None:
    target = parse_redis_url("redis+cluster://u:p@n1:7000,n2:7001,n3")
    assert target.topology == "cluster"
    assert target.nodes == (("n1", 7000), ("n2", 7001), ("n3", 6379))
    assert (target.username, target.password) == ("u", "p")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("localhost:6379", "must start with one of"),
        ("http://localhost:6379", "got http://"),
        ("redis://", "names no host"),
        ("unix://", "names the socket"),
        ("redis+sentinel://h1:26379,h2:26379", "names the monitored service"),
        ("redis+sentinel://h1:26379/a/b", "names the monitored service"),
        ("redis+sentinel://h1:26379/mymaster?dbx=1", "does not read the parameter(s) dbx"),
        ("redis+sentinel://h1:26379/mymaster?db=zero", "must be a database number"),
        ("redis+sentinel://h1:notaport/mymaster", "bad node 'h1:notaport'"),
        ("redis+sentinel://h1:26379,,h2/mymaster", "bad node ''"),
        ("redis+cluster://h1:70000", "bad node 'h1:70000'"),
        ("redis+cluster://h1:7000/1", "only database 0"),
        ("redis+cluster://h1:7000?read_from_replicas=1", "takes no database"),
    ],
)
def test_a_bad_url_is_refused_with_a_sentence_saying_what_to_write(url: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_redis_url(url)
    assert words in str(caught.value)


def test_settings_refuse_a_bad_redis_url_at_load(make_settings) -> None:
    with pytest.raises(ConfigError, match="names the monitored service"):
        make_settings(redis_url="redis+sentinel://127.0.0.1:26379")
    assert make_settings(redis_url="redis+cluster://127.0.0.1:7000").redis_url


def test_each_scheme_builds_its_client_without_connecting() -> None:
    assert isinstance(connect("redis://127.0.0.1:1/0"), redis.Redis)
    sentinel = connect("redis+sentinel://u:p@127.0.0.1:1/mymaster?db=2")
    kwargs = sentinel.connection_pool.connection_kwargs
    assert (kwargs["username"], kwargs["password"], kwargs["db"]) == ("u", "p", 2)
    assert sentinel.connection_pool.service_name == "mymaster"
    assert (
        type(connect_async("redis+sentinel://127.0.0.1:1/m")).__module__ == "redis.asyncio.client"
    )


def test_a_sentinel_url_whose_sentinels_are_down_raises_a_connection_error() -> None:
    """Not a crash: MasterNotFoundError is a ConnectionError, which the adapters map to 503."""
    client = connect("redis+sentinel://127.0.0.1:1/mymaster")
    with pytest.raises(redis.ConnectionError):
        client.ping()
