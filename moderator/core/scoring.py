"""The scoring service: language + model + lexicon + policy → one score record per comment.

Per batch: languages are resolved (the platform's hint wins, else the detector's guess), each
comment goes to the scorer of its language group (the default scorer, or e.g. Detoxify
`multilingual` for the languages routed to it), each scorer is called once for its comments,
and the policy decides. Comments whose model scores fired a review or hold rule then have their
sentences scored, in one more call per scorer, and get their worst sentences as `spans`;
comments that pass cost nothing extra.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from moderator.core.language import Detection, Resolved, is_unsupported, primary, resolve
from moderator.core.models import SITE_LABEL, Comment, Match, ScoreRecord, Scores
from moderator.core.policy import MAX_SEVERITY, Policy
from moderator.core.ports import ContextScorer, LanguageDetector, Lexicon, Scorer, SiteScorer
from moderator.core.spans import pick, sentences


@dataclass(slots=True)
class _Item:
    """One comment on its way through a batch."""

    comment: Comment
    language: Resolved
    scorer: Scorer
    record: ScoreRecord | None = None
    matches: list[Match] | None = None
    complete: bool = True


class ScoringService:
    """Scores comments in one model call per scorer per batch (plus one per scorer for the
    sentences of flagged comments). Model errors propagate (the worker decides whether to retry
    or dead-letter); language detection, the lexicon and the policy do not fail on any text.

    `routes` maps a language to the scorer for it (other languages use `scorer`);
    `model_languages` are the languages `scorer` was trained on. Together with the lexicon's
    languages they are the covered languages: a comment known to be in another one gets the
    policy's unsupported-language reason. Without a `detector` only hints give a language.
    A lexicon scan that runs past `lexicon_budget_s` stops; the comment then goes to review
    with a reason saying its matches may be incomplete (a timeout is never read as a match,
    nor as clean).

    A record keeps at most `max_matches` matches (the policy sees them all), worst first, with
    every category's worst among them (so a category filter still finds the comment);
    `matches_total` says how many the lexicon found.

    A `site` scorer (the site model, `model.site_model`) scores every comment once more, in one
    call per batch: its probability is the `site` score and the record names it (`site_model`).
    """

    def __init__(
        self,
        scorer: Scorer,
        lexicon: Lexicon,
        policy: Policy,
        *,
        detector: LanguageDetector | None = None,
        routes: Mapping[str, Scorer] | None = None,
        model_languages: Collection[str] = ("en",),
        spans: bool = True,
        lexicon_budget_s: float | None = 0.25,
        max_matches: int = 100,
        site: SiteScorer | None = None,
    ) -> None:
        self.scorer = scorer
        self.lexicon = lexicon
        self.policy = policy
        self.detector = detector
        self.routes = dict(routes or {})
        self.covered = frozenset(lexicon.languages) | frozenset(model_languages) | set(self.routes)
        self.spans = spans
        self.lexicon_budget_s = lexicon_budget_s
        self.max_matches = max_matches
        self.site = site

    def score(self, comments: Sequence[Comment], *, spans: bool | None = None) -> list[ScoreRecord]:
        """One record per comment, in order. `spans` False skips the sentence pass (None: as
        the service was built)."""
        if not comments:
            return []
        items = [
            _Item(c, lang, self._scorer_for(lang.language))
            for c, lang in zip(comments, self._languages(comments), strict=True)
        ]
        for item in items:
            item.matches, item.complete = self.lexicon.find_within(
                item.comment.text, None, budget_s=self.lexicon_budget_s
            )
        all_scores = _run(
            [i.scorer for i in items],
            [c.text for c in comments],
            [i.language.language for i in items],
            [lexicon_severity(i.matches or []) for i in items],
        )
        if self.site is not None:
            # Comments the site model's prior (the bundled model) already scored reuse it,
            # unless the English stacker replaced that toxicity (the prior is the model's own).
            base = self.site.base_info
            known = [
                s.get("toxicity")
                if i.scorer.info == base
                and not (_reads_context(i.scorer) and i.language.language == "en")
                else None
                for i, s in zip(items, all_scores, strict=True)
            ]
            site_scores = self.site.score([c.text for c in comments], known)
            if len(site_scores) != len(comments):
                raise RuntimeError(
                    f"The site model returned {len(site_scores)} results for {len(comments)} texts."
                )
            all_scores = [
                {**scores, SITE_LABEL: p} for scores, p in zip(all_scores, site_scores, strict=True)
            ]
        for item, scores in zip(items, all_scores, strict=True):
            item.record = self._record(item, scores)
        if self.spans if spans is None else spans:
            self._add_spans(items)
        return [item.record for item in items if item.record is not None]

    def score_hinted(
        self,
        comments: Sequence[Comment],
        hints: Sequence[str | None],
        *,
        spans: bool | None = None,
    ) -> list[ScoreRecord]:
        """`score`, where each comment's language is the detector's confident guess, else its
        hint (for callers such as Coral that send the site's locale for every comment)."""
        found: list[Detection | None] = [None] * len(comments)
        if self.detector is not None and comments:
            found = list(self.detector.detect([c.text for c in comments]))
        chosen = [
            replace(c, language=(d.language if d is not None else None) or primary(h))
            for c, d, h in zip(comments, found, hints, strict=True)
        ]
        return self.score(chosen, spans=spans)

    def _languages(self, comments: Sequence[Comment]) -> list[Resolved]:
        detections: list[Detection | None] = [None] * len(comments)
        todo = [i for i, c in enumerate(comments) if not c.language]
        if self.detector is not None and todo:
            found = self.detector.detect([comments[i].text for i in todo])
            for i, detection in zip(todo, found, strict=True):
                detections[i] = detection
        return [resolve(c.language, d) for c, d in zip(comments, detections, strict=True)]

    def _scorer_for(self, language: str | None) -> Scorer:
        return self.routes.get(language or "", self.scorer)

    def _record(self, item: _Item, scores: Scores) -> ScoreRecord:
        comment, language, info = item.comment, item.language, item.scorer.info
        matches, complete = item.matches or [], item.complete
        incomplete = (
            ""
            if complete
            else (
                f"the lexicon scan stopped at its {self.lexicon_budget_s:g} s ceiling "
                f"(lexicon {self.lexicon.version}): matches shown may be incomplete"
            )
        )
        unsupported = ""
        if is_unsupported(language, self.covered):
            unsupported = (
                f"language '{language.language}' ({language.describe()}) is not among the "
                f"covered languages {', '.join(sorted(self.covered))} (model {info}, "
                f"lexicon {self.lexicon.version})"
            )
        verdict = self.policy.decide(
            scores,
            matches,
            info,
            site=comment.site,
            language=language.language,
            lexicon_version=self.lexicon.version,
            unsupported=unsupported,
            incomplete=incomplete,
            site_model=self.site.info if self.site is not None else None,
        )
        return ScoreRecord(
            id=comment.id,
            language=language.language,
            model=info,
            scores=scores,
            matches=worst_first(matches, self.max_matches),
            priority=verdict.priority,
            action=verdict.action,
            reasons=verdict.reasons,
            matches_total=len(matches),
            site_model=self.site.info if self.site is not None else None,
        )

    def _add_spans(self, items: list[_Item]) -> None:
        """Score the sentences of every comment whose model scores fired a rule: one call per
        scorer for all of them; a one-sentence comment reuses its own scores."""
        work: list[tuple[_Item, dict[str, float], list[tuple[int, int]]]] = []
        for item in items:
            record = item.record
            assert record is not None
            triggers = self.policy.triggers(
                record.scores, record.model, site=item.comment.site, language=record.language
            )
            if triggers:
                work.append((item, triggers, sentences(item.comment.text)))
        several = [(item, pieces) for item, _, pieces in work if len(pieces) > 1]
        texts = [item.comment.text[s:e] for item, pieces in several for s, e in pieces]
        scorers = [item.scorer for item, pieces in several for _ in pieces]
        languages = [item.language.language for item, pieces in several for _ in pieces]
        severities = [
            lexicon_severity([m for m in item.matches or [] if s <= m.start and m.end <= e])
            for item, pieces in several
            for s, e in pieces
        ]
        piece_scores = iter(_run(scorers, texts, languages, severities))
        for item, triggers, pieces in work:
            assert item.record is not None
            if len(pieces) > 1:
                scores = [next(piece_scores) for _ in pieces]
            else:
                scores = [item.record.scores]
            item.record.spans = pick(pieces, scores, triggers)


def lexicon_severity(matches: Sequence[Match]) -> float:
    """The lexicon's strongest match in [0, 1]: severity / MAX_SEVERITY, a quoted mention
    counting half (the policy's lexicon part of the priority with its default weights); 0
    with no match. An input of the bundled model's English stacker."""
    return max(
        (m.severity / MAX_SEVERITY * (0.5 if m.quoted else 1.0) for m in matches), default=0.0
    )


def worst_first(matches: Sequence[Match], limit: int) -> list[Match]:
    """At most `limit` matches, worst first (severity, plain before quoted, text order); each
    category's worst is kept before any category's second."""

    def rank(m: Match) -> tuple[int, bool, int, int]:
        return (-m.severity, m.quoted, m.start, m.end)

    seen: set[str] = set()
    leaders: list[Match] = []
    rest: list[Match] = []
    for m in sorted(matches, key=rank):
        (rest if m.category in seen else leaders).append(m)
        seen.add(m.category)
    return sorted((leaders + rest)[:limit], key=rank)


def _reads_context(scorer: Scorer) -> bool:
    """A scorer that takes each text's language and lexicon severity (the bundled model with
    its English stacker: `BilingualScorer.reads_context`)."""
    return isinstance(scorer, ContextScorer) and scorer.reads_context


def _run(
    scorers: Sequence[Scorer],
    texts: Sequence[str],
    languages: Sequence[str | None],
    severities: Sequence[float],
) -> list[Scores]:
    """Score texts[i] with scorers[i]: one call per distinct scorer, results in order. A
    scorer that reads context also gets each text's language and lexicon severity."""
    results: list[Scores | None] = [None] * len(texts)
    groups: dict[int, list[int]] = {}
    for i, scorer in enumerate(scorers):
        groups.setdefault(id(scorer), []).append(i)
    for indexes in groups.values():
        scorer = scorers[indexes[0]]
        batch = [texts[i] for i in indexes]
        if isinstance(scorer, ContextScorer) and scorer.reads_context:
            found = scorer.score(
                batch, [languages[i] for i in indexes], [severities[i] for i in indexes]
            )
        else:
            found = scorer.score(batch)
        if len(found) != len(indexes):
            raise RuntimeError(f"The model returned {len(found)} results for {len(indexes)} texts.")
        for i, scores in zip(indexes, found, strict=True):
            results[i] = scores
    return [r for r in results if r is not None]
