"""The review API (bearer token, or the UI's session + X-CSRF-Token): queues, counts, comments,
decisions and the pull feed. Claims, undo, notes and bulk actions are in claims_api and
actions_api; admin endpoints in admin_api."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from moderator.adapters.redis.merge import CURSOR
from moderator.core.models import Decision
from moderator.web import actions
from moderator.web.auth import Caller, api_caller, platform_caller
from moderator.web.openapi import problems
from moderator.web.problems import Problem
from moderator.web.schemas import DecisionIn
from moderator.web.views import (
    Cursor,
    check_queue,
    decode_cursor,
    encode_cursor,
    filters,
    view_of,
)

router = APIRouter(prefix="/v1")
CallerDep = Annotated[Caller, Depends(api_caller)]
FiltersDep = Annotated[dict[str, str | None], Depends(filters)]
#: A feed cursor: a stream id (one partition, contract v1) or `v2.` and one id per partition.
_FEED_CURSOR = CURSOR


def _ref(site: str, comment_id: str) -> str:
    return f"{site}:{comment_id}"


@router.get("/queue")
async def get_queue(
    request: Request,
    caller: CallerDep,
    params: FiltersDep,
    queue: Literal["hold", "review", "escalated", "sample", "recent"] = "hold",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """A page of a queue: highest priority first (then oldest), or oldest first with
    `order=oldest`; filtered by site, thread, language and lexicon category. Follow
    `next_cursor` for the next page (`offset` is kept for old clients, unfiltered only).
    `partial` is true when a page with several filters stopped at the scan limit."""
    services = request.app.state.services
    check_queue(caller, queue)
    counts = {
        s.name: {"count": s.count, "oldest_ms": s.oldest_ms, "newest_ms": s.newest_ms}
        for s in await services.queues.stats()
    }
    if queue == "recent":
        items = await services.queues.recent(limit)
        return {"queue": queue, "counts": counts, "items": items, "next_cursor": None}
    view = view_of(queue, params)
    if offset and not view.dims() and view.order == "priority":
        items = await services.review.list_queue(queue, offset=offset, limit=limit)
        page_next, partial = None, False
    else:
        page = await services.queues.page(view, decode_cursor(cursor), limit)
        items, page_next, partial = page.items, page.next, page.partial
    return {
        "queue": queue,
        "view": asdict(view),
        "counts": counts,
        "items": items,
        "next_offset": offset + len(items) if len(items) == limit else None,
        "next_cursor": encode_cursor(page_next),
        "partial": partial,
    }


@router.get("/counts")
async def counts(
    request: Request,
    caller: CallerDep,
    since_ms: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """Per queue: count, oldest and newest enqueue time and arrivals after `since_ms`, each
    O(log n): cheap enough to poll every few seconds."""
    stats = await request.app.state.services.queues.stats(since_ms)
    return {"queues": {s.name: asdict(s) for s in stats}}


@router.get("/comments/{comment_id:path}/context", responses=problems(404))
async def get_context(
    request: Request, caller: CallerDep, comment_id: str, site: str = "default"
) -> dict[str, Any]:
    """The comment with its parent, its author's history (counts and recent comments with their
    outcomes), notes and every decision taken on it."""
    services = request.app.state.services
    item = await services.review.get(_ref(site, comment_id))
    return {"item": item, **await services.context.around(item)}


@router.get("/comments/{comment_id:path}", responses=problems(404))
async def get_comment(
    request: Request, caller: CallerDep, comment_id: str, site: str = "default"
) -> dict[str, Any]:
    """The comment with its record, decision, claim, `revision` and `revisions` (its earlier
    revisions, oldest first, each with its text, record and decision)."""
    review = request.app.state.services.review
    ref = _ref(site, comment_id)
    item: dict[str, Any] = await review.get(ref)
    item["revisions"] = await review.revisions(ref)
    return item


@router.post("/comments/{comment_id:path}/decision", responses=problems(404, 409))
async def decide(
    request: Request, caller: CallerDep, comment_id: str, body: DecisionIn, site: str = "default"
) -> dict[str, Any]:
    """Record a decision (409 if the comment is not awaiting one, if `revision` is not its
    current revision (edited since), or another reviewer's claim on it has not expired; 403 for
    an escalated comment unless an admin). Stored with who and when in the same atomic step as
    its audit entry and its callback; `version` numbers it."""
    return await actions.decide(
        request.app.state.services,
        caller,
        _ref(site, comment_id),
        Decision(body.decision),
        body.reason,
        body.note,
        revision=body.revision,
    )


@router.get("/decisions")
async def decisions(
    request: Request,
    caller: Annotated[Caller, Depends(platform_caller)],
    after: Annotated[str | None, Query(pattern=_FEED_CURSOR)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The pull feed (platform and admin tokens): scored and decided events after `after` (a
    cursor from a previous page). Follow `next` until `events` is empty; keep the last cursor
    to resume."""
    try:
        events = await request.app.state.services.review.feed(after, limit)
    except ValueError as exc:  # a malformed cursor (the pattern lets none through)
        raise Problem(422, str(exc)) from None
    return {"events": events, "next": events[-1]["cursor"] if events else after}
