"""Formula markers for the standards: ``analyzer.lexicon.match`` plus a small floor of phrases.

Formula standards (greeting, closing, deferrals, security, deflection) look for lexicon
categories in a turn. They use the shared marker lexicon (:func:`analyzer.lexicon.match`)
when it is installed, and always add the phrases below, which are the minimum each
standard needs in English, Greek, Polish and Armenian. Matching is case- and
accent-insensitive; offsets are into the original text.
"""

from __future__ import annotations

import difflib
import logging
import re
from functools import lru_cache
from typing import Annotated, Iterable, NamedTuple, Sequence

from pydantic import AfterValidator

from ...lexicon_fold import fold as fold_text, fold_char, fold_pattern, original
from ...types import Conversation, Turn

log = logging.getLogger(__name__)

LANGUAGES = ("en", "el", "pl", "hy")


class Marker(NamedTuple):
    """A matched phrase: characters ``[start, end)`` of the text, its category and phrase."""

    start: int
    end: int
    category: str
    phrase: str


_W = r"\w*"  # a phrase ending in * matches any word ending
_DAYS_EN = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today|tonight"
_DAYS_EL = "δευτερα|τριτη|τεταρτη|πεμπτη|παρασκευη|σαββατο|κυριακη|αυριο|σημερα"
_DAYS_PL = "poniedzialk\\w*|wtork\\w*|srod\\w*|czwartk\\w*|piatk\\w*|sobot\\w*|niedziel\\w*|jutr\\w*|dzis\\w*"
_DAYS_HY = "երկուշաբթի|երեքշաբթի|չորեքշաբթի|հինգշաբթի|ուրբաթ|շաբաթ|կիրակի|վաղը|այսօր"

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "greeting_open": ("hello", "hi", "hey", "good (morning|afternoon|evening)", "welcome", "thank(s| you) for (contacting|reaching out|getting in touch)"),
        "closing": ("have a (nice|great|good|lovely) (day|evening|weekend)", "goodbye", "bye", "take care", "anything else i can (help|do)*", "thank(s| you) for (chatting|your patience)*"),
        "next_steps": ("you('ll| will| should) (receive|get|see)", "(will|should) (arrive|be (sent|refunded|delivered|credited|released|processed|shipped|replaced|cancelled|canceled|updated|resolved|fixed))", "next step*", "i('ve| have) (now |just |already )?(sent|issued|scheduled|booked|arranged|refunded|processed|updated|changed|cancelled|canceled|corrected|fixed|reset|resent|rebooked|replaced)", "i('ll| will) (send|call|email|e-mail|chase|check)", "tracking number", "confirmation (e-?mail|message)"),
        "contact_back": ("(just )?reply (here|to this)*", "contact us", "reach (us|me)", "call us", "write to us", "get in touch", "feel free to (write|contact|reach|message|call)", "if (you have|there are) any (other |more |further )?(questions|problems|issues)", "our (hotline|helpline)"),
        "blame": ("you should have", "your (own )?fault", "you did(n't| not) (read|follow|check)", "(it's|it is) not our (fault|problem)", "that's on you", "you must have (done|entered|made)*"),
        "redirect": ("not my (department|job|problem|responsibility)", "not something i (can|deal)*", "you('ll| will) (have|need) to (call|contact|ask) (someone|another|the other|a different)*", "ask someone else", "(call|contact) (the|your) (courier|bank|manufacturer) yourself"),
        "vague_postpone": ("get back to you", "(contact|call|email) you (later|back)", "sometime", "at some point", "in due course", "when (we|someone) (can|gets? (a|the) chance)", "later"),
        "concrete_time": (f"(by|on|until|before) ({_DAYS_EN})", "today", "tomorrow", "(within|in) (\\d+|one|two|three|24|48) (minutes?|hours?|(business |working )?days?)", "(this|tomorrow) (morning|afternoon|evening)", "end of (the )?(day|today)"),
        "ask_card": ("(full |whole |complete |long )?(credit |debit )?card number", "card details", "cvv", "cvc", "security code (on the back)*", "16[- ]digit*"),
        "ask_password": ("password", "passcode", "login details"),
        "ask_otp": ("(one[- ]time|verification|sms|security|confirmation) code", "otp", "the code (we|you) (just )?(sent|received|got)"),
        "acknowledge": ("sorry", "apologi*", "i (completely |totally )?understand", "i can (see|imagine|understand)", "(that|this) (must be|sounds|is) (so |really |very )?(frustrating|annoying|stressful|upsetting|disappointing)", "i hear you"),
        "frustration": ("(this|that|it)('s| is) (absolutely |completely |just |really )?(ridiculous|unacceptable|outrageous|a joke|a disgrace|a scandal|terrible|awful|useless)", "unacceptable", "outrageous", "i('m| am) (really |very |so |extremely |absolutely |getting )?(frustrated|upset|angry|annoyed|furious|disappointed|fed up|sick of)", "(so |really |very |extremely )?frustrating", "(terrible|awful|horrible|appalling|worst|shocking|useless) (service|experience|support|customer service)", "i('m| am| will) never (buy|order|shop)\\w* (from|with|here)*", "(third|fourth|fifth) time i('ve| have) (called|written|asked|contacted)", "waste of (my )?time"),
        "negative_language": ("unfortunately", "(we|i) (can't|cannot|can not|won't be able to|are unable to|am unable to|are not able to|am not able to)", "there('s| is) nothing (more |else )?(we|i) can do", "nothing (we|i) can do", "nothing (else |more )?can be done", "(it's|it is|that's|that is) (not possible|impossible)", "no way", "(that's|it's|that is|it is) (just )?our (policy|rules)", "as i (already |just )?(said|told you|explained|wrote)", "(that's|it's|that is) not (allowed|permitted)"),
    },
    "el": {
        "greeting_open": ("γεια (σας|σου)", "καλημερα", "καλησπερα", "καλως (ηρθατε|ορισατε)", "χαιρετω", "ευχαριστουμε (που|για την) επικοινων*"),
        "closing": ("καλη (συνεχεια|σας μερα|μερα|βραδια|εβδομαδα)", "να εχετε (μια )?καλη*", "αντιο", "ευχαριστουμε για την επικοινωνια", "(χρειαζεστε|μπορω να (σας )?βοηθησω (σε|με)) (κατι|τιποτα) αλλο*"),
        "next_steps": ("θα (λαβετε|παραλαβετε|σας σταλει|σας αποσταλει|φτασει|επιστραφ\\w*|πιστωθ\\w*)", "επομενο βημα", "(εχω|εχουμε) (ηδη )?(στειλει|καταχωρισει|προγραμματισει|εκδωσει)", "εστειλα", "αριθμο αποστολης"),
        "contact_back": ("επικοινωνηστε (μαζι μας|ξανα)", "καλεστε (μας|στο)", "γραψτε μας", "στειλτε μας", "μη(ν)? διστασετε", "απαντηστε (σε αυτο|εδω)*", "για οποιαδηποτε (αλλη )?(απορια|ερωτηση)"),
        "blame": ("(δικο|δικο σας) (σας )?λαθος", "φταιτε", "επρεπε να (ειχατε|το ειχατε)*", "δεν διαβασατε", "δεν (ειναι|φταμε) (δικο μας|εμεις)*"),
        "redirect": ("δεν ειναι (δικο μου|δικη μου|δουλεια μου|του τμηματος μου)*", "δεν (ασχολουμαι|ειναι αρμοδιοτητα μου)*", "(απευθυνθειτε|παρτε τηλεφωνο|καλεστε) (σε|στο) (αλλο|αρμοδιο) τμημα", "ρωτηστε καποιον αλλο"),
        "vague_postpone": ("θα (σας )?επανελθουμε", "θα (σας )?ενημερωσουμε", "θα επικοινωνησουμε (μαζι σας)*", "καποια στιγμη", "αργοτερα", "οταν μπορεσουμε"),
        "concrete_time": (f"(εως|μεχρι|την|τη) ({_DAYS_EL})", "σημερα", "αυριο", "(εντος|μεσα σε|σε) (\\d+|μια|δυο|δυο|τρεις) (λεπτ\\w*|ωρ\\w*|(εργασιμ\\w* )?ημερ\\w*)", "στις \\d+"),
        "ask_card": ("(ολοκληρο τον |πληρη )?αριθμο (της )?(πιστωτικης |χρεωστικης )?καρτας", "στοιχεια (της )?καρτας", "cvv", "cvc"),
        "ask_password": ("κωδικο προσβασης", "συνθηματικο", "password"),
        "ask_otp": ("κωδικο (μιας χρησης|επαληθευσης|επιβεβαιωσης|otp|sms|που (λαβατε|σας ηρθε))", "otp"),
        "acknowledge": ("λυπαμαι", "συγγνωμη", "ζητω συγγνωμη", "ζητουμε συγγνωμη", "(καταλαβαινω|κατανοω|αντιλαμβανομαι)*", "απογοητευτικ*"),
        "frustration": ("απαραδεκτ*", "απογοητευμεν*", "απογοητευση", "εκνευρισμεν*", "θυμωμεν*", "αναστατωμεν*", "εξοργισμεν*", "εξοργιστικ*", "αγανακτισμεν*", "αισχος", "ντροπη σας", "(κακιστη|χειροτερη|απαισια|αθλια) εξυπηρετηση", "δεν θα (ξαναγορασω|ξαναπαραγγειλω|ξαναερθω)", "τριτη φορα που (παιρνω|γραφω|ζητω)*", "με εχετε (κουρασει|ταλαιπωρησει)"),
        "negative_language": ("δυστυχωσ", "δεν (μπορουμε|μπορω|ειναι δυνατον|ειναι δυνατο)", "(ειναι )?αδυνατο(ν)?", "τιποτα (αλλο )?δεν (μπορουμε|μπορω) να κανουμε*", "δεν γινεται τιποτα", "δεν (επιτρεπεται|προβλεπεται)", "οπωσ (σασ )?(ειπα|εξηγησα|εγραψα)", "(ετσι )?ειναι η πολιτικη (μασ|τησ εταιρειασ)"),
    },
    "pl": {
        "greeting_open": ("dzien dobry", "dobry wieczor", "witam*", "czesc", "dziekujemy za kontakt"),
        "closing": ("milego (dnia|wieczoru|weekendu)", "do widzenia", "pozdrawiam*", "dziekuj\\w* za (rozmowe|cierpliwosc)", "(czy )?(moge|mogę) (jeszcze )?(w czyms|jakos) pomoc*", "zycze milego*"),
        "next_steps": ("otrzyma (pan|pani)", "otrzymasz", "dostanie (pan|pani)", "(przyjdzie|dotrze|przyjda|dotra) (do|w ciagu|mailem|e-mailem|sms\\w*|jutro|dzis\\w*|pod)", "(bedzie|beda) (dostarczon|wyslan|zwrocon|przelan)\\w*", "zwrocimy", "(anulowal|zmienil|zaktualizowal|poprawil)(em|am)", "(nastepny|kolejny) krok*", "wysłał(em|am)", "zostanie (wyslan|zwrocon|przelan|dostarczon)\\w*", "numer przesylki", "zlecil(em|am)", "zlecił(em|am)"),
        "contact_back": ("prosze (do nas )?(napisac|zadzwonic|odpisac)", "prosimy o kontakt", "zapraszam\\w* do kontaktu", "(skontaktowac|kontaktowac) sie z nami", "w razie (pytan|problemow|watpliwosci)", "prosze sie nie wahac", "infolini\\w*"),
        "blame": ("to (pana|pani|twoja) wina", "(powinien pan|powinna pani|trzeba bylo)", "nie przeczytal\\w*", "to nie (nasza|moja) wina", "sam\\w* (pan|pani) (sobie )?winn\\w*"),
        "redirect": ("to nie (moj|mój) dzial", "nie zajmuje sie tym", "(prosze|musi pan|musi pani) (zadzwonic|zwrocic sie|napisac) do (innego|kuriera|banku)\\w*", "to nie moja sprawa"),
        "vague_postpone": ("odezwiemy sie", "odezwe sie", "skontaktujemy sie", "oddzwonimy", "kiedys", "w swoim czasie", "pozniej", "jak tylko (bedziemy|bede) mogl\\w*"),
        "concrete_time": (f"do ({_DAYS_PL})", "jutr\\w*", "dzis\\w*", "w ciagu (\\d+|jednego|dwoch|trzech) (minut|godzin\\w*|(dni|dnia) roboczych|dni|dnia)", "za (\\d+|godzine|dwie) (minut|godzin\\w*|dni)*", "o (godzinie )?\\d+", "przed \\d+"),
        "ask_card": ("(pelny |caly )?numer (pana |pani )?karty", "dane karty", "cvv", "cvc", "kod (cvv|cvc|z odwrotu)*"),
        "ask_password": ("hasł\\w*", "haslo"),
        "ask_otp": ("kod (sms|jednorazowy|weryfikacyjny|autoryzacyjny|z (sms|wiadomosci))", "jednorazow\\w* kod*", "otp"),
        "acknowledge": ("przepraszam*", "przykro mi", "rozumiem*", "zdaje sobie sprawe"),
        "frustration": ("skandal*", "niedopuszczaln*", "niedopuszczalne", "rozczarowan*", "zdenerwowan*", "wsciek\\w*", "sfrustrowan*", "frustrujac*", "zenujac*", "oburzon*", "oburzajac*", "jestem (bardzo |naprawde )?(zly|zla|wkurzon\\w*)", "(fatalna|beznadziejna|tragiczna|najgorsza) obsluga", "nigdy wiecej (u was|nie kupie|nie zamowie)*", "to jakis zart", "trzeci raz (dzwonie|pisze)"),
        "negative_language": ("niestety", "nie (mozemy|moge|da sie|jestesmy w stanie|jestem w stanie)", "(to )?(jest )?niemozliwe", "nic (wiecej )?(nie )?(mozemy|moge) (zrobic|poradzic)", "nic (sie )?nie da (sie )?zrobic", "nie ma (takiej )?mozliwosci", "(jak|tak jak) (juz )?(mowilem|mowilam|pisalem|pisalam)", "takie sa (zasady|przepisy)", "taka jest (nasza )?polityka"),
    },
    "hy": {
        "greeting_open": ("բարեւ( ձեզ)?", "բարև( ձեզ)?", "բարի (օր|երեկո|լույս)", "ողջույն", "բարի գալուստ", "շնորհակալություն (մեզ հետ )?կապվելու (համար)*"),
        "closing": ("հաջողություն", "ցտեսություն", "մաղթում*", "լավ օր", "էլ ինչով կարող (եմ|ենք) (ձեզ )?օգնել*", "շնորհակալություն (զրույցի|համբերության) համար"),
        "next_steps": ("կստանաք", "կուղարկվի", "կվերադարձվի", "կառաքվի", "հաջորդ քայլ*", "ուղարկել (եմ|ենք)", "հետեւման համար*", "հետևման համար*"),
        "contact_back": ("կապվեք մեզ (հետ)*", "զանգահարեք", "(կարող եք )?(զանգահարել|գրել) մեզ", "կարող եք կապվել մեզ (հետ)*", "հարցերի դեպքում", "գրեք (մեզ|այստեղ)", "մի հապաղեք", "հարցեր ունենալու դեպքում", "եթե (այլ )?հարցեր ունենաք"),
        "blame": ("ձեր (մեղքն|սխալն) է", "դուք պետք է (կարդայիք|ստուգեիք|նայեիք|օգտագործեիք)*", "մենք մեղավոր չենք", "չեք կարդացել"),
        "redirect": ("(դա|սա) իմ (բաժինը|գործը) չէ", "դիմեք (այլ|մեկ այլ|մյուս) բաժ*", "ես դրանով չեմ զբաղվում"),
        "vague_postpone": ("կկապվենք (ձեզ հետ)*", "կտեղեկացնենք", "ավելի ուշ", "ինչ-որ ժամանակ", "մի օր", "երբ հնարավոր լինի"),
        "concrete_time": (f"(մինչեւ|մինչև) ({_DAYS_HY})", "այսօր", "վաղը", "(\\d+|մեկ|երկու|երեք) (րոպե|ժամ|աշխատանքային օր|օր)\\w* (ընթացքում|հետո)", "ժամը \\d+"),
        "ask_card": ("քարտի (ամբողջական )?համար*", "քարտի տվյալներ*", "cvv", "cvc"),
        "ask_password": ("գաղտնաբառ*",),
        "ask_otp": ("(մեկանգամյա|հաստատման|sms) կոդ*", "ստացած կոդ*", "otp"),
        "acknowledge": ("ներողություն", "ցավում (եմ|ենք)", "հասկանում (եմ|ենք)", "ափսոսում (եմ|ենք)", "կներեք"),
        "frustration": ("անընդունելի", "հիասթափված", "հիասթափեցնող", "նեղսրտած", "զայրացած", "բարկացած", "վրդովված", "նյարդայնացած", "սարսափելի (սպասարկում|վերաբերմունք)", "ամոթ է", "այլեւս երբեք", "այլևս երբեք", "երրորդ անգամ (եմ )?(զանգում|գրում)*"),
        "negative_language": ("դժբախտաբար", "ցավոք", "չենք կարող", "չեմ կարող", "անհնար է", "հնարավոր չէ", "ոչինչ (չենք|չեմ) կարող (անել)*", "ինչպես (արդեն )?(ասացի|նշեցի|գրեցի)"),
    },
}

CLOCK = re.compile(r"(?<!\d)([01]?\d|2[0-3])[:.][0-5]\d(?!\d)")
"""A clock time (10:30, 9.15) counts as concrete time in every language."""


@lru_cache(maxsize=None)
def _fold_char(ch: str) -> str:
    folded = fold_char(ch)
    return folded if len(folded) == 1 else ch.lower() if len(ch.lower()) == 1 else ch


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower-case and strip accents character by character, keeping offsets (``ς`` → ``σ``,
    ``ł`` → ``l``; characters that fold to nothing or to several, such as the Armenian ``՞``, stay).

    Example:
        >>> fold("Καλημέρα, Dzień, Łódź, Ινστιτούτος")
        'καλημερα, dzien, lodz, ινστιτουτοσ'
    """
    return "".join(map(_fold_char, text))


@lru_cache(maxsize=None)
def _pattern(language: str, category: str) -> re.Pattern[str] | None:
    phrases = PHRASES.get(language, {}).get(category)
    if not phrases:
        return None
    parts = []
    for phrase in phrases:
        tail = _W if phrase.endswith("*") else r"(?!\w)"
        parts.append(r"(?<!\w)(?:" + fold_pattern(phrase.rstrip("*")) + ")" + tail)
    return re.compile("|".join(parts))


@lru_cache(maxsize=1)
def _lexicon_categories() -> frozenset[str]:
    try:
        from ...lexicon import CATEGORIES  # the shared lexicon, when installed
    except ImportError:
        return frozenset()
    return frozenset(CATEGORIES)


def known_categories() -> frozenset[str]:
    """Every category a standard may name: the shared lexicon's and this module's."""
    return _lexicon_categories() | {c for table in PHRASES.values() for c in table}


def _check_categories(value: tuple[str, ...]) -> tuple[str, ...]:
    known = known_categories()
    for category in value:
        if category not in known:
            close = difflib.get_close_matches(category, sorted(known), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown marker category {category!r}.{hint}")
    return value


Categories = Annotated[tuple[str, ...], AfterValidator(_check_categories)]
"""A params field naming marker categories; unknown names are a validation error."""


_UNAVAILABLE: set[str] = set()


def _lexicon_match(text: str, language: str, categories: Sequence[str]) -> list[Marker]:
    shared = [c for c in categories if c in _lexicon_categories()]
    if not shared:
        return []
    if language in _UNAVAILABLE:
        return []
    try:
        from ...lexicon import match

        found = match(text, language, categories=shared)
    except Exception as exc:  # no lexicon for this language yet: use the phrases below alone
        log.warning("marker lexicon for %r unavailable (%s); using the standards' own phrases", language, exc)
        _UNAVAILABLE.add(language)
        return []
    return [Marker(m.start, m.end, m.category, m.phrase) for m in found]


def languages_of(turn: Turn, conv: Conversation | None = None) -> tuple[str, ...]:
    """The turn's and the conversation's languages (both: a short turn is easily misidentified),
    else every supported language.

    Example:
        >>> turn = Turn(0, "agent", "OK", language="en")
        >>> languages_of(turn, Conversation("c", (turn,), language="pl"))
        ('en', 'pl')
    """
    found = tuple(dict.fromkeys(lang for lang in (turn.language, conv.language if conv else None) if lang in LANGUAGES))
    return found or LANGUAGES


def find(text: str, languages: Iterable[str], categories: Sequence[str]) -> list[Marker]:
    """Markers of ``categories`` in ``text``, ordered by position.

    Example:
        >>> [m.category for m in find("Hello Anna, we'll get back to you.", ["en"], ["greeting_open", "vague_postpone"])]
        ['greeting_open', 'vague_postpone']
    """
    return list(_find(text, tuple(languages), tuple(categories)))


@lru_cache(maxsize=8192)
def _find(text: str, languages: tuple[str, ...], categories: tuple[str, ...]) -> tuple[Marker, ...]:
    if not categories:
        return ()
    folded, breaks = _folded(text)  # the lexicon's folding: Armenian ՞ ՜ ՛ dropped, ’ read as '
    at = (lambda j: j) if breaks is None else (lambda j: original(breaks, j))
    found: dict[tuple[int, int, str], Marker] = {}
    for language in languages:
        for marker in _lexicon_match(text, language, categories):
            found.setdefault((marker.start, marker.end, marker.category), marker)
        for category in categories:
            if category == "concrete_time":
                for m in CLOCK.finditer(text):
                    found.setdefault((m.start(), m.end(), category), Marker(m.start(), m.end(), category, m.group()))
            pattern = _pattern(language, category)
            if pattern is None:
                continue
            for m in pattern.finditer(folded):
                if m.end() > m.start():
                    start, end = at(m.start()), at(m.end() - 1) + 1
                    found.setdefault((start, end, category), Marker(start, end, category, text[start:end]))
    return tuple(_longest(found.values()))


@lru_cache(maxsize=2048)
def _folded(text: str) -> tuple[str, object]:
    """:func:`fold_text` once per text: each standard asks a turn for other categories."""
    return fold_text(text)


def _longest(markers: Iterable[Marker]) -> list[Marker]:
    """Drop markers that overlap a longer (or earlier) marker of the same category."""
    kept: list[Marker] = []
    for m in sorted(markers, key=lambda m: (m.start - m.end, m.start)):
        if not any(k.category == m.category and k.start < m.end and m.start < k.end for k in kept):
            kept.append(m)
    return sorted(kept)


def find_in_turn(turn: Turn, conv: Conversation | None, categories: Sequence[str]) -> list[Marker]:
    """:func:`find` in one turn, in its language."""
    return find(turn.text, languages_of(turn, conv), categories)
