"""A Kazakh/Russian word and sentence tokenizer made of regular expressions: nothing to download.

datatrove assigns Kazakh a Stanza tokenizer (which downloads a model at run time) and Russian a spaCy
one; both are too heavy for a per-document filter and Stanza breaks our no-download rule.  This
tokenizer is a `datatrove.utils.word_tokenizers.WordTokenizer`, so an instance can be handed to
datatrove's filters as their `language` argument (`load_word_tokenizer` returns a `WordTokenizer`
instance unchanged), and datatrove's own `split_into_words` cache then shares one tokenization of a
document between the Gopher, FineWeb and C4 rules.

Tokens follow what spaCy and Stanza produce, because the FineWeb-2 thresholds were tuned on them:
words (with inner hyphens and apostrophes: "көші-қон", "кое-что", Latin-script "qazaq'stan"),
numbers with an attached suffix ("55-ші", "2024-жылы"), URLs and e-mails as one token, and each
punctuation mark as its own token ("..." stays one).
"""

from __future__ import annotations

import regex
from datatrove.utils.word_tokenizers import WordTokenizer

_WORD = r"\p{L}[\p{L}\p{M}]*(?:['’ʼ\-‐]\p{L}[\p{L}\p{M}]*)*"
_NUMBER = r"\d+(?:[.,:/]\d+)*(?:[\-‐]\p{L}+)?"
_URL = r"(?:https?://|www\.)[^\s<>\"«»]+[^\s<>\"«».,;:!?)\]]"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PUNCT = r"\.{2,}|[!?]{2,}|[^\w\s]"

TOKEN_RE = regex.compile(f"{_URL}|{_EMAIL}|{_WORD}|{_NUMBER}|_+|{_PUNCT}", regex.V1)
# The same alternation without the URL and/or e-mail branches, for texts that cannot hold one: a URL
# needs "http" or "www.", an e-mail "@".  Trying those two branches first at every word costs a
# quarter of the tokenizer's time; dropping a branch that cannot match changes no token.
_TOKEN_RES = {
    (url, email): regex.compile(
        "|".join(([_URL] if url else []) + ([_EMAIL] if email else []) + [_WORD, _NUMBER, "_+", _PUNCT]),
        regex.V1)
    for url in (True, False) for email in (True, False)
}


def _token_re(text: str) -> regex.Pattern:
    return _TOKEN_RES["http" in text or "www." in text, "@" in text]

# Abbreviations after which a full stop does not end a sentence (lower-cased, without the stop).
ABBREVIATIONS = frozenset(
    """
    т.б т.с.с т.е т.д т.п т.к т.н ж жж г гг им ул пр просп д кв обл р-н р-он ауд с стр рис см табл
    др проф акад доц мед тел млн млрд трлн тыс млрд руб тг тең коп каз рус англ ред авт сост
    мин сағ сек мм см км кг гр ғ.ғ.д ғ.ғ.к ф.ғ.д т.ғ.д э.ғ.д х.ғ пп п бб б мыс яғ мысалы
    """.split()
)

_SENT_END = regex.compile(r"[.!?…]+[\"'»”’)\]]*")
_NEXT_START = regex.compile(r"\s*[\p{Lu}\d\"'«„“(\[—–\-•]")


class KazRuWordTokenizer(WordTokenizer):
    """Regex tokenizer for Kazakh (Cyrillic and Latin) and Russian; usable wherever datatrove wants a
    `WordTokenizer`.  Instances are stateless and compare by identity, so keep one per process to let
    datatrove's caches hit."""

    def __init__(self, language: str | None = "kk"):
        super().__init__(language)

    def word_tokenize(self, text: str) -> list[str]:
        return _token_re(text).findall(text)

    def word_spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _token_re(text).finditer(text)]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        """Sentence spans: a line break always ends a sentence; inside a line a sentence ends at
        terminal punctuation followed by a capital, a digit, a quote or a dash, unless the word
        before the stop is a known abbreviation or a single capital (an initial: "А. Байтұрсынұлы")."""
        spans: list[tuple[int, int]] = []
        pos = 0
        for line in text.splitlines(keepends=True):
            start = pos
            pos += len(line)
            body = line.rstrip("\r\n")
            if not body.strip():
                continue
            sent_start = start + (len(body) - len(body.lstrip()))
            for m in _SENT_END.finditer(body):
                end = m.end()
                nxt = _NEXT_START.match(body, end)
                if end < len(body) and not nxt:
                    continue
                if end < len(body) and body[end] not in " \t\u00a0":
                    continue  # "3.5", "kazcorpus.kz": no space after the stop
                if m.group().startswith(".") and self._is_abbreviation(body, m.start()):
                    continue
                abs_end = start + end
                if abs_end > sent_start:
                    spans.append((sent_start, abs_end))
                rest = body[end:]
                sent_start = start + end + (len(rest) - len(rest.lstrip()))
            line_end = start + len(body.rstrip())
            if line_end > sent_start:
                spans.append((sent_start, line_end))
        return spans

    def sent_tokenize(self, text: str) -> list[str]:
        return [text[a:b] for a, b in self.span_tokenize(text)]

    @staticmethod
    def _is_abbreviation(line: str, stop: int) -> bool:
        word_start = stop
        while word_start > 0 and not line[word_start - 1].isspace() and line[word_start - 1] not in "(«\"":
            word_start -= 1
        word = line[word_start:stop]
        if len(word) == 1 and word.isupper():
            return True
        return word.lower() in ABBREVIATIONS

    # Identity semantics: datatrove caches tokenizations keyed on the tokenizer object.
    __hash__ = object.__hash__


_DEFAULT: KazRuWordTokenizer | None = None


def default_tokenizer() -> KazRuWordTokenizer:
    """The process-wide tokenizer (one instance, so datatrove's per-text caches are shared)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = KazRuWordTokenizer()
    return _DEFAULT


def word_tokenize(text: str) -> list[str]:
    return default_tokenizer().word_tokenize(text)


def sent_tokenize(text: str) -> list[str]:
    return default_tokenizer().sent_tokenize(text)
