"""The second-opinion page (issue 13 section 4): a reviewer sees the oldest comment awaiting a
second opinion that they did not decide first, blind to that decision, and answers approve or
reject with a plain form (no script needed; CSRF-checked). The answer changes nothing of the
comment's decision; disagreements go to the admins (`/v1/admin/second-opinions/...`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from moderator.errors import ModeratorError
from moderator.web.auth import check_csrf, session_caller
from moderator.web.templating import render
from moderator.web.ui_queue import page_context, to_login
from moderator.web.views import now_ms

router = APIRouter(prefix="/ui")
_DONE = {"agree": "Recorded: you agree.", "disagree": "Recorded: the admins will look at it."}
_REF = r"^[A-Za-z0-9._-]{1,64}:.{1,512}$"


@router.get("/second", response_class=HTMLResponse)
async def second_page(request: Request, notice: str = "", error: str = "") -> Response:
    caller = await session_caller(request)
    if caller is None:
        return to_login()
    question = await request.app.state.services.second.next_for(caller.principal.name)
    context = page_context(request, caller, question=question, notice=_DONE.get(notice))
    context["error"] = (
        "That answer was refused (answered already, or the decision changed)." if error else None
    )
    return await render(request, "second.html", context)


@router.post("/second")
async def second_answer(
    request: Request,
    ref: Annotated[str, Form(pattern=_REF)],
    decision: Annotated[Literal["approve", "reject"], Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    caller = await session_caller(request)
    if caller is None:
        return to_login()
    await check_csrf(request, caller, csrf)
    try:
        result = await request.app.state.services.second.answer(
            ref, caller.principal.name, decision, now_ms()
        )
    except ModeratorError:
        return RedirectResponse("/ui/second?error=1", status_code=303)
    notice = "agree" if result["agree"] else "disagree"
    return RedirectResponse(f"/ui/second?notice={notice}", status_code=303)
