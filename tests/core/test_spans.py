"""Sentence offsets and the choice of the worst spans."""

from __future__ import annotations

import itertools

from moderator.core.models import LABELS, Span
from moderator.core.spans import MAX_PIECES, pick, sentences


def test_sentences_are_exact_offsets():
    text = "  First one.  Second one!\nThird (three)? …  "
    pieces = sentences(text)
    assert [text[s:e] for s, e in pieces] == ["First one.", "Second one!", "Third (three)?"]


def test_a_quote_closing_a_sentence_stays_with_it():
    text = 'He said "go away." Then he left.'
    assert [text[s:e] for s, e in sentences(text)] == ['He said "go away."', "Then he left."]


def test_pieces_without_letters_are_dropped():
    assert sentences("!!! ... ??") == []


def test_long_texts_are_cut_into_a_bounded_number_of_pieces():
    text = " ".join(f"Sentence {i}." for i in range(200))
    pieces = sentences(text)
    assert len(pieces) <= MAX_PIECES
    assert pieces[0][0] == 0 and pieces[-1][1] == len(text)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(pieces))


def scores(**values: float) -> dict[str, float | None]:
    out: dict[str, float | None] = dict.fromkeys(LABELS)
    out.update(values)
    return out


def test_pick_keeps_pieces_over_the_threshold_worst_first():
    pieces = [(0, 5), (6, 10), (11, 20)]
    rated = [scores(toxicity=0.6), scores(toxicity=0.1), scores(toxicity=0.9)]
    spans = pick(pieces, rated, {"toxicity": 0.5})
    assert spans == [Span(11, 20, "toxicity", 0.9), Span(0, 5, "toxicity", 0.6)]


def test_pick_falls_back_to_the_single_worst_piece():
    spans = pick([(0, 5), (6, 10)], [scores(toxicity=0.2), scores(toxicity=0.4)], {"toxicity": 0.5})
    assert spans == [Span(6, 10, "toxicity", 0.4)]


def test_pick_names_the_label_furthest_over_its_threshold():
    (span,) = pick([(0, 5)], [scores(toxicity=0.55, threat=0.9)], {"toxicity": 0.5, "threat": 0.3})
    assert span.label == "threat"


def test_no_triggers_no_spans():
    assert pick([(0, 5)], [scores(toxicity=0.9)], {}) == []
