"""Real-text material for the dedup benchmarks (not a benchmark itself).

Builds documents from the shared third-party data (`../shared/data/`): Kazakh sentences (with their
Latin and Arabic-script renderings, aligned line by line), text extracted from real web pages, and
the Clough-Stevenson plagiarism corpus.  Extracted page text is cached under
~/.cache/kazcorpus-bench so a second run starts at once.
"""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CACHE = Path.home() / ".cache" / "kazcorpus-bench"


def require_data() -> None:
    if not DATA.is_dir():
        raise SystemExit(f"shared data not found at {DATA}: these benchmarks need ../shared/data")


def kazakh_sentences() -> tuple[list[str], list[str], list[str]]:
    """Aligned Cyrillic, Latin (2021) and Arabic-script renderings of the same Kazakh sentences."""
    read = lambda n: (DATA / "lid" / n).read_text(encoding="utf-8").splitlines()  # noqa: E731
    cyr, lat, arab = read("kk_cyrl.txt"), read("kk_latn.txt"), read("kk_arab.txt")
    n = min(len(cyr), len(lat), len(arab))
    keep = [i for i in range(n) if len(cyr[i].split()) >= 4]
    return [cyr[i] for i in keep], [lat[i] for i in keep], [arab[i] for i in keep]


def page_texts(limit: int | None = None, min_words: int = 120) -> list[str]:
    """Main text of the real pages in html/trafilatura-eval (extracted once, then cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cache = CACHE / "trafilatura-eval-texts.json"
    if cache.exists():
        texts = json.loads(cache.read_text(encoding="utf-8"))
    else:
        from kazcorpus.sources.html import ExtractConfig, html_to_text

        cfg = ExtractConfig(fast=True, with_metadata=False, timeout_mode="off")
        texts = []
        for p in sorted((DATA / "web" / "html" / "trafilatura-eval").glob("*.html")):
            try:
                t = html_to_text(p.read_bytes(), cfg)
            except Exception:  # noqa: BLE001 - a page that does not extract is just skipped
                t = None
            if t:
                texts.append(t)
        cache.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    texts = [t for t in texts if len(t.split()) >= min_words]
    return texts[:limit] if limit else texts


def boilerplate_lines() -> list[str]:
    """Short real lines that recur as page furniture (menus, footers) in the extracted pages."""
    rng = random.Random(0)
    lines = [ln.strip() for t in page_texts(min_words=0) for ln in t.splitlines() if 2 <= len(ln.split()) <= 8]
    rng.shuffle(lines)
    return lines[:400]


def light_edit(rng: random.Random, text: str, lo: float = 0.03, hi: float = 0.08) -> str:
    """Change 3-8% of the words: substitutions, deletions, insertions, keeping line structure."""
    lines = [ln.split(" ") for ln in text.split("\n")]
    slots = [(i, j) for i, ln in enumerate(lines) for j in range(len(ln))]
    vocab = [w for ln in lines for w in ln if w]
    n = max(1, round(rng.uniform(lo, hi) * len(slots)))
    for i, j in rng.sample(slots, min(n, len(slots))):
        op = rng.random()
        if op < 0.5:
            lines[i][j] = rng.choice(vocab)
        elif op < 0.75:
            lines[i][j] = ""
        else:
            lines[i][j] = lines[i][j] + " " + rng.choice(vocab)
    return "\n".join(" ".join(w for w in ln if w) for ln in lines)


def wrap_boilerplate(rng: random.Random, text: str, furniture: list[str]) -> str:
    """The text inside a page frame: a menu before, a footer after (about 10-25% extra words)."""
    n_words = len(text.split())
    head, tail = [], []
    while sum(len(x.split()) for x in head + tail) < n_words * rng.uniform(0.10, 0.25):
        (head if rng.random() < 0.5 else tail).append(rng.choice(furniture))
    return "\n".join(head + [text] + tail)


def sentences_doc(idx: list[int], sents: list[str]) -> str:
    return "\n".join(sents[i] for i in idx)


def clough_stevenson() -> list[tuple[str, str, str, str]]:
    """(file, task, category, text) for every answer and source text (category "orig")."""
    folder = DATA / "web" / "dedup" / "clough-stevenson-plagiarism"
    out = []
    with open(folder / "file_information.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = row["File"].strip()
            text = (folder / name).read_text(encoding="utf-8", errors="replace")
            out.append((name, row["Task"].strip(), row["Category"].strip(), text))
    return out


def languages(texts: list[str]) -> list[str | None]:
    """The language kazcorpus's language ID gives each text (what `doc.lang` holds when dedup runs),
    cached by text hash, so the benchmarks normalise documents as the pipeline does."""
    import xxhash

    CACHE.mkdir(parents=True, exist_ok=True)
    cache_file = CACHE / "langid.json"
    cache = json.loads(cache_file.read_text(encoding="utf-8")) if cache_file.exists() else {}
    keys = [xxhash.xxh64_hexdigest(t.encode("utf-8")) for t in texts]
    missing = [i for i, k in enumerate(keys) if k not in cache]
    if missing:
        from kazcorpus.filters.langid import LangIdOperator

        op = LangIdOperator()
        op.setup()
        for i in missing:
            cache[keys[i]] = op.judge(texts[i])[0] if texts[i].strip() else None
        cache_file.write_text(json.dumps(cache), encoding="utf-8")
    return [cache[k] for k in keys]


def kazakh_pages(n: int, rng: random.Random, chars: int = 5000) -> list[str]:
    """Kazakh Cyrillic documents of about `chars` characters, one UD sentence per line (there is no
    public Kazakh web page to extract; see ../shared/data/web/README.md)."""
    cyr, _, _ = kazakh_sentences()
    out = []
    for _ in range(n):
        lines, size = [], 0
        while size < chars:
            lines.append(rng.choice(cyr))
            size += len(lines[-1]) + 1
        out.append("\n".join(lines))
    return out


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())
