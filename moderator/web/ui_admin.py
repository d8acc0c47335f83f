"""Admin pages: accounts (add, re-role, disable, enable), the audit log search, callback dead
letters with a replay button and ingest dead letters with a rescore button. Every route answers
403 to a reviewer; every form post needs the session's CSRF token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from moderator.adapters.redis.audit import CURSOR, AuditQuery
from moderator.adapters.redis.dead_letters import ENTRY_ID
from moderator.adapters.redis.outbox import FEED_ID
from moderator.errors import ModeratorError
from moderator.web.auth import Caller, check_csrf, require_admin, session_caller
from moderator.web.problems import Problem
from moderator.web.templating import render
from moderator.web.ui_queue import page_context, to_login
from moderator.web.views import now_ms

router = APIRouter(prefix="/ui/admin")
_DECISIONS = ("approve", "reject", "escalate", "undo")
_DONE = {
    "added": "User added.",
    "updated": "User updated.",
    "replayed": "Dead letter queued for delivery again.",
    "rescored": "Comment queued for scoring again.",
    "cleared": "Dead letter cleared: its comment was decided, edited or rescored since.",
    "failed": "That change was refused.",
}


async def _admin(request: Request, csrf: str | None = None) -> Caller | None:
    caller = await session_caller(request)
    if caller is None:
        return None
    require_admin(caller)
    if csrf is not None:
        await check_csrf(request, caller, csrf)
    return caller


@router.get("/users", response_class=HTMLResponse)
async def users_page(request: Request, notice: str = "", error: str = "") -> Response:
    caller = await _admin(request)
    if caller is None:
        return to_login()
    users = await request.app.state.services.auth.list_users()
    context = page_context(request, caller, users=users, notice=_DONE.get(notice))
    context["error"] = _DONE["failed"] if error else None
    return await render(request, "admin_users.html", context)


@router.post("/users")
async def add_user(
    request: Request,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=16)] = "reviewer",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if await _admin(request, csrf) is None:
        return to_login()
    try:
        await request.app.state.services.auth.add_user(name, password, role)
    except ModeratorError:
        return RedirectResponse("/ui/admin/users?error=1", status_code=303)
    return RedirectResponse("/ui/admin/users?notice=added", status_code=303)


@router.post("/users/update")
async def update_user(
    request: Request,
    name: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(max_length=16)] = "",
    disabled: Annotated[str, Form(max_length=1)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Re-role (`role`), disable (`disabled=1`) or enable (`disabled=0`) an account."""
    if await _admin(request, csrf) is None:
        return to_login()
    auth = request.app.state.services.auth
    try:
        if role:
            await auth.set_role(name, role)
        if disabled in ("0", "1"):
            await auth.set_disabled(name, disabled == "1")
    except ModeratorError:
        return RedirectResponse("/ui/admin/users?error=1", status_code=303)
    return RedirectResponse("/ui/admin/users?notice=updated", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    reviewer: Annotated[str, Query(max_length=64)] = "",
    site: Annotated[str, Query(max_length=64)] = "",
    id: Annotated[str, Query(max_length=256)] = "",
    decision: Annotated[str, Query(max_length=16)] = "",
    since: Annotated[str, Query(max_length=32)] = "",
    until: Annotated[str, Query(max_length=32)] = "",
    before: Annotated[str, Query(pattern=f"^$|{CURSOR}")] = "",
) -> Response:
    """Search form and results (newest first, 100 a page, bounded by review.scan_max)."""
    caller = await _admin(request)
    if caller is None:
        return to_login()
    query = AuditQuery(
        reviewer or None,
        site or None,
        id or None,
        decision if decision in _DECISIONS else None,
        _ms(since),
        _ms(until, end=True),
        before or None,
    )
    try:
        page = await request.app.state.services.audit.search(query, 100)
    except ValueError as exc:  # a malformed cursor (the pattern lets none through)
        raise Problem(422, str(exc)) from None
    form = {"reviewer": reviewer, "site": site, "id": id, "decision": decision}
    form |= {"since": since, "until": until}
    more = urlencode({**form, "before": page.next_before}) if page.next_before else None
    context = page_context(request, caller, page=page, form=form, more=more, decisions=_DECISIONS)
    return await render(request, "admin_audit.html", context)


def _ms(value: str, *, end: bool = False) -> int | None:
    """A date (YYYY-MM-DD, UTC; its end with `end`) or date-time as epoch ms; None if empty."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Problem(422, f"{value!r} is not a date (YYYY-MM-DD) or date-time.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    ms = int(parsed.timestamp() * 1000)
    return ms + 86_399_999 if end and len(value) == 10 else ms


@router.get("/dead", response_class=HTMLResponse)
async def dead_page(request: Request, notice: str = "") -> Response:
    caller = await _admin(request)
    if caller is None:
        return to_login()
    services = request.app.state.services
    letters = await services.outbox.dead_letters(100)
    pending, dead = await services.outbox.sizes()
    context = page_context(
        request,
        caller,
        letters=letters,
        pending=pending,
        dead=dead,
        callback_url=services.settings.callback.url,
        notice=_DONE.get(notice),
        ingest_letters=await services.ingest_dead.letters(100),
        ingest_dead=await services.ingest_dead.count(),
        max_attempts=services.settings.worker.max_attempts,
    )
    return await render(request, "admin_dead.html", context)


@router.post("/dead/replay")
async def replay(
    request: Request,
    feed_id: Annotated[str, Form(pattern=FEED_ID)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if await _admin(request, csrf) is None:
        return to_login()
    await request.app.state.services.outbox.replay(feed_id, now_ms())
    return RedirectResponse("/ui/admin/dead?notice=replayed", status_code=303)


@router.post("/dead/rescore")
async def rescore(
    request: Request,
    entry_id: Annotated[str, Form(pattern=ENTRY_ID)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Rescore an ingest dead letter's comment (or clear it when it was decided since)."""
    if await _admin(request, csrf) is None:
        return to_login()
    status = await request.app.state.services.ingest_dead.replay(entry_id)
    notice = "rescored" if status == "rescored" else "cleared"
    return RedirectResponse(f"/ui/admin/dead?notice={notice}", status_code=303)
