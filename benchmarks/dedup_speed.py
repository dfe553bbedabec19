"""Dedup speed on real text: MinHash signatures (kazcorpus CPU backend, datatrove, datasketch),
end-to-end dedup (kazcorpus NearDedup in Beam vs datatrove's four MinHash stages), and peak memory
per document during clustering.

Documents: text extracted from the real pages in ../shared/data/web/html (about 5 kB each), as is,
as light edits (3-8% of words), and as mixtures of paragraphs of two pages, up to --docs.

    .venv/bin/python benchmarks/dedup_speed.py --docs 50000     # the issue's size
    .venv/bin/python benchmarks/dedup_speed.py --docs 10000     # quicker
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dedup_data as data  # noqa: E402

from kazcorpus.pipeline.dedup import DedupConfig, bucket_edges, connected_components  # noqa: E402
from kazcorpus.pipeline.minhash import MinHasher, sketch  # noqa: E402
from kazcorpus.pipeline.textnorm import kazakh_mode, normalize_batch  # noqa: E402

try:
    import apache_beam as beam
except ImportError:  # pragma: no cover
    beam = None


def build(n: int, seed: int = 0) -> tuple[list[str], list[str | None]]:
    """Multilingual documents from the real pages: a third as they are, the rest light edits of a
    page or a page's first half joined to another's second half.  Each carries the language that
    language ID gives its (first) page, as `doc.lang` would be when dedup runs."""
    rng = random.Random(seed)
    pages = data.page_texts()
    langs = dict(zip(pages, data.languages(pages), strict=True))
    out = [(p, langs[p]) for p in pages[: n // 3]]
    while len(out) < n:
        if rng.random() < 0.5:
            p = rng.choice(pages)
            out.append((data.light_edit(rng, p), langs[p]))
        else:
            a, b = rng.sample(pages, 2)
            pa, pb = a.split("\n"), b.split("\n")
            out.append(("\n".join(pa[: len(pa) // 2] + pb[len(pb) // 2:]), langs[a]))
    out = out[:n]
    return [t for t, _ in out], [lang for _, lang in out]


def build_kazakh(n: int, seed: int = 0) -> list[str]:
    """Kazakh Cyrillic pages of about 5 kB: half of them light edits of the others."""
    rng = random.Random(seed)
    base = data.kazakh_pages((n + 1) // 2, rng)
    edits = [data.light_edit(rng, rng.choice(base)) for _ in range(n - len(base))]
    return base + edits


def rate(n, seconds):
    return n / seconds if seconds else float("inf")


def ours_signatures(texts, langs, cfg, batch=512):
    """Seconds to normalise and to sign, the hasher, the signatures (one array per batch)."""
    hasher = MinHasher(ngram=cfg.ngram, bands=cfg.bands, rows=cfg.rows, seed=cfg.seed, backend="cpu")
    modes = [kazakh_mode(lang) for lang in langs]
    normalize_batch(texts[:2], modes[:2])  # builds the code-point tables (once per process)
    t0 = time.perf_counter()
    norms = [x for i in range(0, len(texts), batch) for x in normalize_batch(texts[i:i + batch], modes[i:i + batch])]
    t1 = time.perf_counter()
    sigs = [hasher.signatures(norms[i:i + batch]) for i in range(0, len(norms), batch)]
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, hasher, norms, sigs


def _patch_datatrove_xxhash():
    """datatrove 0.10.1 hands str to xxhash, which xxhash 4 refuses: encode first, as older xxhash
    did internally (the cost datatrove would have with the xxhash it was written for)."""
    import datatrove.utils.hashes.xxhash as dx
    import xxhash

    dx.xxhash32 = lambda d: xxhash.xxh32_intdigest(d.encode() if isinstance(d, str) else d)
    dx.xxhash64 = lambda d: xxhash.xxh64_intdigest(d.encode() if isinstance(d, str) else d)


def datatrove_signatures(texts, cfg, folder):
    _patch_datatrove_xxhash()
    from datatrove.data import Document
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature

    mcfg = MinhashConfig(n_grams=cfg.ngram, num_buckets=cfg.bands, hashes_per_bucket=cfg.rows)
    from kazcorpus.filters.tokenize import default_tokenizer

    # The project's download-free word tokenizer (datatrove's default for "en" needs spaCy).
    stage = MinhashDedupSignature(output_folder=f"{folder}/sigs", config=mcfg, language=default_tokenizer())
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    t0 = time.perf_counter()
    stage.run(iter(docs), rank=0, world_size=1)
    return time.perf_counter() - t0, mcfg, docs


def datasketch_signatures(texts, cfg):
    from datasketch import MinHash

    t0 = time.perf_counter()
    for t in texts:
        w = data.words(t)
        sh = {" ".join(w[j:j + cfg.ngram]).encode() for j in range(max(len(w) - cfg.ngram + 1, 1))}
        m = MinHash(num_perm=cfg.num_perm, seed=1)
        m.update_batch(list(sh))
    return time.perf_counter() - t0


def clustering_memory(hasher, sigs, cfg):
    buckets = defaultdict(list)
    i = 0
    for block in sigs:
        for s in block:
            for k in hasher.band_keys(s):
                buckets[k].append(((1, i), f"{i:032x}", False, sketch(s)))
            i += 1
    edges = sorted({e for kv in buckets.items() for e in bucket_edges(kv, cfg.min_similarity)})
    del buckets
    tracemalloc.start()
    assign = dict(connected_components(edges))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(edges), len(assign), peak


def _read_doc(line: str):
    from kazcorpus.pipeline.record import Doc

    return Doc.from_json(line)


class _CountKept(beam.DoFn if beam else object):
    def __init__(self):
        from apache_beam.metrics import Metrics

        self.kept = Metrics.counter("bench", "kept")

    def process(self, doc):
        if not doc.rejected:
            self.kept.inc()


def ours_end_to_end(texts, langs, cfg, folder, workers: int = 1):
    """NearDedup in Beam (FnApiRunner, `workers` in-process workers) on the documents read from
    a JSONL file, as they reach the stage in a run (no giant `beam.Create`).  -> seconds, kept."""
    from apache_beam.metrics.metric import MetricsFilter
    from apache_beam.options.pipeline_options import PipelineOptions

    from kazcorpus.pipeline.dedup import NearDedup
    from kazcorpus.pipeline.record import Doc, Provenance

    path = Path(folder) / "docs.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i, (t, lang) in enumerate(zip(texts, langs, strict=True)):
            d = Doc(id=f"{i:032x}", source="bench", provenance=Provenance(uri="mem://"), text=t, lang=lang)
            f.write(d.to_json() + "\n")
    opts = PipelineOptions(direct_num_workers=workers, direct_running_mode="in_memory")
    t0 = time.perf_counter()
    p = beam.Pipeline(runner="DirectRunner", options=opts)
    _ = (p | beam.io.ReadFromText(str(path)) | beam.Map(_read_doc)
         | NearDedup(cfg, out_dir=f"{folder}/ours") | beam.ParDo(_CountKept()))
    result = p.run()
    result.wait_until_finish()
    seconds = time.perf_counter() - t0
    counters = result.metrics().query(MetricsFilter().with_name("kept"))["counters"]
    return seconds, (counters[0].committed if counters else 0)


def datatrove_rest_timed(cfg, mcfg, docs, folder):
    """datatrove's stages 2-4 one by one: -> {stage: seconds}, kept."""
    from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter

    times = {}
    t0 = time.perf_counter()
    buckets = MinhashDedupBuckets(input_folder=f"{folder}/sigs", output_folder=f"{folder}/buckets", config=mcfg)
    for r in range(cfg.bands):
        buckets.run(rank=r, world_size=cfg.bands)
    times["MinhashDedupBuckets"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    MinhashDedupCluster(input_folder=f"{folder}/buckets", output_folder=f"{folder}/remove", config=mcfg).run()
    times["MinhashDedupCluster"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    kept = sum(1 for _ in MinhashDedupFilter(input_folder=f"{folder}/remove").run(iter(docs)))
    times["MinhashDedupFilter"] = time.perf_counter() - t0
    return times, kept


def signing_rows(label, texts, langs, cfg, folder):
    """Normalise + sign (ours) next to datatrove's signature stage on the same texts."""
    n = len(texts)
    t_norm, t_sig, hasher, norms, sigs = ours_signatures(texts, langs, cfg)
    t_dt, mcfg, dt_docs = datatrove_signatures(texts, cfg, folder)
    dt_rate = rate(n, t_dt)
    print(f"\nMinHash signatures on {label}: {n} documents, mean {sum(map(len, texts)) / n / 1000:.1f} kB "
          "(documents/second, one process)")
    print(f"  kazcorpus CPU, normalise + sign     {rate(n, t_norm + t_sig):9.0f}  "
          f"({rate(n, t_norm + t_sig) / dt_rate:.1f}x datatrove)")
    print(f"  kazcorpus CPU, sign only            {rate(n, t_sig):9.0f}  ({rate(n, t_sig) / dt_rate:.1f}x)")
    print(f"  kazcorpus normalisation alone       {rate(n, t_norm):9.0f}")
    print(f"  datatrove MinhashDedupSignature     {dt_rate:9.0f}  (1.0x)")
    return hasher, sigs, t_dt, mcfg, dt_docs


def _quiet_datatrove():
    """datatrove logs every bucket through loguru and draws progress bars: keep the table readable."""
    import os

    os.environ.setdefault("TQDM_DISABLE", "1")
    import datatrove.utils.logging  # noqa: F401  (adds its own handler on import)
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="WARNING")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=50_000, help="multilingual documents")
    ap.add_argument("--kk-docs", type=int, default=None, help="Kazakh documents (default: --docs / 2)")
    ap.add_argument("--skip-end-to-end", action="store_true")
    ap.add_argument("--workers", type=int, default=1, help="Beam in-process workers for end-to-end")
    args = ap.parse_args()
    data.require_data()
    _quiet_datatrove()
    cfg = DedupConfig()
    print(f"{cfg.ngram}-gram shingles, {cfg.bands}x{cfg.rows} bands; documents labelled by kazcorpus language ID")
    texts, langs = build(args.docs)
    n = len(texts)
    kk_texts = build_kazakh(args.kk_docs if args.kk_docs is not None else max(n // 2, 1))
    with tempfile.TemporaryDirectory() as folder:
        hasher, sigs, t_dt, mcfg, dt_docs = signing_rows("multilingual web pages", texts, langs, cfg, folder)
        signing_rows("Kazakh (Cyrillic) pages", kk_texts, ["kk"] * len(kk_texts), cfg, f"{folder}/kk")
        sub = texts[: min(n, 5000)]
        t_ds = datasketch_signatures(sub, cfg)
        print(f"  datasketch MinHash.update_batch     {rate(len(sub), t_ds):9.0f}  "
              f"(multilingual, {len(sub)} documents)")
        rng = random.Random(1)
        _, lat, arab = data.kazakh_sentences()
        for script, sents in (("Latin", lat), ("Arabic", arab)):
            other = ["\n".join(rng.sample(sents, 70)) for _ in range(200)]
            t_norm, t_sig, *_ = ours_signatures(other, ["kk"] * len(other), cfg)
            print(f"  kazcorpus on Kazakh in {script} script (transliterated; {len(other)} documents): "
                  f"{rate(len(other), t_norm + t_sig):.0f}/s")

        n_edges, n_nodes, peak = clustering_memory(hasher, sigs, cfg)
        print(f"\nclustering: {n_edges} candidate edges, {n_nodes} documents in clusters; union-find peak "
              f"{peak / 1e6:.1f} MB = {peak / max(n_nodes, 1):.0f} bytes per clustered document "
              f"({peak / n:.0f} per input document)")
        if not args.skip_end_to_end:
            times, dt_kept = datatrove_rest_timed(cfg, mcfg, dt_docs, folder)
            t_ours, kept = ours_end_to_end(texts, langs, cfg, folder, args.workers)
            dt_total = t_dt + sum(times.values())
            print(f"\nend-to-end near dedup of the {n} multilingual documents, seconds:")
            print(f"  kazcorpus NearDedup (Beam DirectRunner, {args.workers} worker, normalise + sign + "
                  f"bands + clusters + marking + index)  {t_ours:7.1f}  kept {kept}")
            print(f"  datatrove, 4 MinHash stages in one process                              {dt_total:7.1f}  "
                  f"kept {dt_kept}  ({dt_total / t_ours:.2f}x our time)")
            print(f"    MinhashDedupSignature {t_dt:.1f}, " + ", ".join(f"{k} {v:.1f}" for k, v in times.items()))


if __name__ == "__main__":
    main()
