"""Webhook and callback signatures: `X-Moderator-Signature: t=<unix s>,v1=<hex HMAC-SHA256>` of
`"<t>." + raw body`, keyed with the shared secret (the scheme Stripe and GitHub made familiar)."""

from __future__ import annotations

import hashlib
import hmac

from moderator.errors import AuthError

HEADER = "X-Moderator-Signature"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for `body` signed at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str | None, body: bytes, *, now: float, tolerance_s: int) -> None:
    """Raise AuthError (saying why) unless `header` is a fresh, valid signature of `body`.

    Several v1 values are accepted so a sender can sign with an old and a new secret while
    rotating. The comparison is constant-time.
    """
    if not header:
        raise AuthError(f"The {HEADER} header is missing.")
    timestamp, candidates = _parse(header)
    if abs(now - timestamp) > tolerance_s:
        raise AuthError(
            f"The signature timestamp is {int(now - timestamp)} s away from now "
            f"(tolerance {tolerance_s} s): re-sign the request."
        )
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise AuthError("The signature does not match the body and the shared secret.")


_MAX_TIMESTAMP_DIGITS = 12  # unix seconds until the year 33658
_MAX_CANDIDATES = 8  # v1 values in one header (several while a secret is rotated)


def _parse(header: str) -> tuple[int, list[str]]:
    """(timestamp, v1 values); AuthError for anything else: a timestamp that is not plain ASCII
    digits of a sane length ("t=²", 400 zeros, 4,300 digits), a v1 value that is not ASCII hex
    (which could never match), too many v1 values."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            if not (value.isascii() and value.isdigit() and len(value) <= _MAX_TIMESTAMP_DIGITS):
                raise AuthError("The signature timestamp t= must be unix seconds (ASCII digits).")
            timestamp = int(value)
        elif key == "v1" and value:
            if not (value.isascii() and value.isalnum()):
                raise AuthError("A signature v1= must be a hex digest.")
            candidates.append(value)
    if timestamp is None or not candidates:
        raise AuthError(f"The {HEADER} header must look like t=<unix seconds>,v1=<hex digest>.")
    if len(candidates) > _MAX_CANDIDATES:
        raise AuthError(f"The {HEADER} header carries more than {_MAX_CANDIDATES} v1 values.")
    return timestamp, candidates
