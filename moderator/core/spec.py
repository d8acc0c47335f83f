"""Model spec strings (`auto`, `offline`, `detoxify:<type>`, `detoxify:/path.ckpt`,
`onnx:/path/model.onnx`), checked without importing any model library so the web process can
validate settings cheaply."""

from __future__ import annotations

from moderator.errors import ConfigError

DETOXIFY_TYPES = ("original", "unbiased", "multilingual", "original-small", "unbiased-small")
_FORMS = (
    "auto, offline, detoxify:<"
    + "|".join(DETOXIFY_TYPES)
    + ">, detoxify:/path/model.ckpt or onnx:/path/model.onnx (from `moderator models export`)"
)


def check_model_spec(spec: str) -> None:
    """Raise ConfigError naming the valid forms when `spec` is not one of them."""
    if spec in ("auto", "offline"):
        return
    kind, _, rest = spec.partition(":")
    if kind == "detoxify" and (rest in DETOXIFY_TYPES or rest.endswith((".ckpt", ".pt", ".pth"))):
        return
    if kind == "onnx" and rest.endswith(".onnx") and len(rest) > len(".onnx"):
        return
    raise ConfigError(f"Unknown model {spec!r}: use {_FORMS}.")
