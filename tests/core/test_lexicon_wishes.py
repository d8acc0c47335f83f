"""Wishes of harm (issue 12, part 5: threats with no violent verb aimed at the speaker's own
act) and a whole group called a pack of animals: the lexicon finds them in English and Spanish;
a wish of death or injury on the reader or a person named by a pronoun is held, one aimed at a
person named by a word ("that senator", "al gobernador"), a pack-of-animals insult or a
party's voters called parasites is reviewed. The innocent wishes built of the same words match
none of these entries. Lexicon and policy only, no model."""

from __future__ import annotations

import pytest

from moderator.core.lexicon import LexiconMatcher
from moderator.core.models import Action, ModelInfo
from moderator.core.policy import Policy

NO_MODEL = ModelInfo("none", "0")
TERMS = {
    "i hope you die",
    "i hope someone shoots (a person)",
    "(group) are a bunch of (animals)",
    "ojalá se mueran",
    "ojalá alguien le pegue un tiro",
    "whoever votes for them is a parasite",
}


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("I hope someone runs you over on your way home.", Action.HOLD),
        ("Hopefully a bus runs him over tomorrow", Action.HOLD),
        ("i really hope you get hit by a truck", Action.HOLD),
        ("Praying she gets beaten to death, honestly.", Action.HOLD),
        ("I hope your house burns down with you inside.", Action.HOLD),
        ("Can't wait to see him hanging.", Action.HOLD),
        ("I hope you die in your sleep tonight.", Action.HOLD),
        ("Would be nice if somebody shot him.", Action.HOLD),
        ("I wish someone would shoot that senator.", Action.REVIEW),
        ("I hope somebody strangles the mayor", Action.REVIEW),
        ("Somebody needs to run that clown over.", Action.REVIEW),
        ("hope your office burns down", Action.REVIEW),
        ("The gringos are a bunch of greedy pigs.", Action.REVIEW),
        ("Democrats are nothing but a pack of thieves", Action.REVIEW),
        ("Ojalá te pase un carro por encima.", Action.HOLD),
        ("ojala le peguen un tiro a ese ministro", Action.HOLD),
        ("Dios quiera que te dé un infarto.", Action.HOLD),
        ("Espero que te estrelles en la autopista.", Action.HOLD),
        ("Ojalá alguien le pegue un tiro a ese ministro.", Action.REVIEW),
        ("ojalá alguien mate al gobernador", Action.REVIEW),
        ("Que se muera ese desgraciado.", Action.REVIEW),
        ("A ver si te parte un rayo.", Action.REVIEW),
        ("hope the governor gets his head bashed in at the next rally", Action.REVIEW),
        ("I hope Judge Ortega gets run over, seriously.", Action.REVIEW),
        ("Let his helicopter go down with him on board.", Action.REVIEW),
        ("Everyone who voted for that clown is a brainwashed moron.", Action.REVIEW),
        ("People who support the Frente Amplio are parasites.", Action.REVIEW),
        ("A ver si alguien le mete un tiro a ese juez.", Action.REVIEW),
        ("Espero que alguien le corte el cuello a ese corrupto.", Action.REVIEW),
        ("Ojalá algún día te den una golpiza que no te puedas ni parar.", Action.REVIEW),
        ("Ojalá se le caiga el helicóptero al gobernador.", Action.REVIEW),
    ],
)
def test_wishes_of_harm_are_flagged(
    lexicon: LexiconMatcher, policy: Policy, text: str, action: Action
) -> None:
    matches = lexicon.find(text)
    assert {m.term for m in matches} & TERMS, text
    assert policy.decide({}, matches, NO_MODEL).action == action


@pytest.mark.parametrize(
    "text",
    [
        "I hope you get home safe after the march.",
        "I hope someone shoots a documentary about the strike.",
        "I wish someone would shoot the photos for the wedding.",
        "I hope the new mayor runs the city better than the last one.",
        "Hope he gets the nomination.",
        "Somebody should run the report over to the newsroom.",
        "I hope the regime dies at the ballot box.",
        "The gang of thugs that robbed the bakery was arrested.",
        "The pig farmers in Zulia are a bunch of hard workers.",
        "Ojalá le den un tiro libre al Caracas en el último minuto.",
        "Ojalá te vaya muy bien en el examen.",
        "Antes de que se muera el abuelo quiero llevarlo a Mérida.",
        "No quiero que se muera mi perro.",
        "Que se mueran de envidia los del otro equipo.",
        "Ojalá le den el premio a la periodista.",
        "Espero que se mejore pronto tu mamá.",
        "I hope the bill gets killed in committee.",
        "Hopefully they don't get shot at the checkpoint.",
        "I hope nobody gets hurt or shot at the march tomorrow.",
        "Hope the new coach gets his team ready for Sunday.",
        "The plane crashed into the sea with 120 passengers on board.",
        "Anyone who voted for the reform is a hero in my book.",
        "Ojalá le den una paliza al Magallanes en el estadio.",
        "Ojalá se le arregle el carro a tu hermano.",
        "Espero que se mate estudiando para el examen de mañana.",
        "Ojalá le pase el carro a su hijo cuando cumpla dieciocho.",
        "I hope you all die laughing at this video.",
        "Hope you die old and happy, grandpa.",
        "Can't wait to see you hang out with us at the festival.",
        "Politicians are a bunch of crooks, all of them, left and right.",
        "I bet he gets killed in the ratings after that interview.",
    ],
)
def test_innocent_wishes_match_none_of_them(lexicon: LexiconMatcher, text: str) -> None:
    assert not {m.term for m in lexicon.find(text)} & TERMS, text
