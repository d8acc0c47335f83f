"""A deterministic comment thread for the benchmarks: English and Venezuelan Spanish political
comments, from one-word replies to multi-paragraph posts, a share of them abusive.

Lengths follow what a news site's comment section looks like: most comments are a sentence or
two, a fifth run to a long paragraph and a few are essays of several paragraphs. The same seed
always gives the same comments, so two runs (or two machines) score the same text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

REPLIES_EN = [
    "Exactly.",
    "Source?",
    "This.",
    "Totally agree with you.",
    "Not true at all.",
    "Well said, thank you.",
    "Wow.",
    "Can you explain what you mean?",
    "That is not what the article says.",
    "Finally someone said it!",
    "lol no",
    "Who cares anymore.",
]
REPLIES_ES = [
    "Exacto.",
    "¿Fuente?",
    "Totalmente de acuerdo.",
    "Jajaja qué vaina.",
    "Eso es mentira.",
    "Bien dicho, pana.",
    "Qué triste todo esto.",
    "¿Y los presos políticos qué?",
    "No entiendo nada, explícame.",
    "Así mismo es.",
]
SENTENCES_EN = [
    "The raid on the village last night left three families without a home.",
    "Nobody in the government has explained the execution of the prisoners in Tocorón.",
    "A gang of thugs is running the country and the opposition keeps arguing about primaries.",
    "The regime shot protesters in Caracas again, and the press was told to stay away.",
    "Inflation ate my salary before the end of the month, like every month this year.",
    "I think the sanctions hurt ordinary people more than the officials they target.",
    "My cousin left for Bogotá in 2019 and still sends money home when she can.",
    "Elections without observers are not elections, whatever the minister says on TV.",
    "The article is right about the blackouts: we had no power for nine hours on Tuesday.",
    "Can someone post the source for the oil production figures? They look too high.",
    "Free press matters. Thank you for reporting this when others would not.",
    "The electoral council has not published the results by polling station, which says a lot.",
    "People queue for hours for cooking gas while the officials fly to Europe on holiday.",
    "If the opposition cannot agree on one candidate, they will lose again next year.",
    "Hospitals have no medicine and doctors are leaving for Chile and Peru every week.",
    "The teachers went on strike because a monthly salary does not buy a week of food.",
    "My grandmother's pension is worth less than a kilo of cheese, that is the reality.",
    "Border towns are full of people walking south with everything they own in one bag.",
    "The police detained two journalists for filming the protest outside the courthouse.",
    "Nobody voted for this economic plan and nobody in power will answer for it.",
    "Gold mining in the south is destroying the rivers and the indigenous communities.",
    "The negotiations in Mexico produced photographs and promises, nothing else.",
    "Remittances keep half of my neighbourhood alive, and now the fees doubled.",
    "The minister said the blackout was sabotage, as he says every single time.",
    "Prices are in dollars, salaries are in bolívars, and the gap grows every day.",
]
SENTENCES_ES = [
    "El gobierno volvió a subir el precio de la gasolina y nadie dice nada.",
    "La represión en Caracas fue brutal, pero la gente sigue saliendo a la calle.",
    "Mi mamá hace cola desde las cinco de la mañana para comprar harina.",
    "Los colectivos atacaron a los manifestantes frente a la universidad.",
    "El año pasado la inflación fue peor, pero los sueldos siguen sin alcanzar.",
    "Qué vergüenza lo que pasó en la frontera con los niños venezolanos.",
    "El vuelo a Madrid está retrasado dos horas y nadie da explicaciones.",
    "Hay que votar, aunque sea para que vean que somos mayoría.",
    "La economía está destruida y los enchufados siguen comprando camionetas.",
    "Gracias por el reportaje, hace falta periodismo independiente en el país.",
    "Compré huevos, pollo y arroz con lo que quedaba del bono de la patria.",
    "En mi pueblo llevamos tres días sin agua y la alcaldía no responde.",
    "Los médicos se están yendo y los hospitales no tienen ni guantes.",
    "El consejo electoral no publicó las actas y todos sabemos por qué.",
    "Mi hermano cruzó el Darién con sus dos hijos y todavía no sé nada de él.",
    "La oposición tiene que dejar de pelear entre ellos si quiere ganar algo.",
    "Las sanciones no tumbaron a nadie, solo hicieron más difícil la vida de la gente.",
    "El salario mínimo no alcanza ni para un cartón de huevos, así de simple.",
    "Detuvieron a otro periodista por publicar un video de la protesta.",
    "La minería ilegal en el sur está acabando con los ríos y los pueblos indígenas.",
    "Los precios están en dólares y los sueldos en bolívares, así no se puede vivir.",
    "El ministro dijo que el apagón fue un sabotaje, como dice siempre.",
    "Las remesas mantienen vivo a medio barrio y ahora cobran el doble por enviarlas.",
    "Cada semana cierra otro negocio en mi calle y nadie sabe qué hacer.",
    "Los maestros están en huelga porque el sueldo no alcanza ni para comer.",
]
ABUSE = [
    "Listen to what the retard Freddy has to say about him, what a joke.",
    "Brainwashed walking abortions, all of them.",
    "Venezuelans are really fucked up, I said it.",
    "Those people are animals and deserve to be shot.",
    "Shut the f*ck up, you r e t a r d.",
    "This is such sh!t, fuuuuck this government.",
    "Ese mamaguevo del ministro nos robó a todos, coño.",
    "Qué h1jo de p*ta, te voy a matar si te veo.",
    "Malditos venecos, fuera de nuestro país.",
    "Marico, qué vaina tan arrecha lo de la luz.",
]

#: (share of comments, fewest sentences, most sentences, paragraphs) per length class.
LENGTH_MIX: tuple[tuple[float, int, int, int], ...] = (
    (0.30, 0, 0, 1),  # a short reply
    (0.30, 1, 2, 1),  # a sentence or two
    (0.22, 3, 6, 1),  # a paragraph
    (0.12, 7, 12, 2),  # a long post
    (0.06, 14, 26, 4),  # a multi-paragraph essay
)


@dataclass(frozen=True, slots=True)
class CorpusComment:
    id: str
    text: str
    language: str


def comments(count: int, *, seed: int = 5, abusive_share: float = 0.15) -> list[CorpusComment]:
    """`count` comments, about half English and half Spanish, `abusive_share` of them with one
    abusive sentence. Deterministic for a given seed."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        spanish = rng.random() < 0.5
        text = _comment(rng, spanish, abusive=rng.random() < abusive_share)
        out.append(CorpusComment(id=f"c{n:07d}", text=text, language="es" if spanish else "en"))
    return out


def _comment(rng: random.Random, spanish: bool, *, abusive: bool) -> str:
    _, fewest, most, paragraphs = _length_class(rng.random())
    if most == 0:
        text = rng.choice(REPLIES_ES if spanish else REPLIES_EN)
        return f"{text} {rng.choice(ABUSE)}" if abusive else text
    bank = SENTENCES_ES if spanish else SENTENCES_EN
    sentences = [rng.choice(bank) for _ in range(rng.randint(fewest, most))]
    if abusive:
        sentences[rng.randrange(len(sentences))] = rng.choice(ABUSE)
    size = max(1, len(sentences) // paragraphs)
    blocks = [" ".join(sentences[i : i + size]) for i in range(0, len(sentences), size)]
    return "\n\n".join(blocks)


def _length_class(draw: float) -> tuple[float, int, int, int]:
    for length_class in LENGTH_MIX:
        draw -= length_class[0]
        if draw < 0:
            return length_class
    return LENGTH_MIX[-1]


def training_text() -> list[str]:
    """Every sentence of the bank once: what the benchmark tokenizers are trained on."""
    return [*REPLIES_EN, *REPLIES_ES, *SENTENCES_EN, *SENTENCES_ES, *ABUSE]
