"""The review API (bearer token): queues, comments, decisions and the pull feed."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from moderator.core.models import Decision
from moderator.web.auth import Caller, api_caller
from moderator.web.problems import Problem
from moderator.web.schemas import DecisionIn

router = APIRouter(prefix="/v1")
CallerDep = Annotated[Caller, Depends(api_caller)]
_FEED_CURSOR = r"^\d{1,20}-\d{1,20}$"


def _ref(site: str, comment_id: str) -> str:
    return f"{site}:{comment_id}"


@router.get("/queue")
async def get_queue(
    request: Request,
    caller: CallerDep,
    queue: Literal["hold", "review", "escalated"] = "hold",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Comments waiting in a queue, highest priority first, then oldest first."""
    if queue == "escalated" and not caller.principal.is_admin:
        raise Problem(403, "Only admins see the escalated queue.")
    review = request.app.state.services.review
    items = await review.list_queue(queue, offset=offset, limit=limit)
    stats = {s.name: {"count": s.count, "oldest_ms": s.oldest_ms} for s in await review.stats()}
    next_offset = offset + len(items) if len(items) == limit else None
    return {"queue": queue, "counts": stats, "items": items, "next_offset": next_offset}


@router.get("/comments/{comment_id}")
async def get_comment(
    request: Request, caller: CallerDep, comment_id: str, site: str = "default"
) -> dict[str, Any]:
    item: dict[str, Any] = await request.app.state.services.review.get(_ref(site, comment_id))
    return item


@router.post("/comments/{comment_id}/decision")
async def decide(
    request: Request, caller: CallerDep, comment_id: str, body: DecisionIn, site: str = "default"
) -> dict[str, Any]:
    """Record a decision (409 if the comment is not awaiting one). Stored with who and when in
    the same atomic step as its audit entry and its callback."""
    result: dict[str, Any] = await request.app.state.services.review.decide(
        _ref(site, comment_id),
        Decision(body.decision),
        by=caller.principal.name,
        reason=body.reason,
        note=body.note,
        now_ms=int(time.time() * 1000),
    )
    return result


@router.get("/decisions")
async def decisions(
    request: Request,
    caller: CallerDep,
    after: Annotated[str | None, Query(pattern=_FEED_CURSOR)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The pull feed: scored and decided events after `after` (a cursor from a previous page).
    Follow `next` until `events` is empty; keep the last cursor to resume."""
    events = await request.app.state.services.review.feed(after, limit)
    return {"events": events, "next": events[-1]["cursor"] if events else after}
