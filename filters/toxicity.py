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

import re
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

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
# Latin letters that look like Cyrillic ones (and Latin i for Kazakh і).
_LATIN_TO_CYR = str.maketrans("aeopcxyikmtbhunzr", "аеорсхуікмтвнипзг")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")
_WORD = re.compile(r"[^\W\d_]+(?:[\u00ad\u200b\u200c\u200d\u2060*][^\W\d_]+)*")

# Optional verbal prefixes that combine with mat roots.  Kept explicit: a free "any letters" prefix
# is what turns "застрахуйте" and "употреблять" into false alarms.
_PV = "(?:на|по|за|от|об|у|вы|до|пере|раз|рас|при|про|недо|под|с|о|ни|вз|из|ис)?"
_MACROS = {"{PV}": _PV, "{E}": "[а-я]*"}


def normalise_word(word: str) -> str:
    w = word.translate(_INVISIBLE).lower()
    if _CYRILLIC.search(w) and _LATIN.search(w):
        w = w.translate(_LATIN_TO_CYR)
    return w.replace("ё", "е")


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
        self._cache: dict[str, str | None] = {}

    def classify(self, word: str) -> str | None:
        norm = normalise_word(word)
        if norm in self._cache:
            return self._cache[norm]
        found = None
        for cls, rx in self._res:
            if rx.fullmatch(norm):
                found = cls
                break
        if len(self._cache) < 200_000:  # word frequencies are Zipfian: a small cache hits a lot
            self._cache[norm] = found
        return found

    def find(self, text: str) -> tuple[int, list[dict[str, Any]]]:
        """(number of words, matches with spans) over `text`."""
        n_words = 0
        matches = []
        for m in _WORD.finditer(text):
            n_words += 1
            cls = self.classify(m.group().replace("*", ""))
            if cls:
                matches.append({"start": m.start(), "end": m.end(), "word": m.group(), "class": cls})
        return n_words, matches


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
            made = cls.__new__(cls)
            import xxhash

            made._h, made._np, made._domains = xxhash.xxh3_64_intdigest, np, domains
            made._urls = set(urls.tolist())
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
        key = self._np.uint64(self._h(domain.encode()))
        i = int(self._np.searchsorted(self._domains, key))
        return i < len(self._domains) and self._domains[i] == key

    def check(self, url: str) -> str | None:
        """The blocked domain (or URL) that matches, or None."""
        try:
            host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower().rstrip(".")
        except ValueError:
            return None
        labels = host.split(".")
        # The host itself and each parent domain with at least two labels ("a.b.example.kz",
        # "b.example.kz", "example.kz"): covers datatrove's fqdn and registered-domain checks.
        for i in range(len(labels) - 1):
            cand = ".".join(labels[i:])
            if self._has_domain(cand):
                return cand
        bare = url.split("://", 1)[-1]
        return bare if bare in self._urls else None


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
