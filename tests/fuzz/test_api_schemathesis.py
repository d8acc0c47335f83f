"""The OpenAPI document is the contract (issue 8 item 7). Schemathesis runs every check it has
(`--checks all`: status codes, content types, headers and bodies as documented, schema-valid
requests accepted, schema-violating ones refused, undocumented methods answered 405 with the
right `Allow`, authentication not ignored, no 5xx, ...) against a live server through its CLI,
as an outside client would, over every phase (examples, coverage, fuzzing, stateful), and must
find nothing. Webhook bodies are signed by tests/fuzz/schemathesis_hooks.py; requests carry an
admin token. The operations come from the served document, so a /v1 route added later is
covered by the same run; the in-process tests below hold the document to the app's routes.
Derandomised (fixed seed) and capped per operation, so it runs in bounded time."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi import routing

from moderator.bootstrap import build_web
from moderator.settings import Settings
from moderator.web.app import create_app
from tests.conftest import WEBHOOK_SECRET
from tests.fuzz.schemathesis_hooks import SECRET_ENV
from tests.web.live import make_token, serving

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_PER_OPERATION = 20
SEED = 1
UI_PATHS = ("/ui", "/login", "/logout", "/static")


@pytest.mark.slow
def test_schemathesis_with_every_check_finds_nothing(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, tmp_path: Path
) -> None:
    settings = make_settings()
    app = create_app(build_web(settings, settings.redis_url))
    token = make_token(settings.redis_url, "fuzzer", "admin")
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.fuzz.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
        SECRET_ENV: WEBHOOK_SECRET,
    }
    with serving(app) as url:
        run = subprocess.run(
            [
                *(sys.executable, "-m", "schemathesis.cli", "--no-color"),
                *("--config-file", str(ROOT / "tests/fuzz/schemathesis.toml")),
                *("run", f"{url}/openapi.json", "--checks", "all"),
                *("-H", f"Authorization: Bearer {token}"),
                *("--max-examples", str(EXAMPLES_PER_OPERATION), "--seed", str(SEED)),
                *("--workers", "1", "--request-timeout", "30"),
                # The platforms' webhooks (moderator/integrations/) are signed by a configured
                # site's secret, which a generated request cannot have; their own adversarial
                # tests run against a live server (tests/integrations/).
                *("--exclude-path-regex", "^/v1/integrations/"),
            ],
            cwd=tmp_path,  # schemathesis writes its crash files here, not in the repository
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert " passed" in report and "Hook Error" not in report, report


def _document(make_settings: Callable[..., Settings]) -> tuple[Any, dict[str, Any]]:
    settings = make_settings()
    app = create_app(build_web(settings, settings.redis_url))
    return app, app.openapi()


def test_every_v1_route_is_in_the_document_and_no_ui_route_is(
    make_settings: Callable[..., Settings],
) -> None:
    app, doc = _document(make_settings)
    served = {
        (route.path.replace(":path}", "}"), method.lower())
        for route in routing.iter_route_contexts(app.routes)
        if route.path and route.path.startswith("/v1/") and route.methods
        for method in route.methods - {"HEAD"}
    }
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert served and served <= documented
    assert not [p for p in doc["paths"] if p == "/" or p.startswith(UI_PATHS)]


def test_every_v1_operation_documents_its_problems_and_its_credentials(
    make_settings: Callable[..., Settings],
) -> None:
    _, doc = _document(make_settings)
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if not path.startswith("/v1/"):
                continue
            where = f"{method.upper()} {path}"
            problems = {
                code: r["content"]
                for code, r in op["responses"].items()
                if "application/problem+json" in r.get("content", {})
            }
            webhook = (path, method) == ("/v1/comments", "post") or path.startswith(
                "/v1/integrations/"
            )
            expected = {"400", "401", "413", "415", "422", "503"} if webhook else {"401", "403"}
            assert expected <= set(problems), where
            assert webhook or op["security"] == [{"bearer": []}], where
            if op.get("parameters") or op.get("requestBody"):
                assert "422" in problems, where
            assert "application/json" not in op["responses"].get("422", {}).get("content", {})
