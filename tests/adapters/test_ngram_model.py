"""The bundled bilingual offline model (moderator/models/offline-bilingual.npz): it loads with
numpy, scores English and Spanish, is the `offline` default, and refuses a broken file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moderator.adapters.scoring.models import resolve_scorer
from moderator.adapters.scoring.ngram_model import (
    DEFAULT_MODEL,
    BilingualScorer,
    featurise,
    featurise_batch,
    normalise,
)
from moderator.core.models import LABELS
from moderator.errors import ModelUnavailableError

REPORTED = ("toxicity", "insult", "identity_attack", "threat", "obscene", "sexual_explicit")


@pytest.fixture(scope="module")
def scorer() -> BilingualScorer:
    return BilingualScorer()


def test_the_shipped_file_is_small_and_names_its_version(scorer: BilingualScorer) -> None:
    assert DEFAULT_MODEL.stat().st_size < 50_000_000
    assert scorer.info.name == "offline-bilingual"
    assert scorer.info.version.startswith("2026.11-")
    assert scorer.info.fallback is True


def test_every_label_is_a_key_and_severe_toxicity_is_none(scorer: BilingualScorer) -> None:
    (scores,) = scorer.score(["you are a fucking idiot"])

    assert list(scores) == list(LABELS)
    assert scores["severe_toxicity"] is None
    for label in REPORTED:
        value = scores[label]
        assert isinstance(value, float) and 0.0 <= value <= 1.0


@pytest.mark.parametrize(
    ("abusive", "clean"),
    [
        ("you are a fucking idiot and a liar", "the council meets on tuesday"),
        ("eres un pajúo y un mamagüevo, cállate", "la reunión del concejo es el martes"),
        ("los colombianos son todos unos ladrones", "los colombianos votaron hoy en Cúcuta"),
    ],
)
def test_ranks_abuse_above_a_neutral_sentence_in_both_languages(
    scorer: BilingualScorer, abusive: str, clean: str
) -> None:
    bad, good = scorer.score([abusive, clean])

    assert bad["toxicity"] > good["toxicity"] + 0.3


def test_a_threat_without_a_violent_verb_scores_as_a_threat(scorer: BilingualScorer) -> None:
    threat, news = scorer.score(
        ["te tengo ubicado, anda con cuidado", "el informe cuenta los heridos de la marcha"]
    )

    assert threat["threat"] is not None and news["threat"] is not None
    assert threat["threat"] > 0.5 > news["threat"]


@pytest.mark.parametrize(
    ("insult", "praise", "event"),
    [
        (
            "Our new governor is a spineless, lying hack.",
            "Our new governor is a careful, honest manager.",
            "The massacre in Petare was disgusting",
        ),
        (
            "Esa diputada es una mujer despreciable y rastrera.",
            "Esa diputada es una mujer seria y trabajadora.",
            "Lo que hicieron en la cárcel de Tocorón es despreciable.",
        ),
        (
            "Los del PSUV son unos corruptos y unos cobardes.",
            "Los del PSUV son trabajadores y solidarios.",
            "El ataque de anoche en Petare fue repugnante.",
        ),
    ],
)
def test_an_insult_in_plain_words_is_an_insult_and_the_same_words_about_an_event_are_not(
    scorer: BilingualScorer, insult: str, praise: str, event: str
) -> None:
    bad, good, news = scorer.score([insult, praise, event])

    assert bad["insult"] is not None and good["insult"] is not None and news["insult"] is not None
    assert bad["insult"] > 0.5 > max(good["insult"], news["insult"])


@pytest.mark.parametrize(
    ("label", "abusive", "innocent"),
    [
        (
            "threat",
            "We know you leave the newspaper at nine, journalist. Enjoy it while you still can.",
            "I leave the newspaper at nine too, the buses are packed by then.",
        ),
        (
            "threat",
            "Sabemos que sacas al perro de noche por Las Mercedes. Piensa en tu familia antes de "
            "publicar otra vez.",
            "Yo también saco al perro de noche por Las Mercedes, es la única hora fresca.",
        ),
        (
            "sexual_explicit",
            "Valeria, DM me a photo of that short skirt you wore on the show.",
            "Valeria, DM me the photo of the march you showed on the show.",
        ),
        (
            "sexual_explicit",
            "Mariela, mándame una foto con esa blusita, que te invito a mi casa.",
            "Mariela, excelente tu entrevista de ayer, muy clara.",
        ),
    ],
)
def test_a_veiled_threat_or_harassment_scores_and_the_same_words_innocent_do_not(
    scorer: BilingualScorer, label: str, abusive: str, innocent: str
) -> None:
    bad, good = scorer.score([abusive, innocent])

    assert bad[label] is not None and good[label] is not None
    assert bad[label] > 0.5 > good[label]


def test_batches_keep_input_order(scorer: BilingualScorer) -> None:
    texts = ["you idiot", "buenos días", "", "x" * 20_000, "¡coño, qué bueno!"]

    together = BilingualScorer(batch_size=2).score(texts)

    assert together == [scorer.score([t])[0] for t in texts]


def test_a_bare_string_is_refused(scorer: BilingualScorer) -> None:
    with pytest.raises(TypeError):
        scorer.score("you idiot")  # type: ignore[arg-type]


def test_features_are_deterministic_and_fold_accents_and_leet() -> None:
    assert normalise("PAJÚÚÚO  n1ñ0") == " pajuuo nino "
    a = featurise("Eres un pajúo", 1 << 20)
    b = featurise("eres un pajuo", 1 << 20)

    assert np.array_equal(a.index, b.index) and np.allclose(a.value, b.value)
    assert a.spanish == 1.0
    assert abs(float(a.value @ a.value) - 1.0) < 1e-5


def test_offline_spec_is_the_bilingual_model_and_apc_stays_an_option() -> None:
    assert resolve_scorer("offline").info.name == "offline-bilingual"
    assert resolve_scorer("offline:alt-profanity-check").info.name == "alt-profanity-check"


def test_a_broken_model_file_raises_model_unavailable(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ModelUnavailableError, match="cannot load"):
        BilingualScorer(bad)

    wrong = tmp_path / "wrong.npz"
    np.savez(
        wrong,
        weights=np.zeros((8, 2), np.float16),
        bias=np.zeros(2),
        stack=np.zeros((3, 2, 3)),
        labels=np.asarray(["toxicity", "insult"]),
        meta=np.asarray(json.dumps({"version": "x"})),
    )
    with pytest.raises(ModelUnavailableError, match="inconsistent"):
        BilingualScorer(wrong)


def test_batch_features_equal_one_text_features() -> None:
    texts = ["Eres un pajúo", "", "you idiot you idiot", "x" * 3, "¡¡COÑO!! qué bueno 2026"]

    doc, index, value, spanish = featurise_batch(texts, 1 << 20)

    for i, text in enumerate(texts):
        one = featurise(text, 1 << 20)
        assert np.array_equal(index[doc == i], one.index)
        assert np.allclose(value[doc == i], one.value, atol=1e-6)
        assert spanish[i] == one.spanish


def test_hostile_text_is_scored(scorer: BilingualScorer) -> None:
    texts = ["a\ud800b you idiot", "\udfff", "\x00\x01" * 50, "🙂" * 10_000, "ñ" * 20_000]

    results = scorer.score(texts)

    assert len(results) == len(texts)
    assert all(r["toxicity"] is not None and 0.0 <= r["toxicity"] <= 1.0 for r in results)


def _with_stacker(tmp_path: Path, coef: list[float], *, products: bool, severity: bool) -> Path:
    """The shipped file's arrays with a hand-set English stacker."""
    with np.load(DEFAULT_MODEL, allow_pickle=False) as data:
        arrays = {k: data[k] for k in ("weights", "bias", "stack", "labels")}
        meta = json.loads(str(data["meta"]))
    meta["english"] = {"c": 1.0, "products": products, "severity": severity}
    path = tmp_path / "stacked.npz"
    np.savez(path, **arrays, english=np.asarray(coef), meta=np.asarray(json.dumps(meta)))
    return path


def test_the_english_stacker_replaces_english_toxicity_only(tmp_path: Path) -> None:
    # 6 label logits, apc's logit, severity: all weights 0, intercept 3 → toxicity sigmoid(3).
    scorer = BilingualScorer(
        _with_stacker(tmp_path, [0.0] * 8 + [3.0], products=False, severity=True)
    )
    texts = ["you absolute idiot", "eres un pajúo", "the council meets"]
    plain = scorer.score(texts)

    stacked = scorer.score(texts, ["en", "es", None], [0.0, 0.0, 0.0])

    assert scorer.reads_context
    assert stacked[0]["toxicity"] == round(1 / (1 + np.exp(-3.0)), 6)
    assert {k: v for k, v in stacked[0].items() if k != "toxicity"} == {
        k: v for k, v in plain[0].items() if k != "toxicity"
    }
    assert stacked[1:] == plain[1:]


def test_a_stacker_of_the_wrong_width_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="inconsistent"):
        BilingualScorer(_with_stacker(tmp_path, [0.0] * 9, products=True, severity=True))


def test_the_scoring_service_passes_language_and_lexicon_severity(tmp_path: Path) -> None:
    from moderator.core.models import Comment
    from moderator.core.scoring import ScoringService, lexicon_severity
    from tests.offline import offline_parts

    # Toxicity = sigmoid(-2 + 4 × lexicon severity) for English comments.
    path = _with_stacker(tmp_path, [0.0] * 7 + [4.0, -2.0], products=False, severity=True)
    scorer = BilingualScorer(path)
    _, lexicon, policy = offline_parts()
    service = ScoringService(scorer, lexicon, policy, spans=False)
    threat = "I will kill you tonight"
    severity = lexicon_severity(lexicon.find_within(threat, None)[0])
    assert severity > 0

    clean, flagged, spanish = service.score(
        [
            Comment("1", "the council meets on tuesday", language="en"),
            Comment("2", threat, language="en"),
            Comment("3", "eres un pajúo", language="es"),
        ]
    )

    assert clean.scores["toxicity"] == round(1 / (1 + np.exp(2.0)), 6)
    assert flagged.scores["toxicity"] == round(1 / (1 + np.exp(2.0 - 4.0 * severity)), 6)
    assert spanish.scores == scorer.score(["eres un pajúo"])[0]
