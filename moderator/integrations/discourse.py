"""Discourse: its outgoing webhooks in, its API for decisions out.

In: `POST /v1/integrations/discourse` takes the "Post Event" webhook (content type
application/json): `X-Discourse-Event: post_created | post_edited`, body `{"post": {...}}` (the
WebHookPostSerializer: `id`, `raw`, `topic_id`, `topic_title`, `topic_slug`, `user_id`,
`username`, `created_at`, ...), signed `X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256 of
the raw body>` with the webhook's secret (app/jobs/regular/emit_web_hook_event.rb). The secret
that matches names the site (`platform = "discourse"`, `webhook_secret`); the post becomes
comment `<post id>` of that site, its topic the thread; an edit is a new revision. Other events
(`ping`, `post_destroyed`, ...) are answered 200 and ignored. Unknown fields are ignored
(Discourse adds fields between versions); a missing or mistyped one is 422.

Out (`DiscourseTarget`): through the API with `Api-Key` / `Api-Username` headers
(config/routes.rb, app/controllers/post_actions_controller.rb, posts_controller.rb):
- scored `hold`: flag as inappropriate and take action (`POST /post_actions` `id`,
  `post_action_type_id=4`, `take_action=true`), which hides the post (staff only);
- scored `review`: flag as inappropriate without action (Discourse's review queue sees it too);
- decided `reject`: `DELETE /posts/{id}`;
- decided `approve`: `PUT /posts/{id}/recover` when it had been rejected, then
  `PUT /posts/{id}/unhide`;
- an undo of a reject: `PUT /posts/{id}/recover`; anything else: nothing to do.
A 404 (the post is gone) and "already" answers to a repeated flag count as done, so a retry
after a partial failure is safe.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from moderator.integrations import receiving
from moderator.settings import SiteSettings

router = APIRouter()
EVENT_HEADER = "X-Discourse-Event"
SIGNATURE_HEADER = "X-Discourse-Event-Signature"
_POST_EVENTS = ("post_created", "post_edited")
INAPPROPRIATE = 4  # PostActionType.types[:inappropriate]


class DiscoursePostIn(BaseModel):
    """The fields of Discourse's post payload that moderator reads (the rest is ignored)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    id: int
    raw: str
    topic_id: int | None = None
    topic_title: str | None = None
    topic_slug: str | None = None
    user_id: int | None = None
    username: str | None = None
    created_at: str | None = None


class DiscourseWebhookIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    post: DiscoursePostIn


@router.post(
    "/v1/integrations/discourse",
    status_code=202,
    responses={
        200: {"description": "Redelivery, or an event other than post_created/post_edited"},
        **receiving.problems(400, 401, 413, 415, 422, 503),
    },
    summary="Discourse's post webhooks (signed X-Discourse-Event-Signature)",
    openapi_extra=receiving.signed_body(
        SIGNATURE_HEADER,
        "sha256=<hex HMAC-SHA256 of the body>, keyed with the site's webhook secret",
        {"type": "object", "description": '{"post": {...}} (Discourse\'s WebHookPostSerializer)'},
    ),
)
async def receive_discourse(request: Request) -> JSONResponse:
    body = await receiving.read_body(request)
    candidates = receiving.hex_candidates(request.headers.get(SIGNATURE_HEADER), SIGNATURE_HEADER)
    sites = await request.app.state.services.sites.all()
    name, site = receiving.site_by_hmac(sites, "discourse", candidates, body)
    event = request.headers.get(EVENT_HEADER, "")
    data = receiving.parse_json(body, request.headers.get("content-type", ""))
    if event not in _POST_EVENTS:
        return JSONResponse({"status": "ignored", "event": event[:100]}, status_code=200)
    post = receiving.require(data, DiscourseWebhookIn).post
    return await receiving.accept(request, to_comment_fields(name, site, post))


def to_comment_fields(name: str, site: SiteSettings, post: DiscoursePostIn) -> dict[str, Any]:
    thread: dict[str, Any] = {}
    if post.topic_id is not None:
        thread["id"] = str(post.topic_id)
        if site.api_url and post.topic_slug:
            thread["url"] = f"{site.api_url.rstrip('/')}/t/{post.topic_slug}/{post.topic_id}"
    if post.topic_title is not None:
        thread["title"] = post.topic_title[:1000]
    fields: dict[str, Any] = {"id": str(post.id), "text": post.raw, "site": name}
    if thread:
        fields["thread"] = thread
    if post.user_id is not None or post.username is not None:
        author = {"id": None if post.user_id is None else str(post.user_id), "name": post.username}
        fields["author"] = {k: v for k, v in author.items() if v is not None}
    if post.created_at:
        fields["created_at"] = post.created_at
    return fields


Call = tuple[str, str, dict[str, str] | None]  # method, path, form


class DiscourseTarget:
    """Decisions to a Discourse forum through its API (see the module's docstring)."""

    def __init__(self, site: SiteSettings) -> None:
        self.base = site.api_url.rstrip("/")
        self.headers = {
            "Api-Key": site.api_key,
            "Api-Username": site.api_username,
            "Accept": "application/json",
        }

    def calls(self, event: dict[str, Any]) -> list[Call]:
        """The API requests (method, path, form) an event takes, in order."""
        post = str(event.get("id"))
        flag = {"id": post, "post_action_type_id": str(INAPPROPRIATE)}
        if event.get("event") == "scored":
            if event.get("action") == "hold":
                return [("POST", "/post_actions", {**flag, "take_action": "true"})]
            if event.get("action") == "review":
                return [("POST", "/post_actions", flag)]
            return []
        decision, previous = event.get("decision"), event.get("previous_state")
        if decision == "reject":
            return [("DELETE", f"/posts/{post}", None)]
        recover: list[Call] = (
            [("PUT", f"/posts/{post}/recover", None)] if previous == "rejected" else []
        )
        if decision == "approve":
            return [*recover, ("PUT", f"/posts/{post}/unhide", None)]
        if decision == "undo":
            return recover
        return []

    async def deliver(
        self, http: httpx.AsyncClient, fid: str, payload: dict[str, Any], limit_s: float
    ) -> str | None:
        for method, path, form in self.calls(payload):
            response = await http.request(
                method, self.base + path, data=form, headers=self.headers, timeout=limit_s
            )
            if response.status_code == 404 or 200 <= response.status_code < 300:
                continue
            if response.status_code in (403, 422) and "already" in response.text.lower():
                continue
            return f"Discourse {method} {path}: HTTP {response.status_code} {response.text[:200]}"
        return None
