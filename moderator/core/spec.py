"""Model spec strings (`auto`, `offline`, `detoxify:<type>`, `detoxify:/path.ckpt`,
`onnx:/path/model.onnx`): the one parser, used by settings validation (without importing any
model library, so the web process validates cheaply) and by the model adapters."""

from __future__ import annotations

import os
from typing import NamedTuple

from moderator.errors import ConfigError

DETOXIFY_TYPES: tuple[str, ...] = (
    "original",
    "unbiased",
    "multilingual",
    "original-small",
    "unbiased-small",
)
_CHECKPOINT_SUFFIXES = (".ckpt", ".pt", ".pth")


class ModelSpec(NamedTuple):
    """A parsed spec: kind is "auto", "offline", "type" (value: a Detoxify type),
    "checkpoint" (value: a path) or "onnx" (value: the path of an exported .onnx file)."""

    kind: str
    value: str = ""


# `offline` is the bundled bilingual n-gram model; `offline:alt-profanity-check` the previous
# English-only offline model (kept as an option: docs/quality.md says where it still wins).
OFFLINE_ALTERNATIVES = ("offline:alt-profanity-check",)


def parse_spec(spec: str) -> ModelSpec:
    """Parse a model spec. Raises ConfigError, one sentence listing the valid forms, for
    anything else."""
    text = spec.strip()
    if text in ("auto", "offline"):
        return ModelSpec(text)
    if text in OFFLINE_ALTERNATIVES:
        return ModelSpec("offline", text.partition(":")[2])
    prefix, _, value = text.partition(":")
    if prefix == "detoxify" and value in DETOXIFY_TYPES:
        return ModelSpec("type", value)
    is_path = "/" in value or os.sep in value or value.endswith(_CHECKPOINT_SUFFIXES)
    if prefix == "detoxify" and value and is_path:
        return ModelSpec("checkpoint", value)
    if prefix == "onnx" and value.endswith(".onnx") and len(value) > len(".onnx"):
        return ModelSpec("onnx", value)
    raise ConfigError(
        f"Unknown model {spec!r}: use 'auto', 'offline', 'detoxify:<type>' with <type> one of "
        f"{', '.join(DETOXIFY_TYPES)}, 'detoxify:/path/to/model.ckpt', "
        "'onnx:/path/to/model.onnx' (from `moderator models export`) or "
        "'offline:alt-profanity-check' (the previous offline model)."
    )


def check_model_spec(spec: str) -> None:
    """Raise ConfigError naming the valid forms when `spec` is not one of them."""
    parse_spec(spec)
