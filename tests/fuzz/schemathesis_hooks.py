"""Schemathesis hooks for the conformance run (tests/fuzz/test_api_schemathesis.py): webhook
bodies are signed as a platform signs them, so the run reaches past the signature check.
A case whose signature header was removed on purpose (a negative case) stays unsigned. The
body is left as generated (schemathesis judges the case by it); the signature covers the bytes
the requests transport sends for it, `json.dumps(body)`."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import schemathesis
from schemathesis.core import NOT_SET

from moderator.core.signing import HEADER, sign

SECRET_ENV = "MODERATOR_FUZZ_WEBHOOK_SECRET"


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.method.upper() != "POST" or case.path != "/v1/comments":
        return
    headers = dict(case.headers or {})
    if HEADER not in headers:
        return
    if case.body is NOT_SET:
        raw = b""
    elif case.body is None:
        raw = b"null"
    else:
        raw = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    headers[HEADER] = sign(os.environ[SECRET_ENV], raw, int(time.time()))
    case.headers = headers
