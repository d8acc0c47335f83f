"""Reviewer web UI, first cut: log in, see the queues worst first with the lexicon spans
highlighted and the label scores, approve or reject.

Everything a comment supplies is rendered through Jinja2 autoescaping; no page has inline
script, and the Content-Security-Policy forbids any (see app.py).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from moderator.core.models import Decision
from moderator.errors import AuthError, ConflictError, NotFoundError
from moderator.web.auth import COOKIE, Caller, check_csrf, session_caller, signer
from moderator.web.health import active_model
from moderator.web.highlight import http_url, segments

router = APIRouter()
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters["segments"] = segments
templates.env.filters["http_url"] = http_url
_LOGIN_CSRF = "moderator_login"
QUEUES = ("hold", "review")
#: Outcome messages, passed between pages as codes: a URL can never put its own words on a page.
NOTICES = {
    "approved": "Comment approved.",
    "rejected": "Comment rejected.",
    "escalated": "Comment escalated to the admins.",
    "gone": "That comment no longer exists.",
    "decided": "That comment was already decided by someone else.",
    "invalid": "Unknown decision.",
}


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request, "login.html", {"error": error, "csrf": token}, status_code=status
    )
    response.set_cookie(
        _LOGIN_CSRF, token, httponly=True, samesite="strict", secure=_secure(request), max_age=3600
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(..., max_length=64),
    password: str = Form(..., max_length=1024),
    csrf: str = Form(""),
) -> Response:
    expected = request.cookies.get(_LOGIN_CSRF, "")
    if not expected or not secrets.compare_digest(expected, csrf):
        return _login_page(request, "Your login form expired; please try again.", 403)
    services = request.app.state.services
    try:
        principal = await services.auth.check_password(username, password)
    except AuthError as exc:
        return _login_page(request, str(exc), 401)
    sid, _ = await services.auth.create_session(principal, services.settings.ui.session_ttl_s)
    response = RedirectResponse("/ui/queue", status_code=303)
    response.set_cookie(
        COOKIE,
        signer(request).sign(sid).decode(),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=services.settings.ui.session_ttl_s,
    )
    response.delete_cookie(_LOGIN_CSRF)
    return response


@router.post("/logout")
async def logout(request: Request, csrf: str = Form("")) -> Response:
    caller = await session_caller(request)
    if caller is not None and caller.sid:
        await check_csrf(request, caller, csrf)
        await request.app.state.services.auth.end_session(caller.sid)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/")
async def root() -> Response:
    return RedirectResponse("/ui/queue", status_code=303)


@router.get("/ui/queue", response_class=HTMLResponse)
async def queue_page(request: Request, queue: str = "hold", notice: str = "") -> Response:
    caller = await session_caller(request)
    if caller is None:
        return RedirectResponse("/login", status_code=303)
    if queue not in QUEUES:
        queue = "hold"
    review = request.app.state.services.review
    items = await review.list_queue(queue, offset=0, limit=50)
    context: dict[str, Any] = {
        "caller": caller,
        "queue": queue,
        "queues": QUEUES,
        "stats": {s.name: s for s in await review.stats()},
        "items": items,
        "model": await active_model(request),
        "notice": NOTICES.get(notice),
        "now_ms": int(time.time() * 1000),
    }
    return templates.TemplateResponse(request, "queue.html", context)


@router.post("/ui/decision")
async def decide(
    request: Request,
    site: str = Form(...),
    id: str = Form(...),
    decision: str = Form(...),
    queue: str = Form("hold"),
    reason: str = Form("", max_length=200),
    csrf: str = Form(""),
) -> Response:
    caller = await session_caller(request)
    if caller is None:
        return RedirectResponse("/login", status_code=303)
    await check_csrf(request, caller, csrf)
    notice = await _decide(request, caller, f"{site}:{id}", decision, reason)
    target = request.url_for("queue_page").include_query_params(
        queue=queue if queue in QUEUES else "hold", notice=notice
    )
    return RedirectResponse(str(target), status_code=303)


async def _decide(request: Request, caller: Caller, ref: str, decision: str, reason: str) -> str:
    """Record the decision; returns a NOTICES code. A reason is kept only for a rejection."""
    try:
        choice = Decision(decision)
    except ValueError:
        return "invalid"
    try:
        await request.app.state.services.review.decide(
            ref,
            choice,
            by=caller.principal.name,
            reason=(reason or None) if choice is Decision.REJECT else None,
            note=None,
            now_ms=int(time.time() * 1000),
        )
    except NotFoundError:
        return "gone"
    except ConflictError:
        return "decided"
    return {"approve": "approved", "reject": "rejected", "escalate": "escalated"}[choice.value]
