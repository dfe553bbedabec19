"""The counts behind datatrove's Gopher, FineWeb and C4 rules, made once per document, and the rules
deciding from them.

The quality stage annotates every score, so it counts each document's duplicate lines, paragraphs
and word n-grams, its words and its sentences anyway (`quality.document_counts`).  datatrove's
`GopherRepetitionFilter`, `FineWebQualityFilter`, `GopherQualityFilter` and `C4QualityFilter` would
count them all again.  The subclasses here keep datatrove's constructors, thresholds, order of rules
and reasons, and only read the counts instead of recomputing them; a document without counts (or
whose text or tokenizer is not the one counted) goes to datatrove's own `filter` unchanged.

The counting itself is datatrove's, made cheaper without changing a number: splits with str methods
instead of regular expressions, duplicates with a set, the per-word tests as table look-ups over the
code points of all words at once, and the n-gram counts from numpy hashes of every n-gram, with
strings built and compared only where hashes meet (`DocumentWords`).  Tests hold every counting
function here equal to datatrove's helpers, and every subclass's verdicts equal to datatrove's
filter's, at each threshold's boundary too.

A separate module because it subclasses datatrove classes (and imports numpy) at import time, and
`quality.py` imports datatrove only when the stage is set up.
"""

from __future__ import annotations

import functools
from collections import Counter
from itertools import accumulate

import numpy as np
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)
from datatrove.pipeline.filters.c4_filters import CITATION_REGEX, ELLIPSIS, END_PUNCTUATION, POLICY_SUBSTRINGS
from datatrove.utils.text import PUNCTUATION_SET, split_into_sentences

from kazcorpus.filters.quality import COUNTS_KEY


def find_duplicates(items: list[str]) -> tuple[int, int]:
    """datatrove's `find_duplicates` (how many items repeat an earlier one, and their characters)
    with the loop in C: every copy of an item after the first is a duplicate, so the duplicates are
    what a set of the items leaves out."""
    distinct = set(items)
    return len(items) - len(distinct), sum(map(len, items)) - sum(map(len, distinct))


def gopher_paragraphs(text: str) -> list[str]:
    """GopherRepetitionFilter's paragraphs, re.split(r"\n{2,}", text.strip()), with str methods:
    splitting at every "\n\n" leaves, of a longer run of line breaks, empty pieces and one "\n" at
    the start of the next paragraph."""
    return [p.lstrip("\n") for p in text.strip().split("\n\n") if p] or [""]


def gopher_lines(parts: list[str]) -> list[str]:
    """GopherRepetitionFilter's lines, re.split("\n+", text), from text.split("\n"): runs of line
    breaks leave empty parts inside, which that split does not make, but keeps at either end."""
    if len(parts) < 3:
        return parts
    return [parts[0], *filter(None, parts[1:-1]), parts[-1]]


@functools.cache
def _single_characters(marks: tuple[str, ...]) -> frozenset[str] | None:
    return frozenset(marks) if all(len(m) == 1 for m in marks) else None


def count_line_ends(lines: list[str], marks: tuple[str, ...]) -> int:
    """How many lines end with one of `marks` (sum(line.endswith(marks) for line in lines)); when the
    marks are single characters (datatrove's ~150 terminal marks are), one set look-up per line."""
    last = _single_characters(marks)
    if last is None:
        return sum(line.endswith(marks) for line in lines)
    return sum(line[-1:] in last for line in lines)


class SubstringHash:
    """Polynomial hashes of substrings modulo 2**64: the hash of s[a:b] is sum(ord(s[a + k]) * B**k),
    obtained for any (a, b) from prefix sums as (P[b] - P[a]) * B**-a (B is odd, so it has an
    inverse modulo 2**64), which makes the hash of a substring the same wherever it occurs.

    Equal substrings always get equal hashes; different ones rarely collide.  The callers use the
    hashes only to find the positions that *may* repeat and compare the strings themselves there,
    so a collision costs time, never a wrong count."""

    def __init__(self, base: int = 0x100000001B3):
        self.base = base
        self.inverse = pow(base, -1, 1 << 64)
        self._kept = (np.ones(1, np.uint64), np.ones(1, np.uint64))  # (powers, inverse powers), one object

    _KEPT = 1 << 20  # powers kept between documents (16 MiB); a longer text makes its own

    def _powers_for(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        kept = self._kept
        if len(kept[0]) >= size:
            return kept
        size = max(size, min(2 * len(kept[0]), self._KEPT))  # grown by doubling
        powers = np.full(size, self.base, np.uint64)
        inverse = np.full(size, self.inverse, np.uint64)
        powers[0] = inverse[0] = 1
        np.cumprod(powers, out=powers)  # uint64 arithmetic wraps: everything is modulo 2**64
        np.cumprod(inverse, out=inverse)
        if size <= self._KEPT:
            self._kept = powers, inverse
        return powers, inverse

    def prefix(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P, inverse powers) for a string given as its code points: P[i] is the hash of its first i
        characters."""
        powers, inverse = self._powers_for(len(codes) + 1)
        prefix = np.zeros(len(codes) + 1, np.uint64)
        np.cumsum(codes * powers[: len(codes)], out=prefix[1:])
        return prefix, inverse


_HASH = SubstringHash()


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)


_LETTER, _NOT_PUNCTUATION = 1, 2
_BMP = 0x10000


def _character_class(c: str) -> int:
    return (_LETTER if c.isalpha() else 0) | (0 if c in PUNCTUATION_SET else _NOT_PUNCTUATION)


@functools.cache
def _bmp_classes() -> np.ndarray:
    """_character_class of every code point of the Basic Multilingual Plane (made once, ~10 ms)."""
    return np.fromiter((_character_class(chr(c)) for c in range(_BMP)), np.uint8, _BMP)


@functools.lru_cache(maxsize=4096)
def _astral_class(code: int) -> int:  # emoji and the like: rare, classed as met
    return _character_class(chr(code))


def _classes(codes: np.ndarray) -> np.ndarray:
    """_character_class of each code point."""
    if not codes.size or codes.max() < _BMP:
        return _bmp_classes()[codes]
    classes = _bmp_classes()[np.minimum(codes, _BMP - 1)]
    astral = np.flatnonzero(codes >= _BMP)
    classes[astral] = [_astral_class(c) for c in codes[astral].tolist()]
    return classes


class DocumentWords:
    """One document's words laid out for numpy once, for the n-gram counts and the word tests.

    In `spaced` (" ".join(words)) word k is spaced[bounds[k] : bounds[k + 1] - 1] (`bounds` has an
    entry past the end); in "".join(words) it starts at offsets[k] = bounds[k] - k.  That holds when
    no word holds a space, as none of our tokenizer's do; otherwise `laid_out` is False and the
    counts are made the plain way."""

    def __init__(self, words: list[str]):
        self.words = words
        self.n_words = n_words = len(words)
        self.spaced = spaced = " ".join(words)
        self.laid_out = n_words > 0 and spaced.count(" ") == n_words - 1
        if not self.laid_out:
            return
        codes = _code_points(spaced)
        is_space = codes == ord(" ")  # exactly the separators
        self.bounds = bounds = np.empty(n_words + 1, np.int64)
        bounds[0], bounds[-1] = 0, len(spaced) + 1
        bounds[1:-1] = np.flatnonzero(is_space) + 1
        self.offsets = bounds - np.arange(n_words + 1)
        self.joined_codes = codes[~is_space]

    def word_counts(self) -> tuple[int, int, int]:
        """(words with a character outside PUNCTUATION_SET, their characters, words with a letter):
        datatrove's per-word `any(ch not in PUNCTUATION_SET for ch in w)` and
        `any(c.isalpha() for c in w)`, as one table look-up per character and one reduction per word."""
        if self.laid_out:
            starts, lengths = self.offsets[:-1], np.diff(self.offsets)
            if lengths.all():  # (reduceat cannot reduce an empty word)
                # each word's classes: those of any of its characters
                word_classes = np.bitwise_or.reduceat(_classes(self.joined_codes), starts)
                real = (word_classes & _NOT_PUNCTUATION).astype(bool)
                alpha = np.count_nonzero(word_classes & _LETTER)
                return int(np.count_nonzero(real)), int(lengths[real].sum()), int(alpha)
        real_words = [w for w in self.words if not PUNCTUATION_SET.issuperset(w)]
        alpha_words = sum(any(map(str.isalpha, w)) for w in self.words)
        return len(real_words), sum(map(len, real_words)), alpha_words

    def ngram_repetition(self, top_ns: list[int], dup_ns: list[int]) -> tuple[dict, dict]:
        """datatrove's `find_top_duplicate(get_n_grams(words, n))` for each n of `top_ns` (0 where
        there is no n-gram) and `find_all_duplicate(words, n)` for each n of `dup_ns`, same results
        (tests hold them equal), without building every n-gram string.

        Every n-gram is hashed in numpy: the duplicated ones as the substring of "".join(words) that
        they are (datatrove joins them without a separator, so words that split differently but
        concatenate equally make the same n-gram), the top ones as their sequence of words (datatrove
        joins those with spaces, which, when no word holds a space, tells the same n-grams apart).
        Equal n-grams get equal hashes, so a position whose hash is unique holds a unique n-gram; the
        strings are built and compared only where hashes repeat."""
        if not self.laid_out or min([*top_ns, *dup_ns], default=1) < 1:  # (n < 1: datatrove's oddities)
            return _datatrove_ngram_repetition(self.words, top_ns, dup_ns)
        n_words, spaced, bounds, offsets = self.n_words, self.spaced, self.bounds, self.offsets
        prefix, inverse = _HASH.prefix(self.joined_codes)
        at_word, word_inverse = prefix[offsets], inverse[offsets[:-1]]

        def concatenations(n: int) -> np.ndarray:  # hashes of "".join(words[i : i + n]) for every i
            count = n_words - n + 1
            return (at_word[n:] - at_word[:count]) * word_inverse[:count]

        top = dict.fromkeys(top_ns, 0)
        if top_ns:
            # sum(word_hash[i + k] * C**k for k < n): the hash of the n words from i, built n by n
            word_hashes = concatenations(1)
            hashes, power = word_hashes, 1
            for n in range(1, min(max(top_ns), n_words) + 1):
                if n > 1:
                    power = power * _WORDS_BASE & _MASK
                    hashes = hashes[:-1] + word_hashes[n - 1 :] * np.uint64(power)
                if n in top:
                    top[n] = _top_ngram_chars(spaced, bounds, n, hashes)

        dup = dict.fromkeys(dup_ns, 0)
        rows = [n for n in dup_ns if n < n_words]  # the ns with two n-grams or more
        if rows:
            # Every n at once: the hashes of the rows[r]-grams start at row_start[r].
            row_start = [0, *accumulate(n_words - n + 1 for n in rows)]
            maybe = _maybe_repeated(np.concatenate([concatenations(n) for n in rows]))
            if maybe.size:
                joined = self.joined_codes.tobytes().decode("utf-32-le", "surrogatepass")  # "".join(words)
                split = np.searchsorted(maybe, row_start).tolist()
                for r, n in enumerate(rows):
                    positions = maybe[split[r] : split[r + 1]] - row_start[r]
                    if positions.size:
                        ends = zip(offsets[positions].tolist(), offsets[positions + n].tolist(), strict=True)
                        grams = [joined[a:b] for a, b in ends]
                        dup[n] = _duplicate_ngram_chars(positions.tolist(), grams, n)
        return top, dup


_MASK = (1 << 64) - 1
_WORDS_BASE = 0x9E3779B97F4A7C15  # odd: combines word hashes into word-sequence hashes


def _datatrove_ngram_repetition(words: list[str], top_ns: list[int], dup_ns: list[int]) -> tuple[dict, dict]:
    """What `DocumentWords.ngram_repetition` stands for, with datatrove's own helpers."""
    from datatrove.pipeline.filters.gopher_repetition_filter import (
        find_all_duplicate,
        find_top_duplicate,
        get_n_grams,
    )

    top = {n: find_top_duplicate(grams) if (grams := get_n_grams(words, n)) else 0 for n in top_ns}
    return top, {n: find_all_duplicate(words, n) for n in dup_ns}


_MAX_TABLE_BITS = 22  # (at most 32 MiB of table, for huge texts)


def _buckets(
    keys: np.ndarray, mixer: int = 0x9E3779B97F4A7C15, spare_bits: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Each key's bucket, in a table of 2**spare_bits buckets per key or more, and how many keys each
    bucket holds.  Equal keys share a bucket; counting per bucket is linear, unlike sorting.  A bucket is
    the high bits of key * mixer (odd), which depend on all of the key's bits: the hashes of short
    strings are small numbers."""
    bits = min(len(keys).bit_length() + spare_bits, _MAX_TABLE_BITS)
    bucket = ((keys * np.uint64(mixer)) >> np.uint64(64 - bits)).astype(np.intp)
    return bucket, np.bincount(bucket, minlength=1 << bits)


def _maybe_repeated(keys: np.ndarray) -> np.ndarray:
    """The indices (ascending) of the keys that may occur more than once: all that do, and a few more
    (keys that share a bucket by chance with another key twice, in two tables bucketed apart)."""
    bucket, per_bucket = _buckets(keys, spare_bits=2)
    maybe = np.flatnonzero(per_bucket[bucket] > 1)
    bucket, per_bucket = _buckets(keys[maybe], mixer=0xC2B2AE3D27D4EB4F)
    return maybe[per_bucket[bucket] > 1]


def _top_ngram_chars(spaced: str, bounds: np.ndarray, n: int, hashes: np.ndarray) -> int:
    """len(gram) * count for the most frequent n-gram, the first seen among equally frequent ones (as
    datatrove's Counter.most_common(1) picks it)."""

    def grams(at: np.ndarray) -> list[str]:  # the n-grams at these positions
        return [spaced[a:b] for a, b in zip(bounds[at].tolist(), (bounds[at + n] - 1).tolist(), strict=True)]

    bucket, per_bucket = _buckets(hashes, spare_bits=4)  # (a roomier table: fewer shared buckets)
    sharing = per_bucket[bucket]  # how many n-grams share each one's bucket
    most = int(sharing.max())
    if most == 1:  # all hashes differ, so all n-grams do: each occurs once, the first one wins
        return int(bounds[n] - 1)
    # No n-gram occurs more often than the fullest buckets hold.  If one of them holds a single
    # n-gram, that count is the top one; the first such bucket (by its first n-gram) holds the first
    # n-gram seen that occurs so often.
    fullest = np.flatnonzero(sharing == most)
    runs: dict[int, list[str]] = {}
    for b, gram in zip(bucket[fullest].tolist(), grams(fullest), strict=True):
        runs.setdefault(b, []).append(gram)
    for run in runs.values():
        if run.count(run[0]) == most:
            return len(run[0]) * most
    # Each fullest bucket holds several n-grams: count the hashes of the n-grams that share buckets
    # (every repeated n-gram is among them) and check the strings of the first most frequent one.
    shared = np.flatnonzero(sharing > 1)
    shared_hashes = hashes[shared]
    counts = Counter(shared_hashes.tolist())
    most = max(counts.values())
    if most == 1:
        return int(bounds[n] - 1)
    top_hash = next(h for h in shared_hashes.tolist() if counts[h] == most)
    run = grams(shared[shared_hashes == top_hash])
    if run.count(run[0]) == most:
        return len(run[0]) * most
    text, count = Counter(grams(np.arange(len(hashes)))).most_common(1)[0]  # hashes collided
    return len(text) * count


def _duplicate_ngram_chars(positions: list[int], grams: list[str], n: int) -> int:
    """datatrove's `find_all_duplicate`: a greedy scan that counts the characters of every n-gram seen
    before, then jumps over its words.  It visits only `positions` (ascending, with their n-grams),
    those that may hold a repeated n-gram: at any other position the scan adds an n-gram that is
    never looked up again and steps on by one, so skipping it gives the same count."""
    counts = Counter(grams)  # exact counts: every copy of a repeated n-gram is here
    repeated, idx, seen = 0, 0, set()
    for pos, gram in zip(positions, grams, strict=True):
        if pos < idx or counts[gram] == 1:  # (a unique n-gram whose hash shared a bucket)
            continue
        if gram in seen:
            repeated += len(gram)
            idx = pos + n  # as datatrove: a repeated n-gram's words are not counted twice
        else:
            seen.add(gram)
            idx = pos + 1
    return repeated


def _counts_of(doc, language) -> dict | None:
    """The counts made for exactly this text and tokenizer, or None (then datatrove's own filter
    runs).  Identity, not equality, for the text: a rule that rewrites it (C4's does) makes a new
    string."""
    counts = doc.metadata.get(COUNTS_KEY)
    if counts is None or counts["text"] is not doc.text or counts["tokenizer"] is not language:
        return None
    return counts


class PrecomputedGopherRepetitionFilter(GopherRepetitionFilter):
    """`GopherRepetitionFilter` reading `doc.metadata[COUNTS_KEY]` (see `quality.document_counts`)."""

    def filter(self, doc):
        counts = _counts_of(doc, self.language)
        if counts is None:
            return super().filter(doc)
        text = doc.text
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


class PrecomputedFineWebQualityFilter(FineWebQualityFilter):
    """`FineWebQualityFilter` reading `doc.metadata[COUNTS_KEY]` (see `quality.document_counts`)."""

    def filter(self, doc):
        counts = _counts_of(doc, self.language)
        # Without words datatrove's filter divides by zero: leave that to it.
        if counts is None or not counts["n_words"]:
            return super().filter(doc)
        # FineWebQualityFilter.filter's comparisons, in its order, on the same integers.
        lines = counts["nonblank_lines"]
        if len(lines) == 0:
            return False, "empty"
        ratio = count_line_ends(lines, self.stop_chars) / len(lines)
        if ratio < self.line_punct_thr and not (ratio == 0 and self.line_punct_exclude_zero):
            return False, "line_punct_ratio"
        ratio = sum(len(line) <= self.short_line_length for line in lines) / len(lines)
        if ratio > self.short_line_threshold:
            return False, "short_line_ratio"
        text = doc.text
        ratio = counts["nonblank_dup_chars"] / (len(text) - text.count("\n"))  # len(text.replace("\n", ""))
        if ratio > self.char_duplicates_ratio:
            return False, "char_dup_ratio"
        if text.count("\n") / counts["n_words"] > self.new_line_ratio:
            return False, "list_ratio"
        return True


class PrecomputedGopherQualityFilter(GopherQualityFilter):
    """`GopherQualityFilter` reading `doc.metadata[COUNTS_KEY]` (see `quality.document_counts`)."""

    def filter(self, doc):
        counts = _counts_of(doc, self.language)
        # Without words datatrove's filter divides by zero or averages nothing: leave that to it.
        if counts is None or not counts["n_real_words"]:
            return super().filter(doc)
        # GopherQualityFilter.filter's comparisons, in its order, on the same integers.
        n_words = counts["n_words"]
        n_non_symbol_words = counts["n_real_words"]
        if self.min_doc_words and n_non_symbol_words < self.min_doc_words:
            return False, "gopher_short_doc"
        if self.max_doc_words and n_non_symbol_words > self.max_doc_words:
            return False, "gopher_long_doc"
        # datatrove's np.mean of the lengths: their (exact) sum over their number, one rounding.
        avg_n_words = counts["real_word_chars"] / n_non_symbol_words
        if self.min_avg_word_length and avg_n_words < self.min_avg_word_length:
            return False, "gopher_below_avg_threshold"
        if self.max_avg_word_length and avg_n_words > self.max_avg_word_length:
            return False, "gopher_above_avg_threshold"
        if self.max_symbol_word_ratio and counts["n_hashes"] / n_words > self.max_symbol_word_ratio:
            return False, "gopher_too_many_hashes"
        if self.max_symbol_word_ratio and counts["n_ellipses"] / n_words > self.max_symbol_word_ratio:
            return False, "gopher_too_many_ellipsis"
        n_lines = counts["n_text_lines"]
        if self.max_bullet_lines_ratio and counts["bullet_lines"] / n_lines > self.max_bullet_lines_ratio:
            return False, "gopher_too_many_bullets"
        if (
            self.max_ellipsis_lines_ratio
            and counts["ellipsis_lines"] / n_lines > self.max_ellipsis_lines_ratio
        ):
            return False, "gopher_too_many_end_ellipsis"
        if (
            self.max_non_alpha_words_ratio
            and counts["n_alpha_words"] / n_words < self.max_non_alpha_words_ratio
        ):
            return False, "gopher_below_alpha_threshold"
        if self.min_stop_words and len(self.stop_words.intersection(counts["words"])) < self.min_stop_words:
            return False, "gopher_enough_stop_words"
        return True


_PHRASES = ("lorem ipsum", "javascript", *POLICY_SUBSTRINGS)
_ASCII_PHRASES = all(p.isascii() for p in _PHRASES)


def _has_policy(line: str) -> bool:
    """datatrove's any(p in line_l for p in POLICY_SUBSTRINGS), without a generator per line."""
    for p in POLICY_SUBSTRINGS:
        if p in line:
            return True
    return False


class PrecomputedC4QualityFilter(C4QualityFilter):
    """`C4QualityFilter` taking each line's sentence count from `doc.metadata[COUNTS_KEY]` instead of
    sentence-splitting every kept line again (see `quality.document_counts`).  Without datatrove's
    per-line statistics, which nothing here reads."""

    # Whether anything reads the text this rule leaves (datatrove's drops lines from it).  When not,
    # the text is left as it is, and the scan stops as soon as the verdict cannot change.
    text_read_after = True

    def filter(self, doc):
        counts = _counts_of(doc, self.language)
        # The counts are per line: splitting by sentences instead is datatrove's.
        if counts is None or not self.split_paragraph:
            return super().filter(doc)
        # C4QualityFilter.filter's line rules, in its order.
        max_word_length, min_words_per_line = self.max_word_length, self.min_words_per_line
        # C4's phrases are looked for in each lower-cased line.  A phrase found in a line is in the
        # lower-cased text too (lower() maps character by character, but for the Greek final sigma,
        # which no ASCII phrase holds), so a text without any spares its lines the lower-casing and
        # the searches; a line that citation removal rewrote (new neighbours) is searched anyway.
        text_l = doc.text.lower()
        phrases = not _ASCII_PHRASES or any(p in text_l for p in _PHRASES)
        citations = self.remove_citations and "[" in doc.text  # every citation CITATION_REGEX knows has one
        # With no phrase, citation or curly bracket anywhere no line can drop the document, and once
        # enough sentences are counted the verdict is a keep.
        can_settle = not (self.text_read_after or phrases or citations) and not (
            self.filter_curly_bracket and "{" in doc.text
        )
        # Counting words up to min_words_per_line + 1 tells whether there are enough: split no further.
        max_split = max(min_words_per_line, 0)
        num_sentences = 0
        kept_lines = []
        for line, line_sentences in zip(counts["text_lines"], counts["line_sentences"], strict=True):
            line = stripped = line.strip()
            # any(len(word) > max_word_length ...) over the line's words, which only a line longer
            # than max_word_length can fail
            if max_word_length != -1 and len(line) > max_word_length:
                words = line.split()
                if words and max(map(len, words)) > max_word_length:
                    continue
            if citations and CITATION_REGEX.search(line):
                line = CITATION_REGEX.sub("", line)
                line_sentences = None  # the text changed: split it as datatrove does
            if self.filter_no_terminal_punct and (
                not line.endswith(END_PUNCTUATION) or line.endswith(ELLIPSIS)
            ):
                continue
            if len(stripped.split(None, max_split)) < min_words_per_line:  # datatrove: len(words)
                continue
            searched = phrases or line is not stripped
            line_l = line.lower() if searched else ""
            if searched and self.filter_lorem_ipsum and "lorem ipsum" in line_l:
                return False, "lorem_ipsum"
            if searched and self.filter_javascript and "javascript" in line_l:
                continue
            if self.filter_curly_bracket and "{" in line:
                return False, "curly_bracket"
            if searched and self.filter_policy and _has_policy(line_l):
                continue
            if self.min_num_sentences != -1:
                if line_sentences is None:
                    num_sentences += len(split_into_sentences(line, self.language))
                else:
                    # datatrove's split_into_sentences gives one part even for a line without sentences
                    num_sentences += max(line_sentences, 1)
            if can_settle and num_sentences >= self.min_num_sentences:
                return True
            kept_lines.append(line)
        if num_sentences < self.min_num_sentences:
            return False, "too_few_sentences"
        if self.text_read_after:
            doc.text = "\n".join(kept_lines).strip()  # as datatrove's
        return True
