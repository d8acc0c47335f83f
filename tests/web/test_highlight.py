"""Splitting hostile text into highlighted pieces: every character once, in order; unsound
marks skipped; matches and worst-sentence spans layered."""

from __future__ import annotations

from moderator.web.highlight import runs, segments

TEXT = "He is a retard. The rest is fine."


def test_pieces_cover_the_text_once_with_both_layers():
    match = {"start": 8, "end": 14, "term": "retard"}
    span = {"start": 0, "end": 15, "label": "insult", "score": 0.9}
    pieces = segments(TEXT, [match], [span])
    assert "".join(p for p, _, _ in pieces) == TEXT
    assert [(p, m is match, s is span) for p, m, s in pieces] == [
        ("He is a ", False, True),
        ("retard", True, True),
        (".", False, True),
        (" The rest is fine.", False, False),
    ]
    grouped = runs(TEXT, [match], [span])
    assert [(s is span, [p for p, _ in ps]) for s, ps in grouped] == [
        (True, ["He is a ", "retard", "."]),
        (False, [" The rest is fine."]),
    ]


def test_unsound_marks_are_skipped_not_trusted():
    bad = [
        {"start": 30, "end": 99},  # past the end
        {"start": 5, "end": 5},  # empty
        {"start": "1", "end": 4},  # not an int
        {"start": 3, "end": 9},
        {"start": 6, "end": 12},  # overlaps the previous one
        {},
    ]
    pieces = segments(TEXT, bad, [{"start": -2, "end": 3}])
    assert "".join(p for p, _, _ in pieces) == TEXT
    assert [p for p, m, _ in pieces if m] == [TEXT[3:9]]
    assert all(s is None for _, _, s in pieces)


def test_empty_text():
    assert segments("", [{"start": 0, "end": 1}]) == []
