"""The OpenAPI document is the contract (DESIGN.md): a generated client must work against it.

Every /v1 route documents its success answer and each `application/problem+json` answer it can
give. The answers any authenticated route can give (401 no or bad credentials, 403 a role or a
CSRF token that does not fit, 413 a body over the limit, 422 bad parameters, 503 Redis
unreachable; 400 an unreadable JSON body) are added here; a route names its own (404, 409) with
`responses=problems(...)`. /v1 routes but the webhook declare the bearer scheme. UI routes are
not in the document (`include_in_schema=False`); the Perspective-compatible /v1alpha1 routes
follow Google's shapes and are left as their module documents them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from moderator.web.schemas import CommentIn, ProblemOut

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemOut"}
MEDIA = "application/problem+json"
_WHY = {
    400: "The body is not JSON this server can read.",
    401: "No credentials, or unknown or expired ones.",
    403: "The caller's role may not do this, or a session call lacks its CSRF token.",
    404: "No such comment, user or dead letter.",
    409: "The comment's state does not allow it, or another caller holds it.",
    413: "The body is larger than the limit.",
    415: "The body is not application/json.",
    422: "A parameter or body field is invalid; `errors` names each.",
    429: "Too many attempts; see Retry-After.",
    503: "Redis is unreachable or the backlog is full; retry after Retry-After.",
}
_AUTHENTICATED = (401, 403, 413, 503)
_WEBHOOK = ("/v1/comments", "post")


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries for these problem answers."""
    return {code: problem_response(code) for code in codes}


def problem_response(code: int) -> dict[str, Any]:
    return {"description": _WHY[code], "content": {MEDIA: {"schema": PROBLEM_REF}}}


def install(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(
                get_openapi(title=app.title, version=app.version, routes=app.routes)
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["ProblemOut"] = ProblemOut.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    schemas.update(schemas["ProblemOut"].pop("$defs", {}))
    schemas.update(_comment_schema().pop("$defs", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            _complete_operation(path, method, operation)
    _link_webhook(doc["paths"])
    return doc


def _complete_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    codes: list[int] = []
    signed = (path, method) == _WEBHOOK or path.startswith("/v1/integrations/")
    if path.startswith("/v1/") and not signed:
        operation["security"] = [{"bearer": []}]
        codes += _AUTHENTICATED
    if operation.get("parameters") or "requestBody" in operation:
        codes.append(422)
    if "requestBody" in operation:
        codes.append(400)
    for code in codes:
        responses[str(code)] = problem_response(code)


#: What a client can do next with the comment the webhook answered about.
_COMMENT_OPERATIONS = (
    ("/v1/comments/{comment_id}", "get", "GetComment"),
    ("/v1/comments/{comment_id}/context", "get", "GetContext"),
    ("/v1/comments/{comment_id}/decision", "post", "Decide"),
    ("/v1/comments/{comment_id}/notes", "post", "AddNote"),
    ("/v1/claims/{comment_id}", "post", "Claim"),
    ("/v1/claims/{comment_id}", "delete", "Release"),
)


def _link_webhook(paths: dict[str, Any]) -> None:
    """OpenAPI links from the webhook's answers (`site`, `id`) to the comment's operations."""
    links = {
        name: {
            "operationId": paths[path][method]["operationId"],
            "parameters": {"comment_id": "$response.body#/id", "site": "$response.body#/site"},
        }
        for path, method, name in _COMMENT_OPERATIONS
        if method in paths.get(path, {})
    }
    webhook = paths.get(_WEBHOOK[0], {}).get(_WEBHOOK[1])
    if webhook is not None:
        for code in ("200", "202"):
            webhook["responses"][code]["links"] = links


def webhook_body() -> dict[str, Any]:
    """The webhook's request body and signature header, for its route's `openapi_extra` (the
    route reads the raw body itself: the signature covers its exact bytes)."""
    schema = _comment_schema()
    schema.pop("$defs", None)
    return {
        "parameters": [
            {
                "name": "X-Moderator-Signature",
                "in": "header",
                "required": True,
                "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.' + body>",
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
    }


def _comment_schema() -> dict[str, Any]:
    return CommentIn.model_json_schema(ref_template="#/components/schemas/{model}")
