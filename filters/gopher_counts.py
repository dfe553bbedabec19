"""datatrove's Gopher repetition rule deciding from counts made once per document.

The quality stage annotates every repetition score, so it counts each document's duplicate lines,
paragraphs and word n-grams anyway (`quality.repetition_counts`, with datatrove's helpers or a
function a test holds equal to them).  datatrove's `GopherRepetitionFilter.filter` would count them a
second time, and the n-gram counts are the most expensive part of the stage.  The subclass here keeps
datatrove's constructor, thresholds, order of rules and reasons, and only reads the counts instead of
recomputing them; a document without counts goes to datatrove's own `filter` unchanged.

A separate module because it subclasses a datatrove class at import time, and `quality.py` imports
datatrove only when the stage is set up.
"""

from __future__ import annotations

from datatrove.pipeline.filters import GopherRepetitionFilter

from kazcorpus.filters.quality import REPETITION_KEY


class PrecomputedGopherRepetitionFilter(GopherRepetitionFilter):
    """`GopherRepetitionFilter` reading `doc.metadata[REPETITION_KEY]` (see `quality.repetition_counts`)."""

    def filter(self, doc):
        counts = doc.metadata.get(REPETITION_KEY)
        text = doc.text
        if counts is None or counts["n_chars"] != len(text):
            return super().filter(doc)
        if not text:
            return False, "empty"
        # The comparisons of GopherRepetitionFilter.filter, written the same way and in the same
        # order, so that the verdicts are identical to the last bit of the float divisions.
        para_dups, para_chars = counts["paragraphs"]
        if self.dup_para_frac and para_dups / counts["n_paragraphs"] > self.dup_para_frac:
            return False, "dup_para_frac"
        if self.dup_para_char_frac and para_chars / len(text) > self.dup_para_char_frac:
            return False, "dup_para_char_frac"
        line_dups, line_chars = counts["lines"]
        if self.dup_line_frac and line_dups / counts["n_lines"] > self.dup_line_frac:
            return False, "dup_line_frac"
        if self.dup_line_char_frac and line_chars / len(text) > self.dup_line_char_frac:
            return False, "dup_line_char_frac"
        for n, n_frac in self.top_n_grams:
            if counts["n_words"] < n:  # datatrove skips an n that has no n-grams
                continue
            if counts["top"][n] / len(text) > n_frac:
                return False, f"top_{n}_gram"
        for n, n_frac in self.dup_n_grams:
            if counts["dup"][n] / len(text) > n_frac:
                return False, f"duplicated_{n}_n_grams"
        return True
