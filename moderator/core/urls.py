"""URLs as they may be shown: a password in a URL (`redis://:pw@host`, `https://user:pw@…`,
`?password=…`) never reaches a log line, a banner or an error message."""

from __future__ import annotations

from urllib.parse import urlsplit

MASK = "****"


def redact_url(url: str) -> str:
    """The URL with its password (userinfo or `password` query parameter) replaced by ****,
    the rest as written; one that cannot be parsed is masked whole after its scheme."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("://", 1)[0] + "://" + MASK if "://" in url else MASK
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        masked = f"{userinfo.split(':', 1)[0]}:{MASK}@{hostport}"
        url = url.replace("//" + parts.netloc, "//" + masked, 1)
    if parts.query:
        pieces = [_mask_param(p) for p in parts.query.split("&")]
        url = url.replace("?" + parts.query, "?" + "&".join(pieces), 1)
    return url


def _mask_param(piece: str) -> str:
    key, eq, _ = piece.partition("=")
    return f"{key}={MASK}" if eq and key.lower() == "password" else piece
