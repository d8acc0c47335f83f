"""The Perspective mapping (integrations/perspective.py): request shapes, the attribute table,
spans from lexicon matches, Google-shaped errors. Pure: no I/O."""

from __future__ import annotations

import json
from typing import Any

import pytest

from moderator.core.models import Action, Match, ModelInfo, ScoreRecord
from moderator.integrations import perspective as p

TEXT = "you are an idiot and I will kill you"


def record(
    scores: dict[str, float | None] | None = None,
    matches: list[Match] | None = None,
    action: Action = Action.APPROVE,
) -> ScoreRecord:
    base: dict[str, float | None] = dict.fromkeys(
        ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack"), 0.1
    )
    base["sexual_explicit"] = 0.05
    return ScoreRecord(
        id="x",
        language="en",
        model=ModelInfo("detoxify-original", "1"),
        scores={**base, **(scores or {})},
        matches=matches or [],
        priority=0.0,
        action=action,
        reasons=[],
    )


def match(category: str, severity: int, *, quoted: bool = False, start: int = 11) -> Match:
    return Match("idiot", "idiot", category, severity, start, start + 5, "en", quoted)


def analyze(**fields: Any) -> p.AnalyzeIn:
    body = {"comment": {"text": TEXT}, "requestedAttributes": {"TOXICITY": {}}, **fields}
    parsed: p.AnalyzeIn = p.parse(p.AnalyzeIn, json.dumps(body).encode())
    return parsed


def test_the_attribute_table_maps_every_perspective_attribute_to_a_label() -> None:
    assert {a: p.ATTRIBUTES[a].label for a in p.ATTRIBUTES} == {
        "TOXICITY": "toxicity",
        "SEVERE_TOXICITY": "severe_toxicity",
        "IDENTITY_ATTACK": "identity_attack",
        "INSULT": "insult",
        "PROFANITY": "obscene",
        "THREAT": "threat",
        "SEXUALLY_EXPLICIT": "sexual_explicit",
    }


@pytest.mark.parametrize(
    ("severity", "quoted", "expected"),
    [(3, False, 0.9), (2, False, 0.7), (1, False, 0.5), (3, True, 0.5), (2, True, 0.5)],
)
def test_a_match_raises_its_attributes_to_a_floor(
    severity: int, quoted: bool, expected: float
) -> None:
    r = record(matches=[match("insult", severity, quoted=quoted)])
    assert p.value_of(p.ATTRIBUTES["INSULT"], r, r.matches) == expected
    assert p.value_of(p.ATTRIBUTES["THREAT"], r, r.matches) == 0.1  # not its category


def test_an_identity_term_counts_for_identity_attack_and_insult_not_profanity() -> None:
    r = record(matches=[match("racial_ethnic", 3)])
    values = {a: p.value_of(p.ATTRIBUTES[a], r, r.matches) for a in p.ATTRIBUTES}
    assert values["IDENTITY_ATTACK"] == values["INSULT"] == 0.9
    assert values["PROFANITY"] == 0.1
    assert values["SEVERE_TOXICITY"] == 0.1  # no lexicon category: the model alone


def test_the_model_score_wins_when_above_the_floor() -> None:
    r = record({"threat": 0.97}, [match("threat_violence", 2)])
    assert p.value_of(p.ATTRIBUTES["THREAT"], r, r.matches) == 0.97


@pytest.mark.parametrize(
    ("action", "expected"), [(Action.HOLD, 0.9), (Action.REVIEW, 0.5), (Action.APPROVE, 0.1)]
)
def test_toxicity_is_the_policy_verdict(action: Action, expected: float) -> None:
    r = record(action=action)
    assert p.value_of(p.ATTRIBUTES["TOXICITY"], r, []) == expected


def test_an_attribute_neither_model_nor_lexicon_produces_is_none() -> None:
    r = record({"severe_toxicity": None, "insult": None})
    assert p.value_of(p.ATTRIBUTES["SEVERE_TOXICITY"], r, []) is None
    assert p.value_of(p.ATTRIBUTES["INSULT"], r, []) == 0.0  # the lexicon can: clean text


def test_the_response_has_perspectives_shape() -> None:
    body = analyze(
        requestedAttributes={"TOXICITY": {}, "INSULT": {"scoreThreshold": 0.8}, "THREAT": {}},
        languages=["en"],
        clientToken="t-1",
    )
    out = p.analyze_response(body, record({"threat": 0.2}, [match("insult", 2)]))
    assert set(out["attributeScores"]) == {"TOXICITY", "THREAT"}  # INSULT 0.7 < threshold
    threat = out["attributeScores"]["THREAT"]
    assert threat["summaryScore"] == {"value": 0.2, "type": "PROBABILITY"}
    assert threat["spanScores"] == [
        {"begin": 0, "end": len(TEXT), "score": {"value": 0.2, "type": "PROBABILITY"}}
    ]
    assert out["languages"] == ["en"]
    assert out["detectedLanguages"] == ["en"]
    assert out["clientToken"] == "t-1"


def test_span_annotations_are_the_lexicon_matches() -> None:
    body = analyze(requestedAttributes={"INSULT": {}}, spanAnnotations=True)
    out = p.analyze_response(body, record(matches=[match("insult", 3)]))
    assert out["attributeScores"]["INSULT"]["spanScores"] == [
        {"begin": 11, "end": 16, "score": {"value": 0.9, "type": "PROBABILITY"}}
    ]


def test_an_unsupported_attribute_is_invalid_argument() -> None:
    with pytest.raises(p.PerspectiveError) as caught:
        p.check_attributes(["TOXICITY", "FLIRTATION"])
    assert caught.value.body()["error"]["code"] == 400
    assert caught.value.body()["error"]["status"] == "INVALID_ARGUMENT"
    assert "FLIRTATION" in caught.value.body()["error"]["message"]


def test_severe_toxicity_without_a_model_label_is_refused_after_scoring() -> None:
    body = analyze(requestedAttributes={"SEVERE_TOXICITY": {}})
    with pytest.raises(p.PerspectiveError) as caught:
        p.analyze_response(body, record({"severe_toxicity": None}))
    assert caught.value.code == 400


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"\xff\xfe{}",
        b"[]",
        json.dumps({"comment": {"text": "x"}}).encode(),  # no requestedAttributes
        json.dumps(
            {"comment": {"text": "x"}, "requestedAttributes": {"TOXICITY": {}}, "bogus": 1}
        ).encode(),
        json.dumps({"comment": {"text": "x" * 20_001}, "requestedAttributes": {"T": {}}}).encode(),
        b'{"comment": {"text": "\\ud800"}, "requestedAttributes": {"TOXICITY": {}}}',
    ],
)
def test_bad_bodies_are_invalid_argument(raw: bytes) -> None:
    with pytest.raises(p.PerspectiveError) as caught:
        p.parse(p.AnalyzeIn, raw)
    assert caught.value.code == 400


def test_the_join_key_ignores_whitespace_and_unicode_composition() -> None:
    assert p.text_digest("  caf\u00e9   au lait\n") == p.text_digest("cafe\u0301 au lait")
    assert p.text_digest("a b") != p.text_digest("ab")


def test_coral_suggestions_read_verdict_and_id() -> None:
    body = p.parse(
        p.SuggestIn,
        json.dumps(
            {
                "comment": {"text": TEXT},
                "context": {"entries": [{"text": json.dumps({"Coral_comment_id": "c-9"})}]},
                "attributeScores": {"TOXICITY": {"summaryScore": {"value": 1}}},
                "clientToken": "comment:c-9",
            }
        ).encode(),
    )
    assert p.suggested_decision(body) == "reject"
    assert p.platform_comment_id(body) == "c-9"
