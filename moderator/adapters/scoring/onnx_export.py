"""`moderator models export --onnx`: a Detoxify model → an ONNX folder OnnxScorer can run.

Steps: load the model the spec names (through DetoxifyScorer, as the worker would), trace it to
ONNX, fuse the graph with ONNX Runtime's transformer optimizer, optionally quantise the weights
to int8, save the tokenizer and the metadata, then score sample texts with PyTorch and with each
exported file and report the largest difference. An fp32 export that disagrees with PyTorch by
more than `FP32_TOLERANCE` is refused (ModelUnavailableError): the trace went wrong.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from moderator.core.models import LABELS
from moderator.core.ports import Scorer
from moderator.errors import ConfigError, ModelUnavailableError

#: Largest score difference allowed between PyTorch and the fp32 export (rounding noise only).
FP32_TOLERANCE = 1e-3
#: What the int8 export is held to (the issue's bound); exceeding it is reported, not refused.
INT8_TOLERANCE = 0.02
INT8_FILE = "model.int8.onnx"
SAMPLES = (
    "you are a fucking idiot",
    "The council meets on Tuesday to vote on the new budget.",
    "Listen to what the retard Freddy has to say about him",
    "El gobierno volvió a subir el precio de la gasolina y nadie dice nada.",
    "eres un idiota y un pendejo, te voy a matar",
    "ok",
    "The raid on the village last night left three families without a home. " * 30,
    "Ce gouvernement de voleurs ment à tout le monde, quelle bande d'idiots.",
    "Questo articolo è ottimo, grazie per il lavoro serio.",
    "Vocês são uns lixos e deviam calar a boca.",
    "Bu haberi yazan gazeteciye teşekkürler, çok iyi bir haber.",
    "Заткнись, идиот, тебя никто не спрашивал.",
    "Lol",
    "Los colectivos dispararon contra la marcha y la prensa no pudo entrar al barrio. " * 12,
)


@dataclass
class ExportReport:
    folder: Path
    files: dict[str, str] = field(default_factory=dict)  # file name -> precision
    max_difference: dict[str, float] = field(default_factory=dict)  # file name -> vs PyTorch
    fused: dict[str, int] = field(default_factory=dict)

    def spec(self, name: str) -> str:
        return f"onnx:{self.folder / name}"


def export_onnx(
    scorer: Scorer,
    output: Path,
    *,
    int8: bool,
    log: Callable[[str], None] = print,
    samples: Sequence[str] = SAMPLES,
    strict: bool = True,
) -> ExportReport:
    """Export `scorer` (a DetoxifyScorer) into the folder `output` (created; files there with
    the same names are replaced). Returns what was written and how far each file's scores are
    from PyTorch fp32 on `samples`. With `strict`, an fp32 file further than FP32_TOLERANCE
    from PyTorch raises ModelUnavailableError; without, the caller reads the report."""
    from moderator.adapters.scoring.detoxify_scorer import DetoxifyScorer
    from moderator.adapters.scoring.onnx_scorer import (
        METADATA,
        ExportMetadata,
        OnnxScorer,
        optimize,
        quantize_int8,
    )

    if not isinstance(scorer, DetoxifyScorer):
        raise ConfigError(
            f"only a Detoxify model can be exported, not {scorer.info}; pass "
            "--model detoxify:<type> or detoxify:/path/model.ckpt (with --hf-config)."
        )
    output.mkdir(parents=True, exist_ok=True)
    report = ExportReport(output.resolve())
    with tempfile.TemporaryDirectory(dir=output) as tmp:
        raw = Path(tmp) / "traced.onnx"
        log(f"Tracing {scorer.info} to ONNX")
        inputs = scorer.export_onnx(raw)
        log("Fusing the graph with ONNX Runtime's transformer optimizer")
        config = scorer.model_config
        report.fused = optimize(
            raw,
            output / "model.onnx",
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
        )
    report.files["model.onnx"] = "fp32"
    if int8:
        log("Quantising the weights to int8 (dynamic quantisation)")
        quantize_int8(output / "model.onnx", output / INT8_FILE)
        report.files[INT8_FILE] = "int8"
    scorer.tokenizer.backend_tokenizer.save(str(output / "tokenizer.json"))
    metadata = ExportMetadata(
        classes=scorer.class_names,
        window=scorer.max_tokens,
        stride=scorer.stride_tokens,
        pad_id=int(scorer.tokenizer.pad_token_id or 0),
        inputs=inputs,
        source_name=scorer.info.name,
        source_version=scorer.info.version,
        precisions=report.files,
    )
    (output / METADATA).write_text(metadata.to_json() + "\n", encoding="utf-8")
    log(f"Checking the export against PyTorch fp32 on {len(samples)} sample texts")
    reference = scorer.score(list(samples))
    for name in report.files:
        got = OnnxScorer(output / name).score(list(samples))
        report.max_difference[name] = max_difference(reference, got)
    if int8 and report.max_difference[INT8_FILE] > INT8_TOLERANCE:
        # Without VNNI, int8 weights saturate (quantize_int8): uint8 weights, if they are closer.
        log("Quantising again with uint8 weights (int8 ones saturate on CPUs without VNNI)")
        retry = output / "model.uint8.onnx"
        quantize_int8(output / "model.onnx", retry, unsigned=True)
        difference = max_difference(reference, OnnxScorer(retry).score(list(samples)))
        if difference < report.max_difference[INT8_FILE]:
            retry.replace(output / INT8_FILE)
            report.max_difference[INT8_FILE] = difference
        else:
            retry.unlink()
    if strict and report.max_difference["model.onnx"] > FP32_TOLERANCE:
        raise ModelUnavailableError(
            f"the fp32 export differs from PyTorch by {report.max_difference['model.onnx']:.4f} "
            f"(more than {FP32_TOLERANCE}); this model does not export cleanly."
        )
    return report


def max_difference(reference: Sequence[dict], other: Sequence[dict]) -> float:
    """Largest absolute difference of any label between two lists of Scores (None ignored)."""
    worst = 0.0
    for a, b in zip(reference, other, strict=True):
        for label in LABELS:
            if a[label] is not None and b[label] is not None:
                worst = max(worst, abs(float(a[label]) - float(b[label])))
    return worst
