"""The normal form dedup compares texts in, computed for a batch of documents at once.

`normalize(text, kazakh=...)` is, by definition, this composition of the functions of
`filters.script` (the tests check the equality on random and real text):

1. NFC;
2. Kazakh only (``kazakh=True``): every line whose dominant script (after homoglyph repair) is Latin
   or Arabic is read as Kazakh and transliterated to Cyrillic with `to_cyrillic`, all the Latin lines
   of a document in one call and all the Arabic ones in another (so the Latin alphabet, 2021, 2018,
   2017 or informal, is judged from the whole document, not from a short line);
   ``kazakh=None`` (language unknown) does the same but leaves plain-ASCII Latin lines without an
   apostrophe alone, since those are most often English; ``kazakh=False`` transliterates nothing;
3. `repair_homoglyphs` (lookalike letters of the wrong script inside a word; ӊ -> ң);
4. every run of characters that are not word characters (``[\\W_]``) becomes one space, no space at
   the ends;
5. Turkic lower-casing (`turkic_lower`: İ -> i, I -> ı), with the final sigma as σ;
6. Kazakh only (``kazakh=True``): the letters that tote jazu and Russian keyboards blur are folded
   (`KAZAKH_FOLD`: ә -> а, і -> ы, ө -> о, ү -> ұ, э -> е, й -> и; ь and ъ dropped), and spaces
   folded again.

Why a module of its own: on ~5 kB pages, `re.sub` folding costs ~300 µs and the word-by-word
homoglyph repair ~1 ms, more than MinHash signing itself.  Here steps 3-5 are table look-ups and
segment reductions over the code points of the whole batch (NumPy); Python runs only where the
language needs it, the transliteration of Kazakh lines in Latin or Arabic script.  Which language a
document is in is known by the time dedup runs (language ID comes first), which is how non-Kazakh
pages in Latin script skip transliteration altogether.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence

import numpy as np

SPACE = 0x20
SEP = "\x1c"  # document separator in the batch buffer: a line break for splitlines, not a word char
SENT = 0x01  # marks a document's end in the folded buffer (never a word character)

DROP = 0x02  # a letter the Kazakh fold removes (never a word character)
# Step 6, Kazakh only: letters that the Arabic script (and a Russian keyboard) does not tell apart
# are folded together.  Tote jazu marks vowel frontness once per word, so transliterated copies
# disagree with the Cyrillic original on а/ә, ы/і, о/ө, ұ/ү in about one word in nine (measured on
# the aligned UD sentences), which alone cuts the 3-gram Jaccard of a copy to ~0.5.
KAZAKH_FOLD = {"ә": "а", "і": "ы", "ө": "о", "ү": "ұ", "э": "е", "й": "и", "ь": "", "ъ": ""}

LETTER, CYRL, LATN, ARAB, AMBIG, BREAK = 1, 2, 4, 8, 16, 32
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines splits on

_tables: tuple | None = None
_lock = threading.Lock()


def _build_tables():
    """FOLD (code point -> code point after steps 4-5; 0x20 for non-word characters), CLS (class
    bits), and the homoglyph maps as sorted (keys, values) arrays.  About 0.08 s, once per process:
    every step is a C-level pass over all code points (Python loops over them took 0.2 s of each
    worker's start)."""
    from kazcorpus.filters import script

    n = 0x110000
    every = np.arange(n, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")

    def where(pattern: str) -> np.ndarray:
        # The code points `pattern` matches, by the same regex engine the definition uses.
        marked = re.sub(pattern, "\x00", every).encode("utf-32-le", "surrogatepass")
        # Only a pattern that matches single characters keeps code point i at position i.
        assert len(marked) == 4 * n, f"{pattern!r} matches more than one character"
        hits = np.frombuffer(marked, dtype=np.uint32) == 0
        hits[0] = re.fullmatch(pattern, "\x00") is not None  # U+0000 is the marker itself
        return hits

    word = where(r"[^\W_]")
    decimal = where(r"\d")
    fold = np.full(n, SPACE, dtype=np.uint32)
    idx = np.flatnonzero(word)
    fold[idx] = _lower_each(idx)
    fold[ord("I")] = ord("ı")
    fold[ord("ς")] = ord("σ")
    fold[ord("Σ")] = ord("σ")
    fold[ord("ӊ")] = fold[ord("Ӊ")] = ord("ң")
    cls = np.zeros(n, dtype=np.uint8)
    cls[word & ~decimal] |= LETTER
    # The script classes are those of filters.script (all in the Basic Multilingual Plane), and
    # they count every character in them, letter or not, as `script_shares` does.
    for bit, rx in ((CYRL, script._CYRL), (LATN, script._LATN), (ARAB, script._ARAB)):
        cls[where(rx.pattern)] |= bit  # single-character classes: one match per code point
    cls[[ord(c) for c in script._AMBIGUOUS]] |= AMBIG
    cls[[ord(c) for c in _LINE_BREAKS]] |= BREAK

    def mapping(pairs: dict[str, str]):
        keys = np.array(sorted(ord(k) for k in pairs), dtype=np.uint32)
        vals = np.array([ord(pairs[chr(k)]) for k in keys], dtype=np.uint32)
        return keys, vals

    kk = np.arange(n, dtype=np.uint32)
    for src, dst in KAZAKH_FOLD.items():
        kk[ord(src)] = ord(dst) if dst else DROP
    return fold, cls, mapping(script._LAT_TO_CYR), mapping(script._CYR_TO_LAT), kk


def _lower_each(cps: np.ndarray) -> np.ndarray:
    """ord(chr(c).lower()) for each code point, İ (U+0130, whose lower case is two characters) as i.

    One `str.lower` over all of them, each followed by NUL so that no case rule sees a neighbour;
    checked to map one character to one, else done one by one."""
    spaced = np.zeros(2 * cps.size, dtype=np.uint32)
    spaced[0::2] = np.where(cps == 0x130, ord("I"), cps)
    lowered = spaced.tobytes().decode("utf-32-le", "surrogatepass").lower()
    out = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if out.size != spaced.size:
        return np.array([ord(chr(c).lower()) if c != 0x130 else ord("i") for c in cps.tolist()], dtype=np.uint32)
    out = out[0::2].copy()
    out[cps == 0x130] = ord("i")
    return out


def tables():
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables = _build_tables()
    return _tables


def _remap(cps: np.ndarray, keys: np.ndarray, vals: np.ndarray) -> np.ndarray:
    out = cps.copy()
    j = np.minimum(np.searchsorted(keys, cps), keys.size - 1)
    hit = keys[j] == cps
    out[hit] = vals[j[hit]]
    return out


def _mixed_runs(cls: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of every run of letters that `repair_homoglyphs` looks at: one holding a Latin
    letter right next to a Cyrillic one.  The pairs are found in a few passes over bytes; the runs
    are then grown around the few hits."""
    lat = (cls & (LETTER | LATN)) == (LETTER | LATN)
    cyr = (cls & (LETTER | CYRL)) == (LETTER | CYRL)
    hit = np.flatnonzero((lat[:-1] & cyr[1:]) | (cyr[:-1] & lat[1:]))
    if not hit.size:
        return []
    letter = (cls & LETTER) > 0
    runs, last_end = [], -1
    for p in hit.tolist():
        if p < last_end:
            continue
        lo = p
        while lo > 0 and letter[lo - 1]:
            lo -= 1
        hi = p + 2
        while hi < letter.size and letter[hi]:
            hi += 1
        runs.append((lo, hi))
        last_end = hi
    return runs


def _kernel(texts: Sequence[str], line_modes: Sequence[bool | None] | None, kazakh: Sequence[bool]):
    """Steps 3-5 for every text and step 6 for the texts marked in `kazakh`; with `line_modes`,
    also which lines of the texts whose mode is not False step 2 transliterates:
    {text index: [(line index, script), ...]}."""
    fold, cls_table, to_cyr, to_lat, kk_fold = tables()
    buf = (SEP.join(texts) + SEP).encode("utf-32-le")
    cp = np.frombuffer(buf, dtype=np.uint32)
    cls = cls_table[cp]

    # Homoglyph repair, decided per run of letters that holds both Latin and Cyrillic letters.
    new_cp = None
    repaired_at = []
    for lo, hi in _mixed_runs(cls):
        c = cls[lo:hi]
        is_c, is_l = (c & CYRL) > 0, (c & LATN) > 0
        sure = (c & AMBIG) == 0
        cyr, lat = int(is_c.sum()), int(is_l.sum())
        cyr_sure, lat_sure = int((is_c & sure).sum()), int((is_l & sure).sum())
        if cyr_sure != lat_sure:
            to_cyrillic = cyr_sure > lat_sure
        elif cyr != lat:
            to_cyrillic = cyr > lat
        else:
            continue
        if new_cp is None:
            new_cp = cp.copy()
        new_cp[lo:hi] = _remap(cp[lo:hi], *(to_cyr if to_cyrillic else to_lat))
        repaired_at.append(np.arange(lo, hi))
    src = cp if new_cp is None else new_cp

    # Folding and lower-casing, then one space between words and none at the ends of a document.
    m = fold[src]
    # Python string lengths are code points, one UTF-32 unit each.
    ends = np.cumsum(np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))) - 1
    m[ends] = SENT
    if any(kazakh):
        sizes = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
        sel = np.repeat(np.asarray(kazakh, dtype=bool), sizes)
        m[sel] = kk_fold[m[sel]]
        m = m[m != DROP]
    word = (m != SPACE) & (m != SENT)
    keep = (m != SPACE) | np.r_[False, word[:-1]]
    c = m[keep]
    drop = (c == SPACE) & np.r_[c[1:] == SENT, True]
    out = c[~drop].tobytes().decode("utf-32-le").split("\x01")[: len(texts)]

    if line_modes is None:
        return out, {}
    return out, _translit_lines(texts, line_modes, cp, cls, src, repaired_at, cls_table, ends)


def _translit_lines(texts, line_modes, cp, cls, src, repaired_at, cls_table, ends):
    """Step 2's choice of lines, from per-line counts of script letters after homoglyph repair."""
    if repaired_at:
        cls = cls.copy()
        at = np.concatenate(repaired_at)
        cls[at] = cls_table[src[at]]
    foreign = np.flatnonzero(cls & (LATN | ARAB))
    if not foreign.size:
        return {}
    breaks = np.flatnonzero(cls & BREAK)
    # "\r\n" is one line break for splitlines.
    crlf = (cp[breaks] == 0x0A) & (breaks > 0) & (cp[np.maximum(breaks - 1, 0)] == 0x0D)
    breaks = breaks[~crlf]
    doc_of = np.searchsorted(ends, foreign)
    wanted = np.array([line_modes[d] is not False for d in range(len(texts))])[doc_of]
    foreign = foreign[wanted]
    if not foreign.size:
        return {}
    line_of = np.searchsorted(breaks, foreign)  # breaks strictly before the position
    lines, inverse = np.unique(line_of, return_inverse=True)
    is_lat = (cls[foreign] & LATN) > 0
    lat = np.bincount(inverse, weights=is_lat, minlength=lines.size)
    arab = np.bincount(inverse, weights=~is_lat, minlength=lines.size)
    # Cyrillic letters and non-ASCII characters of those lines, from running sums.
    line_lo = np.where(lines > 0, breaks[np.maximum(lines - 1, 0)] + 1, 0)
    line_hi = breaks[lines]  # every line ends at a break: each document ends with SEP
    cyr_sum = np.r_[0, np.cumsum((cls & CYRL) > 0, dtype=np.int64)]
    cyr = cyr_sum[line_hi] - cyr_sum[line_lo]
    doc_lines = np.searchsorted(ends, line_lo)
    first_line = np.searchsorted(breaks, np.r_[0, ends[:-1] + 1])
    script = np.where((lat > cyr) & (lat >= arab), 1, np.where((arab > cyr) & (arab > lat), 2, 0))
    out: dict[int, list[tuple[int, str]]] = {}
    for k in np.flatnonzero(script).tolist():
        d = int(doc_lines[k])
        s = "Latn" if script[k] == 1 else "Arab"
        if line_modes[d] is None and s == "Latn":
            seg = cp[line_lo[k]:line_hi[k]]
            if not (seg >= 0x80).any() and not (seg == 0x27).any():
                continue  # plain ASCII without apostrophes: most likely not Kazakh
        out.setdefault(d, []).append((int(lines[k] - first_line[d]), s))
    return out


def _transliterate(text: str, which: list[tuple[int, str]]) -> str:
    from kazcorpus.filters.script import to_cyrillic

    lines = text.splitlines()
    for script in ("Latn", "Arab"):
        idx = [i for i, s in which if s == script]
        if idx:
            done = to_cyrillic("\n".join(lines[i] for i in idx), script).split("\n")
            for i, line in zip(idx, done, strict=True):
                lines[i] = line
    return "\n".join(lines)


def normalize_batch(texts: Sequence[str], kazakh: Sequence[bool | None] | bool | None = None) -> list[str]:
    """`normalize` of many texts at once; `kazakh` is one value for all or one per text."""
    if not texts:
        return []
    modes = [kazakh] * len(texts) if kazakh is None or isinstance(kazakh, bool) else list(kazakh)
    if len(modes) != len(texts):
        raise ValueError(f"kazakh: {len(modes)} values for {len(texts)} texts")
    texts = [unicodedata.normalize("NFC", t) for t in texts]
    want_lines = any(m is not False for m in modes)
    kazakh_docs = [m is True for m in modes]
    out, translit = _kernel(texts, modes if want_lines else None, kazakh_docs)
    if translit:
        redo = sorted(translit)
        again, _ = _kernel([_transliterate(texts[d], translit[d]) for d in redo], None, [kazakh_docs[d] for d in redo])
        for d, text in zip(redo, again, strict=True):
            out[d] = text
    return out


def normalize(text: str, *, kazakh: bool | None = None) -> str:
    """Text as dedup compares it: words only, lower-cased, Kazakh in one script (Cyrillic).

    `kazakh`: True when the text is known to be Kazakh (Latin- and Arabic-script lines are
    transliterated), False when it is known not to be (nothing is), None when unknown (Latin lines
    with a non-ASCII letter or an apostrophe, and Arabic-script lines, are).  See the module
    docstring for the exact definition.
    """
    return normalize_batch([text], kazakh)[0]


def kazakh_mode(lang: str | None) -> bool | None:
    """The `kazakh` argument for a document of language `lang` (None where language ID did not run)."""
    return None if lang is None else lang == "kk"
