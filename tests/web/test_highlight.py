"""Splitting hostile text into highlighted pieces: every character once, in order; unsound
marks skipped; matches and worst-sentence spans layered."""

from __future__ import annotations

from moderator.web.highlight import excerpt, runs, segments

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


def test_thousands_of_matches_are_cut_in_one_pass():
    """Issue 8 item 1: 5,000 matches used to cost pieces × matches lookups (1.4 s a card).
    Every piece still carries its own match, and the pieces rebuild the text."""
    text = "fag " * 5000
    marks = [{"start": i, "end": i + 3, "severity": 3} for i in range(0, len(text), 4)]
    pieces = segments(text, list(reversed(marks)))  # any order in, text order out
    assert "".join(p for p, _, _ in pieces) == text
    assert len(pieces) == 10000
    assert all(m is marks[n // 2] for n, (_, m, _) in enumerate(pieces) if n % 2 == 0)
    assert all(m is None for n, (_, m, _) in enumerate(pieces) if n % 2 == 1)


def test_an_excerpt_is_bounded_and_shows_the_worst_match():
    text = "calm words " * 300 + "you retard " + "more calm " * 300
    worst = text.index("retard")
    marks = [
        {"start": 0, "end": 4, "severity": 1},
        {"start": worst, "end": worst + 6, "severity": 3},
    ]
    shown = excerpt(text, marks, [], limit=600)
    body = "".join(p for _, pieces in shown.runs for p, _ in pieces)
    assert len(body) == 600 and shown.before + 600 + shown.after == len(text)
    assert text[shown.before : shown.before + 600] == body
    highlighted = [p for _, pieces in shown.runs for p, m in pieces if m]
    assert highlighted == ["retard"]
    whole = excerpt(text, marks, [], limit=0)
    assert (whole.before, whole.after) == (0, 0)
    assert "".join(p for _, ps in whole.runs for p, _ in ps) == text


def test_an_excerpt_clips_marks_that_cross_its_edges():
    text = "x" * 1000
    shown = excerpt(text, [{"start": 0, "end": 1000, "severity": 2}], [], limit=100)
    assert shown.before == 0 and shown.after == 900
    assert [(p, bool(m)) for _, ps in shown.runs for p, m in ps] == [("x" * 100, True)]
