"""The regex Kazakh/Russian tokenizer, alone and as datatrove's word tokenizer."""

from hypothesis import given, settings
from hypothesis import strategies as st

from kazcorpus.filters.tokenize import (
    TOKEN_RE,
    KazRuWordTokenizer,
    default_tokenizer,
    sent_tokenize,
    word_tokenize,
)


def test_words_keep_compounds_numbers_with_suffix_urls_and_emails():
    toks = word_tokenize("Көші-қон 55-ші рет, кое-что: https://kaz.kz/a?b=1 мен a.b@mail.kz...")
    assert toks == ["Көші-қон", "55-ші", "рет", ",", "кое-что", ":", "https://kaz.kz/a?b=1", "мен", "a.b@mail.kz", "..."]


def test_punctuation_is_its_own_token():
    assert word_tokenize("Иә!Жоқ?") == ["Иә", "!", "Жоқ", "?"]


def test_sentences_split_on_terminal_punctuation_before_a_capital():
    assert sent_tokenize("Бұл бірінші. Бұл екінші! Үшінші ме?") == ["Бұл бірінші.", "Бұл екінші!", "Үшінші ме?"]


def test_initials_abbreviations_and_decimals_do_not_split():
    text = "А. Байтұрсынұлы т.б. ақындар 3.5 есе өсті. Жаңа сөйлем."
    assert sent_tokenize(text) == ["А. Байтұрсынұлы т.б. ақындар 3.5 есе өсті.", "Жаңа сөйлем."]


def test_a_line_break_ends_a_sentence():
    assert sent_tokenize("Тақырып\nМәтін осында.\n\n- тізім") == ["Тақырып", "Мәтін осында.", "- тізім"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["http", "https://", "www.", "@", "a.b", "kz", "_", "-", "қазақ", "55", "'", ".",
                                 ",", " ", "/", "?", "x", "W", "ww"]), max_size=30).map("".join))
def test_tokens_are_those_of_the_full_pattern_whichever_branches_are_skipped(text):
    """Texts without "http"/"www." or "@" skip the URL and e-mail branches: same tokens, same spans."""
    tok = default_tokenizer()
    assert tok.word_tokenize(text) == TOKEN_RE.findall(text)
    assert tok.word_spans(text) == [m.span() for m in TOKEN_RE.finditer(text)]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="аәбқңө .!?\n-«»1", max_size=80))
def test_sentence_spans_are_ordered_disjoint_and_trimmed(text):
    spans = default_tokenizer().span_tokenize(text)
    prev = 0
    for a, b in spans:
        assert prev <= a < b <= len(text)
        assert text[a:b] == text[a:b].strip()
        prev = b


def test_datatrove_accepts_it_as_the_language_and_shares_one_tokenization():
    from datatrove.utils.text import split_into_words
    from datatrove.utils.word_tokenizers import load_word_tokenizer

    tok = KazRuWordTokenizer()
    assert load_word_tokenizer(tok) is tok
    text = "Қазақстан осы өңірдегі бейбітшілікті қолдайды."
    first = split_into_words(text, tok)
    assert first == tok.word_tokenize(text)
    assert split_into_words(text, tok) is first  # cached: the filters reuse one tokenization
