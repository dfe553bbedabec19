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
