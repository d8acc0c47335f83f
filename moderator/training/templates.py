"""Training sentences written for moderator, in the register of a bilingual English /
Venezuelan-Spanish news comment section: threats without a violent verb, sexual harassment
aimed at a person, insults at a person (with weak labels from MIT / CC BY word lists), insults
at a whole nationality or party, positive profanity, counter-speech that quotes a slur, clean
talk about violence, nationalities and parties, insults made of ordinary adjectives beside
the same sentences with good ones, and veiled threats and harassment composed from parts beside
innocent sentences made of the same words.

Every template and word list here was written by us for this purpose (no test set was copied;
the blind policy sentences in tests/fixtures/quality/blind_policy.jsonl were written first, by
the same author, which docs/quality.md says; the adjective lists were written after reading 25
rows of the Jigsaw identity templates, which docs/quality.md also says). `generate(seed)` and
`generate_train_only(seed)` expand them reproducibly.
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


# Veiled threats and harassment, composed from parts so that no one phrase is learnt by heart:
# who is watched (the target's routine, car, home, family), what is promised (a visit, a list,
# an accident, a disappearance, an object: a bullet, a rope), and harassment of a named woman
# (her body or clothes, requests for photos, a job "earned" in bed, an unwanted advance). Each
# family sits beside innocent sentences made of the same words ("I know where you're coming
# from", "accidents happen on that road, drive safe", "send me the link"). Labelled for threat
# and sexual_explicit only (see `_veiled`), and never in the calibration split
# (`generate_train_only`). Written after the blind sets 1-4 had been read;
# blind_policy_5.jsonl was written at the same time by a writer who saw neither these lists nor
# the repository, and is the honest measure (docs/quality.md says what the two shared).
NAMES_EN = ["Daniela", "Carla", "Rodrigo", "Yusleidy", "Mariela", "José Luis", "Andreína", "Luis"]
NAMES_ES = [
    "Daniela",
    "Carlita",
    "Rodrigo",
    "Yusleidy",
    "Mariela",
    "José Luis",
    "Andreína",
    "chamo",
]
WOMEN_EN = ["Daniela", "Carla", "Yusleidy", "Mariela", "Andreína", "Valeria", "Laura"]
WOMEN_ES = ["Daniela", "Carlita", "Yusleidy", "Mariela", "Andreína", "Valeria", "mi reina"]
CALL_EN = ["journalist", "sapo", "traitor", "my friend", "little reporter", "smart guy", "{n}", ""]
CALL_ES = ["periodista", "sapo", "traidor", "mi pana", "periodistucho", "sabiondo", "{n}", ""]
ROUTINE_EN = [
    "park the {car} outside the {place} every morning",
    "leave the office at {hour} every day",
    "take your kids to school on {street}",
    "buy your bread at the bakery on {street}",
    "walk your dog around {street} at night",
    "get home around {hour}",
    "drink your coffee at the same place on {street}",
]
ROUTINE_ES = [
    "dejas el {car} frente a la {place} todas las mañanas",
    "sales de la oficina a las {hour} todos los días",
    "llevas a los niños al colegio por la {street}",
    "compras el pan en la panadería de la {street}",
    "sacas al perro por la {street} de noche",
    "llegas a tu casa como a las {hour}",
    "te tomas el café en el mismo sitio de la {street}",
]
CAR_EN = ["grey Corolla", "red Aveo", "white Hilux", "old Fiesta", "black Optra"]
CAR_ES = ["Corolla gris", "Aveo rojo", "Hilux blanca", "Fiesta viejo", "Optra negro"]
PLACE_EN = ["pharmacy", "bakery", "newspaper", "gym", "church", "school"]
PLACE_ES = ["farmacia", "panadería", "redacción", "iglesia", "escuela", "bodega"]
STREET = ["Av. Bolívar", "la Baralt", "Av. Urdaneta", "Las Mercedes", "El Cafetal", "La Candelaria"]
HOUR = ["six", "seven", "nine", "ten"]
HORA = ["seis", "siete", "nueve", "diez"]
WATCH_EN = [
    "I know you {r}",
    "we know you {r}",
    "funny, I see you {r}",
    "we know which building is yours",
    "we know where your mother lives",
    "I know the school your kids go to",
    "we have your address and your plate number",
    "nice {car} you have there",
    "we know the floor, the door and the time you get back",
]
WATCH_ES = [
    "sé que {r}",
    "sabemos que {r}",
    "qué casualidad, te veo cuando {r}",
    "sabemos cuál es tu edificio",
    "sabemos dónde vive tu mamá",
    "conozco el colegio de tus hijos",
    "tenemos tu dirección y tu placa",
    "qué bonito tu {car}",
    "sabemos el piso, la puerta y la hora en que llegas",
]
PROMISE_EN = [
    "keep writing and see how long that lasts",
    "it would be a shame if something happened to it",
    "accidents happen, you know",
    "your turn is coming",
    "your name is on the list",
    "some friends of mine will pay you a visit",
    "nobody would even come looking for you",
    "think about your family before you publish again",
    "enjoy it while you still can",
    "people like you end up {end}",
    "sleep with one eye open",
    "watch your back",
    "I have a bullet with your name on it",
    "there is a rope waiting for you",
    "you won't be so brave when we meet",
    "we will see each other soon, count on it",
    "one more article and we stop being patient",
]
PROMISE_ES = [
    "sigue escribiendo y vemos cuánto te dura",
    "sería una lástima que le pasara algo",
    "los accidentes pasan, tú sabes",
    "ya te llegará tu turno",
    "tu nombre está en la lista",
    "unos amigos te van a hacer una visita",
    "nadie te va a salir a buscar",
    "piensa en tu familia antes de publicar otra vez",
    "disfruta mientras puedas",
    "los que son como tú terminan {end}",
    "duerme con un ojo abierto",
    "cuídate la espalda",
    "tengo una bala con tu nombre",
    "hay un mecate esperándote",
    "no vas a ser tan valiente cuando nos veamos",
    "nos vemos pronto, cuenta con eso",
    "un artículo más y se nos acaba la paciencia",
]
END_EN = ["floating in the Guaire", "in a ditch", "missing", "in the morgue", "in a car boot"]
END_ES = ["flotando en el Guaire", "en una zanja", "desaparecidos", "en la morgue", "en una maleta"]
# The same words, innocent.
ROUTINE_SELF_EN = [
    "park outside the {place} every morning",
    "leave the office at {hour} every day",
    "take my kids to school on {street}",
    "buy my bread at the bakery on {street}",
    "walk the dog around {street} at night",
]
ROUTINE_SELF_ES = [
    "dejo el carro frente a la {place} todas las mañanas",
    "salgo de la oficina a las {hour} todos los días",
    "llevo a los niños al colegio por la {street}",
    "compro el pan en la panadería de la {street}",
    "saco al perro por la {street} de noche",
]
NEAR_EN = [
    "I know where you're coming from, but the numbers say otherwise",
    "we know the inflation figures are bad, the article just confirms it",
    "I {r} too and the traffic is a nightmare",
    "be careful with those numbers, the central bank revised them",
    "accidents happen on that road to {c}, drive safe everyone",
    "the list of candidates for {c} is finally out",
    "we will visit {c} next month with the kids",
    "my turn to host the family dinner is coming, wish me luck",
    "think about your family and get the vaccine, it's free at the {place}",
    "enjoy the rain while it lasts, the dry season is coming",
    "the police found the missing fisherman near {c}, alive",
    "nice {car} in the photo, my father had the same one",
    "send me the link to the full report, {n}",
    "give me your number and I'll send you the documents for the permit",
    "her dress at the book launch in {c} was lovely",
    "she got the job after ten years covering the courts, well deserved",
    "{n} did a great interview with the minister, sharp questions",
    "come to the presentation at the library in {c}, it's open to everyone",
    "{w}, send me the photo of the march, I want to share it",
    "{w}, DM me the link to the court documents when you can",
    "{w}, your piece on the blackouts was excellent",
    "loved the photo of {w} with the students in {c}",
    "saw you at the march in {c}, {w}, great coverage",
    "{w} explained the budget better than the minister did",
    "come to the forum at the library in {c}, {w} is speaking",
    "{n}, I also {r}, we should share a ride",
    "{w}, send me the photos of the event for the note",
    "send me a picture of the flooded street, {w}, we'll add it to the report",
    "{w}, DM me your email and I'll send the recording of the interview",
    "see you at the next town hall, {n}",
    "I see you posted the full video, thanks {w}",
    "when you upload the interview, let us know",
    "we watch your videos from Miami every week, keep going",
    "we are going to beat them at the polls in December",
    "their turn to lose is coming, at the ballot box",
    "we will see them at the polls, and we will win",
]
NEAR_ES = [
    "entiendo tu punto, pero los números dicen otra cosa",
    "sabemos que la inflación está mal, el artículo lo confirma",
    "yo también {r} y el tráfico es una pesadilla",
    "cuidado con esas cifras, el BCV las corrigió",
    "en la carretera a {c} pasan muchos accidentes, manejen con cuidado",
    "por fin salió la lista de candidatos de {c}",
    "el mes que viene vamos a visitar {c} con los niños",
    "me toca a mí hacer la cena familiar, deséenme suerte",
    "piensa en tu familia y vacúnate, es gratis en la {place}",
    "disfruten la lluvia mientras dure, ya viene la sequía",
    "la policía encontró al pescador desaparecido cerca de {c}, vivo",
    "qué bonito el {car} de la foto, mi papá tenía uno igual",
    "pásame el enlace del informe completo, {n}",
    "dame tu número y te mando los papeles del permiso",
    "el vestido que llevó a la presentación del libro en {c} estaba precioso",
    "consiguió el puesto después de diez años cubriendo tribunales, bien merecido",
    "{n} hizo una gran entrevista al ministro, preguntas muy buenas",
    "vengan a la presentación en la biblioteca de {c}, es abierta a todos",
    "{w}, mándame la foto de la marcha que la quiero compartir",
    "{w}, escríbeme al privado y te paso el contacto del abogado",
    "{w}, excelente tu crónica sobre los apagones",
    "qué buena la foto de {w} con los estudiantes en {c}",
    "te vi en la marcha de {c}, {w}, muy buena cobertura",
    "{w} explicó el presupuesto mejor que el ministro",
    "vengan al foro en la biblioteca de {c}, habla {w}",
    "{n}, yo también {r}, podemos compartir el carro",
    "{w}, mándame las fotos del evento para la nota",
    "mándame una foto de la calle inundada, {w}, la agregamos al reportaje",
    "{w}, pásame tu correo y te mando la grabación de la entrevista",
    "nos vemos en la próxima asamblea, {n}",
    "te veo en la marcha del sábado, {n}",
    "cuando subas la entrevista avísanos",
    "vemos tus videos desde Miami todas las semanas, sigue así",
    "vamos a ganarles en las urnas en diciembre",
    "ya les llegará su turno de perder, en las urnas",
    "nos vemos en las elecciones, y vamos a ganar",
]
HARASS_EN = [
    "{w}, I only come here for the photo of you in that {clothes}",
    "forget the article, {w}, turn around and give us the back view",
    "send me a pic of what you're wearing while you write, {x}",
    "{w}, DM me, I'll show you what a real interview is",
    "everyone knows how {w} got that job, a few late nights in the director's office",
    "she didn't get to the ministry with her brains, if you know what I mean",
    "nice analysis {x}, but you'd be more useful in my bed",
    "those lips, {w}, I'd love a private meeting at my place",
    "saw you at the march in that {clothes}, {w}, come find me next time",
    "I'm not reading, I'm just staring at that {clothes}, {x}",
]
HARASS_ES = [
    "{w}, yo solo entro para ver tu foto con {clothes}",
    "olvídate del artículo, {w}, date la vuelta que queremos ver",
    "mándame una foto de lo que tienes puesto mientras escribes, {x}",
    "{w}, escríbeme al privado que te enseño lo que es una entrevista de verdad",
    "todo el mundo sabe cómo consiguió {w} ese puesto, acostándose con el director",
    "esa no llegó al ministerio por su cerebro, ya tú sabes",
    "buen análisis {x}, pero servirías más en mi cama",
    "esa boquita, {w}, te invito a una reunión privada en mi casa",
    "te vi en la marcha con {clothes}, {w}, búscame la próxima vez",
    "no estoy leyendo, solo estoy viendo {clothes}, {x}",
]
CLOTHES_EN = ["tight dress", "short skirt", "tight shirt", "little top", "pair of jeans"]
CLOTHES_ES = [
    "ese vestido apretado",
    "ese short",
    "esa blusita",
    "ese pantalón pegado",
    "ese escote",
]


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


def generate_train_only(seed: int, per_kind: int = 400) -> Iterator[tuple[str, str, Labels]]:
    """(text, language, labels) triples for the n-gram weights only, never for the calibration
    layer: the veiled threats and harassment. In the calibration split their easy positives made
    the threat layer steeper (Spanish slope 2.6 → 3.3) and it reviewed identity-positive
    sentences ("Respetemos a los trans", threat 0.81)."""
    yield from _veiled(random.Random(f"{seed}:veiled"), per_kind // 2)


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


def _veiled(rng: random.Random, per_kind: int) -> Iterator[tuple[str, str, Labels]]:
    """Veiled threats (what is watched, what is promised, or both), harassment of a named
    woman, and innocent sentences made of the same words. They teach threat and sexual_explicit
    only: toxicity and the other labels stay unknown, so the toxicity model is the one fitted
    without them (labelled for toxicity too, they leant Spanish comments addressed to "tú"
    towards toxic: 311 more clean OffendES training comments reviewed, against 34)."""
    pick, cap = _drawers(rng)

    def fill(template: str, en: bool) -> str:
        return template.format(
            car=pick(CAR_EN if en else CAR_ES),
            place=pick(PLACE_EN if en else PLACE_ES),
            street=pick(STREET),
            hour=pick(HOUR if en else HORA),
            end=pick(END_EN if en else END_ES),
            c=pick(CITIES),
            n=pick(NAMES_EN if en else NAMES_ES),
            w=pick(WOMEN_EN if en else WOMEN_ES),
            x=pick(PET_EN if en else PET_ES),
            clothes=pick(CLOTHES_EN if en else CLOTHES_ES),
        )

    def menace(en: bool) -> str:
        watch = pick(WATCH_EN if en else WATCH_ES)
        watch = watch.replace("{r}", fill(pick(ROUTINE_EN if en else ROUTINE_ES), en))
        promise = pick(PROMISE_EN if en else PROMISE_ES)
        call = fill(pick(CALL_EN if en else CALL_ES), en)
        shape = rng.random()
        if shape < 0.3:
            text = f"{watch}, {call}" if call else watch
        elif shape < 0.6:
            text = f"{promise}, {call}" if call else promise
        else:
            text = f"{watch}. {promise[0].upper()}{promise[1:]}"
        return fill(text, en)

    def near(en: bool) -> str:
        template = pick(NEAR_EN if en else NEAR_ES)
        routine = fill(pick(ROUTINE_SELF_EN if en else ROUTINE_SELF_ES), en)
        return fill(template.replace("{r}", routine), en)

    def labels(threat: float = 0.0, sexual_explicit: float = 0.0) -> Labels:
        out: Labels = dict.fromkeys(LABEL_NAMES)
        out.update(threat=threat, sexual_explicit=sexual_explicit)
        return out

    for _ in range(per_kind):
        for en, language in ((True, "en"), (False, "es")):
            yield cap(menace(en)), language, labels(threat=1)
            harass = fill(pick(HARASS_EN if en else HARASS_ES), en)
            yield cap(harass), language, labels(sexual_explicit=1)
            yield cap(near(en)), language, labels()
            yield cap(near(en)), language, labels()
