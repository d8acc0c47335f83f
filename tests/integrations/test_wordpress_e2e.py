"""The WordPress plugin (integrations/wordpress/moderator) against a real WordPress (Debian's
`wordpress` on MariaDB and `php -S`, see wordpress_site.py) and a real moderator (uvicorn, a
scoring worker with the tiny Detoxify checkpoint, real Redis): a visitor's comment is held, sent,
scored, decided by a reviewer and changed in WordPress; decisions made in wp-admin come back as
platform decisions; with moderator down a comment stays held and WP-Cron delivers it later.

One WordPress and one moderator serve the whole module (`make wordpress-deps` installs the
Debian packages; without them every test skips, saying which are missing)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn

from moderator import bootstrap
from moderator.adapters.redis.auth import RedisAuthStore
from moderator.adapters.redis.client import connect_async
from moderator.bootstrap.scoring import build_scoring
from moderator.core.scoring import ScoringService
from moderator.core.signing import HEADER, sign
from moderator.settings import Settings, load_settings
from moderator.web.app import create_app
from tests.conftest import CALLBACK_SECRET, SESSION_SECRET, WEBHOOK_SECRET
from tests.e2e.harness import free_port, scoring_worker
from tests.fixtures.tiny_detoxify import TinyDetoxify
from tests.integrations.wordpress_site import MariaDB, WordPress, missing

SITE = "blog"
SLUR = "Listen to what the retard Freddy has to say about him"


def slur(n: str) -> str:
    """Text the lexicon never approves automatically (so it waits in a queue): one per test."""
    return f"{SLUR} ({n})"


POST_TITLE = "Hello world!"  # the post wp_install creates; its comments are the thread


class Moderator:
    """moderator's web process on a fixed port (stopped and started again to be "down"), its
    callback deliverer, and one scoring worker thread that runs throughout."""

    def __init__(self, settings: Settings, service: ScoringService, port: int) -> None:
        self.settings, self.port = settings, port
        self.url = f"http://127.0.0.1:{port}"
        consumer = bootstrap.build_consumer(settings, settings.redis_url)
        bootstrap.publish_model(consumer.client, service.scorer.info)
        self.worker = scoring_worker(settings, consumer, service)
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self.worker.run, args=(self._stop,), daemon=True)
        self._worker.start()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        app = create_app(bootstrap.build_web(self.settings, self.settings.redis_url))
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            assert time.monotonic() < deadline, "moderator did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(15)
            self._server = None

    def close(self) -> None:
        self.stop()
        self._stop.set()
        self._worker.join(15)

    def token(self, name: str, role: str) -> str:
        async def create() -> str:
            client = connect_async(self.settings.redis_url)
            try:
                return await RedisAuthStore(client).create_token(name, role)
            finally:
                await client.aclose()

        return asyncio.run(create())


@dataclass
class Setup:
    wp: WordPress
    moderator: Moderator
    reviewer: dict[str, str]

    def item(self, comment_id: int) -> dict[str, Any] | None:
        r = httpx.get(
            f"{self.moderator.url}/v1/comments/{comment_id}",
            params={"site": SITE},
            headers=self.reviewer,
            timeout=10,
        )
        return r.json() if r.status_code == 200 else None

    def scored(self, comment_id: int) -> dict[str, Any]:
        return wait_for(lambda: (i := self.item(comment_id)) and i["state"] != "received" and i)

    def decide(self, comment_id: int, decision: str, reason: str | None = None) -> None:
        r = httpx.post(
            f"{self.moderator.url}/v1/comments/{comment_id}/decision",
            params={"site": SITE},
            json={"decision": decision, "reason": reason},
            headers=self.reviewer,
            timeout=10,
        )
        assert r.status_code == 200, r.text


def lexicon_only_policy(path: Path) -> Path:
    """The packaged policy without its model-score rules: the tiny checkpoint's scores mean
    nothing (it holds everything), so here only the lexicon decides, and clean text passes."""
    text = (resources.files("moderator") / "config" / "policy.toml").read_text()
    head, *rules = text.split("[[rules]]")
    path.write_text(head + "".join("[[rules]]" + r for r in rules if "\nlabel = " not in r))
    return path


def wait_for(predicate: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the condition")


@pytest.fixture(scope="module")
def wordpress(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, tiny_detoxify: TinyDetoxify
) -> Iterator[Setup]:
    reason = missing()
    if reason:
        pytest.skip(
            f"WordPress end-to-end tests need Debian's wordpress, mariadb-server and "
            f"php-cli (`make wordpress-deps`): {reason}"
        )
    base = tmp_path_factory.mktemp("wordpress")
    flush = redis.Redis.from_url(redis_url)
    flush.flushdb()
    db = MariaDB(base / "mariadb").start()
    # The callback secret as a site owner may keep it: a constant in wp-config.php.
    wp = WordPress(
        base, free_port(), db, config=f"define('MODERATOR_CALLBACK_SECRET', '{CALLBACK_SECRET}');"
    )
    moderator: Moderator | None = None
    try:
        wp.start()
        wp.activate_plugin()
        settings = load_settings(
            redis_url=redis_url,
            data_dir=base / "moderator",
            webhook={"secret": WEBHOOK_SECRET},
            ui={"session_secret": SESSION_SECRET},
            callback={
                "url": wp.callback_url(),
                "secret": CALLBACK_SECRET,
                "backoff_base_s": 0.05,
                "backoff_max_s": 0.5,
            },
            worker={"batch_size": 8, "batch_wait_ms": 20, "block_ms": 50, "claim_idle_ms": 200},
            model={
                "spec": f"detoxify:{tiny_detoxify.checkpoint}",
                "hf_config": str(tiny_detoxify.hf_config),
                "backend": "torch",
                "cache_dir": str(base / "models"),
            },
            policy={"path": str(lexicon_only_policy(base / "policy.toml"))},
        )
        moderator = Moderator(settings, build_scoring(settings, log=lambda _: None), free_port())
        moderator.start()
        r = wp.save_settings(
            url=moderator.url,
            webhook_secret=WEBHOOK_SECRET,
            platform_token=moderator.token("wordpress", "platform"),
            site=SITE,
            mode="hold",
            reject_to="trash",
        )
        assert r.status_code == 302 and "settings-updated=true" in r.headers["location"], r.text
        reviewer = {"Authorization": f"Bearer {moderator.token('alice', 'reviewer')}"}
        yield Setup(wp, moderator, reviewer)
        assert wp.plugin_errors() == []
    finally:
        if moderator is not None:
            moderator.close()
        wp.stop()
        db.stop()
        flush.flushdb()
        flush.close()


def test_wordpress_visitor_comment_is_held_then_decided_in_moderator(wordpress: Setup) -> None:
    wp = wordpress.wp
    rejected = wp.comment(SLUR, author="Freddy")
    assert wp.status(rejected) == "0"  # held at once: never published unchecked
    item = wordpress.scored(rejected)
    comment = item["comment"]
    assert comment["text"] == SLUR and comment["author"]["name"] == "Freddy"
    assert comment["author"]["id"].startswith("visitor-")  # a keyed hash, not the address
    assert comment["thread"]["title"] == POST_TITLE
    assert comment["thread"]["url"] == f"{wp.url}/?p=1" and comment["thread"]["id"] == "1"
    assert item["state"] != "approved"  # the lexicon's slur is never approved automatically
    assert wp.status(rejected) == "0"  # the scored callback keeps it held

    wordpress.decide(rejected, "reject", "slur")
    wait_for(lambda: wp.status(rejected) == "trash")
    assert wp.meta(rejected)["_moderator_state"] == "decided:rejected"

    reply = wp.comment(slur("a reply"), author="Ann", parent=1)  # to the sample comment
    assert wordpress.scored(reply)["comment"]["parent_id"] == "1"
    assert wp.status(reply) == "0"
    wordpress.decide(reply, "approve")
    wait_for(lambda: wp.status(reply) == "1")
    meta = wp.meta(reply)
    assert meta["_moderator_revision"] == "1" and meta["_moderator_version"] == "1"
    assert "_moderator_pending" not in meta


def test_wordpress_admin_decisions_go_back_as_platform_decisions(wordpress: Setup) -> None:
    wp = wordpress.wp
    spam = wp.comment(slur("spam"), author="Spammer")
    ham = wp.comment(slur("ham"), author="Local")
    wordpress.scored(spam)
    wordpress.scored(ham)

    wp.moderate(spam, "spam")
    assert wp.status(spam) == "spam"
    item = wait_for(lambda: (i := wordpress.item(spam)) and i["state"] == "rejected" and i)
    assert item["decision"]["by"] == "platform:wordpress"
    assert item["decision"]["reason"] == "spam"

    wp.moderate(ham, "approve")
    assert wp.status(ham) == "1"
    item = wait_for(lambda: (i := wordpress.item(ham)) and i["state"] == "approved" and i)
    assert item["decision"]["by"] == "platform:wordpress"
    # Nothing comes back from moderator to undo the admin's verdicts.
    time.sleep(1)
    assert (wp.status(spam), wp.status(ham)) == ("spam", "1")


def test_wordpress_edit_and_rest_comments_are_sent(wordpress: Setup) -> None:
    wp = wordpress.wp
    r = wp.rest(
        "POST", "/wp/v2/comments", json={"post": 1, "content": "Posted through the REST API"}
    )
    assert r.status_code == 201, r.text
    created = r.json()["id"]
    item = wordpress.scored(created)
    assert (
        item["comment"]["author"]["id"] == "user-1" and item["comment"]["author"]["name"] == "admin"
    )

    r = wp.rest(
        "POST", f"/wp/v2/comments/{created}", json={"content": "Edited text, a new revision"}
    )
    assert r.status_code == 200, r.text
    item = wait_for(lambda: (i := wordpress.item(created)) and i["revision"] == 2 and i)
    assert item["comment"]["text"] == "Edited text, a new revision"
    assert wp.meta(created)["_moderator_revision"] == "2"


def test_wordpress_holds_and_retries_while_moderator_is_down(wordpress: Setup) -> None:
    wp, moderator = wordpress.wp, wordpress.moderator
    moderator.stop()
    try:
        waiting = wp.comment(slur("while down"), author="Patient")
        assert wp.status(waiting) == "0"
        meta = wp.meta(waiting)
        assert meta["_moderator_attempts"] == "1" and "unreachable" in meta["_moderator_error"]
        assert "Comments waiting to be sent to moderator: 1." in wp.settings_page()
        listing = wp.admin.get(wp.url + "/wp-admin/edit-comments.php?comment_status=moderated").text
        assert "Waiting to be sent (next try" in listing  # the Moderator column says why
        wp.cron()  # still down: tried again, still held, still waiting
        assert wp.meta(waiting)["_moderator_attempts"] == "2"
        assert wp.status(waiting) == "0"
        # An admin's verdict on a comment moderator has not got yet waits for it.
        judged = wp.comment(slur("judged while down"), author="Judged")
        wp.moderate(judged, "spam")
        assert wp.meta(judged)["_moderator_platform"] == "reject|spam"
    finally:
        moderator.start()
    assert wordpress.item(waiting) is None  # moderator never got it
    wp.cron()
    assert "_moderator_pending" not in wp.meta(waiting)
    # Sent, then the verdict reported: moderator files it rejected by the platform.
    item = wait_for(lambda: (i := wordpress.item(judged)) and i["state"] == "rejected" and i)
    assert item["decision"]["by"] == "platform:wordpress" and item["decision"]["reason"] == "spam"
    assert "_moderator_platform" not in wp.meta(judged)
    assert wp.status(judged) == "spam"
    assert wordpress.scored(waiting)["comment"]["text"] == slur("while down")
    assert wp.status(waiting) == "0"  # delivered, and still held until moderator decides
    wordpress.decide(waiting, "approve")
    wait_for(lambda: wp.status(waiting) == "1")


def _signed(body: bytes, secret: str = CALLBACK_SECRET, at: int | None = None) -> dict[str, str]:
    return {"Content-Type": "application/json", HEADER: sign(secret, body, at or int(time.time()))}


def test_wordpress_callback_refuses_forged_and_hostile_requests(wordpress: Setup) -> None:
    wp = wordpress.wp
    target = wp.comment(slur("target"), author="Target")
    wordpress.scored(target)
    url = wp.callback_url()
    forged = json.dumps(
        {
            "event": "decided",
            "site": SITE,
            "id": str(target),
            "version": 99,
            "revision": 1,
            "state": "approved",
            "decision": "approve",
        }
    ).encode()
    attempts: list[tuple[bytes, dict[str, Any]]] = [
        (forged, {"Content-Type": "application/json"}),  # no signature
        (forged, _signed(forged, secret="not-the-callback-secret")),
        (forged, _signed(forged, at=int(time.time()) - 3600)),  # replayed an hour later
        (forged, {HEADER: "t=²,v1=00".encode()}),
        (forged, {HEADER: "t=" + "9" * 400 + ",v1=00"}),
        (forged, {HEADER: "v1=" + "0" * 64}),
        (forged, {HEADER: "t=1,v1=ÿÿ".encode()}),
        (forged + b"\xff\xfe", _signed(forged)),  # body changed after signing
        (b"\xff\xfe" * 10_000, _signed(b"x")),
        (b'{"text": "' + b"a" * 20_000 + b'"}', _signed(forged)),
    ]
    for body, headers in attempts:
        r = httpx.post(url, content=body, headers=headers, timeout=30)
        assert r.status_code == 401, (headers, r.text)
    with ThreadPoolExecutor(30) as pool:
        codes = list(
            pool.map(
                lambda _: (
                    httpx.post(
                        url, content=forged, headers=_signed(forged, secret="wrong"), timeout=60
                    ).status_code
                ),
                range(30),
            )
        )
    assert codes == [401] * 30
    assert wp.status(target) == "0"

    # Signed but not a feed event: 400; unknown fields, another site, an unknown comment and
    # invalid UTF-8 inside a signed body change nothing.
    for body, code in [
        (b"[1, 2]", 400),
        (b"\xff\xfe{}", 400),
        (json.dumps({"event": "decided", "id": 5}).encode(), 400),
        (json.dumps({**json.loads(forged), "site": "other"}).encode(), 200),
        (json.dumps({**json.loads(forged), "id": "999999"}).encode(), 200),
        (json.dumps({**json.loads(forged), "id": "1 OR 1=1"}).encode(), 200),
        (json.dumps({"event": "nonsense", "site": SITE, "id": str(target), "x": 1}).encode(), 200),
    ]:
        r = httpx.post(url, content=body, headers=_signed(body), timeout=30)
        assert r.status_code == code, (body[:80], r.text)
    assert wp.status(target) == "0"

    # A signed decision is applied once; a replay of an older version is ignored.
    wordpress.decide(target, "reject", "spam")
    wait_for(lambda: wp.status(target) == "spam")
    stale = json.dumps({**json.loads(forged), "version": 1}).encode()
    r = httpx.post(url, content=stale, headers=_signed(stale), timeout=30)
    assert r.status_code == 200 and r.json()["result"] == "ignored"
    assert wp.status(target) == "spam"


def test_wordpress_settings_page_needs_an_admin_and_a_nonce(wordpress: Setup) -> None:
    wp = wordpress.wp
    page = wp.settings_page()
    assert "not-the-callback-secret" not in page and WEBHOOK_SECRET not in page  # never shown
    assert 'value="blog"' in page
    assert (
        "Set in wp-config.php (MODERATOR_CALLBACK_SECRET)." in page and CALLBACK_SECRET not in page
    )
    stranger = httpx.post(
        wp.url + "/wp-admin/options.php",
        data={
            "option_page": "moderator",
            "action": "update",
            "_wpnonce": "0123456789",
            "moderator_settings[url]": "http://evil.example",
        },
        timeout=30,
    )
    assert stranger.status_code in (302, 403)  # to the login page, or refused
    r = wp.admin.post(
        wp.url + "/wp-admin/options.php",
        data={
            "option_page": "moderator",
            "action": "update",
            "_wpnonce": "0123456789",
            "moderator_settings[url]": "http://evil.example",
        },
    )
    assert r.status_code == 403  # a logged-in admin without the form's nonce
    # A logged-in subscriber cannot see the page (manage_options).
    wp.php("wp_create_user('reader', 'reader-password-123', 'reader@example.org');")
    with httpx.Client(timeout=30) as reader:
        reader.get(wp.url + "/wp-login.php")
        login = {"log": "reader", "pwd": "reader-password-123", "testcookie": "1"}
        assert reader.post(wp.url + "/wp-login.php", data=login).status_code == 302
        page = reader.get(wp.url + "/wp-admin/options-general.php?page=moderator")
        assert page.status_code == 403 and "moderator-callback-url" not in page.text
    page = wp.settings_page()
    assert "evil.example" not in page and wordpress.moderator.url in page
    # A hostile site name is refused with a notice; the stored one stays.
    r = wp.save_settings(site='"><script>alert(1)</script>')
    assert r.status_code == 302
    page = wp.settings_page()
    assert "<script>alert(1)</script>" not in page and 'value="blog"' in page


def test_wordpress_clean_comment_is_published_once_scored(wordpress: Setup) -> None:
    wp = wordpress.wp
    clean = wp.comment("Thanks for the article, it was a good read.", author="Reader")
    assert wp.status(clean) == "0"  # hold mode: nothing is published before moderator says so
    assert wordpress.scored(clean)["state"] == "approved"
    wait_for(lambda: wp.status(clean) == "1")
    assert wp.meta(clean)["_moderator_state"] == "scored:approve"
    assert wordpress.item(clean)["decision"] is None  # published by the policy, not reported back


def test_wordpress_publish_then_moderate(wordpress: Setup) -> None:
    wp, moderator = wordpress.wp, wordpress.moderator
    r = wp.save_settings(mode="publish")
    assert r.status_code == 302
    try:
        # An admin's comment is published by WordPress at once; moderator acts afterwards.
        created = wp.rest("POST", "/wp/v2/comments", json={"post": 1, "content": slur("publish")})
        assert created.status_code == 201, created.text
        toxic = created.json()["id"]
        action = wordpress.scored(toxic)["record"]["action"]
        assert action in ("review", "hold")
        wait_for(lambda: wp.status(toxic) == ("0" if action == "hold" else "1"))
        wordpress.decide(toxic, "reject", "slur")
        wait_for(lambda: wp.status(toxic) == "trash")

        # Moderator down: the published comment is held until moderator has it, then restored.
        moderator.stop()
        try:
            created = wp.rest("POST", "/wp/v2/comments", json={"post": 1, "content": "Nice post"})
            assert created.status_code == 201, created.text
            clean = created.json()["id"]
            assert wp.status(clean) == "0"
            assert wp.meta(clean)["_moderator_restore"] == "1"
        finally:
            moderator.start()
        wp.cron()
        assert wp.status(clean) == "1"
        assert "_moderator_pending" not in wp.meta(clean)
        assert wordpress.scored(clean)["state"] == "approved"
    finally:
        assert wp.save_settings(mode="hold").status_code == 302


def test_wordpress_hostile_comments_are_sent_or_kept_held(wordpress: Setup) -> None:
    wp = wordpress.wp
    # Past moderator's 20,000 characters: refused (422) for good, so it stays held for a person,
    # with the reason, and is not retried.
    long = wp.comment("word " * 5000, author="Verbose")
    assert wp.status(long) == "0"
    meta = wp.meta(long)
    assert "HTTP 422" in meta["_moderator_error"] and "_moderator_pending" not in meta
    # Invalid UTF-8, markup and a hostile author name reach moderator as text WordPress kept.
    odd = httpx.post(
        wp.url + "/wp-comments-post.php",
        content=b"comment=caf%E9+%FF%FE+<script>alert(1)</script>&author=%3Cb%3EX%3C%2Fb%3E"
        b"&email=x%40example.org&comment_post_ID=1&comment_parent=0",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert odd.status_code == 302, odd.text[-500:]
    odd_id = int(odd.headers["location"].rsplit("#comment-", 1)[1])
    assert "_moderator_pending" not in wp.meta(odd_id)
    assert "<script>" not in wordpress.scored(odd_id)["comment"]["text"]  # kses stripped it
    # 30 visitors at once: every comment held and delivered exactly once.
    with ThreadPoolExecutor(30) as pool:
        ids = list(
            pool.map(lambda n: wp.comment(slur(f"crowd {n}"), author=f"Crowd{n}"), range(30))
        )
    assert len(set(ids)) == 30
    for comment_id in ids:
        assert wp.status(comment_id) == "0"
        item = wordpress.scored(comment_id)
        assert item["revision"] == 1 and item["comment"]["author"]["name"].startswith("Crowd")
