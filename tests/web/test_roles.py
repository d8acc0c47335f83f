"""The role table (docs/DESIGN.md "Roles"), route by route, in process on a real Redis: every
/v1 route is in the table below (a route added without a rule fails here), each role gets past
authorisation exactly where the table says and 403 elsewhere, strangers 401; the UI is for
users (reviewer, admin), never for tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.web.conftest import Web

pytestmark = pytest.mark.anyio

REVIEW = ("reviewer", "admin")
PLATFORM = ("platform", "admin")
ADMIN = ("admin",)
ROLES = ("reviewer", "platform", "admin")


@dataclass(frozen=True)
class Rule:
    method: str
    template: str  # the route as the app declares it
    path: str
    allowed: tuple[str, ...]
    body: dict[str, Any] | None = None
    params: dict[str, str] | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


TABLE = [
    Rule("GET", "/v1/queue", "/v1/queue", REVIEW, params={"queue": "hold"}),
    Rule("GET", "/v1/counts", "/v1/counts", REVIEW),
    Rule("GET", "/v1/comments/{comment_id:path}", "/v1/comments/c1", REVIEW),
    Rule("GET", "/v1/comments/{comment_id:path}/context", "/v1/comments/c1/context", REVIEW),
    Rule(
        "POST",
        "/v1/comments/{comment_id:path}/decision",
        "/v1/comments/c1/decision",
        REVIEW,
        {"decision": "approve"},
    ),
    Rule(
        "POST",
        "/v1/comments/{comment_id:path}/notes",
        "/v1/comments/c1/notes",
        REVIEW,
        {"text": "a note"},
    ),
    Rule("POST", "/v1/queue/{queue}/claim", "/v1/queue/hold/claim", REVIEW),
    Rule("POST", "/v1/claims/{comment_id:path}", "/v1/claims/c1", REVIEW),
    Rule("DELETE", "/v1/claims/{comment_id:path}", "/v1/claims/c1", REVIEW),
    Rule("GET", "/v1/claims", "/v1/claims", REVIEW, params={"ref": "default:c1"}),
    Rule("POST", "/v1/undo", "/v1/undo", REVIEW, {"items": [{"id": "c1", "version": 1}]}),
    Rule("POST", "/v1/bulk", "/v1/bulk", REVIEW, {"decision": "approve", "items": [{"id": "c1"}]}),
    Rule("GET", "/v1/decisions", "/v1/decisions", PLATFORM),
    Rule(
        "POST",
        "/v1/comments/{comment_id:path}/platform-decision",
        "/v1/comments/c1/platform-decision",
        PLATFORM,
        {"decision": "reject", "reason": "spam"},
    ),
    Rule("GET", "/v1/admin/users", "/v1/admin/users", ADMIN),
    Rule(
        "POST", "/v1/admin/users", "/v1/admin/users", ADMIN, {"name": "eve", "password": "pw" * 6}
    ),
    Rule("PATCH", "/v1/admin/users/{name}", "/v1/admin/users/dora", ADMIN, {"role": "admin"}),
    Rule("GET", "/v1/admin/audit", "/v1/admin/audit", ADMIN),
    Rule("GET", "/v1/admin/sample", "/v1/admin/sample", ADMIN),  # issue 13: the control sample
    Rule("GET", "/v1/admin/dead-letters", "/v1/admin/dead-letters", ADMIN),
    Rule(
        "POST",
        "/v1/admin/dead-letters/{feed_id}/replay",
        "/v1/admin/dead-letters/1-0/replay",
        ADMIN,
    ),
    Rule(
        "POST",
        "/v1/admin/ingest-dead-letters/{entry_id}/replay",
        "/v1/admin/ingest-dead-letters/1-0/replay",
        ADMIN,
    ),
    # Second opinions (issue 13 section 4)
    Rule("GET", "/v1/second-opinions/next", "/v1/second-opinions/next", REVIEW),
    Rule(
        "POST",
        "/v1/second-opinions/{comment_id:path}",
        "/v1/second-opinions/c1",
        REVIEW,
        {"decision": "reject"},
    ),
    Rule(
        "GET",
        "/v1/admin/second-opinions/disagreements",
        "/v1/admin/second-opinions/disagreements",
        ADMIN,
    ),
]
# Routes that take no token: the webhook is authenticated by its HMAC signature.
SIGNED = {("POST", "/v1/comments")}
# The platforms' own webhooks (moderator/integrations/), signed by the platform.
SIGNED |= {
    ("POST", "/v1/integrations/discourse"),
    ("POST", "/v1/integrations/coral/phase"),
    ("POST", "/v1/integrations/coral/webhook"),
}


async def test_every_v1_route_has_a_rule(web: Web) -> None:
    """Read from the OpenAPI document, which lists every route (path parameters without their
    `:path` converters)."""
    declared = {
        (method.upper(), path)
        for path, operations in web.app.openapi()["paths"].items()
        if path.startswith("/v1")
        for method in operations
    }
    ruled = {(r.method, re.sub(r":\w+}", "}", r.template)) for r in TABLE} | SIGNED
    assert declared - ruled == set(), "routes without a rule in the role table"
    assert ruled - declared == set(), "rules for routes that do not exist"


async def _call(web: Web, role: str | None, rule: Rule) -> int:
    web.seeder.add("c1")
    await web.services.auth.add_user("dora", "a long password", "reviewer")
    client = await web.bearer(role, f"{role}-bot") if role else web.client()
    response = await client.request(rule.method, rule.path, json=rule.body, params=rule.params)
    return response.status_code


@pytest.mark.parametrize("rule", TABLE, ids=str)
@pytest.mark.parametrize("role", ROLES)
async def test_each_role_reaches_exactly_the_routes_the_table_gives_it(
    web: Web, role: str, rule: Rule
) -> None:
    status = await _call(web, role, rule)
    if role in rule.allowed:
        assert status not in (401, 403), f"{role} refused {status} on {rule}"
    else:
        assert status == 403, f"{role} got {status} on {rule}"


@pytest.mark.parametrize("rule", TABLE, ids=str)
async def test_strangers_get_401_everywhere(web: Web, rule: Rule) -> None:
    assert await _call(web, None, rule) == 401


@pytest.mark.parametrize("rule", [r for r in TABLE if r.method != "GET"], ids=str)
async def test_a_refused_role_gets_403_before_its_body_is_read(web: Web, rule: Rule) -> None:
    """The role table applies before the body is parsed (the ApiAuth middleware): a malformed
    body from a caller the route does not admit is 403, not 422 (issue 8 item 3)."""
    refused = next(role for role in ROLES if role not in rule.allowed)
    client = await web.bearer(refused, f"{refused}-bot")
    response = await client.request(
        rule.method,
        rule.path,
        content=b"{",
        params=rule.params,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 403, response.text


async def test_a_refused_platform_token_changes_nothing(web: Web) -> None:
    web.seeder.add("c1")
    platform = await web.bearer("platform", "blog")
    claim = await platform.post("/v1/queue/hold/claim")
    bulk = await platform.post("/v1/bulk", json={"decision": "approve", "items": [{"id": "c1"}]})
    audit = await platform.get("/v1/admin/audit")
    assert (claim.status_code, bulk.status_code, audit.status_code) == (403, 403, 403)
    assert "platform" in claim.json()["detail"]
    item = await web.services.review.get("default:c1")
    assert item["state"] == "queued" and item["claim"] is None and item["version"] == 0


async def test_tokens_never_open_the_ui_and_reviewers_never_the_admin_pages(web: Web) -> None:
    for role in ROLES:
        token = await web.bearer(role, f"{role}-bot")
        assert (await token.get("/ui/queue")).headers["location"] == "/login", role
    reviewer = await web.session("rita", "reviewer")
    admin = await web.session("ada", "admin")
    assert (await reviewer.get("/ui/queue")).status_code == 200
    assert (await reviewer.get("/ui/admin/users")).status_code == 403
    assert (await admin.get("/ui/admin/users")).status_code == 200


async def test_the_webhook_takes_signatures_not_tokens(web: Web) -> None:
    for role in ROLES:
        token = await web.bearer(role, f"{role}-bot")
        answer = await token.post("/v1/comments", json={"id": "x", "text": "hello"})
        assert answer.status_code == 401, role


async def test_session_callers_follow_the_same_table(web: Web) -> None:
    web.seeder.add("c1")
    rita = await web.session("rita", "reviewer")
    headers = {"X-CSRF-Token": rita.csrf}  # type: ignore[attr-defined]
    assert (await rita.get("/v1/queue")).status_code == 200
    assert (await rita.get("/v1/decisions")).status_code == 403
    decided = await rita.post(
        "/v1/comments/c1/platform-decision", json={"decision": "approve"}, headers=headers
    )
    assert decided.status_code == 403
