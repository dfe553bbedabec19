"""Quality stage: datatrove's rules with our tokenizer, per-language thresholds, one named reason
per rule, scores on kept documents."""

import copy
import pickle
import random
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kazcorpus.filters import gopher_counts
from kazcorpus.filters.quality import (
    RULE_SETS,
    QualityConfig,
    QualityOperator,
    all_reasons,
    config_keys,
    map_reason,
)
from kazcorpus.pipeline.record import Doc, Provenance

CONTENT = """
қала ауыл мектеп оқушы мұғалім кітап газет журнал тарих мәдениет өнер ғылым білім жұмыс еңбек
жастар отбасы бала ана әке дала тау өзен көл орман жер су ауа күн ай жұлдыз жаз қыс көктем күз
мемлекет үкімет президент депутат заң құқық сот полиция әскер шекара экономика қаржы банк ақша
бағдарлама жоба құрылыс жол көпір вокзал әуежай пойыз автобус көлік ауруxана дәрігер емдеу
спорт жарыс чемпион команда ойын жеңіс музыка әнші театр кино фильм көрме мұражай кітапхана
зерттеу тәжірибе нәтиже мақсат міндет шешім мәселе сұрақ жауап пікір ұсыныс талап ереже тәртіп
аудан облыс орталық астана елорда халық ұлт тіл сөз сөйлем мәтін аударма ақын жазушы шығарма
дамыды өсті көрсетті айтты жазды оқыды салды ашты жабылды басталды аяқталды өтті келді кетті
жаңа үлкен кіші жақсы маңызды қиын оңай ерекше тиімді қазіргі бүгінгі ертеңгі өткен келесі
""".split()
STOP = "және мен бұл осы үшін деп бойынша туралы арқылы бірақ немесе да де ол олар".split()


def sentence(rng, n=10):
    words = [rng.choice(STOP) if rng.random() < 0.3 else rng.choice(CONTENT) for _ in range(n)]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def good_text(seed=0, lines=12):
    rng = random.Random(seed)
    return "\n".join(sentence(rng, rng.randint(9, 13)) for _ in range(lines))


def make_doc(text, lang="kk", script="Cyrl"):
    return Doc(id="d", source="t", provenance=Provenance(uri="mem"), text=text, lang=lang, script=script)


def run(text, lang="kk", **overrides):
    cfg = QualityConfig(thresholds={lang: overrides}) if overrides else QualityConfig()
    op = QualityOperator(config=cfg)
    doc = make_doc(text, lang)
    op.annotate(doc)
    return doc, op.decide(doc)


def test_good_kazakh_text_is_kept_and_every_score_is_written():
    doc, reason = run(good_text())
    assert reason is None
    ann = doc.annotations["quality"]
    assert ann["keep"] is True and ann["reason"] is None and ann["thresholds"] == "kk"
    for key in ("n_words", "avg_word_length", "alpha_words_ratio", "stop_words", "dup_line_frac",
                "top_2_gram_frac", "dup_10_gram_frac", "line_punct_ratio", "new_line_ratio", "n_sentences"):
        assert key in ann
    assert ann["stop_words"] >= 2


def test_text_is_never_rewritten_even_when_c4_would_drop_lines():
    text = good_text() + "\nМәзір"  # C4 drops lines of fewer than 3 words from its copy
    doc, _ = run(text)
    assert doc.text == text


def words_line(rng, n, pool):
    return " ".join(rng.choice(pool) for _ in range(n))


def repeated_ngram_text(n, seed=1):
    rng = random.Random(seed)
    gram = " ".join(f"қайталанатын{i}" for i in range(n))
    lines = [f"{sentence(rng, 6)[:-1]} {gram} {sentence(rng, 6)}" for _ in range(12)]
    return "\n".join(lines)


def dup_ngram_text(seed=2):
    rng = random.Random(seed)
    chunk = " ".join(rng.choice(CONTENT) for _ in range(12))
    return "\n".join(f"{sentence(rng, 5)[:-1]} {chunk} {sentence(rng, 5)}" for _ in range(10))


def rare_words(rng, length):
    alphabet = "абвгдежзиклмнопрстуфхқғңүұіөә"
    return "".join(rng.choice(alphabet) for _ in range(length))


def text_of_words(seed, length, lines=10, per_line=10):
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        ws = [rare_words(rng, length) for _ in range(per_line)] + [rng.choice(STOP), rng.choice(STOP)]
        rng.shuffle(ws)
        out.append(" ".join(ws) + ".")
    return "\n".join(out)


def with_lines(fn, seed=0):
    return "\n".join(fn(i, line) for i, line in enumerate(good_text(seed).split("\n")))


OFF = {"c4_min_num_sentences": None}

CASES = {
    "empty_text": ("   \n ", {}),
    "too_many_duplicate_lines": ("\n".join(good_text(3).split("\n")[:6] + [sentence(random.Random(4))] * 6), {}),
    "too_many_duplicate_paragraphs": (
        "\n\n".join([good_text(5, 2)] * 2 + [good_text(6, 2)]), {"dup_para_frac": 0.2, "dup_line_frac": None}
    ),
    "too_many_duplicate_paragraph_chars": (
        "\n\n".join([good_text(5, 2)] * 2 + [good_text(i, 2) for i in range(7, 11)]),
        {"dup_para_char_frac": 0.1, "dup_line_frac": None},
    ),
    "too_many_duplicate_line_chars": (
        "\n".join(good_text(3).split("\n") + good_text(3).split("\n")[:3]),
        {"dup_line_char_frac": 0.1},
    ),
    "top_2_gram_too_frequent": (repeated_ngram_text(2), {"top_n_grams": {2: 0.05}}),
    "top_3_gram_too_frequent": (repeated_ngram_text(3), {"top_n_grams": {3: 0.05}}),
    "top_4_gram_too_frequent": (repeated_ngram_text(4), {"top_n_grams": {4: 0.05}}),
    **{
        f"too_many_duplicate_{n}_grams": (dup_ngram_text(), {"top_n_grams": {}, "dup_n_grams": {n: 0.1}})
        for n in range(5, 11)
    },
    "too_few_lines_ending_in_punctuation": (with_lines(lambda i, ln: ln.rstrip(".")), {}),
    "too_many_short_lines": (
        "\n".join(sentence(random.Random(i), 3) for i in range(30)) + "\n" + good_text(),
        {"short_line_thr": 0.5, "new_line_ratio": None},
    ),
    "too_much_repeated_line_text": (
        "\n".join(good_text(3).split("\n")[:10] + good_text(3).split("\n")[:2]),
        {"top_n_grams": {}, "dup_n_grams": {}},  # the Gopher n-gram rules run first and would fire
    ),
    "too_many_line_breaks": ("\n".join(sentence(random.Random(i), 4) for i in range(40)), {}),
    "too_few_words": (good_text(lines=3), {"top_n_grams": {}, "dup_n_grams": {}}),
    "too_many_words": (good_text(), {"max_doc_words": 60}),
    "words_too_short": (text_of_words(1, 1), {"min_stop_words": None}),
    "words_too_long": (text_of_words(2, 16), {}),
    "too_many_hashes": (with_lines(lambda i, ln: ln[:-1] + f" #тег{i} #белгі{i}."), {}),
    "too_many_ellipses": (with_lines(lambda i, ln: ln.replace(" ", "... ", 2)), {}),
    "too_many_bullet_lines": (with_lines(lambda i, ln: "• " + ln), {}),
    "too_many_ellipsis_lines": (with_lines(lambda i, ln: ln[:-1] + "…" if i % 2 else ln), {}),
    "too_few_alpha_words": (with_lines(lambda i, ln: ln[:-1] + " " + " ".join(str(i * 100 + k) for k in range(8)) + "."), {}),
    "too_few_stop_words": (
        "\n".join(" ".join(random.Random(i).sample(CONTENT, 10)).capitalize() + "." for i in range(10)), {}
    ),
    "lorem_ipsum": (good_text() + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit.", {}),
    "has_curly_bracket": (good_text() + "\nБұл {код} мысалы болып табылады.", {}),
    "too_few_sentences": (good_text(), {"c4_min_num_sentences": 50}),
}


@pytest.mark.parametrize("expected", sorted(CASES))
def test_each_rule_drops_with_its_own_reason(expected):
    text, overrides = CASES[expected]
    doc, reason = run(text, **overrides)
    assert reason == expected, doc.annotations["quality"]
    assert doc.annotations["quality"]["keep"] is False


def test_every_reason_of_the_stage_has_a_case():
    assert set(all_reasons()) == set(CASES)


def test_russian_thresholds_and_stop_words_apply_to_russian():
    rng = random.Random(0)
    ru = "мы и они в городе на работе с детьми по утрам для всех это так".split()
    text = "\n".join(" ".join(rng.choice(ru) for _ in range(10)).capitalize() + "." for _ in range(10))
    doc, _ = run(text, lang="ru")
    assert doc.annotations["quality"]["thresholds"] == "ru"
    assert doc.annotations["quality"]["stop_words"] >= 2


def test_language_without_thresholds_uses_default_and_skips_stop_words():
    doc, reason = run(good_text(), lang="uz")
    assert doc.annotations["quality"]["thresholds"] == "default"
    assert reason is None


def test_lang_script_key_wins_over_lang():
    cfg = QualityConfig(thresholds={"kk_Latn": {"min_doc_words": 5, "stop_words": None, "min_stop_words": None}})
    op = QualityOperator(config=cfg)
    assert op.thresholds_key(make_doc("x", "kk", "Latn")) == "kk_Latn"
    assert op.thresholds_key(make_doc("x", "kk", "Cyrl")) == "kk"


def test_recipe_overrides_merge_over_language_defaults():
    cfg = QualityConfig(thresholds={"kk": {"dup_line_frac": 0.5}})
    kk = cfg.thresholds["kk"]
    assert kk.dup_line_frac == 0.5
    assert kk.line_punct_thr == 0.176 and kk.max_avg_word_length == 12  # the rest stays FineWeb-2 kk
    assert cfg.thresholds["ru"].line_punct_thr == 0.231


def test_unknown_threshold_key_is_an_error():
    with pytest.raises(ValueError, match="dup_lines_frac"):
        QualityConfig(thresholds={"kk": {"dup_lines_frac": 0.5}})


def test_config_round_trips_through_json():
    cfg = QualityConfig(thresholds={"kk": {"top_n_grams": {2: 0.3}}})
    again = QualityConfig.model_validate(cfg.model_dump(mode="json"))
    assert again.thresholds["kk"].top_n_grams == {2: 0.3}


def test_rules_can_be_restricted():
    op = QualityOperator(config=QualityConfig(rules=["c4"]))
    doc = make_doc(good_text(lines=3))
    op.annotate(doc)
    assert op.decide(doc) is None  # too_few_words belongs to gopher_quality, which is off


def test_map_reason_names_unknown_and_missing_reasons():
    assert map_reason("gopher_quality", "gopher_enough_stop_words") == "too_few_stop_words"
    assert map_reason("fineweb", "something_new") == "fineweb_something_new"
    assert map_reason("c4", None) == "c4_failed"


def test_operator_pickles_before_and_after_setup():
    op = QualityOperator()
    op2 = pickle.loads(pickle.dumps(op))
    op.ensure_setup()
    op3 = pickle.loads(pickle.dumps(op))
    for o in (op2, op3):
        d = make_doc(good_text())
        o.annotate(d)
        assert o.decide(d) is None


def test_config_keys_document_every_threshold():
    keys = config_keys()
    assert "quality.thresholds.<lang>.dup_line_frac" in keys
    assert all(desc for desc in keys.values())


# Words that concatenate alike in different splits ("аб" + "в" == "а" + "бв"), anagrams, punctuation,
# an empty word and one holding a space (our tokenizer makes neither, datatrove's helpers take them).
NGRAM_WORDS = ["а", "б", "аб", "ба", "бв", "в", "ггг", ".", "…", "Ә", "😀", "", "а б"]


def datatrove_ngram_counts(words, top_ns, dup_ns):
    from datatrove.pipeline.filters.gopher_repetition_filter import (
        find_all_duplicate,
        find_top_duplicate,
        get_n_grams,
    )

    top = {n: find_top_duplicate(grams) if (grams := get_n_grams(words, n)) else 0 for n in top_ns}
    return top, {n: find_all_duplicate(words, n) for n in dup_ns}


def ngram_repetition(words, top_ns, dup_ns):
    return gopher_counts.DocumentWords(words).ngram_repetition(top_ns, dup_ns)


def one_bucket(keys, mixer=0, spare_bits=0):
    """Every key in the same bucket: nothing is ruled out, everything is compared."""
    return np.zeros(len(keys), np.intp), np.array([len(keys)])


short_memory = gopher_counts.SubstringHash()
short_memory._KEPT = 8  # powers for longer texts are made for them, not kept

# The fast counts hash n-grams and compare strings only where hashes (or buckets) meet; weakened
# hashing makes hashes and buckets of different n-grams meet all the time, which must not change
# any count.
HASHINGS = {
    "as shipped": {"_HASH": gopher_counts._HASH},
    "anagrams collide": {"_HASH": gopher_counts.SubstringHash(base=1), "_WORDS_BASE": 1},
    "one bucket": {"_buckets": one_bucket},
    "small tables": {"_MAX_TABLE_BITS": 2, "_HASH": short_memory},
}


@pytest.mark.parametrize("hashing", sorted(HASHINGS))
@settings(max_examples=120, deadline=None)
@given(words=st.lists(st.sampled_from(NGRAM_WORDS), max_size=70), space_free=st.booleans())
def test_fast_ngram_counts_equal_datatrove_helpers(hashing, words, space_free):
    if space_free:  # the fast path (no word holds a space); otherwise datatrove's helpers are used
        words = [w for w in words if " " not in w]
    top_ns, dup_ns = [1, 2, 3, 4, 5], [1, 2, 3, 5, 6, 7, 8, 9, 10]
    with mock.patch.multiple(gopher_counts, **HASHINGS[hashing]):
        fast = ngram_repetition(words, top_ns, dup_ns)
    assert fast == datatrove_ngram_counts(words, top_ns, dup_ns)


@pytest.mark.parametrize("seed", range(6))
def test_fast_ngram_counts_on_long_repetitive_documents(seed):
    """Thousands of words: pasted blocks (repeated n-grams of every length), a small vocabulary
    (frequent short n-grams, hash buckets shared by chance) and splits that concatenate alike."""
    rng = random.Random(seed)
    vocabulary = CONTENT[: rng.randint(3, 40)] + ["а", "б", "аб", ".", ","]
    words = []
    while len(words) < 3000:
        if words and rng.random() < 0.3:
            start = rng.randrange(len(words))
            words += words[start : start + rng.randint(3, 40)]
        else:
            words += [rng.choice(vocabulary) for _ in range(rng.randint(1, 30))]
    top_ns, dup_ns = [2, 3, 4], [5, 6, 7, 8, 9, 10]
    assert ngram_repetition(words, top_ns, dup_ns) == datatrove_ngram_counts(words, top_ns, dup_ns)


WORD_CHARS = "aZәҚж1٣_'-.,!?#…•«»—\x0b\x1f\u0301\u00a0😀𝔘𝟙"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=WORD_CHARS, max_size=6), max_size=40))
def test_word_counts_equal_datatrove_word_tests(words):
    """Non-symbol words (datatrove's `any(ch not in PUNCTUATION_SET ...)`), their characters, and
    words with a letter, from the per-character tables, astral characters and empty words included."""
    from datatrove.utils.text import PUNCTUATION_SET

    real = [w for w in words if any(ch not in PUNCTUATION_SET for ch in w)]
    expected = len(real), sum(len(w) for w in real), sum(any(c.isalpha() for c in w) for w in words)
    assert gopher_counts.DocumentWords(words).word_counts() == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab \n\r\t\x0c", max_size=40))
def test_paragraph_and_line_splits_equal_datatrove_expressions(text):
    import re

    assert gopher_counts.gopher_paragraphs(text) == re.split(r"\n{2,}", text.strip())
    assert gopher_counts.gopher_lines(text.split("\n")) == re.split("\n+", text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab.!?…\n ", max_size=6), max_size=12))
def test_duplicates_and_line_ends_equal_datatrove(lines):
    from datatrove.pipeline.filters.gopher_repetition_filter import find_duplicates
    from datatrove.utils.text import TERMINAL_PUNCTUATION

    assert gopher_counts.find_duplicates(lines) == find_duplicates(lines)
    for marks in (tuple(TERMINAL_PUNCTUATION), (".", "!"), ("..", "?")):
        assert gopher_counts.count_line_ends(lines, marks) == sum(line.endswith(marks) for line in lines)


SENTENCE_PIECES = [
    "Бұл сөйлем.", "Мысалы т.б. сөздер.", "А. Байтұрсынұлы келді.", "Баға 3.5 теңге!", "«Иә?»", " ",
    "  ", "\t", "сөз", "Сөз", "...", "…", "\n", "\r\n", "\x0c", "\x1f", "\u00a0", "[1]", "kazcorpus.kz.",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SENTENCE_PIECES), max_size=25))
def test_line_sentence_counts_equal_c4_per_line_splits(pieces):
    """C4 splits every line it keeps into sentences; the stage takes each line's count from one
    sentence split of the whole text, which holds as our tokenizer never lets a sentence cross a
    line break."""
    from datatrove.utils.text import split_into_sentences

    from kazcorpus.filters.quality import document_counts
    from kazcorpus.filters.tokenize import default_tokenizer

    text = "".join(pieces)
    tok = default_tokenizer()
    counts = document_counts(text, tok.word_tokenize(text), tok, [2], [5])
    assert counts["n_sentences"] == sum(counts["line_sentences"])
    for line, n in zip(text.splitlines(), counts["line_sentences"], strict=True):
        assert max(n, 1) == len(split_into_sentences(line.strip(), tok)), line


def varied_texts():
    """Every CASES text (each rule failing, under its thresholds and under the defaults), plus
    random documents built from a small vocabulary so that lines, paragraphs and n-grams repeat by
    chance at every rate, lines that C4 treats apart, and edge cases (one word, a single line, blank
    lines, no letters, no words)."""
    texts = [text for text, _ in CASES.values()]
    rng = random.Random(7)
    pool = CONTENT[:12] + STOP[:4] + [".", ",", "—", "#", "…", "•"]
    for _ in range(60):
        lines = []
        for _ in range(rng.randint(1, 25)):
            lines.append(words_line(rng, rng.randint(1, 14), pool[: rng.randint(3, len(pool))]))
            if rng.random() < 0.2:
                lines.append(rng.choice(lines))
            if rng.random() < 0.15:
                edge = ["", " ", "Мәзір", "- " + sentence(rng, 4), "  • " + sentence(rng, 4)]
                edge += ["\t-" + sentence(rng, 5), sentence(rng, 3) + "..", sentence(rng, 4)[:-1] + " … "]
                edge += [sentence(rng, 5)[:-1] + "...\t"]
                lines.append(rng.choice(edge))
        texts.append(rng.choice(["\n", "\r\n", "\n\n"]).join(lines))
    body = good_text(11)
    texts += [body + "\n" + line for line in C4_LINES]
    texts += ["сөз", "сөз сөз", "\n\n\nсөз\n\n", "12 34 56 78 .", good_text(9, 1), "а" * 50]
    texts += ["\u0301", "—"]  # no word at all; a word of punctuation only
    return texts


# Lines for each of C4's line and document rules, some in a spelling only a case-blind or a
# citation-blind search finds.
C4_LINES = [
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "Бұл LOREM IPSUM мәтіні болып табылады.",
    "Бұл lorem [1]ipsum мәтіні болып табылады.",
    "Бұл {код} мысалы болып табылады.",
    "Please enable JavaScript to see the page.",
    "This site uses cookies to work well.",
    "Read our Privacy Policy before you go.",
    "Дереккөз [edit] мұнда көрсетілген. Тағы бір [12] сөйлем бар.",
    "Өте ұзын " + "сөз" * 400 + " мысалы.",
    "Сөйлем бітпеді...",
    "Екі сөз",
]


THRESHOLD_VARIANTS = [
    {},
    {"dup_para_frac": 0.2, "dup_para_char_frac": 0.1, "dup_line_char_frac": 0.1},
    {"dup_line_frac": 0.05, "top_n_grams": {2: 0.05, 3: 0.04, 4: 0.03}, "dup_n_grams": {n: 0.02 for n in range(5, 11)}},
    {"dup_line_frac": None, "top_n_grams": {}, "dup_n_grams": {5: 0.0, 7: 0.3}},
    # FineWeb
    {"line_punct_exclude_zero": True, "line_punct_thr": 0.9, "new_line_ratio": 0.05},
    {"short_line_thr": 0.3, "short_line_length": 60, "char_duplicates_ratio": 0.01},
    # Gopher quality
    {"min_doc_words": None, "min_avg_word_length": 5, "max_symbol_word_ratio": 0.01},
    {"min_doc_words": 0, "max_bullet_lines_ratio": 0.05, "max_ellipsis_lines_ratio": 0.05},
    {"max_non_alpha_words_ratio": 0.99, "stop_words": "stopwords_kk.txt", "min_stop_words": 4},
    # C4
    {"c4_filter_no_terminal_punct": True, "c4_max_word_length": 8},
    {"c4_min_words_per_line": 0, "c4_min_num_sentences": 40},
    {"c4_min_words_per_line": -1, "c4_min_num_sentences": None, "c4_max_word_length": None},
    {"c4_filter_lorem_ipsum": False, "c4_filter_curly_bracket": False, "c4_filter_javascript": False},
    {"c4_filter_policy": False, "c4_min_words_per_line": 5},
]


def plain_datatrove(flt):
    """The same filter, configured alike, as datatrove's own class (the Precomputed* one's base)."""
    plain = copy.copy(flt)
    plain.__class__ = next(c for c in type(flt).__mro__ if c.__module__.startswith("datatrove."))
    return plain


def outcome(flt, doc):
    """A filter's verdict, the text it leaves, or the error it raises."""
    try:
        return flt.filter(doc), doc.text
    except ZeroDivisionError as error:  # datatrove's, on texts without words
        return type(error)


# (datatrove's np.mean([]) warns, on texts without a non-symbol word)
@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")
@pytest.mark.parametrize("variant", range(len(THRESHOLD_VARIANTS)))
def test_precomputed_rules_equal_plain_datatrove(variant):
    """Each rule reading the counts gives exactly the verdict of datatrove's filter (and leaves the
    text as it does); without counts it is datatrove's filter."""
    from datatrove.data import Document

    from kazcorpus.filters.quality import COUNTS_KEY, build_filters, document_counts
    from kazcorpus.filters.tokenize import default_tokenizer

    th = QualityConfig(thresholds={"kk": THRESHOLD_VARIANTS[variant]}).thresholds["kk"]  # over kk's
    tok = default_tokenizer()
    filters = build_filters(th, tok, list(RULE_SETS))
    c4 = dict(filters)["c4"]
    assert c4.text_read_after is False  # the last rule
    verdicts = {name: set() for name, _ in filters}
    for text in varied_texts():
        words = tok.word_tokenize(text)
        counts = document_counts(text, words, tok, sorted(th.top_n_grams), sorted(th.dup_n_grams))
        for name, flt in filters:
            expected = outcome(plain_datatrove(flt), Document(text=text, id="x"))
            assert outcome(flt, Document(text=text, id="x")) == expected, (name, text)  # no counts
            fast = outcome(flt, Document(text=text, id="x", metadata={COUNTS_KEY: counts}))
            if flt is c4 and fast != expected:  # (C4 last: it need not drop lines from the text)
                assert fast == (expected[0], text) and expected[0] is True, text
            else:
                assert fast == expected, (name, text)
            verdicts[name].add(expected if expected is ZeroDivisionError else str(expected[0]))
        c4.text_read_after = True
        assert outcome(c4, Document(text=text, id="x", metadata={COUNTS_KEY: counts})) == outcome(
            plain_datatrove(c4), Document(text=text, id="x")
        ), text
        c4.text_read_after = False
    assert all("True" in v and len(v) >= 2 for v in verdicts.values()), verdicts  # keeps and drops


def reference_scores(text, words, th, stop_words, tokenizer, rounded=True):
    """The scores measured the plain way, with datatrove's helpers and expressions: what the stage's
    shared, faster counts must reproduce to the last digit."""
    import re

    from datatrove.pipeline.filters.gopher_repetition_filter import (
        find_all_duplicate,
        find_duplicates,
        find_top_duplicate,
        get_n_grams,
    )
    from datatrove.utils.text import PUNCTUATION_SET, TERMINAL_PUNCTUATION

    n_chars, n_tokens = len(text) or 1, len(words) or 1
    real = [w for w in words if any(ch not in PUNCTUATION_SET for ch in w)]
    s = {"n_words": len(real), "n_chars": len(text)}
    s["avg_word_length"] = sum(map(len, real)) / len(real) if real else 0.0
    s["hash_word_ratio"] = text.count("#") / n_tokens
    s["ellipsis_word_ratio"] = (text.count("...") + text.count("…")) / n_tokens
    lines = text.splitlines() or [""]
    bullets = sum(ln.lstrip().startswith("•") or ln.lstrip().startswith("-") for ln in lines)
    ellipses = sum(ln.rstrip().endswith("...") or ln.rstrip().endswith("…") for ln in lines)
    s["bullet_lines_ratio"], s["ellipsis_lines_ratio"] = bullets / len(lines), ellipses / len(lines)
    s["alpha_words_ratio"] = sum(any(c.isalpha() for c in w) for w in words) / n_tokens
    s["stop_words"] = len({w.lower() for w in stop_words & set(words)})
    paragraphs = re.split(r"\n{2,}", text.strip())
    dups, chars = find_duplicates(paragraphs)
    s["dup_para_frac"], s["dup_para_char_frac"] = dups / len(paragraphs), chars / n_chars
    gopher_lines = re.split("\n+", text)
    dups, chars = find_duplicates(gopher_lines)
    s["dup_line_frac"], s["dup_line_char_frac"] = dups / len(gopher_lines), chars / n_chars
    for n in sorted(th.top_n_grams):
        grams = get_n_grams(words, n)
        s[f"top_{n}_gram_frac"] = (find_top_duplicate(grams) if grams else 0) / n_chars
    for n in sorted(th.dup_n_grams):
        s[f"dup_{n}_gram_frac"] = find_all_duplicate(words, n) / n_chars
    nonblank = [ln for ln in text.split("\n") if ln.strip()]
    if nonblank:
        stops = tuple(TERMINAL_PUNCTUATION)
        s["line_punct_ratio"] = sum(ln.endswith(stops) for ln in nonblank) / len(nonblank)
        s["short_line_ratio"] = sum(len(ln) <= th.short_line_length for ln in nonblank) / len(nonblank)
        s["char_dup_ratio"] = find_duplicates(nonblank)[1] / (len(text.replace("\n", "")) or 1)
    s["new_line_ratio"] = text.count("\n") / n_tokens
    s["n_sentences"] = len(tokenizer.span_tokenize(text))
    s["stop_word_tokens"] = len(stop_words & set(words))  # what Gopher's rule compares (not annotated)
    if not rounded:
        return s
    del s["stop_word_tokens"]
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in s.items()}


# Each rule's threshold attributes and the measurement each is compared with.
BOUNDARIES = {
    "gopher_repetition": {
        "dup_para_frac": "dup_para_frac", "dup_para_char_frac": "dup_para_char_frac",
        "dup_line_frac": "dup_line_frac", "dup_line_char_frac": "dup_line_char_frac",
    },
    "fineweb": {
        "line_punct_thr": "line_punct_ratio", "short_line_threshold": "short_line_ratio",
        "char_duplicates_ratio": "char_dup_ratio", "new_line_ratio": "new_line_ratio",
    },
    "gopher_quality": {
        "min_doc_words": "n_words", "max_doc_words": "n_words", "min_avg_word_length": "avg_word_length",
        "max_avg_word_length": "avg_word_length", "max_symbol_word_ratio": "hash_word_ratio",
        "max_bullet_lines_ratio": "bullet_lines_ratio", "max_ellipsis_lines_ratio": "ellipsis_lines_ratio",
        "max_non_alpha_words_ratio": "alpha_words_ratio", "min_stop_words": "stop_word_tokens",
    },
}


def at_and_around(value):
    if isinstance(value, int):
        return [value - 1, value, value + 1]
    return [np.nextafter(value, -1.0), value, np.nextafter(value, 2.0)]


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")
@pytest.mark.parametrize("rule", sorted(BOUNDARIES) + ["c4"])
def test_precomputed_rules_agree_at_every_threshold_boundary(rule):
    """Each threshold set to exactly what a text measures, and to the floats just below and above
    it: the rule reading the counts flips its verdict exactly where datatrove's does."""
    from datatrove.data import Document

    from kazcorpus.filters.quality import COUNTS_KEY, build_filters, document_counts

    th = QualityConfig().thresholds["kk"]
    op = QualityOperator()
    op.setup()
    tok = op._tokenizer
    (_, flt), = build_filters(th, tok, [rule])
    flips = 0
    for text in varied_texts():
        words = tok.word_tokenize(text)
        if not text.strip() or not words:
            continue
        measured = reference_scores(text, words, th, op._stop_words["kk"], tok, rounded=False)
        counts = document_counts(text, words, tok, sorted(th.top_n_grams), sorted(th.dup_n_grams))
        if rule == "c4":
            settings_ = [{"min_num_sentences": n} for n in range(0, 12)]
        else:
            top_n = tuple((n, measured[f"top_{n}_gram_frac"]) for n in sorted(th.top_n_grams))
            dup_n = tuple((n, measured[f"dup_{n}_gram_frac"]) for n in sorted(th.dup_n_grams))
            settings_ = [
                {attr: v} for attr, key in BOUNDARIES[rule].items() for v in at_and_around(measured[key])
            ]
            if rule == "gopher_repetition":
                below_top = tuple((n, np.nextafter(v, -1.0)) for n, v in top_n)
                below_dup = tuple((n, np.nextafter(v, -1.0)) for n, v in dup_n)
                settings_ += [{"top_n_grams": top_n}, {"dup_n_grams": dup_n}]
                settings_ += [{"top_n_grams": below_top, "dup_n_grams": ()}]
                settings_ += [{"dup_n_grams": below_dup, "top_n_grams": ()}]
        for setting in settings_:
            fast = copy.copy(flt)
            vars(fast).update(setting)
            expected = outcome(plain_datatrove(fast), Document(text=text, id="x"))
            got = outcome(fast, Document(text=text, id="x", metadata={COUNTS_KEY: counts}))
            if rule == "c4" and got != expected:  # (C4 last: it need not drop lines from the text)
                assert expected[0] is True and got == (True, text), (setting, text)
            else:
                assert got == expected, (setting, text)
            flips += expected != outcome(plain_datatrove(flt), Document(text=text, id="x"))
    assert flips  # the settings do move verdicts


@pytest.mark.parametrize("lang", ["kk", "ru", "default"])
def test_stage_scores_equal_plain_measurements(lang):
    """Every annotated score, in its order, is the plain measurement's."""
    op = QualityOperator(config=QualityConfig())
    op.setup()
    th = op.config.thresholds[lang]
    for text in varied_texts():
        if not text.strip():
            continue
        doc = make_doc(text, lang)
        op.annotate(doc)
        scores = dict(doc.annotations["quality"])
        for key in ("thresholds", "keep", "reason"):
            del scores[key]
        words = op._tokenizer.word_tokenize(text)
        expected = reference_scores(text, words, th, op._stop_words[lang], op._tokenizer)
        assert list(scores.items()) == list(expected.items()), text


@pytest.mark.parametrize("rules", [list(RULE_SETS), list(reversed(RULE_SETS))])
@pytest.mark.parametrize("lang", ["kk", "ru", "default"])
def test_stage_decisions_equal_plain_datatrove_filters(lang, rules):
    """The whole stage, with its shared counts, decides as datatrove's four filters run one after the
    other would: same first failing rule on every document, in either order of the rules (C4 first
    drops lines from the text the later rules see)."""
    from datatrove.data import Document
    from datatrove.pipeline.filters.base_filter import get_filter_result

    from kazcorpus.filters.quality import build_filters, map_reason

    op = QualityOperator(config=QualityConfig(rules=rules))
    op.setup()
    built = build_filters(op.config.thresholds[lang], op._tokenizer, rules)
    plain_filters = [(name, plain_datatrove(flt)) for name, flt in built]
    reasons = set()
    for text in varied_texts():
        if not text.strip():
            continue
        expected = None
        dt_doc = Document(text=text, id="x")
        for name, flt in plain_filters:
            keep, why = get_filter_result(flt.filter(dt_doc))
            if not keep:
                expected = map_reason(name, why)
                break
        doc = make_doc(text, lang)
        op.annotate(doc)
        assert op.decide(doc) == expected, text
        reasons.add(expected)
    assert len(reasons) >= 3
    assert rules[0] != "gopher_repetition" or any(r and ("duplicate" in r or "gram" in r) for r in reasons)
