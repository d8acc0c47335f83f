"""Cohen's kappa against textbook values, per pair, category and reviewer."""

from __future__ import annotations

import pytest

from moderator.core.agreement import Opinions, agreement, agreement_lines, cohen_kappa


def test_kappa_matches_the_textbook_example():
    # 50 items: both yes 20, both no 15, a yes b no 5, a no b yes 10 → p_o .7, p_e .5, κ .4
    pairs = [("y", "y")] * 20 + [("n", "n")] * 15 + [("y", "n")] * 5 + [("n", "y")] * 10
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([("y", "y")] * 4) == 1.0
    assert cohen_kappa([("y", "n"), ("n", "y")]) == pytest.approx(-1.0)
    assert cohen_kappa([]) is None


def test_per_pair_category_and_reviewer():
    opinions = [
        Opinions("rita", "reject", "bob", "reject", ("slur",)),
        Opinions("bob", "approve", "rita", "approve", ("slur",)),
        Opinions("rita", "reject", "bob", "approve", ()),
        Opinions("ana", "reject", "bob", "reject", ("threat",)),
    ]
    result = agreement(opinions)
    n, kappa = result.by_pair[("bob", "rita")]
    assert n == 3 and kappa == pytest.approx(
        cohen_kappa([("reject", "reject"), ("approve", "approve"), ("approve", "reject")])
    )
    assert result.by_category["slur"] == (2, 1.0)
    assert result.by_category["none"][0] == 1
    assert result.by_reviewer["rita"] == (3, pytest.approx(2 / 3))
    assert result.by_reviewer["ana"] == (1, 1.0)
    lines = agreement_lines(result)
    assert 'moderator_reviewer_agreement{reviewer="bob"} 0.7500' in lines
    assert 'moderator_agreement_category_kappa{category="slur"} 1.0000' in lines
