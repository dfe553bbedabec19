"""Heuristic quality filtering for Kazakh and Russian web text, built on datatrove's rules.

The rules are datatrove's own (`GopherRepetitionFilter`, `FineWebQualityFilter`,
`GopherQualityFilter`, `C4QualityFilter`), called through their `filter(doc)` so that we inherit
their exact definitions instead of re-deriving them.  What this module adds:

* a word tokenizer that needs no download (`filters/tokenize.py`), handed to every datatrove filter
  as its `language` (datatrove would otherwise load Stanza for Kazakh, which downloads a model);
* per-language thresholds in the recipe (`quality.thresholds.<lang>`), starting Kazakh from
  FineWeb-2's `kaz_Cyrl` values and Russian from `rus_Cyrl`, with a generic `default` set;
* Kazakh and Russian stop words (`lexicons/stopwords_*.txt`);
* every score written to `doc.annotations["quality"]` for kept documents too, and datatrove's
  reasons (`gopher_enough_stop_words`, `dup_line_frac`...) mapped to names that say what is wrong
  (`too_few_stop_words`, `too_many_duplicate_lines`...).

datatrove's filters stop at the first failing rule, so they cannot give every score.  The raw counts
behind every score are made here once per document (`document_counts`, the way datatrove's filters
count, with faster equivalents of its helpers that tests hold equal), and serve both the scores and
the decision: the Gopher repetition, FineWeb, Gopher quality and C4 rules are thin subclasses of
datatrove's that read the counts instead of counting again (`filters/gopher_counts.py`, tested to give
datatrove's verdicts).  One tokenization serves all of it.

C4's filter rewrites the text (it drops lines); here it runs on a private copy and only its
document-level verdicts (`lorem_ipsum`, `has_curly_bracket`, `too_few_sentences`) are used: this
stage scores and decides, it never edits the text.  Line removal is `filters/clean.py`'s job.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from itertools import accumulate
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc

RuleSet = Literal["gopher_repetition", "fineweb", "gopher_quality", "c4"]
RULE_SETS: tuple[str, ...] = ("gopher_repetition", "fineweb", "gopher_quality", "c4")


class LanguageThresholds(BaseModel):
    """Thresholds of the datatrove rules for one language.  `null` (or 0) disables a rule."""

    model_config = ConfigDict(extra="forbid")

    # Gopher repetition
    dup_line_frac: float | None = Field(0.3, description="max share of lines that repeat an earlier line")
    dup_para_frac: float | None = Field(None, description="max share of paragraphs that repeat one")
    dup_line_char_frac: float | None = Field(None, description="max share of characters in repeated lines")
    dup_para_char_frac: float | None = Field(None, description="max share of characters in repeated paragraphs")
    top_n_grams: dict[int, float] = Field(
        default_factory=lambda: {2: 0.2, 3: 0.18, 4: 0.16},
        description="n -> max share of characters covered by the most frequent word n-gram",
    )
    dup_n_grams: dict[int, float] = Field(
        default_factory=lambda: {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10},
        description="n -> max share of characters in word n-grams that occur more than once",
    )
    # FineWeb quality
    line_punct_thr: float | None = Field(0.12, description="min share of lines ending in terminal punctuation")
    line_punct_exclude_zero: bool = Field(False, description="keep documents where no line ends in punctuation")
    short_line_thr: float | None = Field(None, description="max share of lines of <= short_line_length chars")
    short_line_length: int = Field(30, ge=1, description="what a short line is, in characters")
    char_duplicates_ratio: float | None = Field(0.1, description="max share of characters in repeated lines (FineWeb)")
    new_line_ratio: float | None = Field(0.3, description="max line breaks per word (list-like pages)")
    # Gopher quality
    min_doc_words: int | None = Field(50, description="min words (tokens that are not only punctuation)")
    max_doc_words: int | None = Field(100_000, description="max words")
    min_avg_word_length: float | None = Field(3, description="min mean word length, characters")
    max_avg_word_length: float | None = Field(10, description="max mean word length, characters")
    max_symbol_word_ratio: float | None = Field(0.1, description="max '#' or ellipses per word")
    max_bullet_lines_ratio: float | None = Field(0.9, description="max share of lines starting with a bullet")
    max_ellipsis_lines_ratio: float | None = Field(0.3, description="max share of lines ending with an ellipsis")
    max_non_alpha_words_ratio: float | None = Field(
        0.8, description="datatrove's name; a MIN share of words containing a letter"
    )
    min_stop_words: int | None = Field(2, description="min distinct stop words present")
    stop_words: list[str] | str | None = Field(
        None, description="stop words: a list, or a lexicon file (bundled name or path); null = none"
    )
    # C4 (document-level verdicts only; line removal is not applied)
    c4_min_num_sentences: int | None = Field(5, description="min sentences in lines C4 would keep")
    c4_min_words_per_line: int = Field(3, description="C4 ignores lines with fewer words when counting")
    c4_max_word_length: int | None = Field(1000, description="C4 ignores lines with a longer word")
    c4_filter_no_terminal_punct: bool = Field(False, description="C4 counts only lines ending in . ! ? \" '")
    c4_filter_lorem_ipsum: bool = Field(True, description="drop pages containing 'lorem ipsum'")
    c4_filter_curly_bracket: bool = Field(True, description="drop pages whose kept lines contain '{'")
    c4_filter_javascript: bool = Field(True, description="C4 ignores lines mentioning javascript")
    c4_filter_policy: bool = Field(True, description="C4 ignores cookie/terms-of-use lines")


# FineWeb-2 `kaz_Cyrl` values as given in the filters issue (see the module report for the changes),
# and FineWeb-2 `rus_Cyrl`.  FineWeb-2 switches off Gopher's paragraph and line-character rules
# (trafilatura output has no paragraphs) and FineWeb's short-line rule; so do we.
DEFAULT_THRESHOLDS: dict[str, dict[str, Any]] = {
    "default": {},
    "kk": {
        "dup_line_frac": 0.304,
        "dup_n_grams": {5: 0.159, 6: 0.148, 7: 0.137, 8: 0.126, 9: 0.115, 10: 0.104},
        "top_n_grams": {2: 0.172, 3: 0.147, 4: 0.127},
        "line_punct_thr": 0.176,
        "new_line_ratio": 0.186,
        "min_avg_word_length": 3,
        "max_avg_word_length": 12,
        "max_non_alpha_words_ratio": 0.694,
        "stop_words": "stopwords_kk.txt",
        "c4_min_num_sentences": 3,
    },
    "ru": {
        "dup_line_frac": 0.322,
        "dup_n_grams": {5: 0.168, 6: 0.156, 7: 0.145, 8: 0.133, 9: 0.121, 10: 0.109},
        "top_n_grams": {2: 0.184, 3: 0.164, 4: 0.146},
        "line_punct_thr": 0.231,
        "new_line_ratio": 0.139,
        "min_avg_word_length": 3,
        "max_avg_word_length": 11,
        "max_non_alpha_words_ratio": 0.713,
        "stop_words": "stopwords_ru.txt",
        "c4_min_num_sentences": 3,
    },
}
# Without a stop-word list for a language, the stop-word rule cannot be applied fairly.
DEFAULT_THRESHOLDS["default"]["min_stop_words"] = None


def default_thresholds() -> dict[str, LanguageThresholds]:
    return {lang: LanguageThresholds(**vals) for lang, vals in DEFAULT_THRESHOLDS.items()}


class QualityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    rules: list[RuleSet] = Field(
        default_factory=lambda: list(RULE_SETS),
        description="datatrove rule sets to apply, in this order (the first failure is the reason)",
    )
    thresholds: dict[str, LanguageThresholds] = Field(
        default_factory=default_thresholds,
        description="per language ('kk', 'ru', 'kk_Latn' = lang_script, 'default'); keys given in a "
        "recipe are merged over the built-in values for that language",
    )

    @field_validator("thresholds", mode="before")
    @classmethod
    def _merge_over_defaults(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        merged: dict[str, Any] = {lang: dict(vals) for lang, vals in DEFAULT_THRESHOLDS.items()}
        for lang, vals in value.items():
            if isinstance(vals, LanguageThresholds):
                merged[lang] = vals
                continue
            if not isinstance(vals, dict):
                merged[lang] = vals  # let pydantic report the bad type with its key
                continue
            base = DEFAULT_THRESHOLDS.get(lang, DEFAULT_THRESHOLDS["default"])
            merged[lang] = {**base, **vals}
        return merged


# datatrove reason -> ours.  Patterns with {n} cover the n-gram rules.
_REASONS: dict[str, dict[str, str]] = {
    "gopher_repetition": {
        "empty": "empty_text",
        "dup_para_frac": "too_many_duplicate_paragraphs",
        "dup_para_char_frac": "too_many_duplicate_paragraph_chars",
        "dup_line_frac": "too_many_duplicate_lines",
        "dup_line_char_frac": "too_many_duplicate_line_chars",
    },
    "fineweb": {
        "empty": "empty_text",
        "line_punct_ratio": "too_few_lines_ending_in_punctuation",
        "short_line_ratio": "too_many_short_lines",
        "char_dup_ratio": "too_much_repeated_line_text",
        "list_ratio": "too_many_line_breaks",
    },
    "gopher_quality": {
        "gopher_short_doc": "too_few_words",
        "gopher_long_doc": "too_many_words",
        "gopher_below_avg_threshold": "words_too_short",
        "gopher_above_avg_threshold": "words_too_long",
        "gopher_too_many_hashes": "too_many_hashes",
        "gopher_too_many_ellipsis": "too_many_ellipses",
        "gopher_too_many_bullets": "too_many_bullet_lines",
        "gopher_too_many_end_ellipsis": "too_many_ellipsis_lines",
        "gopher_below_alpha_threshold": "too_few_alpha_words",
        "gopher_enough_stop_words": "too_few_stop_words",
    },
    "c4": {
        "lorem_ipsum": "lorem_ipsum",
        "curly_bracket": "has_curly_bracket",
        "too_few_sentences": "too_few_sentences",
    },
}
_TOP_NGRAM = re.compile(r"top_(\d+)_gram")
_DUP_NGRAM = re.compile(r"duplicated_(\d+)_n_grams")


def map_reason(rule_set: str, reason: str | None) -> str:
    """Our snake_case drop reason for a datatrove filter's verdict."""
    if reason is None:
        return f"{rule_set}_failed"
    known = _REASONS.get(rule_set, {}).get(reason)
    if known:
        return known
    if m := _TOP_NGRAM.fullmatch(reason):
        return f"top_{m.group(1)}_gram_too_frequent"
    if m := _DUP_NGRAM.fullmatch(reason):
        return f"too_many_duplicate_{m.group(1)}_grams"
    return f"{rule_set}_{reason}"  # a reason added by a newer datatrove: still named and counted


def all_reasons(config: QualityConfig | None = None) -> list[str]:
    """Every drop reason this stage can give under `config` (for docs and tests)."""
    config = config or QualityConfig()
    reasons = {r for table in _REASONS.values() for r in table.values()}
    for th in config.thresholds.values():
        reasons |= {f"top_{n}_gram_too_frequent" for n in th.top_n_grams}
        reasons |= {f"too_many_duplicate_{n}_grams" for n in th.dup_n_grams}
    return sorted(reasons)


def config_keys() -> dict[str, str]:
    """Recipe keys of the `quality` section with what each one means (for the lead's docs)."""
    keys = {
        "quality.enabled": "run this stage",
        "quality.rules": QualityConfig.model_fields["rules"].description or "",
        "quality.thresholds": QualityConfig.model_fields["thresholds"].description or "",
    }
    for name, field in LanguageThresholds.model_fields.items():
        keys[f"quality.thresholds.<lang>.{name}"] = field.description or ""
    return keys


def _off(value: float | None, disabled: float) -> float:
    return disabled if value is None else value


def build_filters(th: LanguageThresholds, tokenizer, rules: list[str]) -> list[tuple[str, Any]]:
    """The datatrove filters for one language's thresholds, in `rules` order."""
    from kazcorpus.filters.gopher_counts import (
        PrecomputedC4QualityFilter,
        PrecomputedFineWebQualityFilter,
        PrecomputedGopherQualityFilter,
        PrecomputedGopherRepetitionFilter,
    )

    made: dict[str, Any] = {}
    if "gopher_repetition" in rules:
        made["gopher_repetition"] = PrecomputedGopherRepetitionFilter(
            dup_line_frac=th.dup_line_frac,
            dup_para_frac=th.dup_para_frac,
            dup_line_char_frac=th.dup_line_char_frac,
            dup_para_char_frac=th.dup_para_char_frac,
            top_n_grams=tuple(sorted(th.top_n_grams.items())),
            dup_n_grams=tuple(sorted(th.dup_n_grams.items())),
            language=tokenizer,
        )
    if "fineweb" in rules:
        made["fineweb"] = PrecomputedFineWebQualityFilter(
            line_punct_thr=_off(th.line_punct_thr, 0.0),
            line_punct_exclude_zero=th.line_punct_exclude_zero,
            short_line_thr=_off(th.short_line_thr, math.inf),
            short_line_length=th.short_line_length,
            char_duplicates_ratio=_off(th.char_duplicates_ratio, math.inf),
            new_line_ratio=_off(th.new_line_ratio, math.inf),
            language=tokenizer,
        )
    if "gopher_quality" in rules:
        made["gopher_quality"] = PrecomputedGopherQualityFilter(
            min_doc_words=th.min_doc_words,
            max_doc_words=th.max_doc_words,
            min_avg_word_length=th.min_avg_word_length,
            max_avg_word_length=th.max_avg_word_length,
            max_symbol_word_ratio=th.max_symbol_word_ratio,
            max_bullet_lines_ratio=th.max_bullet_lines_ratio,
            max_ellipsis_lines_ratio=th.max_ellipsis_lines_ratio,
            max_non_alpha_words_ratio=th.max_non_alpha_words_ratio,
            min_stop_words=th.min_stop_words,
            stop_words=sorted(stop_word_set(th.stop_words)),
            language=tokenizer,
        )
    if "c4" in rules:
        made["c4"] = PrecomputedC4QualityFilter(
            split_paragraph=True,
            remove_citations=True,
            filter_no_terminal_punct=th.c4_filter_no_terminal_punct,
            min_num_sentences=-1 if th.c4_min_num_sentences is None else th.c4_min_num_sentences,
            min_words_per_line=th.c4_min_words_per_line,
            max_word_length=-1 if th.c4_max_word_length is None else th.c4_max_word_length,
            filter_lorem_ipsum=th.c4_filter_lorem_ipsum,
            filter_javascript=th.c4_filter_javascript,
            filter_curly_bracket=th.c4_filter_curly_bracket,
            filter_policy=th.c4_filter_policy,
            language=tokenizer,
        )
    ordered = [(name, made[name]) for name in rules if name in made]
    if ordered and ordered[-1][0] == "c4":
        ordered[-1][1].text_read_after = False  # the last rule: nothing reads the lines it would drop
    return ordered


def stop_word_set(spec: list[str] | str | None) -> set[str]:
    """Stop words as datatrove compares them: exact tokens, so lower case and Capitalised forms
    (a sentence-initial "Бұл" must count like "бұл")."""
    from kazcorpus.filters.lexicon import read_lexicon

    if spec is None:
        return set()
    words = read_lexicon(spec) if isinstance(spec, str) else spec
    out = set()
    for w in words:
        w = w.strip().lower()
        if w:
            out.add(w)
            out.add(w[:1].upper() + w[1:])
    return out


# Where the counts travel to the rules that read them (filters/gopher_counts.py): datatrove's doc.metadata.
COUNTS_KEY = "kazcorpus_quality_counts"


def document_counts(
    text: str, words: list[str], tokenizer, top_ns: list[int], dup_ns: list[int]
) -> dict[str, Any]:
    """The raw counts behind every score and every rule, computed once per document, each the way
    datatrove's filters compute it (`filters/gopher_counts.py` holds the faster equivalents of its
    helpers, tested equal).  The annotated scores are ratios of these counts, and the Gopher
    repetition, Gopher quality, FineWeb and C4 rules decide from them (`Precomputed*Filter`)."""
    from datatrove.utils.text import TERMINAL_PUNCTUATION

    from kazcorpus.filters.gopher_counts import (
        DocumentWords,
        count_line_ends,
        find_duplicates,
        gopher_lines,
        gopher_paragraphs,
    )

    document_words = DocumentWords(words)
    top, dup = document_words.ngram_repetition(top_ns, dup_ns)
    n_real_words, real_word_chars, n_alpha_words = document_words.word_counts()
    paragraphs = gopher_paragraphs(text)
    parts = text.split("\n")
    lines = gopher_lines(parts)
    nonblank = [ln for ln in parts if ln.strip()]  # FineWeb's lines
    text_lines = text.splitlines()  # Gopher quality's and C4's lines
    n_ellipses = text.count("...") + text.count("…")
    has_bullet = "•" in text or "-" in text
    # Sentences: our tokenizer never lets one cross a line break, so the sentences of the whole text
    # are those of its lines, and C4 (which splits each line it keeps) can take each line's count.
    spans = tokenizer.span_tokenize(text)
    line_starts = [0, *accumulate(map(len, text.splitlines(keepends=True)))]
    line_sentences = [0] * len(text_lines)
    for start, _ in spans:
        line_sentences[bisect_right(line_starts, start) - 1] += 1
    return {
        "text": text,  # the rules check that they are given this very text and tokenizer
        "tokenizer": tokenizer,
        "words": words,
        "n_words": len(words),
        # Gopher repetition
        "n_paragraphs": len(paragraphs),
        "paragraphs": find_duplicates(paragraphs),
        "n_lines": len(lines),
        "lines": find_duplicates(lines),
        "top": top,
        "dup": dup,
        # Gopher quality
        "n_real_words": n_real_words,
        "real_word_chars": real_word_chars,
        "n_alpha_words": n_alpha_words,
        "n_hashes": text.count("#"),
        "n_ellipses": n_ellipses,
        "n_text_lines": len(text_lines),
        # (a text without bullets or ellipses has no line that starts or ends with one)
        "bullet_lines": sum(ln.lstrip().startswith(("•", "-")) for ln in text_lines) if has_bullet else 0,
        "ellipsis_lines": sum(ln.rstrip().endswith(("...", "…")) for ln in text_lines) if n_ellipses else 0,
        # FineWeb
        "nonblank_lines": nonblank,
        "punct_lines": count_line_ends(nonblank, tuple(TERMINAL_PUNCTUATION)),
        "nonblank_dup_chars": find_duplicates(nonblank)[1],
        # C4, and our sentence count
        "text_lines": text_lines,
        "n_sentences": len(spans),
        "line_sentences": line_sentences,
    }


def quality_scores(
    text: str, words: list[str], th: LanguageThresholds, stop_words: set[str], counts: dict[str, Any]
) -> dict:
    """Every score the rules look at, measured the way datatrove measures it, from the
    `document_counts` of the same text and words."""
    n_chars = len(text) or 1
    n_tokens = len(words) or 1
    n_real_words = counts["n_real_words"]
    s: dict[str, Any] = {"n_words": n_real_words, "n_chars": len(text)}
    s["avg_word_length"] = counts["real_word_chars"] / n_real_words if n_real_words else 0.0
    s["hash_word_ratio"] = counts["n_hashes"] / n_tokens
    s["ellipsis_word_ratio"] = counts["n_ellipses"] / n_tokens
    n_lines = counts["n_text_lines"] or 1  # an empty text counts as one empty line
    s["bullet_lines_ratio"] = counts["bullet_lines"] / n_lines
    s["ellipsis_lines_ratio"] = counts["ellipsis_lines"] / n_lines
    s["alpha_words_ratio"] = counts["n_alpha_words"] / n_tokens
    # (an empty set would still hash every word)
    s["stop_words"] = len({w.lower() for w in stop_words.intersection(words)}) if stop_words else 0

    dup_paras, dup_para_chars = counts["paragraphs"]
    s["dup_para_frac"] = dup_paras / counts["n_paragraphs"]
    s["dup_para_char_frac"] = dup_para_chars / n_chars
    dup_lines, dup_line_chars = counts["lines"]
    s["dup_line_frac"] = dup_lines / counts["n_lines"]
    s["dup_line_char_frac"] = dup_line_chars / n_chars
    for n, chars in counts["top"].items():
        s[f"top_{n}_gram_frac"] = chars / n_chars
    for n, chars in counts["dup"].items():
        s[f"dup_{n}_gram_frac"] = chars / n_chars

    nonblank = counts["nonblank_lines"]
    if nonblank:
        s["line_punct_ratio"] = counts["punct_lines"] / len(nonblank)
        s["short_line_ratio"] = sum(len(ln) <= th.short_line_length for ln in nonblank) / len(nonblank)
        s["char_dup_ratio"] = counts["nonblank_dup_chars"] / ((len(text) - text.count("\n")) or 1)
    s["new_line_ratio"] = text.count("\n") / n_tokens
    s["n_sentences"] = counts["n_sentences"]
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in s.items()}


class QualityOperator(BaseOperator):
    """Scores every document with the datatrove rules for its language and drops on the first failure."""

    stage = "quality"

    def __init__(self, *, config: QualityConfig | None = None):
        self.config = config or QualityConfig()

    def setup(self) -> None:
        from kazcorpus.filters.tokenize import default_tokenizer

        self._tokenizer = default_tokenizer()
        self._filters: dict[str, list[tuple[str, Any]]] = {}
        self._stop_words: dict[str, set[str]] = {}
        for lang, th in self.config.thresholds.items():
            self._filters[lang] = build_filters(th, self._tokenizer, self.config.rules)
            self._stop_words[lang] = stop_word_set(th.stop_words)
        self._ready = True

    def thresholds_key(self, doc: Doc) -> str:
        for key in (f"{doc.lang}_{doc.script}", doc.lang):
            if key in self.config.thresholds:
                return key
        return "default"

    def annotate(self, doc: Doc) -> None:
        self.ensure_setup()
        from datatrove.data import Document
        from datatrove.pipeline.filters.base_filter import get_filter_result

        key = self.thresholds_key(doc)
        th = self.config.thresholds[key]
        text = doc.text
        if doc.lang == "kk" and doc.script in ("Latn", "Arab"):
            # Kazakh in Latin or Arabic script is measured as its Cyrillic transliteration: the stop
            # words and the FineWeb-2 thresholds are Cyrillic-Kazakh facts, not script facts.
            from kazcorpus.filters.script import to_cyrillic

            text = to_cyrillic(text, doc.script)
        if not text.strip():
            doc.annotations[self.stage] = {"thresholds": key, "keep": False, "reason": "empty_text"}
            return
        words = self._tokenizer.word_tokenize(text)
        counts = document_counts(text, words, self._tokenizer, sorted(th.top_n_grams), sorted(th.dup_n_grams))
        result: dict[str, Any] = {"thresholds": key}
        result.update(quality_scores(text, words, th, self._stop_words[key], counts))
        reason = None
        # A private copy (C4 would rewrite the text), carrying the counts the rules read.
        dt_doc = Document(text=text, id=doc.id, metadata={COUNTS_KEY: counts})
        for name, flt in self._filters[key]:
            keep, dt_reason = get_filter_result(flt.filter(dt_doc))
            if not keep:
                reason = map_reason(name, dt_reason)
                break
        result["keep"] = reason is None
        result["reason"] = reason
        doc.annotations[self.stage] = result

    def decide(self, doc: Doc) -> str | None:
        return (doc.annotations.get(self.stage) or {}).get("reason")
