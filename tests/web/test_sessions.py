"""Sessions end: when their Redis lifetime runs out, and when the signed cookie is older than
`ui.session_ttl_s` even if Redis still holds the session. Either way the UI sends the browser to
the login page and the API answers 401."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner

from moderator import keys
from moderator.web.auth import COOKIE
from tests.conftest import SESSION_SECRET
from tests.web.conftest import Web

pytestmark = pytest.mark.anyio


async def test_a_session_whose_lifetime_ran_out_is_logged_out(web: Web, redis_client):
    rita = await web.session("rita")
    assert (await rita.get("/ui/queue")).status_code == 200
    (key,) = redis_client.scan_iter(keys.session("*"))
    ttl_ms = redis_client.pttl(key)
    assert 0 < ttl_ms <= web.services.settings.ui.session_ttl_s * 1000
    redis_client.pexpire(key, 1)  # its lifetime runs out now
    time.sleep(0.01)
    assert (await rita.get("/ui/queue")).headers["location"] == "/login"
    assert (await rita.get("/v1/counts")).status_code == 401


class OldSigner(TimestampSigner):
    """Signs as if a day ago."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 86400


async def test_a_cookie_older_than_the_session_lifetime_is_refused(web: Web, redis_client):
    rita = await web.session("rita")
    (key,) = redis_client.scan_iter(keys.session("*"))
    sid = key.removeprefix(keys.session(""))
    old = OldSigner(SESSION_SECRET, salt="session").sign(sid).decode()
    stale = web.client()
    stale.cookies.set(COOKIE, old)
    assert web.services.settings.ui.session_ttl_s < 86400
    assert (await stale.get("/ui/queue")).headers["location"] == "/login"
    fresh = web.client()
    fresh.cookies.set(COOKIE, TimestampSigner(SESSION_SECRET, salt="session").sign(sid).decode())
    assert (await fresh.get("/ui/queue")).status_code == 200
    assert (await rita.get("/ui/queue")).status_code == 200
