"""Offset-preserving normalisation: exactly one output character for every input character.

`normalise(text)` lower-cases, strips accents (but keeps ñ apart from n: "año" is not "ano"),
folds homoglyphs (Cyrillic and Greek look-alikes, full-width and mathematical letters, circled
letters) and turns invisible characters (zero-width, bidi controls, variation selectors,
combining marks) into the placeholder `SKIP`. Because the output has the same length as the
input, an offset found in the normalised string is an offset into the original text: nothing
here ever deletes or inserts a character. Leetspeak digits and masking symbols are left as
they are; the trie reads them (see `cells`), because "1" may stand for i or l and "455" is a
number, not a word.
"""

from __future__ import annotations

import re
import unicodedata

#: Stands for a character to skip inside a word (zero-width, combining mark). It is itself a
#: zero-width character (WORD JOINER), so an original one needs no special case.
SKIP = "\u2060"
#: A combining tilde survives as itself, so a decomposed "n" + U+0303 still reads as ñ.
TILDE = "\u0303"

# Look-alikes NFKD does not fold (Cyrillic, Greek, small capitals), by the Latin letter they
# imitate. Names rather than the characters themselves, so the source stays unambiguous.
_LOOKALIKE_NAMES = {
    "a": "CYRILLIC SMALL LETTER A|GREEK SMALL LETTER ALPHA|LATIN SMALL LETTER ALPHA",
    "b": "CYRILLIC SMALL LETTER VE|CYRILLIC SMALL LETTER SOFT SIGN|GREEK SMALL LETTER BETA",
    "c": "CYRILLIC SMALL LETTER ES|GREEK LUNATE SIGMA SYMBOL",
    "d": "CYRILLIC SMALL LETTER KOMI DE",
    "e": "CYRILLIC SMALL LETTER IE|CYRILLIC SMALL LETTER IO|GREEK SMALL LETTER EPSILON",
    "g": "LATIN SMALL LETTER SCRIPT G",
    "h": "CYRILLIC SMALL LETTER SHHA|CYRILLIC SMALL LETTER EN",
    "i": "CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I|CYRILLIC SMALL LETTER YI|"
    "GREEK SMALL LETTER IOTA|LATIN SMALL LETTER DOTLESS I",
    "j": "CYRILLIC SMALL LETTER JE|LATIN SMALL LETTER DOTLESS J",
    "k": "CYRILLIC SMALL LETTER KA|GREEK SMALL LETTER KAPPA",
    "m": "CYRILLIC SMALL LETTER EM",
    "n": "CYRILLIC SMALL LETTER PE|GREEK SMALL LETTER ETA",
    "o": "CYRILLIC SMALL LETTER O|GREEK SMALL LETTER OMICRON",
    "p": "CYRILLIC SMALL LETTER ER|GREEK SMALL LETTER RHO",
    "q": "CYRILLIC SMALL LETTER QA",
    "r": "CYRILLIC SMALL LETTER GHE",
    "s": "CYRILLIC SMALL LETTER DZE",
    "t": "CYRILLIC SMALL LETTER TE|GREEK SMALL LETTER TAU",
    "u": "CYRILLIC SMALL LETTER I|GREEK SMALL LETTER UPSILON|GREEK SMALL LETTER MU",
    "v": "GREEK SMALL LETTER NU|CYRILLIC SMALL LETTER IZHITSA",
    "w": "CYRILLIC SMALL LETTER WE|GREEK SMALL LETTER OMEGA",
    "x": "CYRILLIC SMALL LETTER HA|GREEK SMALL LETTER CHI",
    "y": "CYRILLIC SMALL LETTER U|GREEK SMALL LETTER GAMMA",
    "3": "CYRILLIC SMALL LETTER ZE",
}
_HOMOGLYPHS = {
    unicodedata.lookup(name): latin
    for latin, names in _LOOKALIKE_NAMES.items()
    for name in names.split("|")
}
_SMALL_CAPITALS = {
    unicodedata.lookup(f"LATIN LETTER SMALL CAPITAL {c.upper()}"): c
    for c in "abcdeghijklmnoprtuvwyz"
}
_QUOTES = dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'") | dict.fromkeys(
    "\u201c\u201d\u201e", '"'
)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
# Blocks worth folding; everything else passes through unchanged (and is never a letter of ours).
_RANGES = (
    (0x80, 0x52F),
    (0x1AB0, 0x1AFF),
    (0x1D00, 0x1EFF),
    (0x2000, 0x214F),
    (0x2460, 0x24FF),
    (0x2C60, 0x2C7F),
    (0xA720, 0xA7FF),
    (0xFE00, 0xFE2F),
    (0xFEFF, 0xFEFF),
    (0xFF00, 0xFFEF),
    (0x1D400, 0x1D7FF),
    (0x1F130, 0x1F189),
    (0xE0000, 0xE01EF),
)
_INVISIBLE = {0x115F, 0x1160, 0x180B, 0x180C, 0x180D, 0x180E, 0x180F, 0x3164, 0xFFA0}


def _fold(ch: str) -> str | None:
    """The one-character folding of `ch`, or None to keep it as it is."""
    cp = ord(ch)
    if ch == TILDE:
        return None
    if cp in _INVISIBLE or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return SKIP
    if ch in "ñÑ":
        return "ñ"
    low = ch.lower()
    for lookalikes in (_HOMOGLYPHS, _SMALL_CAPITALS):
        if low in lookalikes or ch in lookalikes:
            return lookalikes.get(low) or lookalikes[ch]
    if ch in _QUOTES:
        return _QUOTES[ch]
    if ch in _DASHES:
        return "-"
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    base = base.lower()
    if len(base) == 1 and base != ch:
        return base
    return low if len(low) == 1 and low != ch else None


def _build_table() -> dict[int, str]:
    table = {cp: chr(cp + 32) for cp in range(ord("A"), ord("Z") + 1)}
    for first, last in _RANGES:
        for cp in range(first, last + 1):
            folded = _fold(chr(cp))
            if folded is not None:
                table[cp] = folded
    # Fold to a fixed point: MICRO SIGN folds to Greek mu, which folds to u; one step would let
    # "fµck" through and make normalising twice change the text.
    for cp, folded in table.items():
        for _ in range(4):
            nxt = table.get(ord(folded), folded) if len(folded) == 1 else folded
            if nxt == folded:
                break
            folded = nxt
        table[cp] = folded
    return table


TABLE: dict[int, str] = _build_table()
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(TABLE)


def normalise(text: str) -> str:
    """Fold `text` for matching. Guarantees len(normalise(text)) == len(text)."""
    if text.isascii():
        return text.lower()
    # Translating only the non-ASCII runs and lower-casing the rest in C is about twice as fast
    # as translating every character; the full table is the fallback if lower() changed a length.
    folded = _NON_ASCII.sub(_fold_run, text).lower()
    if len(folded) != len(text):
        folded = text.translate(TABLE)
    return folded


# --- Reading a token: leetspeak and masks --------------------------------------------------

#: What a non-letter may stand for inside a word. Letters stand for themselves.
LEET: dict[str, str] = {
    "0": "o",
    "1": "il",
    "!": "i",
    "|": "il",
    "3": "e",
    "4": "a",
    "@": "a",
    "5": "s",
    "$": "s",
    "7": "t",
    "+": "t",
    "8": "b",
    "9": "g",
    "6": "g",
}
#: Masking symbols: each stands for exactly one unknown letter ("f*ck", "p#ta").
MASKS = "*#"
LETTERS = "abcdefghijklmnopqrstuvwxyzñ"

#: A token in normalised text: starts with a letter, digit, @ or $; may contain leet symbols,
#: masks and SKIP inside; never ends with ! | + * # (so "shit!" is the token "shit").
TOKEN = re.compile(r"[a-zñ0-9@$](?:[a-zñ0-9@$!|+*#\u2060\u0303]*[a-zñ0-9@$\u2060\u0303])?")


def clean_token(token: str) -> str:
    """Drop placeholders from a token, reading a decomposed n + combining tilde as ñ."""
    if SKIP in token or TILDE in token:
        token = token.replace("n" + TILDE, "ñ").replace(SKIP, "").replace(TILDE, "")
    return token


def fold_words(phrase: str) -> list[str]:
    """Normalise lexicon text the way comment text is read: "I'll Kill" → ["i", "ll", "kill"]."""
    return [clean_token(t) for t in TOKEN.findall(normalise(phrase))]
