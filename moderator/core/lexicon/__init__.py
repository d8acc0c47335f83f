"""The slur / abuse lexicon engine (English and Spanish), pure Python.

    lex = load_lexicon([Path("config/lexicons/en.toml"), Path("config/lexicons/es.toml")])
    lex.find("Listen to what the retard Freddy has to say")   # → [Match(term="retard", ...)]
    lex.version                                               # short hash of the loaded data

Every Match has text[start:end] == match, whatever obfuscation the text used.
"""

from moderator.core.lexicon.entry import CATEGORIES, Entry
from moderator.core.lexicon.loader import load_lexicon
from moderator.core.lexicon.matcher import LexiconMatcher
from moderator.core.lexicon.normalise import normalise

__all__ = ["CATEGORIES", "Entry", "LexiconMatcher", "load_lexicon", "normalise"]
