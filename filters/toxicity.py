"""Toxicity filtering for Kazakh and Russian: obscenity/slur lexicons and a URL blocklist.

English-trained toxicity classifiers know neither Kazakh nor Russian obscenity, so this stage uses
lexicons the team wrote (`lexicons/toxicity_kk.txt`, `lexicons/toxicity_ru.txt`: data files a
linguist can review) and the adult/malware URL blocklist that datatrove ships (UT1-derived; read
from the installed datatrove package, never copied).

Matching is on WHOLE words: each lexicon entry is a regular expression for a complete word form
(stem + the endings it takes, or explicit prefixes), so inflected forms match ("пиздец",
"заебал", "сігейін", "қотағың") while words that merely contain a stem do not ("рубля",
"употреблять", "оскорблять", "застрахуйте"; "Амангелді", "амал", "аман", "шешесі", "қотан").
Words are normalised first: lower case, ё -> е, Latin look-alike letters inside Cyrillic words
mapped to Cyrillic (a common evasion, and common in Kazakh text for і), invisible characters
removed.  Both lexicons apply to every document: Kazakh pages quote Russian mat and vice versa.

Scores: `toxic_words` (all matches), `toxic_share` (per word), `strong` (obscenities), `slurs`,
and `matches` with the spans and the lexicon class, so `kazcorpus annotate` shows a linguist why.
Thresholds live in `ToxicityConfig`.
"""

from __future__ import annotations

import functools
import operator
import re
from bisect import bisect_left
from itertools import compress
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc

CLASSES = ("strong", "insult", "slur")
REASONS = ("url_blocklisted", "too_many_strong_obscenities", "too_many_slurs", "toxic_word_share_too_high")


class ToxicityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(True, description="run this stage")
    lexicons: list[str] = Field(
        default_factory=lambda: ["toxicity_kk.txt", "toxicity_ru.txt"],
        description="lexicon files (bundled names or paths), CLASS<TAB>REGEX per line",
    )
    max_strong: int | None = Field(2, ge=0, description="drop when more strong obscenities than this")
    max_slurs: int | None = Field(2, ge=0, description="drop when more slurs than this")
    max_toxic_share: float | None = Field(
        0.01, ge=0, le=1, description="drop when toxic words / words is above this (a 10-word line with one hit is 0.1)"
    )
    url_blocklist: bool = Field(True, description="drop pages whose host or URL is on datatrove's UT1 blocklist")
    extra_blocked_domains: list[str] = Field(default_factory=list, description="more domains to block")
    max_matches_listed: int = Field(50, ge=0, description="matches written to the annotation")


def config_keys() -> dict[str, str]:
    """Recipe keys of the `toxicity` section with what each one means."""
    return {f"toxicity.{k}": (f.description or "") for k, f in ToxicityConfig.model_fields.items()}


# --- normalisation -------------------------------------------------------------------------------

_INVISIBLE_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS), None)
# Latin letters that look like Cyrillic ones (and Latin i for Kazakh і).
_LATIN_TO_CYR = str.maketrans("aeopcxyikmtbhunzr", "аеорсхуікмтвнипзг")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")
# Characters allowed inside a word ("ху\u00adй", "х*й"): invisible ones and the censoring star.
_JOINERS = "\u00ad\u200b\u200c\u200d\u2060*"
_WORD = re.compile(rf"[^\W\d_]+(?:[{_JOINERS}][^\W\d_]+)*")


# Most of `_WORD`'s time goes into testing each character against `[^\W\d_]`: several Unicode
# category look-ups per character.  The same class spelled out as code-point ranges costs `re`
# one table look-up, but only up to U+FFFF: characters above that are compared with each listed
# range in turn, and ~300 such ranges would make every space and digit slower than before.  So the
# spelled-out patterns cover texts without characters beyond U+FFFF (emoji are the usual ones);
# other texts keep `_WORD`.  On a text the fast patterns serve, they match what `_WORD` matches.
@functools.cache
def _bmp_word_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(letters only, letters with joiners) over U+0000-U+FFFF; ranges taken from `re` itself."""
    bmp = "".join(map(chr, range(0x10000)))
    runs = [(m.start(), m.end() - 1) for m in re.finditer(r"[^\W\d_]+", bmp)]
    letter = "[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs) + "]"
    return re.compile(f"{letter}+"), re.compile(f"{letter}+(?:[{_JOINERS}]{letter}+)*")


def word_pattern(text: str) -> re.Pattern[str]:
    """A pattern that finds in `text` exactly the words `_WORD` finds, as cheaply as possible."""
    # One UTF-16 code unit per character <=> nothing beyond U+FFFF (lone surrogates count as one).
    if len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text):
        return _WORD
    letters, with_joiners = _bmp_word_patterns()
    # Without a joiner in the text, `_WORD`'s optional tail `(?:[joiner]letters)*` never matches.
    return with_joiners if any(j in text for j in _JOINERS) else letters

# Optional verbal prefixes that combine with mat roots.  Kept explicit: a free "any letters" prefix
# is what turns "застрахуйте" and "употреблять" into false alarms.
_PV = "(?:на|по|за|от|об|у|вы|до|пере|раз|рас|при|про|недо|под|с|о|ни|вз|из|ис)?"
_MACROS = {"{PV}": _PV, "{E}": "[а-я]*"}


def normalise_word(word: str) -> str:
    w = word.translate(_INVISIBLE).lower()
    if _CYRILLIC.search(w) and _LATIN.search(w):
        w = w.translate(_LATIN_TO_CYR)
    return w.replace("ё", "е")


# A line (word) holding both a Cyrillic and a Latin letter.
_MIXED_LINE = re.compile(r"^(?=[^\n]*[\u0400-\u04ff])[^\n]*[a-z][^\n]*", re.MULTILINE)


def normalise_words(words: list[str]) -> list[str]:
    """`normalise_word` of each word (none holding a line break), done on the words joined by line
    breaks: a few passes over one string instead of a dozen calls per word.  The result is the
    same: removing characters, replacing ё and the Latin letters map one character at a time, the
    Latin ones only inside the lines `_MIXED_LINE` picks out; and `str.lower` maps one character
    at a time except for capital sigma, whose final-sigma rule looks at cased neighbours and stops
    at a line break as it does at the end of a word."""
    if not words:
        return []
    joined = "\n".join(words)
    if any(c in joined for c in _INVISIBLE_CHARS):
        joined = joined.translate(_INVISIBLE)
    joined = joined.lower().replace("ё", "е")
    if _LATIN.search(joined):
        joined = _MIXED_LINE.sub(lambda m: m.group().translate(_LATIN_TO_CYR), joined)
    return joined.split("\n")


def load_lexicon(name: str) -> list[tuple[str, str]]:
    """(class, regex) entries of one lexicon file, macros expanded; bad lines are errors."""
    from kazcorpus.filters.lexicon import read_lexicon

    entries = []
    for line in read_lexicon(name):
        cls, _, pattern = line.partition("\t")
        cls, pattern = cls.strip(), pattern.strip()
        if cls not in CLASSES or not pattern:
            raise ValueError(f"{name}: bad line {line!r}: expected CLASS<TAB>REGEX with CLASS in {CLASSES}")
        for macro, value in _MACROS.items():
            pattern = pattern.replace(macro, value)
        entries.append((cls, pattern))
    return entries


class Lexicon:
    """Whole-word matcher over several lexicon files: one compiled alternation per class."""

    def __init__(self, names: list[str]):
        by_class: dict[str, list[str]] = {c: [] for c in CLASSES}
        self.sources: dict[str, str] = {}
        for name in names:
            for cls, pattern in load_lexicon(name):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{name}: bad regular expression {pattern!r}: {exc}") from None
                by_class[cls].append(pattern)
        self._res = [
            (cls, re.compile("|".join(f"(?:{p})" for p in pats))) for cls, pats in by_class.items() if pats
        ]
        # All classes in one pattern, tried in class order, so one fullmatch does the work of up to
        # three.  Only where the entries have no groups of their own: numbered groups and their
        # back-references would be renumbered inside the bigger pattern.
        self._all = None
        if all(rx.groups == 0 for _, rx in self._res):
            self._all = re.compile("|".join(f"(?P<{cls}>{rx.pattern})" for cls, rx in self._res))
        self._clean: set[str] = set()  # words as written that `find` found clean

    def classify(self, word: str) -> str | None:
        """The class of one word as written, or None."""
        return self._classify_all([normalise_word(word)])[0]

    def _classify_all(self, norms: list[str]) -> list[str | None]:
        """The class of each normalised word, or None."""
        if self._all is None:
            return [self.classify_each_class(norm) for norm in norms]
        return [m and m.lastgroup for m in map(self._all.fullmatch, norms)]

    def classify_each_class(self, norm: str) -> str | None:
        """The first class whose alternation matches the whole normalised word."""
        for cls, rx in self._res:
            if rx.fullmatch(norm):
                return cls
        return None

    def find(self, text: str) -> tuple[int, list[dict[str, Any]]]:
        """(number of words, matches with spans) over `text`."""
        rx = word_pattern(text)
        words = rx.findall(text)
        # Each distinct word is classified once, and the words of a page are nearly all known clean
        # from earlier pages: one set difference skips them.  The rest are normalised together.
        new = list(set(words).difference(self._clean))
        classes = self._classify_all(normalise_words([w.replace("*", "") for w in new] if "*" in text else new))
        toxic = {word: cls for word, cls in zip(new, classes, strict=True) if cls}
        if len(self._clean) < 200_000:  # word frequencies are Zipfian: a bounded set hits a lot
            self._clean.update(compress(new, map(operator.not_, classes)))
        if not toxic:
            return len(words), []
        matches = [
            {"start": m.start(), "end": m.end(), "word": m.group(), "class": toxic[m.group()]}
            for m in rx.finditer(text)
            if m.group() in toxic
        ]
        return len(words), matches


# --- URL blocklist -------------------------------------------------------------------------------


class UrlBlocklist:
    """datatrove's UT1-derived domain and URL lists, read from the tarball inside the installed
    datatrove package.  4.5 million domains as a sorted array of 64-bit hashes (36 MB) instead of
    a Python set (about 500 MB); a false hit needs a 64-bit collision."""

    ASSET = "url_filterblacklistsv0_3_0.tar.gz"

    def __init__(self, domains: list[bytes], urls: set[str]):
        import numpy as np
        import xxhash

        self._h = xxhash.xxh3_64_intdigest
        self._np = np
        h = self._h
        self._domains = np.fromiter((h(d) for d in domains if d and not d.startswith(b"#")), dtype=np.uint64)
        self._domains.sort()
        self._urls = urls
        self._by_host: dict[str, str | None] = {}
        self._slices: list[int] | None = None

    @classmethod
    def from_datatrove(cls, extra_domains: list[str] | None = None) -> UrlBlocklist:
        import os
        import tarfile

        from datatrove.utils._import_utils import ASSETS_PATH

        path = os.path.join(ASSETS_PATH, cls.ASSET)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"datatrove's URL blocklist is missing ({path}); reinstall datatrove or set "
                "toxicity.url_blocklist: false"
            )
        cached = cls._from_cache(path, extra_domains)
        if cached is not None:
            return cached
        with tarfile.open(path, "r:gz") as tar:
            domains = tar.extractfile("domains").read().lower().split(b"\n")
            urls = tar.extractfile("urls").read().decode("utf-8", "replace").split("\n")
        domains += [d.strip().lower().encode() for d in extra_domains or []]
        made = cls(domains, {u.strip() for u in urls if u.strip()})
        made._to_cache(path, extra_domains)
        return made

    # Hashing 4.5M domains takes 1.5-3 s, paid by every worker of every run; the sorted hashes are
    # cached next to the user's other caches (keyed by the tarball's size and mtime and the extra
    # domains), so later workers load 36 MB with one np.load.  Any cache failure falls back to
    # building the list again: the cache is an optimisation, never a source of truth.
    @staticmethod
    def _cache_file(path: str, extra_domains: list[str] | None) -> str:
        import os

        import xxhash

        st = os.stat(path)
        key = xxhash.xxh64_hexdigest(f"{st.st_size}:{int(st.st_mtime)}:{sorted(extra_domains or [])}".encode())
        base = os.environ.get("KAZCORPUS_CACHE") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "kazcorpus")
        return os.path.join(base, f"ut1-blocklist-{key}.npz")

    @classmethod
    def _from_cache(cls, path: str, extra_domains: list[str] | None) -> UrlBlocklist | None:
        import numpy as np

        try:
            with np.load(cls._cache_file(path, extra_domains), allow_pickle=False) as data:
                domains, urls = data["domains"], data["urls"]
            made = cls([], set(urls.tolist()))
            made._domains = domains
            return made
        except (OSError, KeyError, ValueError):
            return None

    def _to_cache(self, path: str, extra_domains: list[str] | None) -> None:
        import os
        import tempfile

        import numpy as np

        target = self._cache_file(path, extra_domains)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".npz")
            with os.fdopen(fd, "wb") as f:
                np.savez(f, domains=self._domains, urls=np.array(sorted(self._urls), dtype=str))
            os.replace(tmp, target)
        except OSError:
            pass

    def _has_domain(self, domain: str) -> bool:
        key = self._h(domain.encode())
        if self._slices is None:
            # Where each of 65,536 equal slices of the hash range starts in the sorted array.  A
            # lookup then bisects the ~70 hashes of its slice, which sit together in memory,
            # instead of probing 22 places spread over 36 MB.
            bounds = self._np.arange(1 << 16, dtype=self._np.uint64) << self._np.uint64(48)
            self._slices = self._np.searchsorted(self._domains, bounds).tolist() + [len(self._domains)]
        lo, hi = self._slices[key >> 48], self._slices[(key >> 48) + 1]
        # bisect over a memoryview reads plain ints, without numpy's per-call overhead.
        sorted_hashes = memoryview(self._domains)
        i = bisect_left(sorted_hashes, key, lo, hi)
        return i < hi and sorted_hashes[i] == key

    def check(self, url: str) -> str | None:
        """The blocked domain (or URL) that matches, or None."""
        try:
            host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower().rstrip(".")
        except ValueError:
            return None
        # Pages come many to a site: the host's answer is kept (a few lookups in a 36 MB array).
        if host in self._by_host:
            blocked = self._by_host[host]
        else:
            blocked = self._blocked_domain(host)
            if len(self._by_host) < 100_000:
                self._by_host[host] = blocked
        if blocked:
            return blocked
        bare = url.split("://", 1)[-1]
        return bare if bare in self._urls else None

    def _blocked_domain(self, host: str) -> str | None:
        labels = host.split(".")
        # The host itself and each parent domain with at least two labels ("a.b.example.kz",
        # "b.example.kz", "example.kz"): covers datatrove's fqdn and registered-domain checks.
        for i in range(len(labels) - 1):
            cand = ".".join(labels[i:])
            if self._has_domain(cand):
                return cand
        return None


# --- the operator -------------------------------------------------------------------------------


class ToxicityOperator(BaseOperator):
    stage = "toxicity"

    def __init__(self, *, config: ToxicityConfig | None = None):
        self.config = config or ToxicityConfig()

    def setup(self) -> None:
        self._lexicon = Lexicon(self.config.lexicons)
        self._blocklist = None  # loaded at the first document with a URL (1-2 s, 36 MB)
        self._ready = True

    def blocklist(self) -> UrlBlocklist:
        if self._blocklist is None:
            self._blocklist = UrlBlocklist.from_datatrove(self.config.extra_blocked_domains)
        return self._blocklist

    def annotate(self, doc: Doc) -> None:
        self.ensure_setup()
        n_words, matches = self._lexicon.find(doc.text)
        counts = {c: 0 for c in CLASSES}
        for m in matches:
            counts[m["class"]] += 1
        result: dict[str, Any] = {
            "n_words": n_words,
            "toxic_words": len(matches),
            "toxic_share": round(len(matches) / n_words, 5) if n_words else 0.0,
            "strong": counts["strong"],
            "insults": counts["insult"],
            "slurs": counts["slur"],
            "matches": matches[: self.config.max_matches_listed],
        }
        if self.config.url_blocklist and doc.url:
            blocked = self.blocklist().check(doc.url)
            if blocked:
                result["url_blocked"] = blocked
        result["reason"] = self._reason(result)
        result["keep"] = result["reason"] is None
        doc.annotations[self.stage] = result

    def _reason(self, r: dict[str, Any]) -> str | None:
        c = self.config
        if r.get("url_blocked"):
            return "url_blocklisted"
        if c.max_strong is not None and r["strong"] > c.max_strong:
            return "too_many_strong_obscenities"
        if c.max_slurs is not None and r["slurs"] > c.max_slurs:
            return "too_many_slurs"
        if c.max_toxic_share is not None and r["toxic_share"] > c.max_toxic_share:
            return "toxic_word_share_too_high"
        return None

    def decide(self, doc: Doc) -> str | None:
        return (doc.annotations.get(self.stage) or {}).get("reason")
