"""DetoxifyScorer over a tiny Detoxify-format checkpoint, loaded through the real library."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from detoxify import Detoxify

from moderator.adapters.scoring.detoxify_scorer import (
    DetoxifyScorer,
    configure_threads,
    window_tokens,
)
from moderator.adapters.scoring.windows import available_cores, plan_batches
from moderator.core.models import LABELS
from moderator.errors import ConfigError, ModelUnavailableError
from tests.fixtures.tiny_detoxify import MAX_POSITIONS, TinyDetoxify, build_tiny_checkpoint

SHORT_TEXTS = [
    "you are a fucking idiot",
    "the council meets on tuesday",
    "hola amigo, la policía dice que no hay nada",
    "eres un idiota y un pendejo",
    "I think the president is right about the law",
    "",
    "kill",
    "the gang of thugs running the country should die",
]
# Whole vocabulary words, no punctuation: decoding a window and encoding it again round-trips.
HEAD = "the council meets on tuesday and the people vote for the new law " * 8
TAIL = "you are a stupid idiot and a fucking moron and we will kill you " * 3


@pytest.fixture(scope="module")
def scorer(tiny_detoxify: TinyDetoxify) -> DetoxifyScorer:
    return DetoxifyScorer(checkpoint=tiny_detoxify.checkpoint, hf_config=tiny_detoxify.hf_config)


@pytest.fixture(scope="module")
def detox(tiny_detoxify: TinyDetoxify) -> Detoxify:
    """Detoxify's own object for the same checkpoint: the reference the adapter must agree with."""
    return Detoxify(
        checkpoint=str(tiny_detoxify.checkpoint),
        huggingface_config_path=str(tiny_detoxify.hf_config),
    )


def test_loads_tiny_checkpoint_through_detoxify(scorer: DetoxifyScorer, tiny_detoxify) -> None:
    digest = hashlib.sha256(tiny_detoxify.checkpoint.read_bytes()).hexdigest()
    assert scorer.info.name == "detoxify-checkpoint"
    assert scorer.info.version == f"tiny.ckpt@sha256:{digest[:12]}"
    assert scorer.info.fallback is False
    # The tokenizer claims 512 tokens; the model has 64 positions: windows follow the model.
    assert scorer.max_tokens == MAX_POSITIONS


def test_one_text_gives_a_list_of_one_dict_of_floats(scorer, detox) -> None:
    assert isinstance(detox.predict(["one text"])["toxicity"], float)  # the library's quirk

    result = scorer.score(["one text"])

    assert isinstance(result, list) and len(result) == 1
    assert all(isinstance(result[0][label], float) for label in LABELS[:6])


def test_labels_are_normalised_and_missing_ones_are_none(scorer: DetoxifyScorer) -> None:
    (scores,) = scorer.score(["you are a fucking idiot"])

    assert list(scores) == list(LABELS)
    assert scores["sexual_explicit"] is None  # the `original` model has no such class
    assert all(0.0 <= scores[label] <= 1.0 for label in LABELS[:6])


def test_unknown_classes_are_dropped(tmp_path: Path) -> None:
    classes = (*LABELS, "male", "female")  # like `unbiased`: 16 outputs, 9 named
    checkpoint, hf_dir = build_tiny_checkpoint(tmp_path, classes=classes, num_outputs=16, seed=1)
    reference = Detoxify(checkpoint=str(checkpoint), huggingface_config_path=str(hf_dir))

    (scores,) = DetoxifyScorer(checkpoint=checkpoint, hf_config=hf_dir).score(["hola"])

    assert list(scores) == list(LABELS)
    expected = reference.predict(["hola"])
    assert all(scores[label] == pytest.approx(expected[label], abs=1e-4) for label in LABELS)


def test_window_path_agrees_with_predict_on_short_texts(scorer, detox) -> None:
    expected = detox.predict(SHORT_TEXTS)

    results = scorer.score(SHORT_TEXTS)

    for i, scores in enumerate(results):
        for label in LABELS[:6]:
            assert scores[label] == pytest.approx(expected[label][i], abs=1e-4), (i, label)


def _windows(detox: Detoxify, text: str, scorer: DetoxifyScorer) -> list[str]:
    encoded = detox.tokenizer(
        text,
        truncation=True,
        max_length=scorer.max_tokens,
        stride=scorer.stride_tokens,
        return_overflowing_tokens=True,
    )
    texts = [detox.tokenizer.decode(ids, skip_special_tokens=True) for ids in encoded["input_ids"]]
    assert [detox.tokenizer(t)["input_ids"] for t in texts] == encoded["input_ids"]
    return texts


def test_long_text_is_scored_past_the_first_window(scorer, detox) -> None:
    text = HEAD + TAIL
    windows = _windows(detox, text, scorer)
    per_window = detox.predict(windows)
    first = {label: per_window[label][0] for label in LABELS[:6]}
    best = {label: max(per_window[label]) for label in LABELS[:6]}
    assert len(windows) >= 3 and windows[-1].endswith("we will kill you")
    # What truncation to the first window would give differs from the true maximum.
    assert any(best[label] > first[label] + 0.01 for label in best)

    (scores,) = scorer.score([text])

    assert all(scores[label] == pytest.approx(best[label], abs=1e-4) for label in best)


def test_batches_keep_input_order(scorer, tiny_detoxify) -> None:
    texts = [HEAD + TAIL, *SHORT_TEXTS, TAIL, HEAD]
    alone = [scorer.score([text])[0] for text in texts]
    assert len({scores["toxicity"] for scores in alone}) == len(texts)  # order errors would show
    small_batches = DetoxifyScorer(
        checkpoint=tiny_detoxify.checkpoint, hf_config=tiny_detoxify.hf_config, batch_size=2
    )

    together = small_batches.score(texts)

    for got, want in zip(together, alone, strict=True):
        assert all(got[label] == pytest.approx(want[label], abs=1e-5) for label in LABELS[:6])


def test_model_is_loaded_once_per_process(scorer, tiny_detoxify) -> None:
    again = DetoxifyScorer(checkpoint=tiny_detoxify.checkpoint, hf_config=tiny_detoxify.hf_config)

    assert again._detox is scorer._detox


def test_empty_list_and_bare_string(scorer: DetoxifyScorer) -> None:
    assert scorer.score([]) == []
    with pytest.raises(TypeError):
        scorer.score("a bare string")  # type: ignore[arg-type]


def test_missing_checkpoint_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        DetoxifyScorer(checkpoint=tmp_path / "nope.ckpt")


def test_corrupt_checkpoint_is_unavailable(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ckpt"
    torch.save({"state_dict": {}}, bad)

    with pytest.raises(ModelUnavailableError, match="could not load"):
        DetoxifyScorer(checkpoint=bad)


def test_bad_options_are_config_errors(tiny_detoxify: TinyDetoxify) -> None:
    paths = {"checkpoint": tiny_detoxify.checkpoint, "hf_config": tiny_detoxify.hf_config}
    with pytest.raises(ConfigError, match="device"):
        DetoxifyScorer(device="gpu-please", **paths)
    with pytest.raises(ConfigError, match="stride_tokens"):
        DetoxifyScorer(stride_tokens=MAX_POSITIONS, **paths)
    with pytest.raises(ConfigError, match="model type"):
        DetoxifyScorer("huge")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_is_unavailable(tiny_detoxify: TinyDetoxify) -> None:
    with pytest.raises(ModelUnavailableError, match="no CUDA"):
        DetoxifyScorer(checkpoint=tiny_detoxify.checkpoint, device="cuda")


@pytest.mark.parametrize(
    ("tokenizer_max", "config", "expected"),
    [
        (512, SimpleNamespace(max_position_embeddings=512, model_type="bert"), 512),
        (
            512,
            SimpleNamespace(max_position_embeddings=514, model_type="roberta", pad_token_id=1),
            512,
        ),
        (
            512,
            SimpleNamespace(max_position_embeddings=514, model_type="xlm-roberta", pad_token_id=1),
            512,
        ),
        (int(1e30), SimpleNamespace(max_position_embeddings=512, model_type="albert"), 512),
        (512, SimpleNamespace(max_position_embeddings=64, model_type="bert"), 64),
    ],
)
def test_window_is_capped_by_model_positions(tokenizer_max, config, expected) -> None:
    assert window_tokens(tokenizer_max, config) == expected


@pytest.mark.parametrize(
    ("lengths", "max_windows", "max_tokens", "expected"),
    [
        ([], 16, 256, []),
        ([5, 3, 4], 16, 256, [[1, 2, 0]]),  # shortest first, one batch
        ([10, 10, 10], 2, 256, [[0, 1], [2]]),  # at most max_windows
        ([100, 100, 100], 16, 256, [[0, 1], [2]]),  # 3 × 100 padded tokens > 256
        ([300, 8, 8], 16, 256, [[1, 2], [0]]),  # a window over the budget runs alone
        ([8, 200, 8, 9], 16, 64, [[0, 2, 3], [1]]),  # the long one would pad the short ones
    ],
)
def test_batches_are_bucketed_by_length(lengths, max_windows, max_tokens, expected) -> None:
    plan = plan_batches(lengths, max_windows=max_windows, max_tokens=max_tokens)

    assert plan == expected
    assert sorted(i for batch in plan for i in batch) == list(range(len(lengths)))


def test_token_budget_does_not_change_scores(tiny_detoxify: TinyDetoxify) -> None:
    texts = [HEAD + TAIL, *SHORT_TEXTS, TAIL]
    paths = {"checkpoint": tiny_detoxify.checkpoint, "hf_config": tiny_detoxify.hf_config}
    one_by_one = DetoxifyScorer(batch_tokens=1, **paths).score(texts)
    wide = DetoxifyScorer(batch_tokens=4096, batch_size=64, **paths).score(texts)

    for a, b in zip(one_by_one, wide, strict=True):
        assert all(a[label] == pytest.approx(b[label], abs=1e-5) for label in LABELS[:6])


def test_thread_pool_follows_the_setting() -> None:
    assert configure_threads(1) == 1 and torch.get_num_threads() == 1
    assert configure_threads(0) == available_cores() == torch.get_num_threads()
    with pytest.raises(ConfigError, match="threads"):
        configure_threads(-1)
