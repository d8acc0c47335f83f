"""Training sentences written for moderator, in the register of a bilingual English /
Venezuelan-Spanish news comment section: threats without a violent verb, sexual harassment
aimed at a person, insults at a person (with weak labels from MIT / CC BY word lists), insults
at a whole nationality or party, positive profanity, counter-speech that quotes a slur, and
clean talk about violence, nationalities and parties.

Every template and word list here was written by us for this purpose (no test set was copied;
the blind policy sentences in tests/fixtures/quality/blind_policy.jsonl were written first, by
the same author, which docs/quality.md says). `generate(seed)` expands them reproducibly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

Labels = dict[str, float]
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
NEUTRAL_GROUP_EN = ["{g} {n}", "many {g} {n}", "some {g} {n} this year"]
NEUTRAL_GROUP_ES = ["{g} {n}", "muchos de {g} {n}", "algunos de {g} {n} este año"]


def _labels(**set_: float) -> Labels:
    out = dict.fromkeys(LABEL_NAMES, 0.0)
    out.update(set_)
    return out


def generate(seed: int, per_kind: int = 400) -> Iterator[tuple[str, str, Labels]]:
    """(text, language, labels) triples; every label is known (0 or 1)."""
    rng = random.Random(seed)

    def pick(xs: Sequence[str]) -> str:
        return xs[rng.randrange(len(xs))]

    def cap(s: str) -> str:
        s = " ".join(s.split())
        return s[0].upper() + s[1:] if s and rng.random() < 0.6 else s

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
