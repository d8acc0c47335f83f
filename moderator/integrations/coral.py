"""Coral Talk: an external moderation phase, its webhooks, and its GraphQL API for decisions.

Phase (`POST /v1/integrations/coral/phase`): Coral POSTs every new or edited comment
(server/src/core/server/services/comments/pipeline/phases/external.ts: `{action, comment{body,
parentID}, author{id, role}, story{id, url}, site{id}, tenantID, tenantDomain}`) signed
`X-Coral-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, one value per active secret,
comma-separated while a secret is rotated (models/settings/signingSecret/helpers.ts). The
answer must come within the phase's timeout (200 ms by default in Coral's admin), so it is
decided here, in the web process, by the lexicon and the policy alone (no model, no torch; on
the render pool, moderator/web/offload.py): `hold` answers `{"status": "SYSTEM_WITHHELD",
"actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]}` (withheld until
reviewed), `review` answers the flag alone (published, and in Coral's reported queue), a pass
answers 204 (Coral goes on with its own phases). moderator never rejects on its own. The comment is
also queued for the full model path as comment `c-<digest>` of the site: the digest (SHA-256 of
tenant, site, story, author and body) is what links it to Coral's comment id later. Send the
body as HTML (the phase's format), so the digest matches what Coral's API answers.

Webhook (`POST /v1/integrations/coral/webhook`, same signature): `COMMENT_ENTERED_MODERATION_QUEUE`
carries `data.commentID` (queue/tasks/webhook/processor.ts, events/events.ts); moderator asks
Coral's GraphQL for that comment (body, author, story, site, revision), computes its digest and
links Coral's id to the queued comment (`keys.integration_links`), queueing it now if the phase
never saw it. Other events are answered 200 and ignored.

Decisions (`CoralTarget`) go back by GraphQL (`Authorization: Bearer <api_key>`):
`approveComment` / `rejectComment` `{commentID, commentRevisionID, clientMutationId}`
(server/src/core/server/graph/schema/schema.graphql), the revision id read first. Scored
events need nothing (the phase already answered). A decision on a comment not linked yet is an
error, retried until the webhook links it (or dead-lettered).
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from typing import Any, Literal

import httpx
import redis.asyncio as aioredis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from moderator import keys
from moderator.core.models import LABELS, Comment, ModelInfo, Scores
from moderator.core.scoring import ScoringService
from moderator.errors import ModeratorError
from moderator.integrations import receiving
from moderator.settings import Settings, SiteSettings
from moderator.web import current_policy
from moderator.web.problems import Problem

log = logging.getLogger("moderator.integrations.coral")

router = APIRouter()
SIGNATURE_HEADER = "X-Coral-Signature"
EVENT_HEADER = "X-Coral-Event"
ENTERED = "COMMENT_ENTERED_MODERATION_QUEUE"
_SIGNED = "sha256=<hex HMAC-SHA256 of the body> per active secret, comma-separated"
_TAGS = re.compile(r"<[^>]{0,2000}>")
_REASONS = (
    ("spam", "SPAM"),
    ("hate", "HATE_SPEECH"),
    ("harass", "HARASSMENT_BULLYING"),
    ("bully", "HARASSMENT_BULLYING"),
    ("illegal", "ILLEGAL_CONTENT"),
    ("misinfo", "MISINFORMATION"),
)


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class _CommentIn(_Loose):
    body: str
    parentID: str | None = None


class _AuthorIn(_Loose):
    id: str
    role: str | None = None


class _StoryIn(_Loose):
    id: str
    url: str | None = None


class _SiteIn(_Loose):
    id: str


class CoralPhaseIn(_Loose):
    """Coral's ExternalModerationRequest (unknown fields ignored: Coral adds some)."""

    action: Literal["NEW", "EDIT"]
    comment: _CommentIn
    author: _AuthorIn
    story: _StoryIn
    site: _SiteIn
    tenantID: str
    tenantDomain: str | None = None


class _EventData(_Loose):
    commentID: str


class CoralEventIn(_Loose):
    id: str | None = None
    type: str
    data: _EventData
    tenantID: str


class LexiconOnly:
    """A Scorer with no model: every label None, so the policy decides on the lexicon alone."""

    info = ModelInfo("lexicon-only", "1", fallback=True)

    def score(self, texts: Any) -> list[Scores]:
        return [dict.fromkeys(LABELS) for _ in texts]


def fast_service(settings: Settings) -> ScoringService:
    """Lexicon + policy, loaded from the same files as the workers'; no model, no language
    detector (a lexicon scan is language-independent), no spans."""
    from moderator.core.lexicon import load_lexicon
    from moderator.core.policy import load_policy

    lexicon = load_lexicon(
        [settings.path(p) for p in settings.policy.lexicons],
        overrides=[settings.path(p) for p in settings.policy.overrides],
    )
    return ScoringService(
        LexiconOnly(),  # type: ignore[arg-type]
        lexicon,
        load_policy(settings.path(settings.policy.path)),
        spans=False,
        lexicon_budget_s=settings.policy.lexicon_budget_s,
        max_matches=settings.policy.max_matches,
    )


async def warm(app: Any) -> ScoringService:
    """The app's fast service, loaded once on the render pool (the lifespan calls this at start
    when a coral site is configured, so the first phase call does not pay for it)."""
    service = getattr(app.state, "coral_fast", None)
    if service is None:
        service = await app.state.cpu.run(fast_service, app.state.services.settings)
        app.state.coral_fast = service
    return service


def text_of(body: str) -> str:
    """The words of Coral's HTML body (tags dropped, entities decoded) for scoring."""
    return html.unescape(_TAGS.sub(" ", body))


def digest(tenant: str, site: str, story: str, author: str, body: str) -> str:
    parts = "\0".join((tenant, site, story, author, body))
    return "c-" + hashlib.sha256(parts.encode()).hexdigest()[:40]


def phase_answer(action: str) -> dict[str, Any] | None:
    """Coral's ExternalModerationResponse for the policy's action (None: answer 204)."""
    flag = [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]
    if action == "hold":
        return {"status": "SYSTEM_WITHHELD", "actions": flag}
    if action == "review":
        return {"actions": flag}
    return None


async def _signed(request: Request) -> tuple[bytes, str, SiteSettings]:
    body = await receiving.read_body(request)
    candidates = receiving.hex_candidates(request.headers.get(SIGNATURE_HEADER), SIGNATURE_HEADER)
    sites = await request.app.state.services.sites.all()
    name, site = receiving.site_by_hmac(sites, "coral", candidates, body)
    return body, name, site


def _fields(name: str, phase: CoralPhaseIn) -> dict[str, Any]:
    thread: dict[str, Any] = {"id": phase.story.id[:1000]}
    if phase.story.url and re.match(r"^[Hh][Tt][Tt][Pp][Ss]?://", phase.story.url):
        thread["url"] = phase.story.url[:2048]
    fields: dict[str, Any] = {
        "id": digest(
            phase.tenantID, phase.site.id, phase.story.id, phase.author.id, phase.comment.body
        ),
        "text": text_of(phase.comment.body),
        "site": name,
        "author": {"id": phase.author.id[:1000]},
        "thread": thread,
    }
    if phase.comment.parentID:
        fields["parent_id"] = phase.comment.parentID[:256]
    return fields


@router.post(
    "/v1/integrations/coral/phase",
    responses={
        200: {"description": "Coral's ExternalModerationResponse: withheld, or flagged"},
        204: {"description": "Nothing to say: Coral goes on with its other phases"},
        **receiving.problems(400, 401, 413, 415, 422, 503),
    },
    summary="Coral's external moderation phase (signed X-Coral-Signature)",
    openapi_extra=receiving.signed_body(
        SIGNATURE_HEADER,
        _SIGNED,
        {"type": "object", "description": "Coral's ExternalModerationRequest"},
    ),
)
async def coral_phase(request: Request) -> Response:
    body, name, _ = await _signed(request)
    data = receiving.parse_json(body, request.headers.get("content-type", ""))
    phase = receiving.require(data, CoralPhaseIn)
    fields = _fields(name, phase)
    service = await warm(request.app)
    await current_policy.refresh(request.app, service)  # a version applied since start-up
    comment = Comment(id=fields["id"], text=fields["text"], site=name)
    (record,) = await request.app.state.cpu.run(service.score, [comment])
    try:  # the full model path; when Redis cannot take it now, the webhook queues it later
        await receiving.accept(request, fields)
    except ModeratorError as exc:
        log.warning(
            "Coral phase: comment %s not queued now (%s); answered anyway.", fields["id"], exc
        )
    answer = phase_answer(str(record.action))
    if answer is None:
        return Response(status_code=204)
    return JSONResponse(answer)


QUERY = """query($id: ID!) { comment(id: $id) { id body author { id } story { id url }
  site { id } revision { id } } }"""


@router.post(
    "/v1/integrations/coral/webhook",
    responses={
        200: {"description": "Linked (or an event moderator does not use, ignored)"},
        **receiving.problems(400, 401, 413, 415, 422, 503),
    },
    summary="Coral's webhooks (signed X-Coral-Signature)",
    openapi_extra=receiving.signed_body(
        SIGNATURE_HEADER, _SIGNED, {"type": "object", "description": "A Coral event"}
    ),
)
async def coral_webhook(request: Request) -> JSONResponse:
    body, name, site = await _signed(request)
    data = receiving.parse_json(body, request.headers.get("content-type", ""))
    kind = data.get("type") if isinstance(data.get("type"), str) else ""
    if kind != ENTERED:
        return JSONResponse({"status": "ignored", "event": str(kind)[:100]})
    event = receiving.require(data, CoralEventIn)
    services = request.app.state.services
    found = await _graphql(services.outbound(), site, QUERY, {"id": event.data.commentID})
    comment = (found.get("data") or {}).get("comment")
    if not comment:
        raise Problem(503, f"Coral does not know comment {event.data.commentID!r} (yet); retry.")
    phase = receiving.require(
        {
            "action": "NEW",
            "comment": {"body": comment.get("body"), "parentID": None},
            "author": comment.get("author"),
            "story": comment.get("story"),
            "site": comment.get("site"),
            "tenantID": event.tenantID,
        },
        CoralPhaseIn,
        "comment.",
    )
    fields = _fields(name, phase)
    await receiving.accept(request, fields)
    await services.redis.hset(
        keys.integration_links("coral", name), fields["id"], event.data.commentID
    )
    return JSONResponse(
        {"status": "linked", "site": name, "id": fields["id"], "coral_id": event.data.commentID}
    )


async def _graphql(
    http: httpx.AsyncClient,
    site: SiteSettings,
    query: str,
    variables: dict[str, Any],
    timeout_s: float = 5.0,
) -> dict[str, Any]:
    """POST one GraphQL operation; 503 Problem when Coral cannot be reached or answers badly."""
    try:
        response = await http.post(
            site.api_url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {site.api_key}"},
            timeout=timeout_s,
        )
    except httpx.HTTPError as exc:
        raise Problem(503, f"Coral's API cannot be reached: {type(exc).__name__}; retry.") from None
    if response.status_code != 200:
        raise Problem(503, f"Coral's API answered HTTP {response.status_code}; retry.")
    try:
        answer = response.json()
    except ValueError:
        raise Problem(503, "Coral's API answered something that is not JSON; retry.") from None
    if not isinstance(answer, dict):
        raise Problem(503, "Coral's API answered JSON that is not an object; retry.")
    return answer


MUTATION = """mutation($input: {kind}CommentInput!) {{ {name}Comment(input: $input) {{
  comment {{ id status }} clientMutationId }} }}"""


def rejection_code(reason: str | None) -> str:
    text = (reason or "").lower()
    return next((code for word, code in _REASONS if word in text), "ABUSIVE")


class CoralTarget:
    """Decisions to Coral by GraphQL (see the module's docstring)."""

    def __init__(self, site: SiteSettings, name: str, client: aioredis.Redis) -> None:
        self.site, self.name, self.client = site, name, client

    async def deliver(
        self, http: httpx.AsyncClient, fid: str, payload: dict[str, Any], limit_s: float
    ) -> str | None:
        decision = payload.get("decision") if payload.get("event") == "decided" else None
        if decision not in ("approve", "reject"):
            return None
        coral_id = await self.client.hget(
            keys.integration_links("coral", self.name), str(payload.get("id"))
        )
        if coral_id is None:
            return "Coral has not named this comment yet (no COMMENT_ENTERED_MODERATION_QUEUE)"
        try:
            found = await _graphql(http, self.site, QUERY, {"id": coral_id}, limit_s)
        except Problem as exc:
            return exc.detail
        revision = (((found.get("data") or {}).get("comment") or {}).get("revision") or {}).get(
            "id"
        )
        if revision is None:
            return f"Coral answered no revision for comment {coral_id!r}: {str(found)[:200]}"
        variables: dict[str, Any] = {
            "commentID": coral_id,
            "commentRevisionID": revision,
            "clientMutationId": fid,
        }
        kind = "Approve" if decision == "approve" else "Reject"
        if decision == "reject":
            variables["reason"] = {"code": rejection_code(payload.get("reason"))}
        query = MUTATION.format(kind=kind, name=kind.lower())
        try:
            done = await _graphql(http, self.site, query, {"input": variables}, limit_s)
        except Problem as exc:
            return exc.detail
        if done.get("errors"):
            return f"Coral {kind.lower()}Comment: {str(done['errors'])[:300]}"
        return None
