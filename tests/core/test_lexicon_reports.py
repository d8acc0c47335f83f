"""News and talk about violence against calls for it (issue 12, part 5: "legitimate talk of
raids, executions ... never bury the first kind"). A report ("the colectivos were ordered to kill
protesters"), a question about what was done, sport and election talk ("we're going to kill
them in the game"), a wish of death talked about ("le desean la muerte a los políticos") and
"don't kill yourself" are not held by the lexicon; the calls and threats made of the same words
still are. And a threat after "we" is the speaker's own: "we will kill all the ..." is held, not
read as the speaker naming their own group. Lexicon and policy only, no model."""

from __future__ import annotations

import pytest

from moderator.core.lexicon import LexiconMatcher
from moderator.core.models import Action, ModelInfo
from moderator.core.policy import Policy

NO_MODEL = ModelInfo("none", "0")


@pytest.mark.parametrize(
    "text",
    [
        "Witnesses said the colectivos were ordered to kill protesters in Petare.",
        "Soldiers were told to kill all the prisoners, a witness said.",
        "Leaked audio shows the general ordering troops to shoot protesters.",
        "Maduro sent the colectivos to kill protesters in Catia.",
        "The minister wants to kill all the journalists who criticize him, the union warned.",
        "The report describes a plan to kill opposition leaders before the vote.",
        "The FAES unit went in to kill criminals, not to arrest them, the UN report says.",
        "It is illegal to shoot migrants at the border, the court ruled.",
        "Threatening to kill all women will get you thrown in jail.",
        "The Nazis tried to kill all the Jews; that is what genocide means.",
        "Why did the guards kill all those people in the prison riot?",
        "We're going to kill them in the game on Sunday, the Leones have no defence.",
        "The opposition will kill them at the polls in December.",
        "Please don't kill yourself over this job, it isn't worth it.",
        "If you kill yourself working for this government, nobody will thank you.",
        "Los vamos a matar en el estadio el domingo, vamos Caracas.",
        "¡Los vamos a matar a goles!",
        "Hay gente que le desea la muerte a los políticos y eso no está bien.",
        "Le deseó la muerte a todos los periodistas en cadena nacional, denunció el sindicato.",
    ],
)
def test_talk_about_violence_is_not_held(
    lexicon: LexiconMatcher, policy: Policy, text: str
) -> None:
    matches = lexicon.find(text)
    # none at all, or reported ("threatening to ...": a mention, which policy never holds)
    assert not [m for m in matches if m.category == "threat_violence" and not m.quoted], matches
    assert policy.decide({}, matches, NO_MODEL).action != Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        "I want to kill all the journalists in this country.",
        "We need to kill them all before they take over.",
        "Time to kill every chavista in Caracas.",
        "It should be legal to shoot migrants at the border.",
        "We will kill all the chavistas.",
        "we should shoot every immigrant",
        "Nosotros los mataremos a todos los chavistas.",
        "We will slaughter every chavista once this is over.",
        "I'm going to kill you on Sunday.",
        "We will kill them in their homes.",
        "Te voy a matar el domingo.",
        "Te vamos a matar en tu casa.",
        "¡Muerte a los traidores!",
        "Go kill yourself, nobody wants you here.",
        "Just kill yourself already.",
    ],
)
def test_calls_and_threats_are_still_held(
    lexicon: LexiconMatcher, policy: Policy, text: str
) -> None:
    matches = lexicon.find(text)
    threats = [m for m in matches if m.category == "threat_violence"]
    assert threats and not any(m.quoted for m in threats), (text, matches)
    assert policy.decide({}, matches, NO_MODEL).action == Action.HOLD


@pytest.mark.parametrize(
    "text",
    [
        "We queers are proud of this city.",
        "Soy marica y qué.",
        "Todos estos fanáticos siguen diciendo que deberían ejecutar a los gays como yo.",
    ],
)
def test_self_reference_still_makes_a_mention(lexicon: LexiconMatcher, text: str) -> None:
    matches = lexicon.find(text)
    assert matches and all(m.quoted for m in matches), (text, matches)
