"""Model spec strings (`auto`, `offline`, `detoxify:<type>`, `detoxify:/path.ckpt`), checked
without importing any model library so the web process can validate settings cheaply."""

from __future__ import annotations

from moderator.errors import ConfigError

DETOXIFY_TYPES = ("original", "unbiased", "multilingual", "original-small", "unbiased-small")
_FORMS = "auto, offline, detoxify:<" + "|".join(DETOXIFY_TYPES) + "> or detoxify:/path/model.ckpt"


def check_model_spec(spec: str) -> None:
    """Raise ConfigError naming the valid forms when `spec` is not one of them."""
    if spec in ("auto", "offline"):
        return
    kind, _, rest = spec.partition(":")
    if kind == "detoxify" and (rest in DETOXIFY_TYPES or rest.endswith((".ckpt", ".pt", ".pth"))):
        return
    raise ConfigError(f"Unknown model {spec!r}: use {_FORMS}.")
