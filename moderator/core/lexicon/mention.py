"""Use versus mention: is a matched span someone's own word, or talk about the word?

A match is a mention (Match.quoted = True) when it lies inside quotation marks (straight or
curly, single or double, and guillemets « » and their single-angle kind), or inside an
@handle or a URL (a name, not a use; "@sshole" itself is leetspeak, not a handle, because the
match starts at the "@"), or when the words around it in the same sentence say the word is being
discussed or rejected:

- before it: "the word", "the slur", "stop saying", "don't call (people)", "words like",
  "threatened to" (reporting a threat), "for saying you would", "la palabra", "no digas",
  "dejen de decir", "amenazó con", "por decir que";
- after it: "is a slur", "is offensive", "is disgusting", "es un insulto", "es ofensivo";
- self-reference just before it: "I'm a", "I am a proud", "calling myself", "us", "being a",
  "proud", "my fellow", "soy", "somos", "nosotros los"; or just after it: "like me", "like us"
  (the cues before it not for threats, where "we" is who acts: "we will kill all the ...");
- negation just before it: "not", "never", "don't", "nobody", "no one", "no <word>",
  "nadie", "nunca", "no" ("no woman deserves to die", "no merecen morir").

The rule is deliberately simple and errs towards review: policy never auto-holds a mention,
but it still sends it to review, so a slur dressed up in quotes is seen by a human.
All patterns run on normalised text (lower case, curly quotes folded to straight ones).
"""

from __future__ import annotations

import bisect
import re

_WINDOW = 60
# Every alternative starts with a literal, so the engine can skip ahead to candidate
# characters instead of trying each position (lookbehinds come after the literal for that).
_QUOTED = re.compile(
    r'"[^"\n]{1,300}"|«[^«»]{1,300}»|\u2039[^\u2039\u203a]{1,300}\u203a'
    r"|'(?<!\w')(?=[^\s'])[^'\n]{0,120}?(?<=[^\s'])'(?!\w)"
    r"|@(?<![\w@]@)\w{2,}|https?://\S+|www\.\S+"
)
_WORD_NOUNS = (
    r"word|term|slur|insult|expression|label|n-word|palabra|palabrota|termino|insulto|"
    r"expresion|calificativo|apodo"
)
_FILLER = r"(?:[ \"'«\u2039:]+[^ \"'«\u2039:.!?;\n]+){0,3}[ \"'«\u2039:]*$"
_LEFT = re.compile(
    r"(?:\b(?:the|that|this|a|la|esa|esta|el|ese|este|aquel) (?:" + _WORD_NOUNS + r")s?"
    r"|\b(?:words?|terms?|slurs?|palabras?|insultos?) (?:like|such as|como)"
    r"|\b(?:stop|quit|don ?'?t|do not|never|no|nunca|dej[ae]n?|dejemos|dejar) (?:de )?"
    r"(?:(?:le|les|me|te|nos|se) )?"
    r"(?:say|saying|use|using|call|calling|decir|decirle|decirles|decirme|decirte|digas|digan|"
    r"usar|uses|usen|llamar|llames|llamen|llamarle|llamarles)"
    r"|\b(?:okay|ok|right|acceptable|fine|bien|correcto|aceptable) (?:to )?(?:be )?"
    r"(?:call|calling|say|saying|use|using|decir|decirle|decirles|decirme|llamar|llamarle)"
    r"|\b(?:threaten(?:s|ed|ing)?|threats?) to|\bamenaz(?:a|an|o|aron|ar|ando) con"
    r"|\bamenazas? de)" + _FILLER
)
_SELF_HEAD = (
    r"i am|i'm|im|we are|we're|soy|somos|being|proud to be|proud|proudly|"
    r"call(?:ing|ed|s)? (?:myself|ourselves)|my fellow|all my|us|we|"
    r"(?:nosotros|nosotras) (?:los|las)|orgullos[oa]s? de ser"
)
_SELF_WORDS = (
    r"a|an|the|un|una|unos|unas|proud|such|happily|also|just|openly|fellow|and|"
    r"bad|baddest|boss|pretty|hottest|realest|freshest|biggest|orgullos[oa]s?"
)
_SELF = re.compile(r"\b(?:" + _SELF_HEAD + r")(?: (?:" + _SELF_WORDS + r"))*[ \"'«\u2039]*$")
_SELF_AFTER = re.compile(r"^[\s\"'»\u203a]*(?:like|as|como) (?:me|us|myself|ourselves|yo)\b")
_NEGATED = re.compile(
    r"(?:\b(?:not|never|nobody|no one|noone|nadie|nunca|jamas|tampoco)"
    r"|n't|\b(?:do|does|did|wo|would|should|could|ca|is|are|was|were)n ?'?t"
    r"|\b(?:dont|doesnt|didnt|wont|wouldnt|shouldnt|cant|isnt|arent))"
    r"(?: (?:all|really|even|ever|just|be|to|todos|todas|se|te|lo|los|las|les))? $"
    r"|\b(?:no|ningun|ninguna|ninguno|ningunos) (?:\w+ )?$"
)
_REPORTED = re.compile(
    r"\b(?:threaten(?:s|ed|ing)?|threats?|(?:for|of|about) (?:saying|joking|tweeting|posting)|"
    r"(?:never|not) (?:said|say|saying)|amenaz(?:a|an|o|aron|ar|ando)|por decir|"
    r"(?:insist(?:e|es|en|iendo|ir)|sigues diciendo|dices|dicen|anda diciendo) (?:con )?que)"
    + _FILLER
)
_NOT_SELF = (_LEFT, _NEGATED, _REPORTED)
_SENTENCE_END = re.compile(r"[.!?\n]")
_WORD = re.compile(r"[a-zñ]+")
_RIGHT = re.compile(
    r"^[\s\"'»\u203a)\]]*(?:is|are|was|were|es|son|era|fue|seems|sounds|parece)"
    r"(?: (?:a|an|un|una|so|really|very|muy|such|not|no|totally|deeply|considered|"
    r"considerad[oa]|word|palabra|term|termino|una palabra))*"
    r" (?:slurs?|insults?|offensive|disgusting|hateful|unacceptable|ableist|racist|homophobic|"
    r"transphobic|sexist|misogynistic|xenophobic|bigoted|derogatory|dehumani[sz]ing|hurtful|"
    r"insultos?|ofensiv[oa]s?|inaceptable|racistas?|homofobic[oa]s?|xenofob[oa]s?|"
    r"despectiv[oa]s?|asqueros[oa]s?|denigrantes?|capacitistas?|machistas?|hirientes?|"
    r"ok|okay|acceptable|aceptable)\b"
)


class MentionFinder:
    """Answers `is_mention(start, end)` for one text; quote spans are found once, lazily."""

    def __init__(self, norm: str) -> None:
        self._norm = norm
        self._quotes: list[tuple[int, int]] | None = None

    def is_mention(self, start: int, end: int, *, self_reference: bool = True) -> bool:
        """`self_reference=False` for threats: in "we will kill all the ..." the "we" before the
        match is who acts, not a member of the named group, so it is no cue ("... like me" after
        it still is: "they keep saying people like me should be executed")."""
        return self._in_quotes(start, end) or self._has_cue(start, end, self_reference)

    def sense_nearby(self, start: int, end: int, senses: frozenset[str]) -> bool:
        """Whether a word of `senses` is in the sentence around text[start:end] (outside it)."""
        norm = self._norm
        left = norm[max(0, start - 200) : start]
        cut = max((m.end() for m in _SENTENCE_END.finditer(left)), default=0)
        right = norm[end : end + 200]
        stop = _SENTENCE_END.search(right)
        around = left[cut:] + " " + (right[: stop.start()] if stop else right)
        return any(word in senses for word in _WORD.findall(around))

    def _in_quotes(self, start: int, end: int) -> bool:
        if self._quotes is None:
            self._quotes = [m.span() for m in _QUOTED.finditer(self._norm)]
        # Quoted spans do not overlap: only the last one opening before `start` can hold it.
        at = bisect.bisect_left(self._quotes, (start,)) - 1
        return at >= 0 and end <= self._quotes[at][1]

    def _has_cue(self, start: int, end: int, self_reference: bool) -> bool:
        norm = self._norm
        left = norm[max(0, start - _WINDOW) : start]
        cues = (_LEFT, _SELF, _NEGATED, _REPORTED) if self_reference else _NOT_SELF
        if any(p.search(left) for p in cues):
            return True
        right = norm[end : end + _WINDOW]
        return _RIGHT.match(right) is not None or _SELF_AFTER.match(right) is not None
