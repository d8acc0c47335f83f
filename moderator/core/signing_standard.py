"""Standard Webhooks signatures (https://www.standardwebhooks.com/): headers `webhook-id`,
`webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256>` of
`"<id>.<timestamp>.<body>"`, keyed with the base64 key of a `whsec_<base64>` secret. A site
chooses it per site (`signing = "standard"`); the moderator scheme (signing.py) stays the default.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from moderator.errors import AuthError

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
_MAX_CANDIDATES = 8
_MAX_ID_CHARS = 256


def key_of(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (the settings validate the form)."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, msg_id: str, body: bytes, timestamp: int) -> str:
    """The `webhook-signature` value for `body` sent as `msg_id` at `timestamp`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secret: str, msg_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, msg_id, body, timestamp),
    }


def verify(
    secrets: list[str],
    found: dict[str, str | None],
    body: bytes,
    *,
    now: float,
    tolerance_s: int,
) -> int:
    """The index in `secrets` of the one that signed `body`; AuthError (saying why) when the
    headers are missing, malformed, stale, or match none. Several space-separated `v1,` values
    are accepted (a sender rotating its secret); comparisons are constant-time."""
    msg_id, stamp, signature = (
        found.get(h) for h in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
    )
    if not msg_id or not stamp or not signature:
        raise AuthError(
            "The webhook-id, webhook-timestamp and webhook-signature headers are required."
        )
    if len(msg_id) > _MAX_ID_CHARS or not msg_id.isascii() or "." in msg_id:
        raise AuthError("The webhook-id header must be ASCII, without '.', at most 256 characters.")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise AuthError("The webhook-timestamp header must be unix seconds (ASCII digits).")
    if abs(now - int(stamp)) > tolerance_s:
        raise AuthError(
            f"The webhook-timestamp is {int(now - int(stamp))} s away from now "
            f"(tolerance {tolerance_s} s): re-sign the request."
        )
    candidates = [p.partition(",")[2] for p in signature.split(" ") if p.startswith("v1,")]
    if not candidates:
        raise AuthError("The webhook-signature header must look like v1,<base64>.")
    if len(candidates) > _MAX_CANDIDATES:
        raise AuthError(f"The webhook-signature header carries more than {_MAX_CANDIDATES} values.")
    for i, secret in enumerate(secrets):
        expected = sign(secret, msg_id, body, int(stamp)).partition(",")[2]
        if any(hmac.compare_digest(expected.encode(), c.encode()) for c in candidates):
            return i
    raise AuthError("The signature does not match the body and the shared secret.")
