"""Clean stage: mojibake repair (ftfy) and boilerplate line removal within one document."""

import pickle

import pytest

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
