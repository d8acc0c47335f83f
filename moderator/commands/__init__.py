"""The `moderator` subcommands, one module per area. Each module has `register(sub)`, which adds
its subcommands to the parser with `handler` defaults; cli.py wires them together."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from moderator.settings import Settings, load_settings


def store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, help="embedded Redis data directory (default ./var)")


def server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)


def model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        help="auto | offline | detoxify:<type> | detoxify:/path/model.ckpt | onnx:/path/model.onnx",
    )
    p.add_argument("--hf-config", type=Path, help="local HF config/tokenizer dir for a checkpoint")


def settings_from_args(
    args: argparse.Namespace, *, quickstart: bool = False, require_secrets: bool = False
) -> Settings:
    """Settings with the command line's --data-dir, --model and --hf-config on top (nested
    sections merge: --model changes model.spec and keeps the rest of [model])."""
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    model: dict[str, Any] = {}
    if getattr(args, "model", None):
        model["spec"] = args.model
    if getattr(args, "hf_config", None):
        model["hf_config"] = str(args.hf_config)
    if model:
        overrides["model"] = model
    return load_settings(quickstart=quickstart or not require_secrets, **overrides)
