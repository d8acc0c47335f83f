"""The hand-written policy sentences of issue 12.5 through the whole offline stack (language
detector, lexicons, policy, the bundled bilingual model). `policy_tuning.jsonl` set the
thresholds; `blind_policy.jsonl` was written and committed before any tuning, and its floors
are the figures measured then; `blind_policy_2.jsonl` was written blind to the engine before the
lexicon's veiled-threat phrases were tuned on the other two, `blind_policy_3.jsonl` and
`blind_policy_4.jsonl` after that, and `blind_policy_5.jsonl` (no counter-speech; plain-word
insults and innocent sentences made of threat and harassment words instead) by a writer who saw
neither the engine nor the other sets, before the veiled-threat templates were measured on it,
and `blind_policy_6.jsonl` (wishes of harm, insults at whole groups, and innocent wishes and
talk about the same groups) by another such writer while the lexicon's wish entries were being
written; it was first read with them committed, and `blind_policy_7.jsonl` (the same categories,
from a brief with no example phrase) after the entries were tuned on the sixth, and
`blind_policy_8.jsonl` (news of violence, hyperbole, calls for violence, violence reported then
endorsed; no example phrase) before the entries that cheer reported violence were written, and
`blind_policy_9.jsonl` and `blind_policy_10.jsonl` (the same categories, other briefs) after
they were committed (docs/quality.md reports each)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from moderator.core.models import Comment
from moderator.core.scoring import ScoringService

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "quality"
ABUSIVE = (
    "threat_implicit",
    "sexual_harassment",
    "venezuelan_insult",
    "group_insult",
    "insult_plain",
)


@pytest.fixture(scope="module")
def service() -> ScoringService:
    from moderator.bootstrap.scoring import build_scoring
    from moderator.settings import load_settings

    return build_scoring(load_settings(quickstart=True, model={"spec": "offline"}), log=print)


def _actions(service: ScoringService, name: str) -> dict[str, list[str]]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    records = service.score([Comment(str(i), r["text"]) for i, r in enumerate(rows)])
    out: dict[str, list[str]] = defaultdict(list)
    for row, record in zip(rows, records, strict=True):
        out[row["category"]].append(str(record.action))
    return out


@pytest.mark.parametrize(
    ("name", "recall_floor", "profanity_floor", "news_floor"),
    [
        ("policy_tuning.jsonl", 0.9, 0.75, 1.0),
        ("blind_policy.jsonl", 0.75, 0.8, 1.0),
        # written by someone who had not seen the engine, before the lexicon's veiled-threat and
        # harassment phrases were tuned on the two files above; floors a little under the
        # figures measured after that tuning (abusive 40/48, positive profanity 8/12, news 13/14)
        ("blind_policy_2.jsonl", 0.8, 0.6, 0.9),
        # a third set by another writer blind to the engine, read once the lexicon was final
        # (abusive 37/50, positive profanity 8/12, news 16/16; the same as before this session)
        ("blind_policy_3.jsonl", 0.7, 0.6, 0.9),
        # and a fourth, read only after a model trained with more threat templates was tried on
        # it (not shipped): abusive 33/50, positive profanity 9/12, news 15/16
        ("blind_policy_4.jsonl", 0.6, 0.6, 0.9),
        # the fifth: abusive 21/46 with the model before the veiled-threat templates, 23/46
        # after; positive profanity 9/12; news and innocent near-misses 29/30
        ("blind_policy_5.jsonl", 0.48, 0.6, 0.9),
    ],
)
def test_policy_sentences(
    service: ScoringService,
    name: str,
    recall_floor: float,
    profanity_floor: float,
    news_floor: float,
) -> None:
    actions = _actions(service, name)

    assert service.scorer.info.name == "offline-bilingual"
    abusive = [a for c in ABUSIVE for a in actions[c]]
    recall = sum(a != "approve" for a in abusive) / len(abusive)
    assert recall >= recall_floor, recall
    # counter-speech that quotes a slur: reviewed at most, never held (the fifth set has none)
    counter = actions["counter_speech"]
    assert bool(counter) is (name != "blind_policy_5.jsonl")
    assert "hold" not in counter
    # clean news about violence, nationalities and parties, and innocent sentences made of
    # threat or harassment words: approved
    news = actions["clean_news"] + actions["clean_near_miss"]
    assert news and sum(a == "approve" for a in news) / len(news) >= news_floor
    positive = actions["positive_profanity"]
    assert sum(a == "approve" for a in positive) / len(positive) >= profanity_floor


@pytest.mark.parametrize(
    ("name", "abusive_floor", "wish_floor", "clean_floor", "clean_held"),
    [
        # first read with lexicon 13bdb9f956d4: abusive 41/48 (wishes of harm 18/24, 14/24
        # with the lexicon before), clean 37/48, none held; the next lexicon was tuned on its
        # misses (48/48 abusive since), so the floors are the blind figures, a little under
        ("blind_policy_6.jsonl", 0.8, 17, 0.7, 0),
        # written from a brief with no example phrase, first read with lexicon a3f58ea03ecf:
        # abusive 30/48 (wishes 11/24, 10/24 with the lexicons before), clean 40/48, one held
        # (a football chant, "los vamos a matar en el Olímpico", held before this set too)
        ("blind_policy_7.jsonl", 0.58, 10, 0.78, 1),
    ],
)
def test_wishes_and_group_insults(
    service: ScoringService,
    name: str,
    abusive_floor: float,
    wish_floor: int,
    clean_floor: float,
    clean_held: int,
) -> None:
    actions = _actions(service, name)
    abusive = actions["threat_wish"] + actions["group_insult"]
    clean = actions["clean_wish"] + actions["clean_group"]
    assert len(abusive) == len(clean) == 48
    assert sum(a != "approve" for a in abusive) / len(abusive) >= abusive_floor
    assert sum(a != "approve" for a in actions["threat_wish"]) >= wish_floor
    assert sum(a == "approve" for a in clean) / len(clean) >= clean_floor
    assert clean.count("hold") <= clean_held


@pytest.mark.parametrize(
    ("name", "endorsed_floor", "call_floor", "news_floor", "clean_held"),
    [
        # written from a brief with no example phrase, first read with lexicon 3babf9f09082:
        # endorsed 3/24, calls 17/24, news 24/24 approved, hyperbole one held ("los vamos a matar
        # 6 a 0"); the next lexicons were tuned on its misses (endorsed 23/24, calls 23/24 now),
        # so the floors are a little under the tuned figures
        ("blind_policy_8.jsonl", 21, 21, 22, 1),
        # the same categories from another brief with no example phrase, first read with
        # lexicon 2acf7e95375b: endorsed 5/24 (3/24 with the lexicon before these entries),
        # calls 12/24 (11/24), news 23/24 approved, two hyperboles held (both held before);
        # then one exception was fixed ("uno menos, que sigan": endorsed 6/24)
        ("blind_policy_9.jsonl", 5, 12, 22, 2),
        # a third brief, read once (counts only) with lexicon e86994ee6d12: endorsed 9/24 (4/24
        # with the lexicon before), calls 17/24 (17/24), news 23/24 approved, one hyperbole held
        # (held before too)
        ("blind_policy_10.jsonl", 9, 17, 23, 1),
    ],
)
def test_violence_reported_endorsed_and_called_for(
    service: ScoringService,
    name: str,
    endorsed_floor: int,
    call_floor: int,
    news_floor: int,
    clean_held: int,
) -> None:
    actions = _actions(service, name)
    endorsed = actions["threat_reported_then_endorsed"]
    calls = actions["call_violence"]
    news = actions["news_violence"]
    clean = news + actions["hyperbole"]
    assert len(endorsed) == len(calls) == len(news) == 24
    assert sum(a != "approve" for a in endorsed) >= endorsed_floor
    assert sum(a != "approve" for a in calls) >= call_floor
    # news of violence: approved, and never buried
    assert sum(a == "approve" for a in news) >= news_floor
    assert clean.count("hold") <= clean_held
