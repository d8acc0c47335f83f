"""The lexicon's veiled threats, sexual harassment at a person and dehumanising singulars (issue
12, part 5): each is reviewed (severity 2) or, for dehumanising, held; the innocent readings
next to each phrase (a jump rope, a silver bullet, birds, "cuídate mucho", "saltar la cuerda")
match nothing. Lexicon and policy only, no model."""

from __future__ import annotations

import pytest

from moderator.core.lexicon import LexiconMatcher
from moderator.core.models import Action, ModelInfo
from moderator.core.policy import Policy

NO_MODEL = ModelInfo("none", "0")
NEW = {
    "a rope with your name on it",
    "every chavista is a parasite",
    "slept her way to the top",
    "te tengo ubicado",
    "todo chavista es un parásito",
    "se acostó con el jefe",
}


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("There's a rope with the editor's name on it.", Action.REVIEW),
        ("That bullet has your name on it, pal.", Action.REVIEW),
        ("A few lampposts would sort out the whole cabinet.", Action.REVIEW),
        ("They'll be swinging from the streetlights by Christmas.", Action.REVIEW),
        ("Somebody should put a round through that guy's skull.", Action.REVIEW),
        ("Your days are numbered, scribbler.", Action.REVIEW),
        ("We found your home address. Watch your back.", Action.REVIEW),
        ("It would be a shame if something happened to your kids.", Action.REVIEW),
        ("Everyone knows she slept her way to the top of that channel.", Action.REVIEW),
        ("Sit on my lap and read it to me, sweetheart.", Action.REVIEW),
        ("Every Chavista is a parasite living off the oil money.", Action.HOLD),
        ("Te tengo ubicado, sapo.", Action.REVIEW),
        ("Ya sabemos dónde trabajas y dónde estudian tus hijos.", Action.REVIEW),
        ("Me las vas a pagar, periodista.", Action.REVIEW),
        ("Sigue así y vas a amanecer con la boca llena de moscas.", Action.REVIEW),
        ("Tus días están contados.", Action.REVIEW),
        ("Hay un poste con tu nombre en la Baralt, y mecate pa rato.", Action.REVIEW),
        ("Consiguió el puesto acostándose con el jefe.", Action.REVIEW),
        ("Ven pa acá mamita, deja el periodismo.", Action.REVIEW),
        ("Todo chavista es un parásito.", Action.HOLD),
        ("People like you end up in a ditch, friend.", Action.REVIEW),
        ("Somebody should pay him a little visit.", Action.REVIEW),
        ("Tengo tu cédula y la placa de tu carro.", Action.REVIEW),
        ("Pronto le hacemos la visita a tu mamá.", Action.REVIEW),
        ("Gente como tú termina en una cuneta.", Action.REVIEW),
    ],
)
def test_veiled_threats_and_harassment_are_flagged(
    lexicon: LexiconMatcher, policy: Policy, text: str, action: Action
) -> None:
    matches = lexicon.find(text)
    assert {m.term for m in matches} & NEW, text
    assert policy.decide({}, matches, NO_MODEL).action == action


@pytest.mark.parametrize(
    "text",
    [
        "My daughter won the jump rope contest at school.",
        "There is no silver bullet for inflation.",
        "Great tits and blue tits were at the feeder this morning.",
        "The minister read the bullet points of the budget.",
        "Cuídate mucho, pana, y saludos a tu mamá.",
        "Los niños saltaban la cuerda en la plaza.",
        "No sé dónde queda la embajada, ¿alguien sabe?",
        "Los gobiernos van a pagar caro el error de la devaluación.",
        "Si siguen las lluvias van a aparecer más cuerpos en el río, dijo el bombero.",
        "The judge said the guards would pay for what they did to the prisoners.",
        "The lampposts on Avenida Urdaneta have been dark for a month.",
        "Con esas piernas ganó la maratón de Caracas: qué atleta.",
        "Cuando vaya a Madrid te hago una visita, pana.",
        "I'd love to ride the new metro line when it opens.",
        "My cat sat on my lap the whole time I read this.",
        "The flags hanging from the lampposts on Avenida Bolívar look great.",
        "Those legs of the tour through Mérida were the best.",
        "They will pay for this at the polls in December.",
        "Te daría toda la razón si no fuera por las cifras.",
        "Este gobierno tiene cuerda para rato, lamentablemente.",
        "Mañana te voy a buscar a tu casa para ir a la marcha.",
        "Nadie sabe dónde viven ahora los desplazados del barrio.",
        "Con sus piernas lesionadas no pudo caminar hasta el hospital.",
        "The river rose and the car ended up in a ditch near Barinas.",
    ],
)
def test_innocent_neighbours_match_none_of_them(lexicon: LexiconMatcher, text: str) -> None:
    assert not {m.term for m in lexicon.find(text)} & NEW, text
