"""Reviewer web UI: logging in and out. The workspace (queues, item cards, actions) is in
ui_queue.py, the admin pages in ui_admin.py.

Everything a comment supplies is rendered through Jinja2 autoescaping; no page has inline
script or style, and the Content-Security-Policy forbids any (see app.py). Session cookies are
signed, HttpOnly, SameSite=Strict, and over HTTPS (directly, or through a proxy listed in
web.trusted_proxies sending X-Forwarded-Proto) Secure with the __Host- name prefix.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from moderator.errors import AuthError, RateLimitedError
from moderator.web.auth import (
    COOKIE,
    check_csrf,
    client_address,
    cookie_name,
    session_caller,
    signer,
)
from moderator.web.templating import render

router = APIRouter()
_LOGIN_CSRF = "moderator_login"


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


async def _login_page(
    request: Request, error: str | None = None, status: int = 200, retry_after_s: int = 0
) -> Response:
    token = secrets.token_urlsafe(24)
    response = await render(request, "login.html", {"error": error, "csrf": token}, status)
    response.set_cookie(
        cookie_name(request, _LOGIN_CSRF),
        token,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        max_age=3600,
    )
    if retry_after_s:
        response.headers["Retry-After"] = str(retry_after_s)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    return await _login_page(request)


@router.post("/login")
async def login(
    request: Request,
    username: str = Form(..., max_length=64),
    password: str = Form(..., max_length=1024),
    csrf: str = Form(""),
) -> Response:
    """Refused with 403 without the login form's token; 429 with Retry-After while the
    account or the address waits out its delay (the attempt is counted before the password is
    checked, so parallel attempts cannot pass the allowance); 401 for bad credentials."""
    expected = request.cookies.get(cookie_name(request, _LOGIN_CSRF), "")
    if not expected or not secrets.compare_digest(expected, csrf):
        return await _login_page(request, "Your login form expired; please try again.", 403)
    services = request.app.state.services
    address = client_address(request)
    try:
        principal = await services.auth.login(username, password, address)
    except RateLimitedError as exc:
        return await _login_page(request, str(exc), 429, exc.retry_after_s)
    except AuthError as exc:
        return await _login_page(request, str(exc), 401)
    sid, _ = await services.auth.create_session(principal, services.settings.ui.session_ttl_s)
    response = RedirectResponse("/ui/queue", status_code=303)
    response.set_cookie(
        cookie_name(request, COOKIE),
        signer(request).sign(sid).decode(),
        httponly=True,
        samesite="strict",
        secure=secure(request),
        max_age=services.settings.ui.session_ttl_s,
    )
    _forget(request, response, _LOGIN_CSRF)
    return response


@router.post("/logout")
async def logout(request: Request, csrf: str = Form("")) -> Response:
    caller = await session_caller(request)
    if caller is not None and caller.sid:
        await check_csrf(request, caller, csrf)
        await request.app.state.services.auth.end_session(caller.sid)
    response = RedirectResponse("/login", status_code=303)
    _forget(request, response, COOKIE)
    return response


def _forget(request: Request, response: Response, name: str) -> None:
    """Delete a cookie with the attributes it was set with (a __Host- one needs Secure)."""
    response.delete_cookie(
        cookie_name(request, name), secure=secure(request), httponly=True, samesite="strict"
    )


@router.get("/")
async def root() -> Response:
    return RedirectResponse("/ui/queue", status_code=303)
