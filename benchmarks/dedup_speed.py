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

from kazcorpus.pipeline.dedup import DedupConfig, bucket_edges, connected_components, normalize  # noqa: E402
from kazcorpus.pipeline.minhash import MinHasher, sketch  # noqa: E402


def build(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    pages = data.page_texts()
    out = list(pages[: n // 3])
    while len(out) < n:
        if rng.random() < 0.5:
            out.append(data.light_edit(rng, rng.choice(pages)))
        else:
            a, b = rng.sample(pages, 2)
            pa, pb = a.split("\n"), b.split("\n")
            out.append("\n".join(pa[: len(pa) // 2] + pb[len(pb) // 2:]))
    return out[:n]


def rate(n, seconds):
    return n / seconds if seconds else float("inf")


def ours_signatures(texts, cfg, batch=512):
    hasher = MinHasher(ngram=cfg.ngram, bands=cfg.bands, rows=cfg.rows, seed=cfg.seed, backend="cpu")
    t0 = time.perf_counter()
    norms = [normalize(t) for t in texts]
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


def datatrove_rest(cfg, mcfg, docs, folder):
    from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter

    t0 = time.perf_counter()
    buckets = MinhashDedupBuckets(input_folder=f"{folder}/sigs", output_folder=f"{folder}/buckets", config=mcfg)
    for r in range(cfg.bands):
        buckets.run(rank=r, world_size=cfg.bands)
    MinhashDedupCluster(input_folder=f"{folder}/buckets", output_folder=f"{folder}/remove",
                        config=mcfg).run()
    kept = sum(1 for _ in MinhashDedupFilter(input_folder=f"{folder}/remove").run(iter(docs)))
    return time.perf_counter() - t0, kept


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


def ours_end_to_end(texts, cfg, folder):
    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from kazcorpus.pipeline.dedup import NearDedup
    from kazcorpus.pipeline.record import Doc, Provenance

    docs = [Doc(id=f"{i:032x}", source="bench", provenance=Provenance(uri="mem://"), text=t)
            for i, t in enumerate(texts)]
    counts = {}
    t0 = time.perf_counter()
    with beam.Pipeline(runner=FnApiRunner()) as p:
        out = p | beam.Create(docs) | NearDedup(cfg, out_dir=f"{folder}/ours")
        _ = (out | beam.Map(lambda d: int(not d.rejected)) | beam.CombineGlobally(sum)
             | beam.Map(lambda n: counts.setdefault("kept", n)))
    return time.perf_counter() - t0, counts.get("kept")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=50_000)
    ap.add_argument("--skip-end-to-end", action="store_true")
    args = ap.parse_args()
    data.require_data()
    texts = build(args.docs)
    n = len(texts)
    cfg = DedupConfig()
    print(f"{n} documents, mean {sum(map(len, texts)) / n / 1000:.1f} kB; {cfg.ngram}-gram shingles, "
          f"{cfg.bands}x{cfg.rows} bands")
    t_norm, t_sig, hasher, norms, sigs = ours_signatures(texts, cfg)
    with tempfile.TemporaryDirectory() as folder:
        t_dt, mcfg, dt_docs = datatrove_signatures(texts, cfg, folder)
        sub = texts[: min(n, 5000)]
        t_ds = datasketch_signatures(sub, cfg)
        dt_rate = rate(n, t_dt)
        print("\nMinHash signatures, documents/second (one process):")
        print(f"  kazcorpus CPU, normalise + sign     {rate(n, t_norm + t_sig):9.0f}  "
              f"({rate(n, t_norm + t_sig) / dt_rate:.1f}x datatrove)")
        print(f"  kazcorpus CPU, sign only            {rate(n, t_sig):9.0f}  ({rate(n, t_sig) / dt_rate:.1f}x)")
        print(f"  kazcorpus normalisation alone       {rate(n, t_norm):9.0f}")
        print(f"  datatrove MinhashDedupSignature     {dt_rate:9.0f}  (1.0x)")
        print(f"  datasketch MinHash.update_batch     {rate(len(sub), t_ds):9.0f}  "
              f"({rate(len(sub), t_ds) / dt_rate:.1f}x; on {len(sub)} documents)")
        n_edges, n_nodes, peak = clustering_memory(hasher, sigs, cfg)
        print(f"\nclustering: {n_edges} candidate edges, {n_nodes} documents in clusters; union-find peak "
              f"{peak / 1e6:.1f} MB = {peak / max(n_nodes, 1):.0f} bytes per clustered document "
              f"({peak / n:.0f} per input document)")
        if not args.skip_end_to_end:
            t_rest, dt_kept = datatrove_rest(cfg, mcfg, dt_docs, folder)
            t_ours, kept = ours_end_to_end(texts, cfg, folder)
            print("\nend-to-end near dedup (signatures, bands, clusters, marking), seconds:")
            print(f"  kazcorpus NearDedup, Beam FnApiRunner  {t_ours:7.1f}  kept {kept}")
            print(f"  datatrove 4 MinHash stages             {t_dt + t_rest:7.1f}  kept {dt_kept}  "
                  f"(ratio {(t_dt + t_rest) / t_ours:.2f}x)")


if __name__ == "__main__":
    main()
