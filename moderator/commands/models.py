"""`moderator models …`: Detoxify weights, and their export to ONNX."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from moderator.commands import model_args, settings_from_args
from moderator.errors import ConfigError


def register(sub: Any) -> None:
    models = sub.add_parser("models", help="Detoxify weights").add_subparsers(
        dest="models_command", required=True
    )
    p = models.add_parser("pull", help="download and cache Detoxify weights")
    p.add_argument("type", nargs="?", default="original")
    p.set_defaults(handler=models_pull)

    p = models.add_parser(
        "export",
        help="export a Detoxify model to ONNX (fused; --int8 adds a quantised copy)",
        description="Write model.onnx (and model.int8.onnx with --int8), the tokenizer and "
        "metadata into --output; score with `--model onnx:DIR/model.int8.onnx`.",
    )
    p.add_argument("--onnx", action="store_true", required=True, help="export to ONNX")
    p.add_argument("--int8", action="store_true", help="also write int8 weights")
    p.add_argument("--output", type=Path, required=True, help="folder to write (created)")
    model_args(p)
    p.set_defaults(handler=models_export)


def models_pull(args: argparse.Namespace) -> int:
    from moderator.adapters.models import pull

    path = pull(args.type)
    print(f"Detoxify {args.type} is cached at {path}")
    return 0


def models_export(args: argparse.Namespace) -> int:
    """Export the model `--model` names (default: the configured one) and say how far each
    exported file's scores are from PyTorch's on sample texts."""
    from moderator.adapters.models import resolve_scorer
    from moderator.adapters.onnx_export import INT8_TOLERANCE, export_onnx

    settings = settings_from_args(args)
    spec = "detoxify:original" if settings.model.spec == "auto" else settings.model.spec
    if not spec.startswith("detoxify:"):
        raise ConfigError("Export needs --model detoxify:<type> or detoxify:/path/model.ckpt.")
    scorer = resolve_scorer(
        spec,
        device="cpu",
        hf_config=settings.model.hf_config or None,
        download_timeout_s=settings.model.download_timeout_s,
        log=lambda s: print(s, file=sys.stderr),
    )
    report = export_onnx(scorer, args.output, int8=args.int8, log=lambda s: print(s, flush=True))
    fused = ", ".join(f"{n} {c}" for n, c in report.fused.items()) or "nothing"
    print(f"Fused operators: {fused}")
    for name, precision in report.files.items():
        difference = report.max_difference[name]
        note = "  <- more than the 0.02 bound" if difference > INT8_TOLERANCE else ""
        print(
            f"{precision:>5}: {report.spec(name)}  (largest difference from PyTorch fp32 "
            f"on the sample texts: {difference:.4f}){note}"
        )
    return 0
