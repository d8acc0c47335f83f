"""Issue 8 item 4: edits never slip past moderation. Over HTTP against a live moderator (real
uvicorn, a worker thread, real Redis, a real callback endpoint): a comment edited after it was
approved (automatically or by a reviewer), while queued and claimed, is stored as a new
revision, rescored and requeued; every revision stays in its history; a decision on an older
revision is refused (409); the new revision's decision goes out with a higher version, in order
after the old one's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from moderator.core.scoring import ScoringService
from tests.e2e.harness import Live, callback_server, live_moderator
from tests.offline import offline_service

RETARD = "Listen to what the retard Freddy has to say about him"
RAID = "The police raid on the village was reported on the evening news."
AUTHOR = {"id": "u7", "name": "Ana"}
THREAD = {"id": "t1", "title": "The raid"}


@pytest.fixture(scope="module", name="offline_service")
def offline_service_fixture() -> ScoringService:
    return offline_service()


def comment(live: Live, auth: dict[str, str], comment_id: str) -> dict[str, Any]:
    r = httpx.get(f"{live.url}/v1/comments/{comment_id}", params={"site": "blog"}, headers=auth)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def scored_as(live: Live, auth: dict[str, str], comment_id: str, revision: int) -> Any:
    """The comment once its `revision` is scored (None until then)."""
    item = comment(live, auth, comment_id)
    return item if item["revision"] == revision and item["state"] != "received" else None


def decide(
    live: Live, auth: dict[str, str], comment_id: str, decision: str, revision: int | None
) -> httpx.Response:
    return httpx.post(
        f"{live.url}/v1/comments/{comment_id}/decision",
        params={"site": "blog"},
        json={"decision": decision, "revision": revision},
        headers=auth,
    )


def post(live: Live, comment_id: str, text: str) -> httpx.Response:
    return live.post(
        {"id": comment_id, "text": text, "site": "blog", "author": AUTHOR, "thread": THREAD}
    )


def in_queues(live: Live, auth: dict[str, str], comment_id: str) -> list[tuple[str, int]]:
    found = []
    for queue in ("hold", "review"):
        for params in ({}, {"site": "blog", "thread": "t1"}):
            r = httpx.get(f"{live.url}/v1/queue", params={"queue": queue, **params}, headers=auth)
            found += [
                (queue, i["revision"])
                for i in r.json()["items"]
                if i["comment"]["id"] == comment_id
            ]
    return found


def test_edits_are_rescored_requeued_and_kept(make_settings, redis_client, offline_service):
    with callback_server() as platform:
        settings = make_settings(
            callback={"url": platform.url, "backoff_base_s": 0.05, "backoff_max_s": 0.2}
        )
        with live_moderator(settings, offline_service) as live:
            auth = {"Authorization": f"Bearer {live.token('admin', 'alice')}"}
            # 1. Benign, approved automatically, then edited into a slur.
            assert post(live, "benign", RAID).json()["revision"] == 1
            first = live.wait_for(lambda: scored_as(live, auth, "benign", 1))
            assert first["state"] == "approved"
            edited = post(live, "benign", RETARD)
            assert (edited.status_code, edited.json()["status"]) == (202, "revised")
            assert edited.json()["revision"] == 2
            again = post(live, "benign", RETARD)  # the platform retries: same text, same revision
            assert (again.status_code, again.json()["revision"]) == (200, 2)
            now = live.wait_for(lambda: scored_as(live, auth, "benign", 2))
            assert now["state"] == "queued" and now["comment"]["text"] == RETARD
            assert any("retard" in r for r in now["record"]["reasons"])
            (old,) = now["revisions"]
            assert (old["revision"], old["state"], old["comment"]["text"]) == (1, "approved", RAID)
            assert old["record"]["action"] == "approve"
            queue = now["queue"]
            assert in_queues(live, auth, "benign") == [(queue, 2), (queue, 2)]

            # 2. Held, decided by a reviewer, then edited: the old decision stands in history,
            #    a decision on the old revision is refused, the new one gets version 2.
            assert post(live, "held", RETARD).status_code == 202
            live.wait_for(lambda: scored_as(live, auth, "held", 1))
            v1 = decide(live, auth, "held", "approve", 1)
            assert (v1.status_code, v1.json()["version"]) == (200, 1), v1.text
            assert post(live, "held", RETARD + " and his retard friends").status_code == 202
            live.wait_for(lambda: scored_as(live, auth, "held", 2))
            stale = decide(live, auth, "held", "reject", 1)
            assert stale.status_code == 409 and "revision 2 is current" in stale.json()["detail"]

            # 3. Claimed when a third revision arrives: the claim goes, the reviewer's decision
            #    on what they had open is refused, the new text is queued unclaimed.
            claim = httpx.post(f"{live.url}/v1/claims/held", params={"site": "blog"}, headers=auth)
            assert claim.status_code == 200, claim.text
            assert post(live, "held", RETARD + " (edited twice)").json()["revision"] == 3
            refused = decide(live, auth, "held", "reject", 2)
            assert refused.status_code == 409
            third = live.wait_for(lambda: scored_as(live, auth, "held", 3))
            assert third["claim"] is None and third["version"] == 1
            assert [r["revision"] for r in third["revisions"]] == [1, 2]
            assert third["revisions"][0]["decision"]["decision"] == "approve"
            v2 = decide(live, auth, "held", "reject", 3)
            assert (v2.status_code, v2.json()["version"]) == (200, 2), v2.text

            context = httpx.get(
                f"{live.url}/v1/comments/held/context", params={"site": "blog"}, headers=auth
            ).json()
            # The author's counts follow the current revisions: benign queued, held rejected.
            assert context["author"]["counts"] == {"queued": 1, "rejected": 1}
            assert [r["revision"] for r in context["revisions"]] == [1, 2]
            live.wait_for(
                lambda: sum(1 for c in platform.received if c["json"]["id"] == "held") >= 5
            )
    held = [c for c in platform.received if c["json"]["id"] == "held"]
    assert [
        (c["json"]["event"], c["json"]["revision"], c["headers"].get("X-Moderator-Version"))
        for c in held
    ] == [
        ("scored", 1, None),
        ("decided", 1, "1"),
        ("scored", 2, None),
        ("scored", 3, None),
        ("decided", 3, "2"),
    ]
