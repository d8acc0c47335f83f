"""Claims over the API: machine clients (and the UI's script) take comments to work on with a
lease, renew it, and give it back. Two callers are never handed the same comment."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from moderator.web.auth import Caller, api_caller
from moderator.web.openapi import problems
from moderator.web.problems import Problem
from moderator.web.views import (
    Cursor,
    QueueName,
    check_queue,
    decode_cursor,
    filters,
    now_ms,
    view_of,
)

router = APIRouter(prefix="/v1")
CallerDep = Annotated[Caller, Depends(api_caller)]
FiltersDep = Annotated[dict[str, str | None], Depends(filters)]
_MAX_LOOKUP = 200


@router.post("/queue/{queue}/claim", responses=problems(409))
async def claim_next(
    request: Request,
    caller: CallerDep,
    queue: QueueName,
    params: FiltersDep,
    count: Annotated[int, Query(ge=1, le=100)] = 1,
    after: Cursor = None,
) -> dict[str, Any]:
    """Claim up to `count` comments of the view (in its order, after the `after` cursor) that no
    other caller holds, each with a lease; the caller's own claims come back renewed. Returns
    them with `claim.expires_at_ms`. Renew with POST /v1/claims/{id}; decide, or release with
    DELETE /v1/claims/{id}; an unrenewed claim expires on its own. A caller holds at most
    review.max_claims live claims: fewer come back near the cap, 409 when none could be taken."""
    services = request.app.state.services
    check_queue(caller, queue)
    lease_ms = int(services.settings.review.lease_s * 1000)
    refs = await services.queues.claim_next(
        view_of(queue, params),
        caller.principal.name,
        lease_ms,
        count,
        after=decode_cursor(after),
        max_claims=services.settings.review.max_claims,
    )
    items = await services.review.list_refs(refs) if refs else []
    return {"queue": queue, "lease_ms": lease_ms, "items": items}


@router.post("/claims/{comment_id:path}", responses=problems(404, 409))
async def claim_one(
    request: Request, caller: CallerDep, comment_id: str, site: str = "default"
) -> dict[str, Any]:
    """Claim or renew one comment. 409 with `claimed_by` when another caller holds it; 409 when
    it is not awaiting a decision, or when the caller already holds review.max_claims live
    claims (renewals always go through); 404 when there is no such comment."""
    services = request.app.state.services
    ref = f"{site}:{comment_id}"
    item = await services.review.get(ref)
    check_queue(caller, item.get("queue") or "")
    review = services.settings.review
    lease_ms = int(review.lease_s * 1000)
    claim = await services.claims.claim(
        ref, caller.principal.name, lease_ms, now_ms(), max_claims=review.max_claims
    )
    return {**asdict(claim), "lease_ms": lease_ms}


@router.delete("/claims/{comment_id:path}", status_code=204, responses=problems(404, 409))
async def release(
    request: Request,
    caller: CallerDep,
    comment_id: str,
    site: str = "default",
    force: bool = False,
) -> Response:
    """Release the caller's claim (admins may `force` anyone's). 404 when nobody holds it, 409
    with `claimed_by` when someone else does."""
    if force and not caller.principal.is_admin:
        raise Problem(403, "Only admins may release another reviewer's claim.")
    released = await request.app.state.services.claims.release(
        f"{site}:{comment_id}", caller.principal.name, force=force
    )
    if not released:
        raise Problem(404, "Nobody holds a claim on that comment.")
    return Response(status_code=204)


@router.get("/claims")
async def holders(
    request: Request,
    caller: CallerDep,
    ref: Annotated[list[str], Query(max_length=_MAX_LOOKUP)],
) -> dict[str, Any]:
    """Who holds each of the given comments (refs `site:id`); unclaimed ones are left out."""
    found = await request.app.state.services.claims.holders(ref, now_ms())
    return {"claims": {r: {"by": c.by, "expires_at_ms": c.expires_at_ms} for r, c in found.items()}}
