"""Scripts of Kazakh text: case, homoglyphs, script shares, each Latin alphabet and tote jazu."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kazcorpus.filters.script import (
    _ARAB_BACK,
    _ARAB_CLASS,
    _ARAB_DECOMPOSE,
    _ARAB_FRONT,
    _CYRL,
    _LATN,
    _repair_word,
    arabic_to_cyrillic,
    dominant_script,
    latin_to_cyrillic,
    latin_variant,
    repair_homoglyphs,
    script_shares,
    to_cyrillic,
    turkic_lower,
    turkic_upper,
    unify_apostrophes,
)

# Official letter tables (Cyrillic letter -> Latin letter), as published with each decree.  Letters
# whose Latin form is shared or context-dependent (и/й, ц, щ, ё, ю, я, ъ, ь, э) are tested apart.
TABLE_2021 = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e", "ж": "j",
    "з": "z", "и": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "ñ", "о": "o",
    "ө": "ö", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "ū", "ү": "ü", "ф": "f",
    "х": "h", "ш": "ş", "ы": "y", "і": "ı",
}  # fmt: skip
TABLE_2018 = {
    "а": "a", "ә": "á", "б": "b", "в": "v", "г": "g", "ғ": "ǵ", "д": "d", "е": "e", "ж": "j",
    "з": "z", "и": "ı", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "ń", "о": "o",
    "ө": "ó", "п": "p", "р": "r", "с": "s", "т": "t", "у": "ý", "ұ": "u", "ү": "ú", "ф": "f",
    "х": "h", "ш": "sh", "ч": "ch", "ы": "y", "і": "i",
}  # fmt: skip
TABLE_2017 = {
    "а": "a", "ә": "a'", "б": "b", "в": "v", "г": "g", "ғ": "g'", "д": "d", "е": "e", "ж": "j",
    "з": "z", "и": "i'", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "ң": "n'", "о": "o",
    "ө": "o'", "п": "p", "р": "r", "с": "s", "т": "t", "у": "y'", "ұ": "u", "ү": "u'", "ф": "f",
    "х": "h", "ш": "s'", "ч": "c'", "ы": "y", "і": "i",
}  # fmt: skip


# ------------------------------------------------------------------------------------------ case

def test_turkic_lower_dotted_and_dotless_i():
    assert turkic_lower("İSTANBUL") == "istanbul"
    assert turkic_lower("IRMAQ") == "ırmaq"
    # Python's own lower() gets both wrong, which is why the function exists.
    assert "İ".lower() != "i" and "I".lower() != "ı"


def test_turkic_lower_kazakh_2021_capitals():
    # 2021: Bız (і) and İnfrastruktura (и) keep their letters when lower-cased.
    assert turkic_lower("BIZ İNFRA") == "bız infra"
    assert turkic_upper("bız infra") == "BIZ İNFRA"


@given(st.text())
def test_turkic_lower_keeps_length(text):
    assert len(turkic_lower(text)) == len(text)


# ------------------------------------------------------------------------------------ homoglyphs

@pytest.mark.parametrize(
    "dirty, clean",
    [
        ("Қaзaқстaн", "Қазақстан"),  # Latin a inside a Cyrillic word
        ("бiлiм", "білім"),  # Latin i for Kazakh і
        ("Əлем", "Әлем"),  # Latin capital schwa
        ("əке", "әке"),
        ("мыӊ", "мың"),  # Khanty en for ң
        ("Mектеп", "Мектеп"),
        ("kiтап", "кітап"),
        ("Yкімет", "Үкімет"),  # Y has the glyph of Ү
        ("cөз", "сөз"),
        ("pеспублика", "республика"),
        ("xалық", "халық"),
        ("ɵзен", "өзен"),
    ],
)
def test_repair_homoglyphs_in_cyrillic_words(dirty, clean):
    assert repair_homoglyphs(dirty) == clean


def test_repair_homoglyphs_latin_word_with_cyrillic_lookalikes():
    assert repair_homoglyphs("Cаfе") == "Cafe"  # Cyrillic а and е inside a Latin word


def test_repair_homoglyphs_leaves_single_script_words():
    text = "Жаңа iPhone-ға Apple деп жазды, Coca-Cola"
    assert repair_homoglyphs(text) == text


@given(st.text())
def test_repair_homoglyphs_keeps_length_and_is_idempotent(text):
    once = repair_homoglyphs(text)
    assert len(once) == len(text)
    assert repair_homoglyphs(once) == once


# --------------------------------------------------------------------------------------- scripts

def test_script_shares_over_letters_only():
    shares = script_shares("Қазақ abc 123 !!!")
    assert shares["Cyrl"] == pytest.approx(5 / 8)
    assert shares["Latn"] == pytest.approx(3 / 8)
    assert shares["Arab"] == 0.0


def test_dominant_script():
    assert dominant_script("Қазақстан Республикасы") == "Cyrl"
    assert dominant_script("Qazaqstan Respublikasy") == "Latn"
    assert dominant_script("قازاقستان رەسپۋبليكاسى") == "Arab"
    assert dominant_script("2024 — 15%") == "Zyyy"
    assert dominant_script("") == "Zyyy"


# ------------------------------------------------------------------------------ Latin alphabets

@pytest.mark.parametrize(("variant", "table"), [("2021", TABLE_2021), ("2018", TABLE_2018), ("2017", TABLE_2017)])
def test_each_official_letter_reads_back(variant, table):
    for cyr, lat in table.items():
        # A consonant on each side so that context rules (й after a vowel) stay out of the way.
        assert latin_to_cyrillic(f"b{lat}d", variant) == f"б{cyr}д", (variant, lat)
        upper = {"ı": "I", "i": "I" if variant != "2021" else "İ"}.get(lat, lat.upper() if len(lat) == 1 else lat[0].upper() + lat[1:])
        expected = "І" if (variant != "2021" and lat in ("i", "ı")) else cyr.upper()
        assert latin_to_cyrillic(f"B{upper}D", variant)[1] == expected, (variant, upper)


@pytest.mark.parametrize(
    "latin, cyrillic, variant",
    [
        ("Qazaqstan osy öñırdegı beibıtşılıktı qoldaidy.", "Қазақстан осы өңірдегі бейбітшілікті қолдайды.", "2021"),
        ("Dmitrii Medvedevtıñ sapary", "Дмитрий Медведевтің сапары", "2021"),
        ("Aiaq Aziia ıñ", "Аяқ Азия ің", "2021"),
        ("Qazaqstan osy óńirdegi beıbitshilikti qoldaıdy.", "Қазақстан осы өңірдегі бейбітшілікті қолдайды.", "2018"),
        ("Qazaqstan osy o'n'irdegi bei'bits'ilikti qoldai'dy.", "Қазақстан осы өңірдегі бейбітшілікті қолдайды.", "2017"),
    ],
)
def test_official_alphabet_sentences_detected_and_read(latin, cyrillic, variant):
    assert latin_variant(latin) == variant
    assert latin_to_cyrillic(latin) == cyrillic


def test_informal_sentence():
    latin = "Qazaqstan osy onirdegi beibitshilikti qoldaydy."
    assert latin_variant(latin) == "informal"
    # ң and ө are lost in informal spelling; everything else reads back.
    assert latin_to_cyrillic(latin) == "Қазақстан осы оңірдегі бейбітшілікті қолдайды.".replace("ң", "н")


def test_variant_by_majority_of_markers():
    assert latin_variant("Bız qazır jaña ülgı ázırlep jatyrmyz") == "2021"
    assert latin_variant("Biz qazir jańa úlgi ázirlep jatyrmyz") == "2018"


def test_informal_digraphs():
    assert latin_to_cyrillic("shai ishu zhol ghalym", "informal") == "шай ішу жол ғалым"
    assert latin_to_cyrillic("aitty qoydy", "informal") == "айтты қойды"


def test_latin_to_cyrillic_passes_other_characters_through():
    assert latin_to_cyrillic("Qala 2024 — «jaña»!", "2021") == "Қала 2024 — «жаңа»!"


# ---------------------------------------------------------------------------------------- Arabic

@pytest.mark.parametrize(
    "arabic, cyrillic",
    [
        ("قازاقستان", "қазақстан"),  # back word
        ("ٴبىزدىڭ", "біздің"),  # high hamza: front word
        ("ەلىمىزدىڭ", "елімиздің".replace("и", "і")),  # ە marks a front word
        ("كۇن", "күн"),  # ك marks a front word
        ("قويدى", "қойды"),  # ي after a vowel is й
        ("ٴوندىرۋ", "өндіру"),
        ("ٵلەم", "әлем"),  # precomposed hamza + alef
        ("جاڭا ۇلگى، ٴبىز؟ ١٢٣", "жаңа үлгі, біз? 123"),
    ],
)
def test_tote_jazu(arabic, cyrillic):
    assert arabic_to_cyrillic(arabic) == cyrillic


def test_to_cyrillic_dispatches_on_script():
    assert to_cyrillic("Qazaq tılı") == "Қазақ тілі"
    assert to_cyrillic("قازاق ٴتىلى") == "қазақ тілі"
    assert to_cyrillic("Қaзaқ тiлi") == "Қазақ тілі"
    # An explicit script wins over the detected one.
    assert to_cyrillic("Qazaq tılı", "Cyrl") == "Qazaq tılı"


# ------------------------------------------------------------------------ fast paths vs reference

_LETTER_RUN = re.compile(r"[^\W\d_]+")


def _reference_repair(text: str) -> str:
    # The plain definition: every letter run holding both scripts goes through the word rule.
    text = text.replace("ӊ", "ң").replace("Ӊ", "Ң")
    return _LETTER_RUN.sub(
        lambda m: _repair_word(m) if _CYRL.search(m.group()) and _LATN.search(m.group()) else m.group(), text
    )


@given(st.text(alphabet="aeopcxyikhAEOPCXYIKMHTаеорсхуікһАЕОРСХУІКМНТқәбdfgЖжӊ1 ,.-", max_size=40))
def test_repair_homoglyphs_matches_the_per_word_definition(text):
    assert repair_homoglyphs(text) == _reference_repair(text)


def test_repair_homoglyphs_is_linear_on_long_words():
    # A long run of lookalikes must not make the mixed-word regex backtrack quadratically.
    text = "a" * 20000 + "б" + " " + "с" * 20000
    assert repair_homoglyphs(text).startswith("а" * 20000 + "б")


def _reference_arabic(text: str) -> str:
    text = text.translate(_ARAB_DECOMPOSE)

    def word(m):
        w = re.sub("(?<=[اەوۇىۋ])ي", "\ue000", m.group())
        return w.translate(_ARAB_FRONT if not frozenset("\u0674ءەكگ").isdisjoint(w) else _ARAB_BACK)

    return re.sub(f"[{_ARAB_CLASS}]+", word, text).translate(_ARAB_BACK)


@given(st.text(alphabet="ابتجدرزسشقكگڭلمنوۇۋىيەٴءٵ ،.-1", max_size=40))
def test_tote_jazu_matches_the_per_word_definition(text):
    assert arabic_to_cyrillic(text) == _reference_arabic(text)


def test_unify_apostrophes():
    assert unify_apostrophes("oʻzbek o‘g‘il ma’no it`s") == "o'zbek o'g'il ma'no it's"
    assert unify_apostrophes("plain") == "plain"


def test_variant_reads_any_apostrophe():
    assert latin_variant("Bu’gin ol mag’an jan’a kitap a’kelip berdi") == "2017"


def test_word_cache_gives_the_whole_text_reading():
    # Readings are cached per word: a second reading (all words known) and a reading mixing known
    # and new words must equal the uncached whole-text reading, context rules included.
    import kazcorpus.filters.script as s

    latin = "Qazaqstan Respublikasy aiaq sūraqtary biyl  jaiyna, Ia! qaiyrly tañ"
    arabic = "ٴبىلىم الەم  ساباقتى، قازاق ٴتىلى"
    fresh_latin = s._LATIN_READERS["2021"](s._nfc(latin))
    fresh_arabic = s._read_arabic(arabic)
    for cache in (*s._LATIN_CACHES.values(), s._ARABIC_CACHE):
        cache.clear()
    for _ in range(2):
        assert s.latin_to_cyrillic(latin, "2021") == fresh_latin
        assert s.arabic_to_cyrillic(arabic) == fresh_arabic
    assert s.latin_to_cyrillic("aiaq jaña", "2021") == s._LATIN_READERS["2021"]("aiaq jaña")
    assert s.arabic_to_cyrillic("الەم جاڭا") == s._read_arabic("الەم جاڭا")


@given(st.text(alphabet="abcʻ’ʼ‘`´'qазі ", max_size=40))
def test_unify_apostrophes_is_the_translation_table(text):
    from kazcorpus.filters.script import _APOSTROPHES, unify_apostrophes

    assert unify_apostrophes(text) == text.translate(_APOSTROPHES)
