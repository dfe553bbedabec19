"""Clean stage: mojibake repair (ftfy) and boilerplate line removal within one document."""

import pickle
import random
import re

import ftfy
import pytest
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES, is_bad

from kazcorpus.filters.clean import CleanConfig, CleanOperator, config_keys
from kazcorpus.pipeline.record import Doc, Provenance

ARTICLE = "Астанада жаңа кітапхана ашылды. Оған мыңдаған оқырман келді."


def clean(text, **cfg):
    op = CleanOperator(config=CleanConfig(**cfg))
    doc = Doc(id="d", source="t", provenance=Provenance(uri="mem"), text=text)
    op.annotate(doc)
    return doc, op.decide(doc)


def test_mojibake_from_a_windows_1251_misdecode_is_repaired():
    broken = ARTICLE.encode("utf-8").decode("cp1251", errors="replace")
    assert broken != ARTICLE
    doc, reason = clean(broken)
    assert doc.text == ARTICLE and reason is None
    assert doc.annotations["clean"]["mojibake_fixed"] is True


def test_correct_text_with_typographic_quotes_is_not_touched():
    text = "Ол «тәуелсіз» деді — “жақсы” ғой.\nЕкінші жол."
    doc, _ = clean(text)
    assert doc.text == text
    assert doc.annotations["clean"] == {"removed_lines": 0, "removed_chars": 0, "mojibake_fixed": False}


@pytest.mark.parametrize(
    "line",
    [
        "© 2024 Барлық құқықтар қорғалған",
        "Все права защищены.",
        "Мы используем файлы cookie, чтобы сайт работал лучше. Принять",
        "Бөлісу",
        "Поделиться: Facebook, Telegram, WhatsApp",
        "Facebook | Telegram | Instagram",
        "Басты бет > Жаңалықтар",
        "Главная",
        "Толығырақ »",
        "Қазақша | Русский | English",
        "При использовании материалов ссылка на сайт обязательна",
        "Политика конфиденциальности",
        "Теги: экономика, бюджет",
        "Просмотров: 1520",
    ],
)
def test_boilerplate_lines_are_removed_and_counted(line):
    doc, reason = clean(f"{ARTICLE}\n{line}\n{ARTICLE[:20]} жалғасы.")
    assert line not in doc.text
    assert ARTICLE in doc.text
    ann = doc.annotations["clean"]
    assert ann["removed_lines"] == 1 and ann["removed_chars"] == len(line)
    assert ann["examples"] == [line.strip()]
    assert reason is None


def test_a_long_line_that_mentions_a_phrase_is_kept():
    line = ("Сайт иесі " * 20) + "барлық құқықтар қорғалған деп жазғанымен, мақала басқа тақырып туралы."
    doc, _ = clean(f"{ARTICLE}\n{line}")
    assert line in doc.text
    assert doc.annotations["clean"]["removed_lines"] == 0


def test_ordinary_sentences_with_menu_words_stay():
    text = "Главная задача правительства — рост экономики.\nПоделиться опытом приехали учителя из Алматы."
    doc, _ = clean(text)
    assert doc.text == text


def test_a_page_of_only_boilerplate_is_dropped():
    doc, reason = clean("Главная\nВсе права защищены\nПоделиться")
    assert doc.text == "" and reason == "only_boilerplate"


def test_extra_patterns_and_switches():
    doc, _ = clean(f"{ARTICLE}\nЖарнама берушілерге", extra_patterns=[r"^жарнама\s+берушілерге$"])
    assert doc.annotations["clean"]["removed_lines"] == 1
    doc, _ = clean(f"{ARTICLE}\nВсе права защищены", remove_boilerplate=False)
    assert "Все права защищены" in doc.text


def test_bad_pattern_is_reported_with_the_key():
    op = CleanOperator(config=CleanConfig(patterns=["(unclosed"]))
    with pytest.raises(ValueError, match="clean.patterns"):
        op.ensure_setup()


def test_operator_pickles_and_config_keys_are_documented():
    op = CleanOperator()
    op.ensure_setup()
    again = pickle.loads(pickle.dumps(op))
    doc = Doc(id="d", source="t", provenance=Provenance(uri="mem"), text=f"{ARTICLE}\nГлавная")
    again.annotate(doc)
    assert doc.annotations["clean"]["removed_lines"] == 1
    assert all(config_keys().values())


# --- the cheap pre-checks must give exactly ftfy's answers ------------------------------------

SENTENCES = [
    ARTICLE,
    "Қазақстан Республикасының Президенті «Жаңа Қазақстан» бағдарламасын ұсынды — 2024 ж. № 15.",
    "Все права защищены © 2024. Цена: 1 500 ₸ × 2, температура +25 °C… «Ёлка» и “ёж”.",
    "The café’s naïve résumé costs €5 — “déjà vu”, isn’t it? 5 × 3 = 15 ± 1.",
    "Größe, Ärger, Straße, façade, niño, Łódź, Zürich: über 90 % ½ dozen.",
]
MISDECODE = ["cp1252", "latin-1", "cp1251", "cp437", "mac_roman", "cp1253", "cp1257", "cp1250", "iso8859_5", "koi8_r"]


def mojibake_samples():
    """kk/ru/en/de text encoded to UTF-8 and read back in a wrong single-byte code page: the whole
    text, a word inside a long correct text, at its start and at its end (windows at the edges)."""
    out = []
    for sentence in SENTENCES:
        for codec in MISDECODE:
            broken = sentence.encode("utf-8").decode(codec, errors="replace")
            if broken == sentence:
                continue
            word = sentence.split()[1].encode("utf-8").decode(codec, errors="replace")
            body = "\n".join(SENTENCES * 3)
            out += [broken, f"{body} {word} {body}", f"{word} {body}", f"{body}\n{word}", f"Ã {body}", f"{body} Â» x"]
    return out


def alphabet():
    cls = re.compile("[" + "".join(MOJIBAKE_CATEGORIES.values()) + "]")
    chars = {chr(c) for c in range(0x80, 0x10000) if cls.match(chr(c))}
    chars |= {ch for ch in BADNESS_RE.pattern if ord(ch) > 0x7F}
    chars |= set("aAzZ .,!?-1\n\t(]_") | set("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі") | set("ВГРСΒΓΞΟβ")
    return sorted(chars)


def test_windowed_is_bad_equals_ftfy_on_every_pair_of_characters():
    from kazcorpus.filters.clean import MojibakeCheck

    check = MojibakeCheck("NFC")
    chars = alphabet()
    bad = 0
    for a in chars:
        for b in chars:
            pair = a + b
            expected = is_bad(pair)
            assert check.is_bad(pair) == expected, repr(pair)
            bad += expected
    assert bad > 1000  # the pairs do exercise ftfy's rules


def test_windowed_is_bad_equals_ftfy_on_random_and_generated_text():
    from kazcorpus.filters.clean import MojibakeCheck

    check = MojibakeCheck("NFC")
    chars = alphabet()
    rng = random.Random(3)
    texts = mojibake_samples()
    texts += ["".join(rng.choice(chars) for _ in range(rng.randint(1, 9))) for _ in range(40_000)]
    # long texts with rare characters far apart, so that windows merge and split
    filler = "Қазақ тілі — мемлекеттік тіл. "
    texts += [filler * rng.randint(0, 3) + "".join(rng.choice(chars) for _ in range(4)) + filler * 2 for _ in range(3000)]
    flagged = 0
    for text in texts:
        expected = is_bad(text)
        assert check.is_bad(text) == expected, repr(text)
        flagged += expected
    assert flagged > 1000


def test_ftfy_is_skipped_only_when_it_would_change_nothing():
    op = CleanOperator(config=CleanConfig())
    op.setup()
    cfg = op._ftfy_config
    samples = mojibake_samples()
    changed = 0
    for text in samples + SENTENCES + [
        "a\r\nb", "line\u2028sep", "x\x1b[31mred\x1b[0m", "bom\ufeffhere", "c1\x85dots", "e\u0301 (not NFC)",
        "zero\u200bwidth", "tab\tand\x0bvt", "\ud83d\ude00 surrogates",
    ]:
        fixed, steps = ftfy.fix_and_explain(text, cfg)
        if fixed != text or steps:
            changed += 1
            assert op._mojibake.needs_ftfy(text), repr(text)  # never skip a text ftfy would fix
        if not op._mojibake.needs_ftfy(text):
            assert op.fix_mojibake(text) == (text, [])
    assert changed >= len(samples) // 2


def test_skipping_ftfy_changes_no_result_on_clean_and_broken_documents():
    op = CleanOperator(config=CleanConfig())
    op.setup()
    for text in mojibake_samples() + SENTENCES:
        doc_fast = Doc(id="d", source="t", provenance=Provenance(uri="mem"), text=text)
        op.annotate(doc_fast)
        # what the stage gave before the pre-check: ftfy on every document
        fixed, steps = ftfy.fix_and_explain(text, op._ftfy_config)
        assert doc_fast.text == op.remove_boilerplate(fixed)[0]
        expected_steps = [f"{a} {b}" for a, b in steps] if fixed != text else []
        assert doc_fast.annotations["clean"].get("ftfy", []) == expected_steps


def test_line_matcher_answers_as_the_individual_patterns():
    from kazcorpus.filters.clean import LineMatcher, compile_patterns

    patterns = compile_patterns(CleanConfig(extra_patterns=["^x|жарнама\\s+беру", "(?s)^ab.c"]))
    matcher = LineMatcher(patterns)
    rng = random.Random(5)
    words = ["Главная", "©", "2024", "все", "права", "защищены", "cookie", "Бөлісу", "Facebook", "|", "x",
             "Теги:", "Просмотров:", "15", "ab", "c", "жарнама", "беру", "»", "Толығырақ", "мәтін", "жаңалық"]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    hits = 0
    for line in lines:
        expected = any(p.search(line) for p in patterns)
        assert matcher.search(line) == expected, line
        hits += expected
    assert 100 < hits < len(lines) - 100


# --- windows only around the triggers that need them ---------------------------------------------


def test_lone_trigger_analysis_reads_the_regex():
    from kazcorpus.filters.clean import _lone_triggers

    trig = frozenset("abd")
    # (can match without a trigger, triggers that can be a match's only one)
    assert _lone_triggers(re.compile("[ab]c|d"), trig) == (False, {"a", "b", "d"})
    assert _lone_triggers(re.compile("ab|ba"), trig) == (False, set())
    assert _lone_triggers(re.compile("x?a"), trig) == (False, {"a"})
    assert _lone_triggers(re.compile("x|ab"), trig) == (True, set())
    assert _lone_triggers(re.compile("a{2}"), trig) == (False, set())
    assert _lone_triggers(re.compile("(?:a|x){1,3}"), trig) == (True, {"a"})
    assert _lone_triggers(re.compile("^[^x]b"), trig) == (False, {"b"})  # [^x] may be a trigger or not
    assert _lone_triggers(re.compile("a(?=b)"), trig) is None  # lookarounds are not modelled
    assert _lone_triggers(re.compile("(?i:a)b"), trig) is None  # nor groups with flags of their own
    assert _lone_triggers(re.compile("ab", re.IGNORECASE), trig) is None  # nor case-blind patterns


def test_ftfy_rules_all_need_a_trigger_and_accented_letters_need_two():
    from kazcorpus.filters.clean import MojibakeCheck

    check = MojibakeCheck("NFC")
    assert check.width is not None and check.candidates is not check.triggers
    # German, Polish, French letters and typographic apostrophes and dashes make no match alone...
    for text in ("über", "Kraków", "français", "it’s", "a – b", "Zürich,", "naïve"):
        assert not check.candidates.search(text), text
    # ...so a page full of them is searched only where two come close (ö and ß, not ü and ö).
    assert [m.start() for m in check.candidates.finditer("für x Größe")] == [8]


def test_windowed_is_bad_equals_ftfy_with_triggers_scattered_in_plain_text():
    from kazcorpus.filters.clean import MojibakeCheck

    check = MojibakeCheck("NFC")
    chars = [ch for ch in alphabet() if check.triggers.match(ch)]
    rng = random.Random(11)
    fillers = ["Straßenbahn fährt über die Brücke ", "Қазақ тілі — мемлекеттік тіл ", "abc ", "", " ", "ВГРС"]
    flagged = 0
    for _ in range(20_000):
        parts = []
        for _ in range(rng.randint(1, 4)):
            filler = rng.choice(fillers)
            cut = rng.randint(0, len(filler))
            parts += [filler[:cut], rng.choice(chars), " " * rng.randint(0, 8)]
        text = "".join(parts)
        expected = is_bad(text)
        assert check.is_bad(text) == expected, repr(text)
        flagged += expected
    assert 1000 < flagged < 19_000


# --- ftfy skipped when normalization is all it would do --------------------------------------------


def test_normalization_only_gives_ftfy_result():
    import unicodedata

    op = CleanOperator(config=CleanConfig())
    op.setup()
    texts = [unicodedata.normalize("NFD", t) for t in SENTENCES + mojibake_samples()]
    texts += ["e\u0301", "Ã\u0301 x", "A\u0303 ", "a\u0300\x85", "Ï\u0301t", "Ð\u0303§", "\u0415\u0308лка «ёж»"]
    shortcut = 0
    for text in texts:
        fixed, steps = ftfy.fix_and_explain(text, op._ftfy_config)
        expected = (fixed, [f"{a} {b}" for a, b in steps] if fixed != text else [])
        assert op.fix_mojibake(text) == expected, repr(text)
        if op._mojibake.normalized_only(text) is not None:
            shortcut += 1
            assert expected[1] == ["normalize NFC"]
    assert shortcut > 10 and shortcut < len(texts)


# --- unanchored patterns: one look at the whole text first ---------------------------------------


def test_required_literals_of_a_pattern():
    from kazcorpus.filters.clean import _required_literals

    def lits(p):
        return _required_literals(re.compile(p, re.IGNORECASE))

    assert lits(r"\b(cookies?|куки)\b") == {"cookie", "куки"}
    assert lits(r"все\s+права\s+(защищены|сохранены)") == {"защищены", "сохранены"}
    assert lits(r"(при\s+)?(использовании|копировании)\s+материал") == {"использовании", "копировании"}
    assert lits(r"(a|)bc") == {"bc"}
    assert lits(r"x?y*") is None
    assert lits(r"(?=abc)d") == {"d"}
    assert lits(r"[ab]c") == {"c"}
    assert lits(r"(?:ab){2,}") == {"ab"}


def _boilerplate_reference(text, patterns, limit=200):
    # The stage as written first: every pattern searched on every short stripped line.
    kept, removed = [], []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and len(stripped) <= limit and any(p.search(stripped) for p in patterns):
            removed.append(line)
        else:
            kept.append(line)
    if not removed:
        return text, removed
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n"), removed


def _case_variants(word, rng):
    # Upper, title, mixed case and the characters re.IGNORECASE pairs with Latin letters that
    # `str.casefold` does not (Turkish dotless and dotted I, long s, Kelvin sign).
    odd = {"i": ["ı", "İ", "I"], "s": ["ſ", "S"], "k": ["\u212a", "K"], "е": ["Е", "ё"]}
    return "".join(rng.choice(odd[c] + [c, c.upper()]) if c in odd and rng.random() < 0.5 else
                   (c.upper() if rng.random() < 0.3 else c) for c in word)


def test_unanchored_prefilter_never_hides_a_match():
    from kazcorpus.filters.clean import LineMatcher, compile_patterns

    patterns = compile_patterns(CleanConfig(extra_patterns=["жарнама\\s+беру", "qazaqstan\\s+[a-z]+ı"]))
    matcher = LineMatcher(patterns)
    floating = [p for p in patterns if not p.pattern.startswith("^")]
    rng = random.Random(7)
    words = ["cookie", "cookies", "куки", "все", "права", "защищены", "reserved", "all", "rights", "жарнама",
             "беру", "qazaqstan", "bılım", "пайдаланушы", "келісімі", "мәтін", "Главная", "жаңалық", "Kiss",
             "Sık", "Ülke", "использовании", "материалов", "ссылка", "обязательна", "·", "»", "2024", "\t"]
    skipped = matched = 0
    for _ in range(4000):
        lines = [" ".join(_case_variants(rng.choice(words), rng) for _ in range(rng.randint(0, 6)))
                 for _ in range(rng.randint(1, 5))]
        text = "\n".join(lines)
        found = any(p.search(line.strip()) for p in floating for line in lines)
        matched += found
        if not matcher.floating_possible(text):
            skipped += 1
            assert not found, text
    assert skipped > 500 and matched > 500


def test_boilerplate_removal_equals_the_line_by_line_reference():
    from kazcorpus.filters.clean import compile_patterns

    op = CleanOperator(config=CleanConfig(max_line_chars=60))
    op.setup()
    patterns = compile_patterns(op.config)
    rng = random.Random(9)
    lines = ["© 2024 Барлық құқықтар қорғалған", "Все права защищены.", "Мы используем файлы COOKIE.",
             "Бөлісу", "Facebook | Telegram", "Главная", "  Толығырақ »  ", "Теги: экономика", ARTICLE,
             ARTICLE + " Все права защищены", "", "   ", "\t", "Қазақша | Русский", "Политика конфиденциальности",
             "Ülke cookıe", "ALL RIGHTS RESERVED", "Просмотров: 15", "жаңалықтар"]
    for _ in range(3000):
        text = "\n".join(rng.choice(lines) for _ in range(rng.randint(1, 8)))
        assert op.remove_boilerplate(text) == _boilerplate_reference(text, patterns, 60), text
