"""Sites: each with its platform and its own callback target, from the settings file and from
`moderator sites add`; decisions of each site reach its own endpoint through the outbox, the
global callback stays the default."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from moderator import keys
from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.sites import RedisSites
from moderator.core.signing import HEADER, sign, verify
from moderator.errors import ConfigError
from moderator.settings import SiteSettings
from tests.conftest import CALLBACK_SECRET
from tests.e2e.harness import callback_server, live_moderator

RETARD = "Listen to what the retard Freddy has to say about him"
SITE_SECRET = "site-callback-secret-0123456789abcdef"
LATE_SECRET = "late-callback-secret-0123456789abcdef"


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moderator.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_a_site_with_a_placeholder_secret_or_no_api_key_is_refused(make_settings):
    with pytest.raises(ConfigError, match=r"sites\.blog\.callback_secret"):
        make_settings(
            sites={"blog": {"callback_url": "http://x.test/", "callback_secret": "short"}}
        )
    with pytest.raises(ConfigError, match="discourse site needs api_key"):
        make_settings(
            sites={
                "forum": {
                    "platform": "discourse",
                    "webhook_secret": SITE_SECRET,
                    "api_url": "http://forum.test",
                }
            }
        )
    with pytest.raises(ConfigError, match="whsec_"):
        make_settings(sites={"b": {"signing": "standard", "callback_secret": SITE_SECRET}})
    with pytest.raises(ConfigError, match="Unknown setting"):
        make_settings(sites={"b": {"platfrom": "coral"}})


def test_sites_add_list_remove_on_the_command_line(redis_url, redis_client, tmp_path):
    env = {
        "MODERATOR_REDIS_URL": redis_url,
        "MODERATOR_DATA_DIR": str(tmp_path / "var"),
        "SITE_CB": SITE_SECRET,
    }
    add = cli(
        "sites",
        "add",
        "blog",
        "--callback-url",
        "http://127.0.0.1:9/cb",
        "--callback-secret-env",
        "SITE_CB",
        env=env,
    )
    assert add.returncode == 0, add.stderr
    again = cli("sites", "add", "blog", env=env)
    assert again.returncode != 0 and "exists" in again.stderr
    bad = cli("sites", "add", "x", "--callback-secret-env", "NOT_SET_ANYWHERE", env=env)
    assert bad.returncode != 0 and "NOT_SET_ANYWHERE" in bad.stderr
    coral = cli(
        "sites",
        "add",
        "talk",
        "--platform",
        "coral",
        "--api-url",
        "http://127.0.0.1:9/api/graphql",
        "--api-key-env",
        "SITE_CB",
        "--webhook-secret-env",
        "SITE_CB",
        "--old-secret-env",
        "LATE",
        env={**env, "LATE": LATE_SECRET},
    )
    assert coral.returncode == 0, coral.stderr
    stored = json.loads(redis_client.hget(keys.SITES, "talk"))
    assert stored["platform"] == "coral" and stored["webhook_secrets_old"] == [LATE_SECRET]
    listed = cli("sites", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "blog\tgeneric\tmoderator\thttp://127.0.0.1:9/cb\tadded" in listed.stdout
    assert SITE_SECRET not in listed.stdout
    assert redis_client.hexists(keys.SITES, "blog")
    assert cli("sites", "remove", "blog", env=env).returncode == 0
    gone = cli("sites", "remove", "blog", env=env)
    assert gone.returncode != 0 and "No site 'blog'" in gone.stderr


def test_each_site_gets_its_own_callbacks_and_the_rest_the_global_one(
    make_settings, redis_client, offline_service
):
    with callback_server() as glob, callback_server() as blog, callback_server() as late:
        settings = make_settings(
            callback={"url": glob.url, "backoff_base_s": 0.05, "backoff_max_s": 0.2},
            sites={"blog": {"callback_url": blog.url, "callback_secret": SITE_SECRET}},
        )
        with live_moderator(settings, offline_service) as live:
            asyncio.run(_add_site(settings, "late", late.url))
            for site in ("blog", "news", "late"):
                assert live.post({"id": "c1", "text": RETARD, "site": site}).status_code == 202
            live.wait_for(lambda: glob.received and blog.received and late.received)
            auth = {"Authorization": f"Bearer {live.token()}"}
            r = httpx.post(
                f"{live.url}/v1/comments/c1/decision",
                params={"site": "blog"},
                json={"decision": "reject"},
                headers=auth,
            )
            assert r.status_code == 200, r.text
            live.wait_for(lambda: len(blog.received) == 2)
    for server, site, secret in (
        (glob, "news", CALLBACK_SECRET),
        (blog, "blog", SITE_SECRET),
        (late, "late", LATE_SECRET),
    ):
        assert {m["json"]["site"] for m in server.received} == {site}
        for m in server.received:
            verify(
                secret, m["headers"][HEADER], m["body"], now=m["json"]["at"] / 1000, tolerance_s=60
            )
    assert [m["json"]["event"] for m in blog.received] == ["scored", "decided"]
    assert blog.received[1]["json"]["decision"] == "reject"


async def _add_site(settings, name: str, url: str) -> None:
    client = connect_async(settings.redis_url)
    try:
        site = SiteSettings(callback_url=url, callback_secret=LATE_SECRET)
        await RedisSites(client, settings).add(name, site)
    finally:
        await client.aclose()


def test_a_site_posts_with_its_own_webhook_secret_for_itself_only(
    make_settings, redis_client, offline_service
):
    own = "blog-webhook-secret-0123456789abcdef"
    old = "blog-old-webhook-secret-0123456789ab"
    settings = make_settings(sites={"blog": {"webhook_secret": own, "webhook_secrets_old": [old]}})
    with live_moderator(settings, offline_service) as live:

        def post(secret: str, site: str, cid: str) -> httpx.Response:
            raw = json.dumps({"id": cid, "text": "hello", "site": site}).encode()
            headers = {
                "Content-Type": "application/json",
                HEADER: sign(secret, raw, int(time.time())),
            }
            return httpx.post(live.url + "/v1/comments", content=raw, headers=headers)

        assert post(own, "blog", "a").status_code == 202
        assert post(old, "blog", "b").status_code == 202
        r = post(own, "news", "c")
        assert r.status_code == 403 and "'blog'" in r.json()["detail"]
        assert post(settings.webhook.secret, "news", "d").status_code == 202  # the global one
        r = post("not-a-secret-anyone-has-0123456789", "blog", "e")
        assert r.status_code == 401
