"""Training sentences written for moderator, in the register of a bilingual English /
Venezuelan-Spanish news comment section: threats without a violent verb, sexual harassment
aimed at a person, insults at a person (with weak labels from MIT / CC BY word lists), insults
at a whole nationality or party, positive profanity, counter-speech that quotes a slur, clean
talk about violence, nationalities and parties, and insults made of ordinary adjectives beside
the same sentences with good ones.

Every template and word list here was written by us for this purpose (no test set was copied;
the blind policy sentences in tests/fixtures/quality/blind_policy.jsonl were written first, by
the same author, which docs/quality.md says; the adjective lists were written after reading 25
rows of the Jigsaw identity templates, which docs/quality.md also says). `generate(seed)`
expands them reproducibly.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence

Labels = dict[str, float | None]
LABEL_NAMES = ("toxicity", "insult", "identity_attack", "threat", "obscene", "sexual_explicit")

PEOPLE_EN = [
    "that governor",
    "the mayor",
    "this journalist",
    "the columnist",
    "that minister",
    "the editor",
    "that deputy",
    "the judge",
    "the commentator above",
    "that general",
    "the author",
    "you",
    "your boss",
    "that clown in the cabinet",
]
PEOPLE_ES = [
    "ese gobernador",
    "el alcalde",
    "este periodista",
    "la columnista",
    "ese ministro",
    "el editor",
    "ese diputado",
    "la jueza",
    "el del comentario de arriba",
    "ese general",
    "el autor",
    "tú",
    "tu jefe",
    "ese payaso del gabinete",
]
GROUPS_EN = [
    "Colombians",
    "Venezuelans",
    "Cubans",
    "Peruvians",
    "Mexicans",
    "Americans",
    "Chavistas",
    "opposition people",
    "Republicans",
    "Democrats",
    "socialists",
    "Argentinians",
    "Ecuadorians",
    "migrants",
    "Dominicans",
    "Chileans",
]
GROUPS_ES = [
    "los colombianos",
    "los venezolanos",
    "los cubanos",
    "los peruanos",
    "los mexicanos",
    "los gringos",
    "los chavistas",
    "los opositores",
    "los adecos",
    "los copeyanos",
    "los socialistas",
    "los argentinos",
    "los ecuatorianos",
    "los migrantes",
    "los dominicanos",
    "los chilenos",
    "los del PSUV",
    "los escuálidos",
]
BAD_ATTR_EN = [
    "thieves",
    "lazy parasites",
    "liars",
    "criminals",
    "animals",
    "subhuman trash",
    "a plague",
    "brainless sheep",
    "rats",
    "leeches",
    "scum",
    "morons",
    "filth",
    "good for nothing bums",
    "a cancer on this country",
]
BAD_ATTR_ES = [
    "unos ladrones",
    "unos vagos",
    "unos parásitos",
    "unos mentirosos",
    "unos delincuentes",
    "unos animales",
    "una plaga",
    "unas ratas",
    "una basura",
    "unos brutos",
    "unas sanguijuelas",
    "una escoria",
    "unos malandros",
    "unos flojos",
    "un cáncer para el país",
    "unos muertos de hambre",
]
NEUTRAL_ATTR_EN = [
    "voted today",
    "live in Maracaibo",
    "sent remittances home",
    "were at the march",
    "met the ambassador",
    "won the regional election",
    "crossed the border",
    "opened restaurants in Doral",
    "work in the oil sector",
]
NEUTRAL_ATTR_ES = [
    "votaron hoy",
    "viven en Maracaibo",
    "mandaron remesas",
    "fueron a la marcha",
    "se reunieron con el embajador",
    "ganaron la gobernación",
    "cruzaron la frontera",
    "abrieron restaurantes en Doral",
    "trabajan en el sector petrolero",
]
INSULT_EN = [
    "idiot",
    "moron",
    "clown",
    "piece of shit",
    "dumbass",
    "imbecile",
    "loser",
    "jackass",
    "scumbag",
    "lowlife",
    "asshole",
    "bootlicker",
    "sellout",
    "coward",
    "worthless hack",
    "dimwit",
    "halfwit",
    "pathetic liar",
]
# Venezuelan and Latin-American insults: our own list; some also appear in the BeKind /
# smart-profanity-filter lists (MIT) credited in DATA_SOURCES.md.
INSULT_ES = [
    "idiota",
    "imbécil",
    "pendejo",
    "huevón",
    "güevón",
    "pajúo",
    "mamagüevo",
    "jalabolas",
    "tukky",
    "malandro",
    "rata",
    "sapo",
    "bruto",
    "cabeza de ñame",
    "come flor",
    "boleta",
    "chimbo",
    "ladilla",
    "sifrino",
    "lambucio",
    "bolsa",
    "gafo",
    "mamarracho",
    "careculo",
    "desgraciado",
    "tarado",
    "payaso",
    "vendepatria",
    "jalamecate",
    "escuálido de mierda",
    "enchufado",
    "pata en el suelo",
]
THREATS_EN = [
    "{p} deserves a bullet",
    "a rope and a lamppost for {p}",
    "{p} will swing from a streetlight",
    "somebody should put a round in {p}",
    "I know where {p} lives",
    "we know where you sleep",
    "{p} won't see next year, trust me",
    "I have your address, see you soon",
    "one day {p} will get what's coming, and I'll be there",
    "we know which car is yours",
    "{p} should be very careful walking home",
    "your kids walk to school alone, right?",
    "{g} will hang from the lampposts when this is over",
    "a bullet for every one of {g}",
    "there is a lamppost waiting for each of {g}",
    "keep talking and see what happens to you",
    "{p} is going to end up in a ditch",
    "the only good one of {g} is a dead one",
    "I'll be waiting outside your office",
    "tick tock, {p}, we are coming",
]
THREATS_ES = [
    "a {p} hay que darle un tiro",
    "para {p} hay mecate y poste",
    "te tengo ubicado",
    "sé dónde vives",
    "sabemos dónde duermes",
    "{p} va a terminar en una zanja",
    "ya te tenemos fichado, cuídate",
    "a {g} hay que colgarlos de los postes",
    "un plomo para cada uno de {g}",
    "{p} no llega a diciembre, te lo juro",
    "te estoy esperando a la salida",
    "sabemos en qué carro andas",
    "cuídate cuando salgas de noche",
    "tus hijos salen solos del colegio, ¿verdad?",
    "a {p} le llegó su hora",
    "{g} van a guindar de los postes cuando esto cambie",
    "te vamos a encontrar",
    "el mejor de {g} es el que está muerto",
    "anda con cuidado que te vigilamos",
    "vas a aparecer en una cuneta",
]
SEXUAL_EN = [
    "send me nudes {x}",
    "show me your tits {x}",
    "I'd bend you over that desk {x}",
    "come sit on my lap {x}",
    "she got the job on her knees",
    "nice legs, open them for me {x}",
    "I want you in my bed tonight {x}",
    "take off that blouse {x}",
    "bet you'd look better naked {x}",
    "that reporter needs a good pounding",
]
SEXUAL_ES = [
    "mándame fotos desnuda {x}",
    "enséñame las tetas {x}",
    "ven a sentarte en mis piernas {x}",
    "seguro se acostó con el jefe para el puesto",
    "qué culo tan rico {x}",
    "te quiero en mi cama esta noche {x}",
    "quítate esa blusa {x}",
    "a esa periodista le hace falta que le den duro",
    "ábrete de piernas {x}",
    "te ves más rica sin ropa {x}",
]
PET_EN = ["babe", "sweetheart", "honey", "sexy", "doll", ""]
PET_ES = ["mamita", "mi reina", "preciosa", "mami", "bebé", ""]
POSITIVE_EN = [
    "fucking brilliant",
    "fucking superb reporting",
    "holy shit, great piece",
    "damn good article",
    "hell yes, finally",
    "this is fucking excellent",
    "bloody brilliant analysis",
    "shit, this is the best summary I've read",
    "goddamn right, well said",
    "fucking finally someone says it",
]
POSITIVE_ES = [
    "¡coño, qué artículo tan bueno!",
    "de pinga este reportaje",
    "joder, qué bien escrito",
    "qué vaina tan buena",
    "¡verga, excelente!",
    "puta, qué buena entrevista",
    "arrechísimo el análisis",
    "coño, por fin alguien lo dice",
    "brutal, de pinga",
    "carajo, qué buen trabajo",
]
AFTER_EN = ["thank you", "sharing this", "more like this please", "great work", ""]
AFTER_ES = ["gracias", "lo comparto", "sigan así", "excelente trabajo", ""]
SLURS_QUOTED_EN = ["faggot", "retard", "bitch", "vermin", "animals", "rats", "whore", "wetback"]
SLURS_QUOTED_ES = ["maricón", "retrasado", "perra", "ratas", "animales", "veneco", "india", "puta"]
COUNTER_EN = [
    "calling people '{s}' is hateful and you should stop",
    "he called them '{s}' and got banned, as he should",
    "using '{s}' as an insult hurts real people",
    "the deputy said '{s}' on TV and that is unacceptable",
    "if you write '{s}' here your comment will be removed",
    "nobody deserves to be called '{s}'",
]
COUNTER_ES = [
    "llamar '{s}' a la gente es odio y hay que denunciarlo",
    "le dijo '{s}' en televisión y eso es inaceptable",
    "usar '{s}' como insulto lastima a personas reales",
    "nadie merece que le digan '{s}'",
    "si escribes '{s}' aquí te borran el comentario",
    "citar a quien dice '{s}' no es lo mismo que decirlo",
]
NEWS_EN = [
    "police said three men were shot during the raid in {c}",
    "the victim was threatened with a knife, the court heard",
    "protesters hung an effigy from a lamppost in {c}",
    "the prosecutor says the journalist received threats for months",
    "two soldiers died in the clashes near {c}",
    "the report counts 40 killings by armed groups this year",
    "the bullet was recovered by forensic investigators",
    "the minister denied ordering the execution of prisoners",
]
NEWS_ES = [
    "la policía informó que tres hombres murieron baleados en {c}",
    "la víctima fue amenazada con un cuchillo, dijo la fiscalía",
    "los manifestantes colgaron un muñeco de un poste en {c}",
    "el periodista recibió amenazas durante meses, según la denuncia",
    "dos militares murieron en los enfrentamientos cerca de {c}",
    "el informe cuenta 40 asesinatos de grupos armados este año",
    "los forenses recuperaron la bala en el lugar",
    "el ministro negó haber ordenado la ejecución de presos",
]
CITIES = ["Petare", "Caracas", "Maracaibo", "Valencia", "Cúcuta", "San Cristóbal", "Barquisimeto"]
PERSON_INSULT_EN = [
    "{p} is a {i}",
    "shut up, you {i}",
    "what a {i} {p} is",
    "only a {i} would write this",
    "{p}, you absolute {i}",
]
PERSON_INSULT_ES = [
    "{p} es un {i}",
    "cállate, {i}",
    "qué {i} es {p}",
    "solo un {i} escribiría esto",
    "{p}, eres un {i}",
]
GROUP_INSULT_EN = [
    "{g} are all {a}",
    "{g} are {a}, every single one",
    "all {g} are {a}",
    "never trust {g}, they are {a}",
]
GROUP_INSULT_ES = [
    "{g} son todos {a}",
    "{g} son {a}, todos",
    "todos {g} son {a}",
    "no confíen en {g}, son {a}",
]
# Insults made of ordinary words ("a spineless, lying hack", "una persona despreciable"), each
# beside the same sentence with a good word, and the bad words about events, which this
# community uses to condemn massacres and floods. Labelled for insult (and identity_attack for a
# group) only: see `_adjectives`.
GOOD_ADJ_EN = [
    "decent",
    "honest",
    "brave",
    "smart",
    "kind",
    "fair",
    "thoughtful",
    "careful",
    "generous",
    "sharp",
    "good",
    "great",
    "wonderful",
    "excellent",
    "admirable",
    "hard-working",
    "respected",
    "principled",
    "patient",
    "funny",
    "lovely",
    "serious",
    "capable",
    "brilliant",
]
BAD_ADJ_EN = [
    "disgusting",
    "vile",
    "horrible",
    "repulsive",
    "revolting",
    "despicable",
    "pathetic",
    "worthless",
    "useless",
    "miserable",
    "nasty",
    "rotten",
    "sleazy",
    "spineless",
    "gutless",
    "brainless",
    "idiotic",
    "moronic",
    "stupid",
    "dumb",
    "lying",
    "corrupt",
    "evil",
    "wretched",
    "contemptible",
    "loathsome",
    "hideous",
    "ugly",
    "filthy",
    "shameless",
]
GOOD_ADJ_ES = [
    "decente",
    "honesta",
    "valiente",
    "inteligente",
    "amable",
    "justa",
    "seria",
    "generosa",
    "trabajadora",
    "admirable",
    "respetada",
    "brillante",
    "capaz",
    "buena",
    "excelente",
    "paciente",
    "graciosa",
    "correcta",
]
BAD_ADJ_ES = [
    "asquerosa",
    "repugnante",
    "despreciable",
    "miserable",
    "patética",
    "inútil",
    "ruin",
    "vil",
    "rastrera",
    "corrupta",
    "mentirosa",
    "estúpida",
    "bruta",
    "imbécil",
    "malnacida",
    "sinvergüenza",
    "lamentable",
    "basura",
    "podrida",
    "cobarde",
    "nefasta",
    "vendida",
]
NOUN_EN = ["person", "man", "woman", "human being", "reporter", "politician", "writer", "neighbour"]
PERSON_ADJ_EN = [
    "{p} is a {a} {n}",
    "what a {a} {n} {p} is",
    "{p}, you are a {a} {n}",
    "honestly {p} is just {a}",
    "{p} has always been {a}",
]
PERSON_ADJ_ES = [
    "{p} es una persona {a}",
    "qué persona tan {a} es {p}",
    "{p}, eres una persona {a}",
    "la verdad es que {p} es una persona {a}",
    "{p} siempre ha sido una persona {a}",
]
GROUP_ADJ_EN = ["{g} are {a} people", "all {g} are {a}", "{g} are all {a}", "{g} are just {a}"]
# A group takes the plural (and the insult templates' shapes, so that "los X son" is not
# learnt as an insult by itself).
GROUP_ADJ_ES = ["{g} son {a}", "todos {g} son {a}", "{g} son todos {a}", "{g} son gente {b}"]
GOOD_ADJ_ES_PLURAL = [
    "honestos",
    "trabajadores",
    "valientes",
    "inteligentes",
    "amables",
    "generosos",
    "serios",
    "admirables",
    "respetuosos",
    "solidarios",
    "alegres",
    "capaces",
    "echados pa'lante",
]
BAD_ADJ_ES_PLURAL = [
    "asquerosos",
    "repugnantes",
    "despreciables",
    "miserables",
    "inútiles",
    "ruines",
    "rastreros",
    "corruptos",
    "mentirosos",
    "estúpidos",
    "brutos",
    "malnacidos",
    "sinvergüenzas",
    "cobardes",
    "vendidos",
    "podridos",
]
EVENT_BAD_EN = [
    "the massacre in {c} was {a}",
    "what happened in {c} last night is {a}",
    "a {a} week for the families in {c}",
    "the conditions in the prison in {c} are {a}",
    "the flooding in {c} was {a}, send help",
    "those {a} raids in {c} must be investigated",
]
EVENT_BAD_ADJ_EN = [
    "horrible",
    "disgusting",
    "terrible",
    "awful",
    "vile",
    "shameful",
    "sickening",
    "brutal",
    "appalling",
    "despicable",
    "dreadful",
    "tragic",
    "revolting",
    "nasty",
    "heartbreaking",
]
EVENT_BAD_ES = [
    "el ataque de anoche en {c} fue {a}",
    "lo que pasó anoche en {c} es {a}",
    "un fin de semana {a} para las familias de {c}",
    "el estado de la cárcel de {c} es {a}",
    "el desastre de la inundación en {c} fue {a}, manden ayuda",
]
EVENT_BAD_ADJ_ES = [
    "horrible",
    "asqueroso",
    "terrible",
    "espantoso",
    "repugnante",
    "vergonzoso",
    "brutal",
    "despreciable",
    "lamentable",
    "trágico",
    "indignante",
    "nefasto",
    "doloroso",
]
NEUTRAL_GROUP_EN = ["{g} {n}", "many {g} {n}", "some {g} {n} this year"]
NEUTRAL_GROUP_ES = ["{g} {n}", "muchos de {g} {n}", "algunos de {g} {n} este año"]


def _labels(**set_: float) -> Labels:
    out: Labels = dict.fromkeys(LABEL_NAMES, 0.0)
    out.update(set_)
    return out


def _drawers(
    rng: random.Random,
) -> tuple[Callable[[Sequence[str]], str], Callable[[str], str]]:
    """`pick` (one item of a list) and `cap` (spaces collapsed, capitalised 60 % of the time),
    both drawing from `rng`."""

    def pick(xs: Sequence[str]) -> str:
        return xs[rng.randrange(len(xs))]

    def cap(s: str) -> str:
        s = " ".join(s.split())
        return s[0].upper() + s[1:] if s and rng.random() < 0.6 else s

    return pick, cap


def generate(seed: int, per_kind: int = 400) -> Iterator[tuple[str, str, Labels]]:
    """(text, language, labels) triples; every label is known (0 or 1)."""
    rng = random.Random(seed)
    pick, cap = _drawers(rng)

    groups_en_obj = list(GROUPS_EN)
    for _ in range(per_kind):
        yield (
            cap(pick(THREATS_EN).format(p=pick(PEOPLE_EN), g=pick(groups_en_obj))),
            "en",
            _labels(toxicity=1, threat=1),
        )
        yield (
            cap(pick(THREATS_ES).format(p=pick(PEOPLE_ES), g=pick(GROUPS_ES))),
            "es",
            _labels(toxicity=1, threat=1),
        )
        yield (
            cap(pick(SEXUAL_EN).format(x=pick(PET_EN))),
            "en",
            _labels(toxicity=1, sexual_explicit=1, insult=0.0),
        )
        yield (
            cap(pick(SEXUAL_ES).format(x=pick(PET_ES))),
            "es",
            _labels(toxicity=1, sexual_explicit=1),
        )
        yield (
            cap(pick(PERSON_INSULT_EN).format(p=pick(PEOPLE_EN), i=pick(INSULT_EN))),
            "en",
            _labels(toxicity=1, insult=1),
        )
        yield (
            cap(pick(PERSON_INSULT_ES).format(p=pick(PEOPLE_ES), i=pick(INSULT_ES))),
            "es",
            _labels(toxicity=1, insult=1),
        )
        yield (
            cap(pick(GROUP_INSULT_EN).format(g=pick(GROUPS_EN), a=pick(BAD_ATTR_EN))),
            "en",
            _labels(toxicity=1, insult=1, identity_attack=1),
        )
        yield (
            cap(pick(GROUP_INSULT_ES).format(g=pick(GROUPS_ES), a=pick(BAD_ATTR_ES))),
            "es",
            _labels(toxicity=1, insult=1, identity_attack=1),
        )
        yield cap(f"{pick(POSITIVE_EN)}, {pick(AFTER_EN)}".strip(", ")), "en", _labels(obscene=1)
        yield cap(f"{pick(POSITIVE_ES)} {pick(AFTER_ES)}".strip()), "es", _labels(obscene=1)
        yield cap(pick(COUNTER_EN).format(s=pick(SLURS_QUOTED_EN))), "en", _labels()
        yield cap(pick(COUNTER_ES).format(s=pick(SLURS_QUOTED_ES))), "es", _labels()
        yield cap(pick(NEWS_EN).format(c=pick(CITIES))), "en", _labels()
        yield cap(pick(NEWS_ES).format(c=pick(CITIES))), "es", _labels()
        yield (
            cap(pick(NEUTRAL_GROUP_EN).format(g=pick(GROUPS_EN), n=pick(NEUTRAL_ATTR_EN))),
            "en",
            _labels(),
        )
        yield (
            cap(pick(NEUTRAL_GROUP_ES).format(g=pick(GROUPS_ES), n=pick(NEUTRAL_ATTR_ES))),
            "es",
            _labels(),
        )
    yield from _adjectives(random.Random(f"{seed}:adjectives"), per_kind)


def _adjectives(rng: random.Random, per_kind: int) -> Iterator[tuple[str, str, Labels]]:
    """Insults made of ordinary adjectives, each beside the same sentence with a good one, and
    the bad adjectives about events. They teach `insult` (and `identity_attack` for a group)
    only: toxicity and the other labels stay unknown, so the rows above, drawn first and from
    their own generator, keep the toxicity model as it was."""
    pick, cap = _drawers(rng)

    def labels(insult: float, identity_attack: float | None = None) -> Labels:
        out: Labels = dict.fromkeys(LABEL_NAMES)
        out.update(insult=insult, identity_attack=identity_attack)
        return out

    for _ in range(per_kind):
        for bad in (True, False):
            en_adj = pick(BAD_ADJ_EN if bad else GOOD_ADJ_EN)
            es_adj = pick(BAD_ADJ_ES if bad else GOOD_ADJ_ES)
            person_en = pick(PERSON_ADJ_EN).format(p=pick(PEOPLE_EN), a=en_adj, n=pick(NOUN_EN))
            yield cap(person_en), "en", labels(float(bad))
            person_es = pick(PERSON_ADJ_ES).format(p=pick(PEOPLE_ES), a=es_adj)
            yield cap(person_es), "es", labels(float(bad))
            group_en = pick(GROUP_ADJ_EN).format(
                g=pick(GROUPS_EN), a=pick(BAD_ADJ_EN if bad else GOOD_ADJ_EN)
            )
            yield cap(group_en), "en", labels(float(bad), float(bad))
            group_es = pick(GROUP_ADJ_ES).format(
                g=pick(GROUPS_ES),
                a=pick(BAD_ADJ_ES_PLURAL if bad else GOOD_ADJ_ES_PLURAL),
                b=pick(BAD_ADJ_ES if bad else GOOD_ADJ_ES),
            )
            yield cap(group_es), "es", labels(float(bad), float(bad))
        event_en = pick(EVENT_BAD_EN).format(c=pick(CITIES), a=pick(EVENT_BAD_ADJ_EN))
        yield cap(event_en), "en", labels(0.0)
        event_es = pick(EVENT_BAD_ES).format(c=pick(CITIES), a=pick(EVENT_BAD_ADJ_ES))
        yield cap(event_es), "es", labels(0.0)
