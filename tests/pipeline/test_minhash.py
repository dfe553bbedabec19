"""MinHash: the vectorised backends match the scalar definition of the hash family, bit for bit,
and the signatures estimate Jaccard similarity."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kazcorpus.pipeline.minhash import (
    EMPTY,
    HashFamily,
    MinHasher,
    jaccard_estimate,
    numpy_signatures,
    resolve_backend,
    torch_signatures,
)

VOCAB = "ел жер су тау қала ауыл мектеп бала ана әке кітап газет тіл халық заң жыл күн ай word x 😀 ß".split()
words = st.lists(st.sampled_from(VOCAB), max_size=12).map(" ".join)


def test_family_constants_depend_only_on_seed():
    a, b = HashFamily(3, 10, 1), HashFamily(3, 10, 1)
    assert a.perm_a == b.perm_a and a.gram_mults == b.gram_mults
    assert HashFamily(3, 10, 2).perm_a != a.perm_a
    assert all(x % 2 == 1 for x in a.perm_a + a.gram_mults)


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=1, max_size=6), st.integers(1, 5))
def test_numpy_matches_scalar_reference(texts, n):
    fam = HashFamily(ngram=n, num_perm=8, seed=3)
    ref = np.array([fam.reference_signature(t) for t in texts], dtype=np.uint32)
    assert (numpy_signatures(fam, texts) == ref).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(words, min_size=1, max_size=6), st.integers(1, 5))
def test_torch_matches_numpy(texts, n):
    pytest.importorskip("torch")
    fam = HashFamily(ngram=n, num_perm=8, seed=3)
    assert (torch_signatures(fam, texts, device="cpu") == numpy_signatures(fam, texts)).all()


def test_batch_composition_does_not_change_a_signature():
    fam = HashFamily(3, 16, 1)
    rng = random.Random(0)
    texts = [" ".join(rng.choice(VOCAB) for _ in range(rng.randint(0, 40))) for _ in range(50)]
    whole = numpy_signatures(fam, texts)
    single = np.vstack([numpy_signatures(fam, [t]) for t in texts])
    assert (whole == single).all()


def test_chunking_across_many_shingles(monkeypatch):
    import kazcorpus.pipeline.minhash as mh

    fam = HashFamily(2, 8, 1)
    rng = random.Random(1)
    texts = [" ".join(rng.choice(VOCAB) for _ in range(300)) for _ in range(20)]
    full = numpy_signatures(fam, texts)
    monkeypatch.setattr(mh, "CHUNK_ROWS", 100)
    assert (numpy_signatures(fam, texts) == full).all()


def test_empty_and_short_documents():
    fam = HashFamily(3, 4, 1)
    sig = numpy_signatures(fam, ["", "один", "один два", "один два три"])
    assert (sig[0] == EMPTY).all()
    assert not (sig[1] == EMPTY).all()
    assert not (sig[1] == sig[2]).all()
    hasher = MinHasher(ngram=3, bands=2, rows=2, seed=1)
    assert hasher.band_keys(sig[0]) == []
    keys = hasher.band_keys(sig[3])
    assert len(keys) == 2 and all(len(k) == 2 + 2 * 4 for k in keys)


def test_unnormalised_spacing_is_tolerated():
    fam = HashFamily(2, 8, 1)
    assert (numpy_signatures(fam, ["  a   b c "]) == numpy_signatures(fam, ["a b c"])).all()


def test_signatures_estimate_jaccard():
    rng = random.Random(2)
    fam = HashFamily(1, 256, 5)
    base = [f"w{i}" for i in range(400)]
    other = base[:200] + [f"v{i}" for i in range(200)]  # true Jaccard 200/600 = 1/3
    s = numpy_signatures(fam, [" ".join(base), " ".join(other), " ".join(rng.sample(base, 400))])
    assert abs(jaccard_estimate(s[0], s[1]) - 1 / 3) < 0.08
    assert jaccard_estimate(s[0], s[2]) == 1.0  # same set of 1-grams


def test_backend_resolution():
    assert resolve_backend("cpu") == "cpu"
    assert resolve_backend("auto") in ("cpu", "gpu")
    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except ImportError:
        has_gpu = False
    if not has_gpu:
        with pytest.raises(RuntimeError, match="no CUDA"):
            resolve_backend("gpu")


DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.skipif(not (DATA / "lid").is_dir(), reason="shared data absent")
def test_numpy_and_torch_agree_on_real_text_signatures_and_clusters():
    """Both backends on real sentences of every language and script in the shared data, with copies
    to make clusters: the same bits, hence the same clusters (what benchmarks/gpu_minhash.py checks
    on a GPU)."""
    pytest.importorskip("torch")
    from kazcorpus.pipeline.dedup import DedupConfig, cluster_labels
    from kazcorpus.pipeline.textnorm import normalize_batch

    rng = random.Random(4)
    texts, modes = [], []
    for f in sorted((DATA / "lid").glob("*.txt")):
        lines = [ln for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
        for _ in range(12):
            base = "\n".join(rng.sample(lines, 12))
            words_ = base.split(" ")
            for i in rng.sample(range(len(words_)), max(1, len(words_) // 25)):
                words_[i] = rng.choice(words_)
            texts += [base, " ".join(words_)]
            modes += [f.name.startswith("kk")] * 2
    norms = normalize_batch(texts, modes)
    cfg = DedupConfig()
    fam = HashFamily(ngram=cfg.ngram, num_perm=cfg.num_perm, seed=cfg.seed)
    cpu = numpy_signatures(fam, norms)
    tch = torch_signatures(fam, norms, device="cpu")
    assert cpu.shape == (len(texts), cfg.num_perm)
    assert (cpu == tch).all()
    hasher = MinHasher(ngram=cfg.ngram, bands=cfg.bands, rows=cfg.rows, seed=cfg.seed)
    a = cluster_labels(cpu, hasher, min_similarity=cfg.min_similarity)
    b = cluster_labels(tch, hasher, min_similarity=cfg.min_similarity)
    assert a == b
    # The check has teeth: there are clusters, and a changed signature changes them.
    assert sum(x != f"{i:012d}" for i, x in enumerate(a)) >= len(texts) // 4
    tch[1] = ~tch[1]
    assert cluster_labels(tch, hasher, min_similarity=cfg.min_similarity) != a
