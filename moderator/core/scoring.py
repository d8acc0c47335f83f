"""The scoring service: model + lexicon + policy → one score record per comment."""

from __future__ import annotations

from collections.abc import Sequence

from moderator.core.models import Comment, ScoreRecord
from moderator.core.policy import Policy
from moderator.core.ports import Lexicon, Scorer


class ScoringService:
    """Scores comments in one model call per batch. Model errors propagate (the worker decides
    whether to retry or dead-letter); the lexicon and policy do not fail on any text."""

    def __init__(self, scorer: Scorer, lexicon: Lexicon, policy: Policy) -> None:
        self.scorer = scorer
        self.lexicon = lexicon
        self.policy = policy

    def score(self, comments: Sequence[Comment]) -> list[ScoreRecord]:
        if not comments:
            return []
        all_scores = self.scorer.score([c.text for c in comments])
        if len(all_scores) != len(comments):
            raise RuntimeError(
                f"The model returned {len(all_scores)} results for {len(comments)} texts."
            )
        return [self._record(c, s) for c, s in zip(comments, all_scores, strict=True)]

    def _record(self, comment: Comment, scores: dict[str, float | None]) -> ScoreRecord:
        language = comment.language
        matches = self.lexicon.find(comment.text, language=None)
        verdict = self.policy.decide(
            scores, matches, self.scorer.info, site=comment.site, language=language
        )
        return ScoreRecord(
            id=comment.id,
            language=language,
            model=self.scorer.info,
            scores=scores,
            matches=matches,
            priority=verdict.priority,
            action=verdict.action,
            reasons=verdict.reasons,
        )
