"""Full-size Detoxify-format checkpoints with random weights, built locally (no download).

`original` is shaped like Detoxify's `original` (BertForSequenceClassification over a
bert-base-uncased config: 12 layers, hidden 768, 30,522-token vocabulary, 6 classes) and
`multilingual` like its `multilingual` (XLMRobertaForSequenceClassification over an
xlm-roberta-base config: 250,002-token vocabulary, 16 outputs). Speed does not depend on the
weight values; it does depend on how many tokens a comment becomes, so each checkpoint gets a
tokenizer trained here on the benchmark's sentence bank with a vocabulary small enough that
words split into pieces about as often as with the real tokenizers (the suite reports tokens
per comment). Everything lands in `bench/.cache/` (gitignored), built once and reused.

One thing about the outputs does change what moderator does: a comment whose model scores fire
a policy rule has its sentences scored again for `spans`. A random classifier puts every output
near 0.5, so every comment would fire a rule, which a trained model does not do on a real
thread. The classifier's bias is therefore set (`calibrate`) so that about `FLAGGED_SHARE` of
the bench's comments score toxicity ≥ 0.5, as many as the corpus has abusive comments, and
every other output stays low; the benchmarks report the share that fired in their run.

    python -m bench.checkpoints original multilingual   # build ahead of time
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from bench import corpus
from tests.fixtures.tiny_detoxify import (
    MULTILINGUAL_CLASSES,
    ORIGINAL_CLASSES,
    save_checkpoint,
)

CACHE = Path(__file__).resolve().parent / ".cache"
#: Bump when the way a checkpoint is built changes, so stale caches are rebuilt.
BUILD_VERSION = 2
#: Share of bench comments whose toxicity logit is lifted above 0 (score ≥ 0.5) by the bias.
FLAGGED_SHARE = 0.15
#: Logit margin that keeps the other outputs under every rule's threshold.
_QUIET_MARGIN = 4.0

#: Tokenizer vocabularies, sized so the corpus splits into about 1.4 tokens per word, as
#: bert-base-uncased and xlm-roberta-base split English and Spanish comments.
_WORDPIECE_VOCAB = 900
_UNIGRAM_WORD_SHARE = 0.85


class Built(NamedTuple):
    checkpoint: Path
    hf_config: Path


def build(kind: str, *, cache: Path = CACHE, log: object = print) -> Built:
    """The checkpoint for `kind` ("original" or "multilingual"), built on first use."""
    if kind not in BUILDERS:
        raise ValueError(f"unknown checkpoint {kind!r}: use one of {', '.join(BUILDERS)}")
    target = cache / f"{kind}-v{BUILD_VERSION}"
    built = Built(target / "model.ckpt", target / "hf")
    if not (target / "done").is_file():
        if callable(log):
            log(f"building the {kind}-shaped checkpoint in {target} (one time only)")
        BUILDERS[kind](target)
        (target / "done").write_text("ok\n")
    return built


def calibrate(model: object, tokenizer: object, bias: object) -> None:
    """Set the classifier's output bias (`bias`, a tensor) from the model's logits on bench
    comments: toxicity (output 0) crosses 0 for FLAGGED_SHARE of them, every other output
    stays _QUIET_MARGIN below 0 for all of them."""
    import torch

    texts = [c.text for c in corpus.comments(96, seed=101)]
    with torch.inference_mode():
        encoded = tokenizer(
            texts, truncation=True, max_length=128, padding=True, return_tensors="pt"
        )
        logits = model(**encoded).logits
        shift = -logits.max(dim=0).values - _QUIET_MARGIN
        shift[0] = -torch.quantile(logits[:, 0], 1.0 - FLAGGED_SHARE)
        bias.add_(shift)


def build_original(target: Path) -> None:
    """bert-base-uncased shape, WordPiece tokenizer trained on the sentence bank."""
    import torch
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    hf = target / "hf"
    hf.mkdir(parents=True, exist_ok=True)
    trainer = BertWordPieceTokenizer(lowercase=True, strip_accents=True)
    trainer.train_from_iterator(
        corpus.training_text(), vocab_size=_WORDPIECE_VOCAB, min_frequency=1
    )
    vocab = sorted(trainer.get_vocab().items(), key=lambda kv: kv[1])
    (hf / "vocab.txt").write_text("\n".join(t for t, _ in vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(vocab=str(hf / "vocab.txt"), do_lower_case=True, model_max_length=512)
    tokenizer.save_pretrained(hf)
    config = BertConfig(num_labels=len(ORIGINAL_CLASSES))  # defaults = bert-base-uncased
    config.save_pretrained(hf)
    torch.manual_seed(0)
    model = BertForSequenceClassification(config).eval()
    calibrate(model, tokenizer, model.classifier.bias.data)
    save_checkpoint(target / "model.ckpt", model, model_type=str(hf), classes=ORIGINAL_CLASSES)


def build_multilingual(target: Path) -> None:
    """xlm-roberta-base shape, Unigram (SentencePiece-style) tokenizer trained on the bank."""
    import torch
    from transformers import (
        XLMRobertaConfig,
        XLMRobertaForSequenceClassification,
        XLMRobertaTokenizer,
    )

    hf = target / "hf"
    hf.mkdir(parents=True, exist_ok=True)
    tokenizer = XLMRobertaTokenizer(vocab=unigram_vocab(), model_max_length=512)
    tokenizer.save_pretrained(hf)
    config = XLMRobertaConfig(
        vocab_size=250002,
        max_position_embeddings=514,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        num_labels=len(MULTILINGUAL_CLASSES),
    )
    config.save_pretrained(hf)
    torch.manual_seed(0)
    model = XLMRobertaForSequenceClassification(config).eval()
    calibrate(model, tokenizer, model.classifier.out_proj.bias.data)
    save_checkpoint(target / "model.ckpt", model, model_type=str(hf), classes=MULTILINGUAL_CLASSES)


def unigram_vocab() -> list[tuple[str, float]]:
    """A SentencePiece-style Unigram vocabulary: XLM-R's specials, the most frequent words of
    the bank (scored by log frequency) and every character, alone or word-initial (scored low,
    so a known word is one piece and an unknown one splits into characters).

    Unigram training on a bank this small stops short of whole words, hence built by hand.
    """
    words = Counter(w for s in corpus.training_text() for w in re.findall(r"\w+|[^\w\s]", s))
    chars = sorted({c for s in corpus.training_text() for c in s if not c.isspace()})
    total = sum(words.values())
    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    seen: set[str] = set()
    scored = [
        (w, math.log(n / total))
        for w, n in words.most_common(int(len(words) * _UNIGRAM_WORD_SHARE))
    ]
    for text, score in scored + [(c, -20.0) for c in chars] + [("", -20.0)]:
        for piece in ("\u2581" + text, text):
            if piece and piece not in seen:
                seen.add(piece)
                vocab.append((piece, score))
    return [*vocab, ("<mask>", 0.0)]


def build_tiny(target: Path) -> None:
    """The tests' 2-layer checkpoint (tests/fixtures/tiny_detoxify.py): for smoke runs only."""
    from transformers import BertTokenizer

    from tests.fixtures.tiny_detoxify import MAX_POSITIONS, build_tiny_checkpoint

    checkpoint, hf = build_tiny_checkpoint(target, initializer_range=0.2)
    checkpoint.replace(target / "model.ckpt")
    # The plain Detoxify loop truncates at the tokenizer's limit: make it the model's.
    BertTokenizer.from_pretrained(str(hf), model_max_length=MAX_POSITIONS).save_pretrained(hf)


BUILDERS = {"original": build_original, "multilingual": build_multilingual, "tiny": build_tiny}


if __name__ == "__main__":
    for name in sys.argv[1:] or list(BUILDERS):
        print(build(name))
