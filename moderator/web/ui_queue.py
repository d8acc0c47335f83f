"""The reviewer workspace pages: the queue tabs (hold, review, escalated for admins, recently
decided) with filters and cursor pages, and the item card. Reading changes nothing: a GET never
claims (a cross-site <img> could send one); claims are POSTs with the session's CSRF token, by
the page's script (POST /v1/claims/...) or by the forms "Next" and "Review this" (ui_forms.py,
which use `claim_next_location` below).

The pages work without script (forms post to ui_forms.py); /static/app.js adds the keyboard
map, claims as the reviewer moves, lease renewal, undo and the new-arrivals notice.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from moderator.adapters.redis.index import QUEUE_NAMES
from moderator.adapters.redis.queue import Position, QueueView
from moderator.errors import ModeratorError, NotFoundError, TooManyClaimsError
from moderator.web.auth import Caller, session_caller
from moderator.web.health import active_model
from moderator.web.templating import render
from moderator.web.views import (
    check_queue,
    decode_cursor,
    encode_cursor,
    filters,
    now_ms,
    view_of,
    view_query,
)

router = APIRouter()
FiltersDep = Annotated[dict[str, str | None], Depends(filters)]
TABS = (*QUEUE_NAMES, "recent")
#: Outcome messages, passed between pages as codes: a URL can never put its own words on a page.
NOTICES = {
    "approved": "Comment approved.",
    "rejected": "Comment rejected.",
    "escalated": "Comment escalated to the admins.",
    "gone": "That comment no longer exists.",
    "edited": "That comment was edited since you opened it; not decided. It is being rescored.",
    "decided": "That comment was already decided by someone else.",
    "claimed": "That comment is being reviewed by another reviewer.",
    "forbidden": "Only admins decide escalated comments.",
    "invalid": "Unknown decision.",
    "undone": "Decision undone: the comment is back in its queue.",
    "not-undone": "That decision can no longer be undone.",
    "noted": "Note added.",
    "empty": "Nothing left to review in this view.",
    "bulk": "Bulk decision done.",
    "too-many-claims": "You hold as many claims as allowed: decide or release some first.",
    "claimed-now": "This comment is yours to review now.",
}


def to_login() -> Response:
    return RedirectResponse("/login", status_code=303)


def page_context(request: Request, caller: Caller, **extra: Any) -> dict[str, Any]:
    settings = request.app.state.services.settings
    return {
        "caller": caller,
        "viewer": caller,  # the card macro's name for it (`caller` means something in macros)
        "lease_ms": int(settings.review.lease_s * 1000),
        "poll_ms": int(settings.review.poll_s * 1000),
        "undo_ms": int(settings.review.undo_window_s * 1000),
        **extra,
    }


@router.get("/ui/queue", response_class=HTMLResponse)
async def queue_page(
    request: Request,
    params: FiltersDep,
    queue: str = "hold",
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    notice: str = "",
    n: int = 0,
    skipped: int = 0,
    undo_site: str = "",
    undo_id: str = "",
    undo_v: int = 0,
) -> Response:
    caller = await session_caller(request)
    if caller is None:
        return to_login()
    queue = queue if queue in TABS else "hold"
    check_queue(caller, queue)
    services = request.app.state.services
    stats = {s.name: s for s in await services.queues.stats()}
    view = view_of(queue, params)
    items, next_cursor, partial, in_view = await _listing(request, view, cursor, stats)
    context = page_context(
        request,
        caller,
        queue=queue,
        view=view,
        view_q=view_query(view),
        tabs=[t for t in TABS if t != "escalated" or caller.principal.is_admin],
        stats=stats,
        since_ms=(stats[queue].newest_ms or 0) if queue != "recent" else 0,
        items=items,
        in_view=in_view,
        next_cursor=next_cursor,
        partial=partial,
        model=await active_model(request),
        notice=NOTICES.get(notice),
        bulk={"n": n, "skipped": skipped} if notice == "bulk" else None,
        undo=await _undo_offer(request, caller, undo_site, undo_id, undo_v),
        scan_max=services.settings.review.scan_max,
    )
    return await render(request, "queue.html", context)


async def _listing(
    request: Request, view: QueueView, cursor: str | None, stats: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None, bool, int | None]:
    """(items, next cursor, cut short by the scan limit, how many the view holds)."""
    services = request.app.state.services
    size = services.settings.review.page_size
    if view.queue == "recent":
        return await services.queues.recent(size), None, False, stats["recent"].count
    page = await services.queues.page(view, decode_cursor(cursor), size)
    in_view = await services.queues.count(view)
    return page.items, encode_cursor(page.next), page.partial, in_view


async def _undo_offer(
    request: Request, caller: Caller, site: str, comment_id: str, version: int
) -> dict[str, Any] | None:
    """The decision to offer an Undo button for: the caller's own, latest, within the window."""
    if not (site and comment_id and version):
        return None
    services = request.app.state.services
    try:
        item = await services.review.get(f"{site}:{comment_id}")
    except NotFoundError:
        return None
    last = item.get("decision") or {}
    window_ms = services.settings.review.undo_window_s * 1000
    if (
        item["version"] != version
        or last.get("by") != caller.principal.name
        or last.get("decision") not in ("approve", "reject", "escalate")
        or now_ms() - int(last.get("at") or 0) > window_ms
    ):
        return None
    return {"site": site, "id": comment_id, "version": version}


@router.get("/ui/item", response_class=HTMLResponse)
async def item_page(
    request: Request,
    params: FiltersDep,
    site: Annotated[str, Query(max_length=64)] = "default",
    id: Annotated[str, Query(max_length=256)] = "",
    queue: str = "hold",
    notice: str = "",
) -> Response:
    """One comment with its context and who is reviewing it. Opening it claims nothing: the
    page's script claims it (POST) and renews the claim while it stays open; without script,
    the card's "Review this" form does. Anyone may read an escalated comment's card; only
    admins claim and decide it."""
    caller = await session_caller(request)
    if caller is None:
        return to_login()
    services = request.app.state.services
    try:
        item = await services.review.get(f"{site}:{id}")
    except NotFoundError:
        return RedirectResponse(f"/ui/queue?{urlencode({'notice': 'gone'})}", status_code=303)
    view = view_of(queue if queue in QUEUE_NAMES else "hold", params)
    context = page_context(
        request,
        caller,
        item=item,
        workable=workable(caller, item),
        around=await services.context.around(item),
        view=view,
        view_q=view_query(view),
        model=await active_model(request),
        notice=NOTICES.get(notice),
    )
    return await render(request, "item.html", context)


def workable(caller: Caller, item: dict[str, Any]) -> bool:
    """Whether the caller may claim and decide the comment now."""
    return item["state"] == "queued" or (item["state"] == "escalated" and caller.principal.is_admin)


async def claim_next_location(
    request: Request,
    caller: Caller,
    view: QueueView,
    after_ref: str | None = None,
    *,
    release: bool = False,
) -> str:
    """Claim the next comment of the view after `after_ref` (wrapping to the start) that nobody
    else holds; the URL of its card, or of the queue page with a notice when there is none (or
    the caller holds review.max_claims claims). With `release`, the caller's claim on
    `after_ref` is given up first (skipping it)."""
    check_queue(caller, view.queue)
    services = request.app.state.services
    review = services.settings.review
    who, lease_ms = caller.principal.name, int(review.lease_s * 1000)
    after = await _position(request, view, after_ref, who if release else None)
    try:
        refs = await services.queues.claim_next(
            view, who, lease_ms, 1, after=after, max_claims=review.max_claims
        )
        if not refs and after is not None:
            refs = await services.queues.claim_next(
                view, who, lease_ms, 1, max_claims=review.max_claims
            )
    except TooManyClaimsError:
        return f"/ui/queue?{view_query(view)}&notice=too-many-claims"
    if not refs:
        return f"/ui/queue?{view_query(view)}&notice=empty"
    site, _, comment_id = refs[0].partition(":")
    return f"/ui/item?{urlencode({'site': site, 'id': comment_id})}&{view_query(view)}"


async def _position(
    request: Request, view: QueueView, ref: str | None, release_by: str | None
) -> Position | None:
    """Where `ref` stands (or stood) in the view, to go on after it; releases `release_by`'s
    claim on it first."""
    if not ref:
        return None
    services = request.app.state.services
    try:
        if release_by:
            await services.claims.release(ref, release_by)
        item = await services.review.get(ref)
    except ModeratorError:
        return None
    placed = item
    previous = (item.get("decision") or {}).get("previous") or {}
    if item.get("queue") != view.queue and previous.get("queue") == view.queue:
        placed = previous
    score = placed.get("queue_score") if view.order == "priority" else placed.get("queued_at")
    return (int(score), ref) if score is not None else None
