"""Near-duplicate detection quality on real text: our MinHash LSH for several settings, and datasketch.

Clusters are built from real text in ../shared/data/:
* Kazakh documents of 15 UD sentences each, with a light edit (3-8% of words), a boilerplate-wrapped
  copy, the same sentences in Latin script (kk_latn.txt) and in Arabic script (kk_arab.txt), and a
  hard negative sharing a third of the sentences;
* extracted web pages (many languages) with a light edit, a boilerplate-wrapped copy and a hard
  negative a third of whose words are the base's first sentences;
* the Clough-Stevenson corpus: each answer against its task's source text (cut / light / heavy
  revisions, and "non" answers that must not be merged).
Prints pairwise recall per kind of copy, pairwise precision, and hard negatives merged.

    .venv/bin/python benchmarks/dedup_quality.py [--kk 150] [--pages 300]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dedup_data as data  # noqa: E402

from kazcorpus.pipeline.dedup import bucket_edges, connected_components  # noqa: E402
from kazcorpus.pipeline.minhash import MinHasher, sketch  # noqa: E402
from kazcorpus.pipeline.textnorm import kazakh_mode, normalize_batch  # noqa: E402


def build(n_kk: int, n_pages: int, seed: int = 0):
    """-> texts, group of each text, kind of each text ("base", "light", ..., "hardneg")."""
    rng = random.Random(seed)
    texts, groups, kinds = [], [], []

    def add(text, group, kind):
        texts.append(text)
        groups.append(group)
        kinds.append(kind)

    furniture = data.boilerplate_lines()
    cyr, lat, arab = data.kazakh_sentences()
    for g in range(n_kk):
        idx = rng.sample(range(len(cyr)), 15)
        base = data.sentences_doc(idx, cyr)
        add(base, f"kk{g}", "base")
        add(data.light_edit(rng, base), f"kk{g}", "light")
        add(data.wrap_boilerplate(rng, base, furniture), f"kk{g}", "boilerplate")
        add(data.sentences_doc(idx, lat), f"kk{g}", "latin")
        add(data.sentences_doc(idx, arab), f"kk{g}", "arabic")
        others = rng.sample([i for i in range(len(cyr)) if i not in idx], 10)
        add(data.sentences_doc(idx[:5] + others, cyr), f"kk{g}-neg", "hardneg")
    pages = data.page_texts()
    rng.shuffle(pages)
    bases, pool = pages[:n_pages], pages[n_pages:]
    for g, base in enumerate(bases):
        add(base, f"pg{g}", "base")
        add(data.light_edit(rng, base), f"pg{g}", "light")
        add(data.wrap_boilerplate(rng, base, furniture), f"pg{g}", "boilerplate")
        add(hard_negative(rng, base, pool), f"pg{g}-neg", "hardneg")
    for name, task, cat, text in data.clough_stevenson():
        add(text, f"cs-{task}" if cat != "non" else f"cs-{name}", "cs-" + cat)
    return texts, groups, kinds


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def sentences(text: str) -> list[str]:
    return [s for line in text.split("\n") for s in _SENTENCE_END.split(line) if s.strip()]


def hard_negative(rng: random.Random, base: str, pool: list[str]) -> str:
    """A page that shares a third of its words with `base`: the first third of the base's sentences
    (by words, not by paragraphs: one long paragraph can hold most of a page), then sentences of
    other pages until the shared part is a third of the whole."""
    sents = sentences(base)
    total = sum(len(x.split()) for x in sents)
    share, n = [], 0
    for x in sents:
        if n >= total / 3:
            break
        share.append(x)
        n += len(x.split())
    filler, m = [], 0
    while m < 2 * n:
        x = rng.choice(sentences(rng.choice(pool)))
        filler.append(x)
        m += len(x.split())
    return "\n".join(share + filler)


def our_clusters(texts, ngram, bands, rows, norms=None, min_similarity=0.5):
    hasher = MinHasher(ngram=ngram, bands=bands, rows=rows, seed=1, backend="cpu")
    norms = norms if norms is not None else normalize_batch(texts)
    sigs = hasher.signatures(norms)
    buckets = defaultdict(list)
    for i, s in enumerate(sigs):
        for k in hasher.band_keys(s):
            buckets[k].append(((1, i), str(i), False, sketch(s)))
    edges = [e for kv in buckets.items() for e in bucket_edges(kv, min_similarity)]
    assign = dict(connected_components(edges))
    return [assign[str(i)]["cluster"] if str(i) in assign else str(i) for i in range(len(texts))]


def datasketch_clusters(texts, ngram, bands, rows):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(num_perm=bands * rows, params=(bands, rows))
    sigs = []
    for i, t in enumerate(texts):
        w = data.words(t)
        sh = {" ".join(w[j:j + ngram]).encode() for j in range(max(len(w) - ngram + 1, 1))}
        m = MinHash(num_perm=bands * rows, seed=1)
        m.update_batch(list(sh))
        lsh.insert(str(i), m)
        sigs.append(m)
    parent = list(range(len(texts)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            a, b = find(i), find(int(j))
            if a != b:
                parent[max(a, b)] = min(a, b)
    return [str(find(i)) for i in range(len(texts))]


def score(labels, groups, kinds):
    base_of = {g: i for i, (g, k) in enumerate(zip(groups, kinds, strict=True)) if k in ("base", "cs-orig")}
    recall = defaultdict(lambda: [0, 0])
    for i, (g, k) in enumerate(zip(groups, kinds, strict=True)):
        if k in ("base", "cs-orig", "hardneg", "cs-non"):
            continue
        b = base_of[g]
        recall[k][0] += labels[i] == labels[b]
        recall[k][1] += 1
    neg_merged = defaultdict(int)
    for i, (g, k) in enumerate(zip(groups, kinds, strict=True)):
        if k == "hardneg":
            neg_merged[k] += labels[i] == labels[base_of[g[:-4]]]
        if k == "cs-non":
            task = g.split("_task")[-1].removesuffix(".txt")
            neg_merged[k] += labels[i] == labels[base_of[f"cs-{task}"]]
    by_label = defaultdict(list)
    for i, lab in enumerate(labels):
        by_label[lab].append(i)
    tp = fp = 0
    for members in by_label.values():
        for a, b in combinations(members, 2):
            if groups[a] == groups[b]:
                tp += 1
            else:
                fp += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    return {k: v[0] / v[1] for k, v in sorted(recall.items())}, precision, dict(neg_merged)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kk", type=int, default=150, help="Kazakh base documents")
    ap.add_argument("--pages", type=int, default=300, help="web page base documents")
    args = ap.parse_args()
    data.require_data()
    texts, groups, kinds = build(args.kk, args.pages)
    n_neg = sum(k == "hardneg" for k in kinds)
    n_non = sum(k == "cs-non" for k in kinds)
    print(f"{len(texts)} documents; {n_neg} hard negatives, {n_non} Clough-Stevenson 'non' answers")
    langs = data.languages(texts)  # what language ID says, as `doc.lang` holds when dedup runs
    t0 = time.perf_counter()
    norms = normalize_batch(texts, [kazakh_mode(lang) for lang in langs])
    print(f"normalised in {time.perf_counter() - t0:.1f}s; Latin-script Kazakh copies read as Kazakh by "
          f"language ID: {sum(lg == 'kk' for lg, k in zip(langs, kinds, strict=True) if k == 'latin')}"
          f"/{kinds.count('latin')}, Arabic-script: "
          f"{sum(lg == 'kk' for lg, k in zip(langs, kinds, strict=True) if k == 'arabic')}/{kinds.count('arabic')}")
    rows_out = []
    settings = [(3, 20, 5, 0.0), (3, 20, 5, 0.4), (3, 20, 5, 0.5), (3, 20, 5, 0.6), (2, 20, 5, 0.5),
                (4, 20, 5, 0.5), (5, 14, 8, 0.0), (3, 14, 8, 0.0)]
    for ngram, bands, rows, sim in settings:
        labels = our_clusters(texts, ngram, bands, rows, norms, sim)
        rows_out.append((f"kazcorpus {ngram}-gram {bands}x{rows} sim>={sim}", *score(labels, groups, kinds)))
    for ngram, bands, rows in [(3, 20, 5), (5, 14, 8)]:
        t0 = time.perf_counter()
        labels = datasketch_clusters(texts, ngram, bands, rows)
        rows_out.append((f"datasketch {ngram}-gram {bands}x{rows}", *score(labels, groups, kinds)))
    kinds_seen = sorted({k for r in rows_out for k in r[1]})
    header = f"{'setting':<36}" + "".join(f"{k:>13}" for k in kinds_seen) + f"{'precision':>11}  hard negatives merged"
    print("pairwise recall of copies against their original, pairwise precision of all merges:")
    print(header)
    for name, rec, prec, neg in rows_out:
        print(f"{name:<36}" + "".join(f"{rec.get(k, float('nan')):>13.3f}" for k in kinds_seen)
              + f"{prec:>11.4f}  {neg.get('hardneg', 0)}/{n_neg} (+ CS non {neg.get('cs-non', 0)}/{n_non})")


if __name__ == "__main__":
    main()
