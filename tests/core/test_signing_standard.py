"""moderator's Standard Webhooks signing against the `standardwebhooks` reference library, both
ways, with no I/O."""

from __future__ import annotations

import base64
import os
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from moderator.core import signing_standard
from moderator.errors import AuthError

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
BODY = '{"id": "c1", "text": "héllo"}'.encode()


def test_our_headers_verify_with_the_library() -> None:
    headers = signing_standard.headers(SECRET, "msg_1", BODY, int(time.time()))
    assert Webhook(SECRET).verify(BODY, headers) == {"id": "c1", "text": "héllo"}


def test_the_library_signature_verifies_here_and_a_wrong_one_does_not() -> None:
    now = datetime.now(tz=UTC)
    found = {
        "webhook-id": "msg_2",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SECRET).sign("msg_2", now, BODY.decode()),
    }
    other = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    assert (
        signing_standard.verify([other, SECRET], found, BODY, now=time.time(), tolerance_s=60) == 1
    )
    with pytest.raises(AuthError, match="does not match"):
        signing_standard.verify([other], found, BODY, now=time.time(), tolerance_s=60)
    with pytest.raises(AuthError, match="away from now"):
        signing_standard.verify([SECRET], found, BODY, now=time.time() + 3600, tolerance_s=60)
