"""Admin API (/v1/admin, admin token or admin session; 403 for reviewers): accounts, the audit
log, callback dead letters and ingest dead letters (comments whose scoring failed)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from moderator.adapters.redis.audit import CURSOR, AuditQuery
from moderator.adapters.redis.dead_letters import ENTRY_ID
from moderator.web.auth import Caller, admin_caller
from moderator.web.openapi import problems
from moderator.web.problems import Problem
from moderator.web.schemas import UserIn, UserPatchIn
from moderator.web.views import now_ms

router = APIRouter(prefix="/v1/admin")
AdminDep = Annotated[Caller, Depends(admin_caller)]


@router.get("/users")
async def list_users(request: Request, caller: AdminDep) -> dict[str, Any]:
    return {"users": await request.app.state.services.auth.list_users()}


@router.post("/users", status_code=201, responses=problems(409))
async def add_user(request: Request, caller: AdminDep, body: UserIn) -> dict[str, Any]:
    """Add an account (409 if the name is taken)."""
    await request.app.state.services.auth.add_user(body.name, body.password, body.role)
    return {"name": body.name, "role": body.role, "disabled": False}


@router.patch("/users/{name}", responses=problems(404, 409))
async def update_user(
    request: Request, caller: AdminDep, name: str, body: UserPatchIn
) -> dict[str, Any]:
    """Change a role and/or disable/enable an account, in one step; takes effect on the
    account's next request. 409 (nothing changed) when it would leave no enabled admin."""
    auth = request.app.state.services.auth
    await auth.update_user(name, role=body.role, disabled=body.disabled)
    found = [u for u in await auth.list_users() if u["name"] == name]
    return found[0] if found else {"name": name}


@router.get("/audit")
async def audit(
    request: Request,
    caller: AdminDep,
    reviewer: Annotated[str | None, Query(max_length=64)] = None,
    site: Annotated[str | None, Query(max_length=64)] = None,
    id: Annotated[str | None, Query(max_length=256)] = None,
    decision: Literal["approve", "reject", "escalate", "undo"] | None = None,
    since_ms: Annotated[int | None, Query(ge=0)] = None,
    until_ms: Annotated[int | None, Query(ge=0)] = None,
    before: Annotated[str | None, Query(pattern=CURSOR)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Search the audit log, newest first. Bounded: reads at most review.scan_max entries per
    call; when `next_before` is set, pass it as `before` to go on."""
    query = AuditQuery(reviewer, site, id, decision, since_ms, until_ms, before)
    try:
        page = await request.app.state.services.audit.search(query, limit)
    except ValueError as exc:  # a malformed cursor (the pattern lets none through)
        raise Problem(422, str(exc)) from None
    return {"entries": page.entries, "next_before": page.next_before, "scanned": page.scanned}


@router.get("/sample")
async def sample_stats(
    request: Request,
    caller: AdminDep,
    since_ms: Annotated[int | None, Query(ge=0, le=2**53)] = None,
    until_ms: Annotated[int | None, Query(ge=0, le=2**53)] = None,
) -> dict[str, Any]:
    """The control sample (policy `sample_rate`, issue 13): the miss rate of auto-approval,
    rejected / reviewed samples decided in the window, with its Wilson 95 % interval
    (`low`, `high`), overall (`miss_rate`), `by_language` and `by_site`; from the archive and
    Redis together. Reads every hot comment once (a SCAN): an admin's report, not a poll."""
    from moderator.adapters.archive.control_sample import sample_miss_rates

    services = request.app.state.services
    rates = await sample_miss_rates(
        services.redis, services.audit.archive, since_ms=since_ms, until_ms=until_ms
    )
    return rates.as_dict()


@router.get("/dead-letters")
async def dead_letters(
    request: Request, caller: AdminDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> dict[str, Any]:
    """Callback events that failed callback.max_attempts times (`dead_letters`), and comments
    whose scoring failed worker.max_attempts times (`ingest_dead_letters`: each is held for
    review; `rescorable` says whether a replay would rescore it), newest first."""
    services = request.app.state.services
    return {
        "dead_letters": await services.outbox.dead_letters(limit),
        "ingest_dead_letters": await services.ingest_dead.letters(limit),
    }


@router.post("/dead-letters/{feed_id}/replay", status_code=204, responses=problems(404))
async def replay(request: Request, caller: AdminDep, feed_id: str) -> Response:
    """Deliver a dead letter again, now (404 if it is not dead-lettered)."""
    if not await request.app.state.services.outbox.replay(feed_id, now_ms()):
        raise Problem(404, f"{feed_id} is not a dead letter.")
    return Response(status_code=204)


@router.post("/ingest-dead-letters/{entry_id}/replay", responses=problems(404))
async def rescore(request: Request, caller: AdminDep, entry_id: str) -> dict[str, Any]:
    """Rescore an ingest dead letter's comment (`rescored`), or only drop the dead letter when
    its comment was decided, revised or rescored since (`resolved`); 404 if there is none."""
    if not re.fullmatch(ENTRY_ID, entry_id):
        raise Problem(404, f"{entry_id} is not an ingest dead letter.")
    status = await request.app.state.services.ingest_dead.replay(entry_id)
    if status == "missing":
        raise Problem(404, f"{entry_id} is not an ingest dead letter.")
    return {"entry_id": entry_id, "status": status}
