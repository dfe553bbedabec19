"""MinHash on the GPU: signatures/second of the PyTorch backend next to the NumPy one, and the
identity check (bit-identical signatures, identical clusters) on real text.

One prepared script for a machine with a CUDA device; `--device cpu` runs the PyTorch code path on
the CPU (what CI and a machine without a GPU can check).  Exit status 1 on any mismatch.

Documents: real text from ../shared/data (Kazakh sentences in Cyrillic, Latin and Arabic script and
the other languages of lid/, the Clough-Stevenson corpus, and with --pages the extracted web
pages), built into ~5 kB documents with light edits and mixtures so that there are clusters to
compare; synthetic text when the shared data is absent.

    .venv/bin/python benchmarks/gpu_minhash.py                    # CUDA, 20,000 documents
    .venv/bin/python benchmarks/gpu_minhash.py --device cpu --docs 2000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dedup_data as data  # noqa: E402

from kazcorpus.pipeline.dedup import DedupConfig, cluster_labels  # noqa: E402
from kazcorpus.pipeline.minhash import HashFamily, numpy_signatures, torch_signatures  # noqa: E402
from kazcorpus.pipeline.textnorm import normalize_batch  # noqa: E402


def real_documents(n: int, with_pages: bool, seed: int = 0) -> tuple[list[str], list[bool | None]]:
    """~5 kB documents of real lines, a third of them light edits or mixtures of others."""
    rng = random.Random(seed)
    pools: list[tuple[list[str], bool | None]] = []
    for name in sorted(p.name for p in (data.DATA / "lid").glob("*.txt")):
        lines = [ln for ln in (data.DATA / "lid" / name).read_text(encoding="utf-8").splitlines() if ln.strip()]
        pools.append((lines, name.startswith("kk")))
    bases: list[tuple[str, bool | None]] = []
    for _, _, _, text in data.clough_stevenson():
        bases.append((text, False))
    if with_pages:
        bases += [(t, None) for t in data.page_texts()]
    while len(bases) < (2 * n) // 3:
        lines, kazakh = rng.choice(pools)
        doc, size = [], 0
        while size < 5000:
            doc.append(rng.choice(lines))
            size += len(doc[-1]) + 1
        bases.append(("\n".join(doc), kazakh))
    docs = list(bases[: (2 * n) // 3])
    while len(docs) < n:
        text, kazakh = rng.choice(docs)
        if rng.random() < 0.6:
            docs.append((data.light_edit(rng, text), kazakh))
        else:
            other, _ = rng.choice(docs)
            a, b = text.split("\n"), other.split("\n")
            docs.append(("\n".join(a[: len(a) // 2] + b[len(b) // 2:]), kazakh))
    return [t for t, _ in docs], [k for _, k in docs]


def synthetic_documents(n: int, seed: int = 0) -> tuple[list[str], list[bool | None]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(5000)] + list("абвгғдеёжзийкқлмнң")
    base = [" ".join(rng.choice(vocab) for _ in range(800)) for _ in range((2 * n) // 3)]
    docs = base + [data.light_edit(rng, rng.choice(base)) for _ in range(n - len(base))]
    return docs, [None] * n


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", help="torch device: cuda (default), cuda:1, cpu")
    ap.add_argument("--docs", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=4096, help="documents per signing call")
    ap.add_argument("--pages", action="store_true", help="add the extracted web pages (slow the first time)")
    args = ap.parse_args()

    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"torch {torch.__version__} sees no CUDA device; use --device cpu", file=sys.stderr)
        return 2
    if data.DATA.is_dir():
        texts, modes = real_documents(args.docs, args.pages)
        origin = f"real text from {data.DATA}"
    else:
        texts, modes = synthetic_documents(args.docs)
        origin = "synthetic text (shared data absent)"
    cfg = DedupConfig()
    fam = HashFamily(ngram=cfg.ngram, num_perm=cfg.num_perm, seed=cfg.seed)
    t0 = time.perf_counter()
    norms = normalize_batch(texts, modes)
    t_norm = time.perf_counter() - t0
    n, mb = len(norms), sum(map(len, norms)) / 1e6
    device = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else "CPU"
    print(f"{n} documents ({origin}), {mb:.1f} M characters after normalisation ({rate(n, t_norm):.0f} docs/s); "
          f"{cfg.ngram}-gram, {cfg.bands}x{cfg.rows}; torch {torch.__version__} on {device}")

    def sign(fn):
        out = []
        t = time.perf_counter()
        for i in range(0, n, args.batch):
            out.append(fn(norms[i:i + args.batch]))
        return np.vstack(out), time.perf_counter() - t

    cpu, t_cpu = sign(lambda b: numpy_signatures(fam, b))
    torch_signatures(fam, norms[: min(n, 256)], device=args.device)  # warm-up: kernels, allocator
    dev, t_dev = sign(lambda b: torch_signatures(fam, b, device=args.device))
    print("signatures/second (documents):")
    print(f"  NumPy backend, one CPU core        {rate(n, t_cpu):10.0f}")
    print(f"  PyTorch backend on {args.device:<14}  {rate(n, t_dev):10.0f}  ({t_cpu / t_dev:.1f}x NumPy)")

    failures = 0
    bad_rows = np.flatnonzero((cpu != dev).any(axis=1))
    if bad_rows.size:
        failures += 1
        print(f"MISMATCH: {bad_rows.size} of {n} signatures differ (first rows {bad_rows[:5].tolist()})")
    else:
        print(f"signatures: bit-identical ({n} x {cfg.num_perm} values)")

    from kazcorpus.pipeline.minhash import MinHasher

    hasher = MinHasher(ngram=cfg.ngram, bands=cfg.bands, rows=cfg.rows, seed=cfg.seed, backend="cpu")
    a = cluster_labels(cpu, hasher, min_similarity=cfg.min_similarity)
    b = cluster_labels(dev, hasher, min_similarity=cfg.min_similarity)
    differ = sum(x != y for x, y in zip(a, b, strict=True))
    sizes = Counter(a)
    multi = [c for c, k in sizes.items() if k > 1]
    if differ:
        failures += 1
        print(f"MISMATCH: {differ} documents are in a different cluster")
    else:
        print(f"clusters: identical ({len(multi)} clusters of 2+ documents holding "
              f"{sum(sizes[c] for c in multi)} documents)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
