"""ScoringService: language routing, unsupported languages, spans, one call per scorer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from moderator.core.language import Detection
from moderator.core.lexicon import LexiconMatcher, load_lexicon
from moderator.core.models import LABELS, Action, Comment, ModelInfo, Scores
from moderator.core.policy import Policy, parse_policy
from moderator.core.scoring import ScoringService

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lexicon"


class FakeScorer:
    """Toxicity 0.9 for a text containing 'awful', else 0.05; records every call."""

    def __init__(self, name: str = "fake-en") -> None:
        self._info = ModelInfo(name, "1")
        self.calls: list[list[str]] = []

    @property
    def info(self) -> ModelInfo:
        return self._info

    def score(self, texts: Sequence[str]) -> list[Scores]:
        self.calls.append(list(texts))
        out = []
        for text in texts:
            scores: Scores = dict.fromkeys(LABELS)
            scores["toxicity"] = 0.9 if "awful" in text else 0.05
            out.append(scores)
        return out


class FakeDetector:
    def __init__(self, answers: dict[str, Detection]) -> None:
        self.answers = answers
        self.seen: list[str] = []

    def detect(self, texts: Sequence[str]) -> list[Detection]:
        self.seen += texts
        return [self.answers.get(t, Detection(None, 0.2)) for t in texts]


@pytest.fixture(scope="module")
def lexicon() -> LexiconMatcher:
    return load_lexicon([FIXTURES / "small_en.toml"])


@pytest.fixture(scope="module")
def policy() -> Policy:
    return parse_policy(
        {
            "version": "t",
            "rules": [
                {"name": "tox-review", "label": "toxicity", "min": 0.5, "action": "review"},
                {"name": "lex-hold", "category": "*", "min_severity": 3, "action": "hold"},
            ],
        }
    )


def test_routes_by_language_and_names_the_model_that_scored(lexicon, policy):
    english, multilingual = FakeScorer("fake-en"), FakeScorer("fake-multilingual")
    detector = FakeDetector({"hola amigos": Detection("es", 0.95)})
    service = ScoringService(
        english, lexicon, policy, detector=detector, routes={"es": multilingual}
    )
    hinted = Comment("1", "bonjour", language="es-VE")
    detected = Comment("2", "hola amigos")
    plain = Comment("3", "hello friends")
    records = service.score([hinted, detected, plain])
    assert [r.language for r in records] == ["es", "es", None]
    assert [r.model.name for r in records] == ["fake-multilingual", "fake-multilingual", "fake-en"]
    assert multilingual.calls == [["bonjour", "hola amigos"]] and english.calls == [
        ["hello friends"]
    ]
    assert detector.seen == ["hola amigos", "hello friends"]  # the hinted one is not detected


def test_unsupported_language_goes_to_review_with_a_reason(lexicon, policy):
    detector = FakeDetector({"guten tag alle zusammen": Detection("de", 0.97)})
    service = ScoringService(FakeScorer(), lexicon, policy, detector=detector)
    (record,) = service.score([Comment("1", "guten tag alle zusammen")])
    assert record.action is Action.REVIEW and record.language == "de"
    (reason,) = record.reasons
    assert "unsupported-language" in reason and "'de'" in reason and "0.97" in reason
    assert "fake-en@1" in reason and lexicon.version in reason


def test_a_covered_language_is_not_unsupported(lexicon, policy):
    service = ScoringService(FakeScorer(), lexicon, policy, model_languages=("en", "fr"))
    (record,) = service.score([Comment("1", "bonjour à tous", language="fr")])
    assert record.action is Action.APPROVE and record.reasons == []


def test_lexicon_reasons_name_the_lexicon_version(lexicon, policy):
    service = ScoringService(FakeScorer(), lexicon, policy)
    (record,) = service.score([Comment("1", "what a retard")])
    assert record.action is Action.HOLD
    assert any("lex-hold" in r and lexicon.version in r for r in record.reasons)


def test_spans_cost_one_more_call_only_for_flagged_comments(lexicon, policy):
    scorer = FakeScorer()
    service = ScoringService(scorer, lexicon, policy)
    text = "The raid was on the news. This is awful and you are awful. Thanks for reading."
    flagged, clean = Comment("1", text), Comment("2", "A calm comment. Nothing here.")
    first, second = service.score([flagged, clean])
    assert len(scorer.calls) == 2 and len(scorer.calls[1]) == 3  # the flagged one's sentences
    (span,) = first.spans
    assert text[span.start : span.end] == "This is awful and you are awful."
    assert (span.label, span.score) == ("toxicity", 0.9)
    assert second.spans == []


def test_a_one_sentence_comment_is_its_own_span_without_another_call(lexicon, policy):
    scorer = FakeScorer()
    service = ScoringService(scorer, lexicon, policy)
    (record,) = service.score([Comment("1", "  awful stuff  ")])
    assert len(scorer.calls) == 1
    assert [(s.start, s.end) for s in record.spans] == [(2, 13)]


def test_spans_can_be_switched_off(lexicon, policy):
    scorer = FakeScorer()
    service = ScoringService(scorer, lexicon, policy, spans=False)
    (record,) = service.score([Comment("1", "awful. awful.")])
    assert record.spans == [] and len(scorer.calls) == 1


def test_a_scorer_returning_too_few_results_raises(lexicon, policy):
    class Short(FakeScorer):
        def score(self, texts: Sequence[str]) -> list[Scores]:
            return super().score(texts)[:-1]

    with pytest.raises(RuntimeError, match="returned 1 results for 2 texts"):
        ScoringService(Short(), lexicon, policy).score([Comment("1", "a"), Comment("2", "b")])


def test_no_comments_no_calls(lexicon, policy):
    scorer = FakeScorer()
    assert ScoringService(scorer, lexicon, policy).score([]) == [] and scorer.calls == []


def test_a_lexicon_scan_past_its_ceiling_goes_to_review_not_approve(policy):
    from moderator.settings import PROJECT_ROOT

    full = load_lexicon(
        [PROJECT_ROOT / "config/lexicons/en.toml", PROJECT_ROOT / "config/lexicons/es.toml"]
    )
    text = "I will " + "r e t a r d " * 50  # phrase anchors and a spaced run: a full scan
    _, complete = full.find_within(text, budget_s=0.0)
    assert not complete
    assert full.find_within(text, budget_s=None)[1]  # without a ceiling it completes
    service = ScoringService(FakeScorer(), full, policy, lexicon_budget_s=0.0)
    (record,) = service.score([Comment("c1", text)])
    assert record.action is not Action.APPROVE
    assert any("lexicon-timeout" in r and "incomplete" in r for r in record.reasons)
    clean = ScoringService(FakeScorer(), full, policy, lexicon_budget_s=0.0)
    (plain,) = clean.score([Comment("c2", "the council meets on tuesday")])
    assert plain.action is Action.APPROVE  # a comment that needs no full scan never times out


def test_a_record_keeps_at_most_max_matches_worst_first_and_counts_them_all(lexicon, policy):
    """Issue 8 item 1: 5,000 matches in one comment made every page that showed it slow; the
    record keeps the worst `max_matches` (each category's worst among them) and the total."""
    text = "fuck " * 5000 + "you retard"
    service = ScoringService(FakeScorer(), lexicon, policy, max_matches=100)
    (record,) = service.score([Comment("1", text)])
    assert record.matches_total == 5001
    assert len(record.matches) == 100
    assert record.matches[0].term == "retard"  # severity 3 before the profanity (2)
    assert {m.category for m in record.matches} == {"ableist", "profanity"}
    assert record.action is Action.HOLD  # the policy saw every match
    data = record.to_dict()
    assert data["matches_total"] == 5001 and len(data["matches"]) == 100
    assert type(record).from_dict(data).matches_total == 5001


def test_the_cap_keeps_every_categorys_worst_match(lexicon, policy):
    text = "you retard " * 10 + "fuck"
    service = ScoringService(FakeScorer(), lexicon, policy, max_matches=3)
    (record,) = service.score([Comment("1", text)])
    assert [m.category for m in record.matches] == ["ableist", "ableist", "profanity"]
    assert record.matches_total == 11


def test_old_records_without_matches_total_read_back_with_their_count():
    from moderator.core.models import ScoreRecord

    data = {
        "id": "1",
        "language": None,
        "model": {"name": "m", "version": "1"},
        "scores": {},
        "matches": [
            {"term": "t", "match": "t", "category": "c", "severity": 1, "start": 0, "end": 1}
        ],
        "priority": 0.1,
        "action": "review",
        "reasons": [],
    }
    assert ScoreRecord.from_dict(data).matches_total == 1
