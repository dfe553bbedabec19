"""Writing systems of Kazakh text: script detection, homoglyph repair, Turkic case, transliteration.

Kazakh is written in three scripts: Cyrillic (Kazakhstan today), Latin (the 2021 official alphabet,
its 2017 and 2018 predecessors, and informal ASCII spellings) and the Arabic-based tote jazu used by
Kazakhs in China.  Everything downstream (language ID, dedup, quality) wants to compare like with
like, so this module brings any of them to one canonical Kazakh Cyrillic form.

It is deliberately plain, dependency-free Python built on `str.translate` and a few compiled regexes:
it runs once per document in every worker and must cost little next to a fastText prediction.
No transliteration library on PyPI covers the 2017/2018/2021 Latin variants and tote jazu in the
Latin/Arabic -> Cyrillic direction, so the tables live here and are tested against the official
letter tables in tests/filters/test_script.py.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "turkic_lower",
    "turkic_upper",
    "repair_homoglyphs",
    "script_shares",
    "dominant_script",
    "latin_variant",
    "latin_to_cyrillic",
    "arabic_to_cyrillic",
    "to_cyrillic",
    "unify_apostrophes",
    "SCRIPTS",
]

SCRIPTS = ("Cyrl", "Latn", "Arab")

# Letter classes by script.  Combining marks are left out on purpose: shares are over letters.
_CYRL_CLASS = "\u0400-\u0481\u048a-\u052f"
_LATN_CLASS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0250-\u02af\u1e00-\u1eff"
_ARAB_CLASS = "\u0620-\u063f\u0641-\u064a\u066e-\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc"

_CYRL = re.compile(f"[{_CYRL_CLASS}]")
_LATN = re.compile(f"[{_LATN_CLASS}]")
_ARAB = re.compile(f"[{_ARAB_CLASS}]")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")


# --------------------------------------------------------------------------------------------- case

_TURKIC_LOWER = str.maketrans({"İ": "i", "I": "ı"})
_TURKIC_UPPER = str.maketrans({"i": "İ", "ı": "I"})


def turkic_lower(text: str) -> str:
    """Lower-case with the Turkic dotted/dotless i pairs: İ -> i and I -> ı.

    Python's `str.lower()` maps I -> i and İ -> "i" + COMBINING DOT ABOVE (two characters), which is
    wrong for Turkish, Azerbaijani and the 2021 Kazakh Latin alphabet, where I/ı is the letter і and
    İ/i the letter и/й.  We follow the Turkic pairing because 2021 is the official alphabet.  The
    2017 and 2018 alphabets use I as the capital of i (і); `latin_to_cyrillic` therefore reads case
    itself and never goes through this function.  Length is preserved (offsets stay valid).
    """
    return text.translate(_TURKIC_LOWER).lower()


def turkic_upper(text: str) -> str:
    """Upper-case with the Turkic pairing: i -> İ and ı -> I (see `turkic_lower`)."""
    return text.translate(_TURKIC_UPPER).upper()


# --------------------------------------------------------------------------------------- homoglyphs

# Latin letters that look like Cyrillic ones.  Inside a Cyrillic word they are typing artefacts
# (keyboard layout switches, OCR, old fonts without Kazakh letters): Latin "i" stands for і, "h" for
# һ, schwa "ə" for ә, "Y" for Ү (same glyph; the lowercase y looks like у).
_LAT_TO_CYR = {
    "a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "ı": "і",
    "k": "к", "h": "һ", "ə": "ә", "ɵ": "ө", "ä": "ә", "ö": "ө", "ü": "ү", "ë": "ё", "j": "ј",
    "A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н", "O": "О", "P": "Р", "C": "С",
    "T": "Т", "X": "Х", "Y": "Ү", "I": "І", "Ə": "Ә", "Ɵ": "Ө", "Ä": "Ә", "Ö": "Ө", "Ü": "Ү",
    "Ë": "Ё",
}  # fmt: skip
# Cyrillic letters that look like Latin ones, for the opposite case (Cyrillic а/о/е inside a
# Latin-script word).
_CYR_TO_LAT = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "к": "k",
    "һ": "h", "ј": "j", "ѕ": "s", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H",
    "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I", "Ү": "Y", "Ј": "J", "Ѕ": "S",
}  # fmt: skip
# Lookalikes of Kazakh letters from other Cyrillic alphabets, wrong wherever they appear in Kazakh:
# ӊ (Khanty en with tail) for ң.
_ALWAYS = str.maketrans({"ӊ": "ң", "Ӊ": "Ң"})

_TO_CYR = str.maketrans(_LAT_TO_CYR)
_TO_LAT = str.maketrans(_CYR_TO_LAT)
_AMBIGUOUS = frozenset(_LAT_TO_CYR) | frozenset(_CYR_TO_LAT)
# A letter run holding both a Latin and a Cyrillic letter (the only words worth a closer look).  Such
# a run has a Latin letter right next to a Cyrillic one; matching only from the start of a run, up
# to the first such pair, keeps the regex linear in the length of the text.
_MIXED_WORD = re.compile(
    f"(?<![^\\W\\d_])[^\\W\\d_]*?(?:[{_LATN_CLASS}][{_CYRL_CLASS}]|[{_CYRL_CLASS}][{_LATN_CLASS}])[^\\W\\d_]*"
)


# The pair alone: far cheaper to look for than `_MIXED_WORD`, which cannot match without one.
_MIXED_PAIR = re.compile(f"[{_LATN_CLASS}][{_CYRL_CLASS}]|[{_CYRL_CLASS}][{_LATN_CLASS}]")


def _repair_word(m: re.Match[str]) -> str:
    word = m.group()
    cyr = lat = cyr_sure = lat_sure = 0
    for ch in word:
        if _CYRL.match(ch):
            cyr += 1
            cyr_sure += ch not in _AMBIGUOUS
        elif _LATN.match(ch):
            lat += 1
            lat_sure += ch not in _AMBIGUOUS
    # Letters with no lookalike decide; when every letter has one, the majority does.
    if cyr_sure != lat_sure:
        to_cyr = cyr_sure > lat_sure
    elif cyr != lat:
        to_cyr = cyr > lat
    else:
        return word
    return word.translate(_TO_CYR if to_cyr else _TO_LAT)


def repair_homoglyphs(text: str) -> str:
    """Replace lookalike letters of the wrong script inside words.

    A word mixing Latin and Cyrillic letters is brought to the script of its letters that have no
    lookalike ("Қaзaқ" with Latin a -> "Қазақ", "Əлем" -> "Әлем", "бiлiм" -> "білім"); Cyrillic
    lookalikes inside a Latin word go the other way.  ӊ becomes ң everywhere.  Words in one script
    are untouched, so "iPhone" in a Kazakh sentence stays Latin.  Length is preserved.
    """
    if "ӊ" in text or "Ӊ" in text:
        text = text.translate(_ALWAYS)
    if not (_LATN.search(text) and _CYRL.search(text)) or not _MIXED_PAIR.search(text):
        return text
    return _MIXED_WORD.sub(_repair_word, text)


# ------------------------------------------------------------------------------------------ scripts


def script_shares(text: str) -> dict[str, float]:
    """Share of letters in Cyrillic, Latin and Arabic script (letters of other scripts count in the
    denominator only, so the three shares may sum to less than 1; all 0.0 when there are no letters).
    Counts the text as given: call `repair_homoglyphs` first to count typing artefacts correctly.
    """
    total = len(_LETTER.findall(text))
    if not total:
        return {"Cyrl": 0.0, "Latn": 0.0, "Arab": 0.0}
    return {
        "Cyrl": len(_CYRL.findall(text)) / total,
        "Latn": len(_LATN.findall(text)) / total,
        "Arab": len(_ARAB.findall(text)) / total,
    }


def dominant_script(text: str) -> str:
    """ISO 15924 code of the script with most letters: "Cyrl", "Latn" or "Arab"; "Zyyy" (common)
    when the text has no letters in any of them (digits, punctuation, emoji, other scripts)."""
    shares = script_shares(text)
    best = max(SCRIPTS, key=shares.__getitem__)
    return best if shares[best] > 0 else "Zyyy"


# -------------------------------------------------------------------------------- Latin -> Cyrillic

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "ʻ": "'", "‘": "'", "`": "'", "´": "'"})
_ANY_APOSTROPHE = re.compile("[’ʼʻ‘`´]")
_APOSTROPHE_CHARS = "’ʼʻ‘`´"


def _nfc(text: str) -> str:
    # Most text is already NFC (and ASCII text always is): checking is far cheaper than normalising.
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def unify_apostrophes(text: str) -> str:
    """Every apostrophe-like character (’ ʼ ʻ ‘ ` ´) as the ASCII apostrophe."""
    if not _ANY_APOSTROPHE.search(text):
        return text
    # `str.translate` goes through a dict per character, a dozen times slower on non-Latin-1 text
    # than one `replace` per apostrophe present; the result is the same as `_APOSTROPHES` gives.
    for apostrophe in _APOSTROPHE_CHARS:
        if apostrophe in text:
            text = text.replace(apostrophe, "'")
    return text


class _LatinTable:
    """One Latin alphabet read into Cyrillic: single letters by `str.translate`, digraphs (sh, a',
    ia...) by one regex, and и/й decided by context (й after a vowel, as Cyrillic spells it)."""

    def __init__(self, singles: dict[str, str], digraphs: dict[str, str], *, i_letters: str,
                 vowels: str, no_y_before: str = "au", y_final_ii: bool = True):
        self.singles = str.maketrans(singles)
        table = {}
        for src, dst in digraphs.items():
            for s, d in ((src, dst), (src[0].upper() + src[1:], dst.upper()), (src.upper(), dst.upper())):
                table.setdefault(s, d)
        self.digraphs = table
        self.digraph_rx = re.compile("|".join(sorted(map(re.escape, table), key=len, reverse=True))) if table else None
        # i_letters: the Latin letters read as и, which become й after a vowel, unless they start
        # a digraph ("ia" is я, so "aia" is ая, not айа).
        lower_i = "".join(c for c in i_letters if c.islower())
        upper_i = "".join(c for c in i_letters if not c.islower())
        self.upper_i = frozenset(upper_i)
        self.double_i = lower_i[0] * 2 if len(lower_i) == 1 else None
        vowel_class = re.escape(vowels)
        self.short_i_lower = (
            re.compile(f"(?<=[{vowel_class}])[{re.escape(lower_i)}](?![{no_y_before}])") if lower_i else None
        )
        self.short_i_upper = (
            re.compile(f"(?<=[{vowel_class}])[{re.escape(upper_i)}](?![{no_y_before}{no_y_before.upper()}])")
            if upper_i else None
        )
        self.final_ii = (
            re.compile(f"(?<=[{re.escape(lower_i)}])[{re.escape(lower_i)}]\\b") if y_final_ii and lower_i else None
        )

    def __call__(self, text: str) -> str:
        if self.short_i_lower is not None:
            text = self.short_i_lower.sub("й", text)
        if self.short_i_upper is not None and not self.upper_i.isdisjoint(text):
            text = self.short_i_upper.sub("Й", text)
        if self.final_ii is not None and (self.double_i is None or self.double_i in text):
            text = self.final_ii.sub("й", text)
        if self.digraph_rx is not None:
            text = self.digraph_rx.sub(self._digraph, text)
        return text.translate(self.singles)

    def _digraph(self, m: re.Match[str]) -> str:
        return self.digraphs[m.group()]


def _both_cases(pairs: dict[str, str], upper: dict[str, str] | None = None) -> dict[str, str]:
    out = dict(pairs)
    for src, dst in pairs.items():
        out.setdefault(src.upper(), dst.upper())
    out.update(upper or {})
    return out


# Letters outside every Kazakh Latin alphabet still get a reading, so that foreign words and
# other Turkic alphabets come out as something fastText can judge (and reject) in Cyrillic.
_FOREIGN = {"c": "ц", "w": "у", "x": "х", "ə": "ә", "ç": "ч"}

# 2021 (Decree of 28 January 2021): Ä Ğ Ñ Ö Ş Ū Ü, I ı = і, İ i = и/й, Y y = ы, U u = у.
# Ş also stands for ч; ц is written ts, я ia, ю iu (read back here), ё io, щ şş (not read back:
# "io" and "ts" are far more often two letters, as in "million", "bıtse").
_SINGLES_2021 = _both_cases(
    {"a": "а", "ä": "ә", "b": "б", "d": "д", "e": "е", "f": "ф", "g": "г", "ğ": "ғ", "h": "х",
     "ı": "і", "i": "и", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "ñ": "ң", "o": "о",
     "ö": "ө", "p": "п", "q": "қ", "r": "р", "s": "с", "ş": "ш", "t": "т", "u": "у", "ū": "ұ",
     "ü": "ү", "v": "в", "y": "ы", "z": "з", **_FOREIGN},
    {"I": "І", "İ": "И"},
)  # fmt: skip
_DIGRAPHS_2021 = {"ia": "я", "iu": "ю", "İa": "Я", "İu": "Ю", "İA": "Я", "İU": "Ю"}

# 2018 (Decree 637 of 19 February 2018): acute accents, Sh/Ch digraphs, I i = і, I ı = и/й,
# U u = ұ, Ú ú = ү, Ý ý = у.  The capital I stands for both і and и; і is far more frequent.
_SINGLES_2018 = _both_cases(
    {"a": "а", "á": "ә", "b": "б", "d": "д", "e": "е", "f": "ф", "g": "г", "ǵ": "ғ", "h": "х",
     "i": "і", "ı": "и", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "ń": "ң", "o": "о",
     "ó": "ө", "p": "п", "q": "қ", "r": "р", "s": "с", "t": "т", "u": "ұ", "ú": "ү", "v": "в",
     "y": "ы", "ý": "у", "z": "з", **_FOREIGN},
    {"I": "І"},
)  # fmt: skip
_DIGRAPHS_2018 = {"sh": "ш", "ch": "ч", "ıa": "я", "ıý": "ю", "ıo": "ё"}

# 2017 (Decree 569 of 26 October 2017): apostrophes, a' = ә, g' = ғ, i' = и/й, n' = ң, o' = ө,
# s' = ш, c' = ч, u = ұ, u' = ү, y = ы, y' = у, c = ц.
_SINGLES_2017 = _both_cases(
    {"a": "а", "b": "б", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "і", "j": "ж",
     "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "қ", "r": "р", "s": "с",
     "t": "т", "u": "ұ", "v": "в", "y": "ы", "z": "з", **_FOREIGN},
    {"I": "І"},
)  # fmt: skip
_DIGRAPHS_2017 = {"a'": "ә", "g'": "ғ", "i'": "и", "n'": "ң", "o'": "ө", "s'": "ш", "c'": "ч",
                  "u'": "ү", "y'": "у", "i'a": "я", "i'u": "ю"}  # fmt: skip

# Informal ASCII (chat, forums, transliterated names): sh ch zh gh kh, q for қ, w for у, y for ы
# (й after a vowel), i for і.  Lossy by nature: ә/а, ө/о, ұ/ү/у are not told apart.
_SINGLES_INFORMAL = _both_cases(
    {"a": "а", "b": "б", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "і", "j": "ж",
     "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "қ", "r": "р", "s": "с",
     "t": "т", "u": "у", "v": "в", "y": "ы", "z": "з", "c": "ц", "w": "у", "x": "х"},
    {"I": "І"},
)  # fmt: skip
_DIGRAPHS_INFORMAL = {"sh": "ш", "ch": "ч", "zh": "ж", "gh": "ғ", "kh": "х", "ya": "я", "yu": "ю",
                      "ia": "я", "iu": "ю"}  # fmt: skip

_LATIN_TABLES = {
    "2021": _LatinTable(_SINGLES_2021, _DIGRAPHS_2021, i_letters="iİ", vowels="aäeoöuūüyıAÄEOÖUŪÜYI"),
    "2018": _LatinTable(_SINGLES_2018, _DIGRAPHS_2018, i_letters="ı", vowels="aáeoóuúyýiAÁEOÓUÚYÝI",
                        no_y_before="aýo"),
    "2017": _LatinTable(_SINGLES_2017, _DIGRAPHS_2017, i_letters="", vowels="", y_final_ii=False),
    "informal": _LatinTable(_SINGLES_INFORMAL, _DIGRAPHS_INFORMAL, i_letters="iyIY", vowels="aeiouyAEIOUY",
                            no_y_before="aueoi", y_final_ii=False),
}

# ı is left out: 2021 writes і with it and 2018 writes и with it; it decides only when nothing else does.
_MARK_2021 = re.compile("[äÄğĞñÑūŪüÜşŞİöÖ]")
_MARK_2018 = re.compile("[áÁǵǴńŃóÓúÚýÝ]")
_MARK_2017 = re.compile("[aAgGnNoOuUsScCiIyY]'(?=[^\\W\\d_]|\\b|$)")


def latin_variant(text: str) -> str:
    """Which Kazakh Latin alphabet `text` looks written in: "2021", "2018", "2017" or "informal"
    (no letter or apostrophe that marks one of the official alphabets)."""
    return _variant(unify_apostrophes(_nfc(text)))


def _variant(text: str) -> str:
    # `text` in NFC with apostrophes unified.  The 2021 and 2018 marks are all outside ASCII.
    n2021 = n2018 = 0
    if not text.isascii():
        # The usual case, 2021 marks and no other: no need to count them.
        if _MARK_2021.search(text) and not _MARK_2018.search(text) and ("'" not in text or not _MARK_2017.search(text)):
            return "2021"
        n2021 = len(_MARK_2021.findall(text))
        n2018 = len(_MARK_2018.findall(text))
    n2017 = len(_MARK_2017.findall(text)) if "'" in text else 0
    if n2021 or n2018 or n2017:
        if n2021 >= n2018 and n2021 >= n2017:
            return "2021"
        return "2018" if n2018 >= n2017 else "2017"
    return "2021" if "ı" in text else "informal"


_SHORT_I_2017 = re.compile(r"(?<=[aeouyAEOUY'])i'(?![au])")


def latin_to_cyrillic(text: str, variant: str | None = None) -> str:
    """Kazakh Latin text (`variant` "2021", "2018", "2017", "informal"; None: detected) in Cyrillic.

    Only Latin letters change; Cyrillic, Arabic, digits and punctuation pass through.
    """
    text = _nfc(text)
    if variant is None:
        variant = _variant(unify_apostrophes(text))
    return _by_token(text, _LATIN_CACHES[variant], _LATIN_READERS[variant])


def _latin_reader(variant: str):
    table = _LATIN_TABLES[variant]
    if variant != "2017":
        return table

    def read_2017(text: str) -> str:
        # 2017 writes both и and й as i'; й after a vowel, as for the other alphabets.
        return table(_SHORT_I_2017.sub("й", unify_apostrophes(text)))

    return read_2017


# Words repeat (Zipf), and reading one is many regex passes: each reading is kept per word.  Every
# rule above looks no further than the word it is in (a space is no vowel, letter or apostrophe, and
# no rule writes or removes a space), so reading a text word by word gives the same result.
_CACHE_MAX = 200_000


def _by_token(text: str, cache: dict[str, str], read) -> str:
    words = text.split(" ")
    try:
        return " ".join(map(cache.__getitem__, words))
    except KeyError:
        pass
    # One pass of the regexes over the whole text is far cheaper than one per unknown word.
    read_text = read(text)
    read_words = read_text.split(" ")
    if len(read_words) == len(words):
        if len(cache) > _CACHE_MAX:
            cache.clear()
        cache.update(zip(words, read_words, strict=True))
    return read_text


_LATIN_READERS = {variant: _latin_reader(variant) for variant in _LATIN_TABLES}
_LATIN_CACHES: dict[str, dict[str, str]] = {variant: {} for variant in _LATIN_TABLES}


# ------------------------------------------------------------------------------ Arabic -> Cyrillic

# Tote jazu writes every vowel.  ا و ۇ ى are back (а о ұ ы) or front (ә ө ү і); a word is front when
# it carries the high hamza ٴ (usually at its start) or holds ە, ك or گ, which occur only in front
# words.  ي is и, or й after a vowel.
_HAMZA = "\u0674"
_ARAB_COMMON = {
    "ب": "б", "پ": "п", "ت": "т", "ج": "ж", "چ": "ч", "ح": "х", "خ": "х", "د": "д", "ر": "р",
    "ز": "з", "ژ": "ж", "س": "с", "ش": "ш", "ع": "ғ", "غ": "ғ", "ف": "ф", "ق": "қ", "ك": "к",
    "ک": "к", "گ": "г", "ڭ": "ң", "ل": "л", "م": "м", "ن": "н", "ھ": "һ", "ە": "е", "ه": "е",
    "ۋ": "у", "ۆ": "в", "ي": "и", "\ue000": "й", "ی": "и", "ې": "е", "ۈ": "ү", "ۅ": "ө", "ۉ": "ү",
    "أ": "а", "إ": "и", "آ": "а", "ة": "е", "ث": "с", "ذ": "з", "ص": "с", "ض": "з", "ط": "т",
    "ظ": "з", "ئ": "", "ء": "", _HAMZA: "", "\u0640": "",
    "،": ",", "؛": ";", "؟": "?", "٪": "%",
    **{chr(0x0660 + d): str(d) for d in range(10)},
    **{chr(0x06F0 + d): str(d) for d in range(10)},
}  # fmt: skip
_ARAB_BACK = str.maketrans({**_ARAB_COMMON, "ا": "а", "و": "о", "ۇ": "ұ", "ى": "ы"})
_ARAB_FRONT = str.maketrans({**_ARAB_COMMON, "ا": "ә", "و": "ө", "ۇ": "ү", "ى": "і"})
# Precomposed hamza letters are the same as hamza + letter.
_ARAB_DECOMPOSE = str.maketrans({"ٵ": _HAMZA + "ا", "ٶ": _HAMZA + "و", "ٷ": _HAMZA + "ۇ", "ٸ": _HAMZA + "ى"})
_ARAB_SHORT_I = re.compile("(?<=[اەوۇىۋ])ي")
_FRONT_MARKS = _HAMZA + "ءەكگ"
# A front word: a run of Arabic letters (with the й placeholder) holding a front mark.  Matching
# only from the start of a run keeps the regex linear in the length of the text.
_ARAB_LETTERS = f"{_ARAB_CLASS}\ue000"
_ARAB_FRONT_WORD = re.compile(f"(?<![{_ARAB_LETTERS}])[{_ARAB_LETTERS}]*?[{_FRONT_MARKS}][{_ARAB_LETTERS}]*")
_PRECOMPOSED_HAMZA = re.compile("[ٵٶٷٸ]")


def _front_word(m: re.Match[str]) -> str:
    return m.group().translate(_ARAB_FRONT)


def arabic_to_cyrillic(text: str) -> str:
    """Kazakh Arabic-script text (tote jazu) in Cyrillic.  Arabic punctuation and digits become
    their common forms; non-Arabic characters pass through."""
    return _by_token(text, _ARABIC_CACHE, _read_arabic)


_ARABIC_CACHE: dict[str, str] = {}


def _read_arabic(text: str) -> str:
    if _PRECOMPOSED_HAMZA.search(text):
        text = text.translate(_ARAB_DECOMPOSE)
    if "ي" in text:
        text = _ARAB_SHORT_I.sub("\ue000", text)
    # Front words first; everything left (back words, punctuation, digits) goes by the back table.
    return _ARAB_FRONT_WORD.sub(_front_word, text).translate(_ARAB_BACK)


# ------------------------------------------------------------------------------------------ public


def to_cyrillic(text: str, script: str | None = None) -> str:
    """Kazakh text in any script as Kazakh Cyrillic.

    `script` ("Cyrl", "Latn", "Arab"; None: the dominant script) says how to read the text.  Latin
    is read in the Kazakh alphabet it looks written in (`latin_variant`), Arabic as tote jazu;
    Cyrillic text comes back with homoglyphs repaired.  Homoglyphs are repaired first in every case.
    """
    text = repair_homoglyphs(text)
    script = script or dominant_script(text)
    if script == "Latn":
        return latin_to_cyrillic(text)
    if script == "Arab":
        return arabic_to_cyrillic(text)
    return text
