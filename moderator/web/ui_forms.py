"""The UI's form posts (the no-script path; the script uses the JSON API): decide, undo, add a
note, decide many, claim one ("Review this") and claim the next ("Next"). Each needs the
session's CSRF token and answers with a redirect whose outcome is a notice code (a URL never
carries words onto a page). Claims are taken only here and by the API, never by a GET."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from moderator.adapters.redis.queue import QueueView
from moderator.adapters.redis.review import REJECT_REASONS
from moderator.core.models import Decision
from moderator.errors import (
    ClaimedError,
    ConflictError,
    ForbiddenError,
    ModeratorError,
    NotFoundError,
    StaleRevisionError,
    TooManyClaimsError,
)
from moderator.web import actions
from moderator.web.auth import Caller, check_csrf, session_caller
from moderator.web.problems import Problem
from moderator.web.ui_queue import claim_next_location, to_login, workable
from moderator.web.views import check_queue, now_ms, parse_view

router = APIRouter()
_VIEW_KEYS = ("queue", "order", "site", "thread", "language", "category")
_DONE = {"approve": "approved", "reject": "rejected", "escalate": "escalated"}
Text = Annotated[str, Form(max_length=256)]


def clean_view(back: str) -> str:
    """The view part of a `back` query string, keeping only known keys (never a URL)."""
    pairs = [(k, v[:256]) for k, v in parse_qsl(back[:2000]) if k in _VIEW_KEYS and v]
    return urlencode(pairs)


def _redirect(path: str, back: str, **params: str | int) -> Response:
    query = "&".join(q for q in (clean_view(back), urlencode(params)) if q)
    return RedirectResponse(f"{path}?{query}", status_code=303)


async def _form_caller(request: Request, csrf: str) -> Caller | None:
    """The logged-in caller, once their CSRF token checks out (403 otherwise); None when there
    is no session (the route sends the browser to the login page)."""
    caller = await session_caller(request)
    if caller is not None:
        await check_csrf(request, caller, csrf)
    return caller


@router.post("/ui/decision")
async def decide(
    request: Request,
    site: Text,
    id: Text,
    decision: Text,
    reason: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=1)] = "",
    csrf: Annotated[str, Form()] = "",
    revision: Annotated[int | None, Form(ge=1)] = None,
) -> Response:
    """Decide the revision of one comment the card showed; back to the queue with a notice
    (and an Undo button), or, from an item card (`next=1`), on to the next comment of the
    view. A comment edited since the card was drawn is not decided (notice `edited`)."""
    caller = await _form_caller(request, csrf)
    if caller is None:
        return to_login()
    try:
        choice = Decision(decision)
    except ValueError:
        return _redirect("/ui/queue", back, notice="invalid")
    keep = reason if choice is Decision.REJECT and reason in REJECT_REASONS else None
    try:
        done = await actions.decide(
            request.app.state.services, caller, f"{site}:{id}", choice, keep, revision=revision
        )
    except ModeratorError as exc:
        return _redirect("/ui/queue", back, notice=_notice(exc))
    if next == "1":
        after = f"{site}:{id}"
        location = await claim_next_location(request, caller, parse_view(back), after)
        return RedirectResponse(location, status_code=303)
    undo = {"undo_site": site, "undo_id": id, "undo_v": done["version"]}
    return _redirect("/ui/queue", back, notice=_DONE[choice.value], **undo)


def _notice(exc: ModeratorError) -> str:
    if isinstance(exc, NotFoundError):
        return "gone"
    if isinstance(exc, StaleRevisionError):
        return "edited"
    if isinstance(exc, ClaimedError):
        return "claimed"
    if isinstance(exc, TooManyClaimsError):
        return "too-many-claims"
    if isinstance(exc, ForbiddenError):
        return "forbidden"
    return "decided" if isinstance(exc, ConflictError) else "invalid"


@router.post("/ui/next")
async def next_item(
    request: Request,
    after_site: Text = "",
    after_id: Text = "",
    release: Annotated[str, Form(max_length=1)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Claim the next comment of the `back` view after `after` (see claim_next_location; with
    `release=1` the caller's claim on `after` is given up first) and open its card."""
    caller = await _form_caller(request, csrf)
    if caller is None:
        return to_login()
    after = f"{after_site or 'default'}:{after_id}" if after_id else None
    view = parse_view(back)
    location = await claim_next_location(request, caller, view, after, release=release == "1")
    return RedirectResponse(location, status_code=303)


@router.post("/ui/claim")
async def claim(
    request: Request,
    id: Text,
    site: Text = "default",
    back: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """ "Review this": claim one comment for the caller, back to its card with the outcome."""
    caller = await _form_caller(request, csrf)
    if caller is None:
        return to_login()
    services = request.app.state.services
    review = services.settings.review
    notice = "claimed-now"
    try:
        if not workable(caller, await services.review.get(f"{site}:{id}")):
            raise ForbiddenError("Only admins claim escalated comments.")
        await services.claims.claim(
            f"{site}:{id}",
            caller.principal.name,
            int(review.lease_s * 1000),
            now_ms(),
            max_claims=review.max_claims,
        )
    except ModeratorError as exc:
        notice = _notice(exc)
    return _redirect("/ui/item", back, site=site, id=id, notice=notice)


@router.post("/ui/undo")
async def undo(
    request: Request,
    site: Text,
    id: Text,
    version: Annotated[int, Form(ge=1)],
    back: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    caller = await _form_caller(request, csrf)
    if caller is None:
        return to_login()
    result = await actions.undo_many(
        request.app.state.services, caller, [(f"{site}:{id}", version)]
    )
    return _redirect("/ui/queue", back, notice="undone" if result["undone"] else "not-undone")


@router.post("/ui/note")
async def note(
    request: Request,
    site: Text,
    id: Text,
    text: Annotated[str, Form(min_length=1, max_length=5000)],
    back: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    caller = await _form_caller(request, csrf)
    if caller is None:
        return to_login()
    await request.app.state.services.review.add_note(
        f"{site}:{id}", by=caller.principal.name, text=text, now_ms=now_ms()
    )
    return _redirect("/ui/item", back, site=site, id=id, notice="noted")


@router.post("/ui/bulk")
async def bulk(
    request: Request,
    decision: Text,
    ref: Annotated[list[str], Form(max_length=10000)] = [],  # noqa: B006 (FastAPI form default)
    reason: Annotated[str, Form(max_length=200)] = "",
    min_priority: Annotated[str, Form(max_length=10)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Decide the ticked comments, or (with `min_priority`) every comment of the view at or
    above that priority."""
    caller = await _form_caller(request, csrf)
    if caller is None:
        return to_login()
    try:
        choice = Decision(decision)
    except ValueError:
        return _redirect("/ui/queue", back, notice="invalid")
    scope, floor = _scope(caller, back, min_priority)
    result = await actions.decide_many(
        request.app.state.services,
        caller,
        choice,
        refs=[] if scope else ref,
        scope=scope,
        min_priority=floor,
        reason=reason if choice is Decision.REJECT and reason in REJECT_REASONS else None,
    )
    counts = {"n": len(result["decided"]), "skipped": len(result["skipped"])}
    return _redirect("/ui/queue", back, notice="bulk", **counts)


def _scope(caller: Caller, back: str, min_priority: str) -> tuple[QueueView | None, float | None]:
    if not min_priority.strip():
        return None, None
    try:
        floor = min(1.0, max(0.0, float(min_priority)))
    except ValueError:
        raise Problem(422, "min_priority must be a number between 0 and 1.") from None
    view = dict(parse_qsl(back))
    queue = view.get("queue", "hold")
    if queue not in ("hold", "review", "escalated", "sample"):
        raise Problem(422, "Bulk decisions by score work on hold, review, escalated or sample.")
    check_queue(caller, queue)
    site = view.get("site") or None
    return QueueView(
        queue,
        "priority",
        site or ("default" if view.get("thread") else None),
        view.get("thread") or None,
        view.get("language") or None,
        view.get("category") or None,
    ), floor
