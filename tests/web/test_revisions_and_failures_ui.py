"""The pages of issue 8 item 4 and issue 9 item 1, in process on a real Redis: the item page
lists a comment's earlier revisions (escaped: they are hostile input like every text), a card's
decision form carries the revision it shows and a stale one is refused with a notice; the admin
dead-letter page lists ingest dead letters beside callback ones and its Rescore button puts the
comment back in front of the workers."""

from __future__ import annotations

import json
import re

import pytest

from moderator import keys
from moderator.adapters.redis.ingest import RedisIngest
from moderator.core.failure import failure_record
from moderator.core.models import Comment, ModelInfo
from moderator.core.ordering import queue_score
from tests.web.conftest import Web
from tests.web.seeding import now_ms

pytestmark = pytest.mark.anyio
XSS = '<img src=x onerror="alert(1)">'


def hold_for_failure(web: Web, comment_id: str) -> str:
    """Accept a comment and store it the way the worker does when scoring failed for good."""
    comment = Comment(comment_id, f"unscorable {XSS}", site="blog")
    seeder = web.seeder
    seeder._accept(
        keys=[keys.comment(comment.ref), keys.INGEST_STREAM],
        args=[json.dumps(comment.to_dict()), now_ms(), comment.ref, 10**6],
    )
    (delivery,) = seeder.consumer.read(1, None)
    record = failure_record(comment, "ValueError", f"bad {XSS}", 5, ModelInfo("m", "1"))
    stored = {**record.to_dict(), "policy_version": "p1"}
    error = f"Traceback ...\nValueError: bad {XSS}"
    seeder.consumer.store(delivery, stored, queue_score(0.0, now_ms()), now_ms(), failed=(error, 5))
    return comment.ref


async def test_the_item_page_shows_earlier_revisions_and_refuses_a_stale_form(web: Web):
    ref = web.seeder.add("c1", f"first text {XSS}", site="blog")
    session = await web.session("rita")
    page = await session.get("/ui/item", params={"site": "blog", "id": "c1"})
    assert 'name="revision" value="1"' in page.text and "Not edited." in page.text
    ingest = RedisIngest(web.services.redis, max_backlog=100)
    await ingest.accept(Comment("c1", "second text", site="blog"), now_ms())
    # The reviewer posts the form of the card they had open: revision 1.
    stale = await session.post(
        "/ui/decision",
        data={
            "site": "blog",
            "id": "c1",
            "decision": "approve",
            "revision": "1",
            "csrf": session.csrf,  # type: ignore[attr-defined]
        },
    )
    assert stale.status_code == 303 and "notice=edited" in stale.headers["location"]
    assert (await web.services.review.get(ref))["version"] == 0  # not decided
    page = await session.get("/ui/item", params={"site": "blog", "id": "c1"})
    assert "revision 1" in page.text and "never scored" not in page.text
    assert "first text &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page.text
    assert XSS not in page.text


async def test_admins_see_and_rescore_ingest_dead_letters(web: Web):
    ref = hold_for_failure(web, "f1")
    admin = await web.session("ada", "admin")
    page = await admin.get("/ui/admin/dead")
    assert page.status_code == 200
    assert "Ingest dead letters" in page.text and "blog:f1" in page.text
    assert XSS not in page.text and "&lt;img" in page.text
    entry = re.search(r'name="entry_id" value="([^"]+)"', page.text)
    assert entry is not None and ">Rescore<" in page.text
    done = await admin.post(
        "/ui/admin/dead/rescore",
        data={"entry_id": entry.group(1), "csrf": admin.csrf},  # type: ignore[attr-defined]
    )
    assert done.status_code == 303 and done.headers["location"].endswith("notice=rescored")
    item = await web.services.review.get(ref)
    assert item["state"] == "received" and item["record"] is None
    assert web.seeder.client.zrange(keys.queue("hold"), 0, -1) == []
    assert web.seeder.client.xlen(keys.DEAD_STREAM) == 0
    api = await web.bearer("admin", "ops")
    listed = (await api.get("/v1/admin/dead-letters")).json()
    assert listed["ingest_dead_letters"] == []
    missing = await api.post(f"/v1/admin/ingest-dead-letters/{entry.group(1)}/replay")
    assert missing.status_code == 404
