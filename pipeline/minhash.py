"""MinHash signatures of normalised text, on CPU (NumPy) or GPU (PyTorch), bit for bit the same.

One hash family, defined once in `HashFamily` from the recipe's `ngram`, `bands x rows` and `seed`:

* a word is hashed from its UTF-8 bytes with a polynomial over 2^64 (one multiplier) followed by the
  murmur3 64-bit finaliser;
* a shingle (``ngram`` consecutive words) is the finaliser of a weighted sum of its word hashes, one
  odd weight per position (so word order counts);
* permutation ``p`` of a shingle hash ``g`` is ``((a_p * g + b_p) mod 2^64) >> 32``, a
  multiply-add-shift hash (Dietzfelbinger) that is cheap on every vector unit; the signature keeps
  the minimum over the document's shingles, as 32-bit unsigned integers.

Every step is integer arithmetic modulo 2^64 (wrapping multiply and add, shifts, xor, min), which
NumPy's uint64 and PyTorch's int64 perform identically on CPU and CUDA; that is what makes the two
backends bit-identical (the test compares them on CPU torch, `benchmarks/gpu_minhash.py` on a GPU).
The constants come from a splitmix64 stream of the seed, in pure Python, so they never depend on
a NumPy or PyTorch random generator version.

Both backends work on a batch of documents at once: the batch is one byte buffer, and word
boundaries, word hashes, shingles and the per-document minimum are all array operations (segment
sums and segment minima), never a Python loop per word or per shingle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

MASK64 = (1 << 64) - 1
EMPTY = 0xFFFFFFFF  # signature value of a document without a single word
SPACE = 0x20
# Shingles handled at once by the NumPy backend, one permutation after another: a chunk of 64k
# uint64 stays in the CPU cache while the permutations run over it (measured 2-3x faster than
# the shingles x permutations matrix, whose rows NumPy reduces slowly along axis 0).
CHUNK_ROWS = 65536

_FMIX1 = 0xFF51AFD7ED558CCD
_FMIX2 = 0xC4CEB9FE1A85EC53


def _splitmix64(seed: int):
    state = seed & MASK64
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        yield z ^ (z >> 31)


@dataclass(frozen=True)
class HashFamily:
    """The hash functions of one recipe: the same for every backend, every worker, every run."""

    ngram: int
    num_perm: int
    seed: int

    @cached_property
    def _constants(self) -> tuple[int, tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        stream = _splitmix64(self.seed)
        word_mult = next(stream) | 1
        gram_mults = tuple(next(stream) | 1 for _ in range(self.ngram))
        perm_a = tuple(next(stream) | 1 for _ in range(self.num_perm))
        perm_b = tuple(next(stream) for _ in range(self.num_perm))
        return word_mult, gram_mults, perm_a, perm_b

    @property
    def word_mult(self) -> int:
        return self._constants[0]

    @property
    def gram_mults(self) -> tuple[int, ...]:
        return self._constants[1]

    @property
    def perm_a(self) -> tuple[int, ...]:
        return self._constants[2]

    @property
    def perm_b(self) -> tuple[int, ...]:
        return self._constants[3]

    def powers(self, n: int) -> list[int]:
        """word_mult ** 0 .. n-1 modulo 2^64 (the polynomial weights of a word's bytes)."""
        out, x = [], 1
        for _ in range(max(n, 1)):
            out.append(x)
            x = (x * self.word_mult) & MASK64
        return out

    # A scalar reference of the whole family, used by the tests as the definition the vectorised
    # backends must match (slow: one Python operation per byte).
    def reference_signature(self, text: str) -> list[int]:
        words = text.split()
        if not words:
            return [EMPTY] * self.num_perm
        whash = []
        for w in words:
            s = 0
            units = np.frombuffer(w.encode("utf-16-le"), dtype=np.uint16).tolist()
            for pos, u in enumerate(units):
                s = (s + u * pow(self.word_mult, pos, 1 << 64)) & MASK64
            whash.append(_fmix64_int(s))
        n = self.ngram
        starts = range(max(len(words) - n + 1, 1))
        sig = [EMPTY] * self.num_perm
        for i in starts:
            g = 0
            for k in range(n):
                if i + k < len(words):
                    g = (g + whash[i + k] * self.gram_mults[k]) & MASK64
            g = _fmix64_int(g)
            for p in range(self.num_perm):
                h = ((self.perm_a[p] * g + self.perm_b[p]) & MASK64) >> 32
                sig[p] = min(sig[p], h)
        return sig


def _fmix64_int(x: int) -> int:
    x ^= x >> 33
    x = (x * _FMIX1) & MASK64
    x ^= x >> 33
    x = (x * _FMIX2) & MASK64
    return x ^ (x >> 33)


def _signed(x: int) -> int:
    """A 64-bit unsigned constant as the int64 with the same bits (for PyTorch tensors)."""
    return x - (1 << 64) if x >= 1 << 63 else x


def _pack(texts: Sequence[str]) -> tuple[bytes, np.ndarray]:
    """One UTF-16 buffer of the batch (words separated by single spaces, a space after each
    document) and the number of words of each document.

    UTF-16 code units rather than UTF-8 bytes: Kazakh and Russian letters are one unit instead of
    two, which halves the per-character array work.  Text that is not in normalised form
    (single spaces, none at the ends) is brought to it first.
    """
    clean = [t if t.strip() == t and "  " not in t else " ".join(t.split()) for t in texts]
    counts = np.fromiter((t.count(" ") + 1 if t else 0 for t in clean), dtype=np.int64, count=len(clean))
    return (" ".join(clean) + " ").encode("utf-16-le"), counts


# ------------------------------------------------------------------------------------------ NumPy


def _np_fmix64(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(33))
    x *= np.uint64(_FMIX1)
    x ^= x >> np.uint64(33)
    x *= np.uint64(_FMIX2)
    x ^= x >> np.uint64(33)
    return x


def _np_shingles(fam: HashFamily, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of a batch (uint64) and the batch index of each shingle's document (sorted)."""
    buf, counts = _pack(texts)
    units = np.frombuffer(buf, dtype=np.uint16)
    if not counts.any():
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    # Position of each code unit in its word (1-based; 0 on spaces) from the last space before it.
    idx = np.arange(units.size, dtype=np.int32)
    last_space = np.where(units == SPACE, idx, -1)
    np.maximum.accumulate(last_space, out=last_space)
    pos = idx - last_space
    del idx, last_space
    # powers[0] = 0 gives spaces no weight; powers[k] = word_mult ** (k - 1).
    powers = np.array([0, *fam.powers(int(pos.max()))], dtype=np.uint64)
    terms = powers[pos]
    terms *= units
    word_first = np.flatnonzero(pos == 1)
    words = _np_fmix64(np.add.reduceat(terms, word_first))
    del terms, pos
    word_doc = np.repeat(np.arange(len(counts)), counts)
    n_words = words.size

    # Word index range of every document that has words.
    has = counts > 0
    seg_first = (np.cumsum(counts) - counts)[has]
    seg_len = counts[has]
    last = np.repeat(seg_first + seg_len - 1, seg_len)  # last word of each word's document
    doc_first = np.zeros(n_words, dtype=bool)
    doc_first[seg_first] = True

    n = fam.ngram
    widx = np.arange(n_words, dtype=np.int64)
    g = np.zeros(n_words, dtype=np.uint64)
    for k in range(n):
        j = widx + k
        inside = j <= last
        g += np.where(inside, words[np.minimum(j, last)], np.uint64(0)) * np.uint64(fam.gram_mults[k])
    # A shingle starts at every word with n-1 words after it in its document, and a document
    # shorter than n words has one shingle of all its words.
    short = np.repeat(seg_len < n, seg_len)
    valid = (widx + n - 1 <= last) | (short & doc_first)
    return _np_fmix64(g[valid]), word_doc[valid]


def numpy_signatures(fam: HashFamily, texts: Sequence[str]) -> np.ndarray:
    """Signatures (len(texts) x num_perm, uint32) of normalised texts, with NumPy."""
    out = np.full((len(texts), fam.num_perm), EMPTY, dtype=np.uint32)
    shingles, doc = _np_shingles(fam, texts)
    if shingles.size == 0:
        return out
    a = np.array(fam.perm_a, dtype=np.uint64)
    b = np.array(fam.perm_b, dtype=np.uint64)
    shift = np.uint64(32)
    # Chunks end on document boundaries so each document's minimum is taken in one piece.
    change = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    start = 0
    while start < len(change):
        lo = change[start]
        stop = max(int(np.searchsorted(change, lo + CHUNK_ROWS, side="right")) - 1, start + 1)
        hi = change[stop] if stop < len(change) else shingles.size
        x = shingles[lo:hi]
        seg = change[start:stop] - lo
        h = np.empty_like(x)
        block = np.empty((fam.num_perm, len(seg)), dtype=np.uint64)
        for p in range(fam.num_perm):
            np.multiply(x, a[p], out=h)
            h += b[p]
            h >>= shift
            np.minimum.reduceat(h, seg, out=block[p])
        out[doc[change[start:stop]]] = block.T
        start = stop
    return out


# ---------------------------------------------------------------------------------------- PyTorch


def _torch_fmix64(x):
    # int64 right shifts are arithmetic in PyTorch: mask the sign-extended bits off.
    x = x ^ ((x >> 33) & ((1 << 31) - 1))
    x = x * _signed(_FMIX1)
    x = x ^ ((x >> 33) & ((1 << 31) - 1))
    x = x * _signed(_FMIX2)
    return x ^ ((x >> 33) & ((1 << 31) - 1))


def torch_signatures(fam: HashFamily, texts: Sequence[str], device=None) -> np.ndarray:
    """Signatures of normalised texts with PyTorch (any device); the same bits as NumPy's."""
    import torch

    out_rows = len(texts)
    buf, counts_np = _pack(texts)
    if not counts_np.any():
        return np.full((out_rows, fam.num_perm), EMPTY, dtype=np.uint32)
    units = torch.from_numpy(np.frombuffer(buf, dtype=np.uint16).astype(np.int64)).to(device)
    counts = torch.from_numpy(counts_np).to(device)
    idx = torch.arange(units.numel(), device=device)
    last_space = torch.where(units == SPACE, idx, torch.full_like(idx, -1))
    last_space = torch.cummax(last_space, 0).values
    pos = idx - last_space
    powers = torch.tensor([0, *(_signed(x) for x in fam.powers(int(pos.max())))], dtype=torch.int64,
                          device=device)
    terms = powers[pos] * units
    word_first = torch.nonzero(pos == 1).flatten()
    word_id = torch.cumsum((pos == 1).to(torch.int64), 0) - 1
    # Spaces before the first word (none in packed text) would get index -1: clamp, weight is 0.
    word_id = word_id.clamp_min(0)
    n_words = word_first.numel()
    words = torch.zeros(n_words, dtype=torch.int64, device=device).index_add_(0, word_id, terms)
    words = _torch_fmix64(words)
    word_doc = torch.repeat_interleave(torch.arange(out_rows, device=device), counts)

    has = counts > 0
    seg_first = (torch.cumsum(counts, 0) - counts)[has]
    seg_len = counts[has]
    last = torch.repeat_interleave(seg_first + seg_len - 1, seg_len)
    doc_change = torch.zeros(n_words, dtype=torch.bool, device=device)
    doc_change[seg_first] = True
    seg_len = torch.repeat_interleave(seg_len, seg_len)

    n = fam.ngram
    idx = torch.arange(n_words, device=device)
    g = torch.zeros(n_words, dtype=torch.int64, device=device)
    for k in range(n):
        j = idx + k
        inside = j <= last
        term = torch.where(inside, words[torch.minimum(j, last)], torch.zeros_like(g))
        g = g + term * _signed(fam.gram_mults[k])
    valid = (idx + n - 1 <= last) | ((seg_len < n) & doc_change)
    shingles = _torch_fmix64(g[valid])
    doc = word_doc[valid]

    a = torch.tensor([_signed(x) for x in fam.perm_a], dtype=torch.int64, device=device)[None, :]
    b = torch.tensor([_signed(x) for x in fam.perm_b], dtype=torch.int64, device=device)[None, :]
    out = torch.full((out_rows, fam.num_perm), EMPTY, dtype=torch.int64, device=device)
    rows = CHUNK_ROWS * 16 if (device is not None and str(device).startswith("cuda")) else CHUNK_ROWS
    for lo in range(0, shingles.numel(), rows):
        h = shingles[lo:lo + rows, None] * a + b
        h = (h >> 32) & 0xFFFFFFFF
        d = doc[lo:lo + rows, None].expand_as(h)
        out.scatter_reduce_(0, d, h, reduce="amin", include_self=True)
    return out.cpu().numpy().astype(np.uint32)


# ---------------------------------------------------------------------------------------- choice


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(backend: str) -> str:
    """"cpu" or "gpu" for a recipe's `backend` ("auto": the GPU when PyTorch sees one)."""
    if backend == "cpu":
        return "cpu"
    has_gpu = False
    if torch_available():
        import torch

        has_gpu = torch.cuda.is_available()
    if backend == "gpu" and not has_gpu:
        raise RuntimeError(
            "dedup.backend is 'gpu' but PyTorch sees no CUDA device (or PyTorch is not installed: "
            "pip install torch); use backend: cpu or auto"
        )
    return "gpu" if has_gpu else "cpu"


class MinHasher:
    """Signatures and LSH band keys of normalised texts with one hash family and one backend."""

    def __init__(self, *, ngram: int, bands: int, rows: int, seed: int, backend: str = "cpu"):
        self.family = HashFamily(ngram=ngram, num_perm=bands * rows, seed=seed)
        self.bands = bands
        self.rows = rows
        self.backend = backend if backend == "torch-cpu" else resolve_backend(backend)

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        if self.backend == "gpu":
            return torch_signatures(self.family, texts, device="cuda")
        if self.backend == "torch-cpu":  # for tests and benchmarks: the GPU code path on CPU
            return torch_signatures(self.family, texts, device="cpu")
        return numpy_signatures(self.family, texts)

    def band_keys(self, signature: np.ndarray) -> list[bytes]:
        """LSH keys of one signature: band number (2 bytes) + the band's rows (4 bytes each).

        The rows themselves are the key (no further hash), so two documents share a key exactly
        when they agree on every row of the band.  A document without words has no keys.
        """
        if (signature == EMPTY).all():
            return []
        rows = signature.astype(">u4").reshape(self.bands, self.rows)
        return [b.to_bytes(2, "big") + rows[b].tobytes() for b in range(self.bands)]


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float((a == b).mean())


def sketch(signature: np.ndarray) -> bytes:
    """The lowest byte of every signature value (b-bit MinHash, b = 8): 1 byte per permutation,
    enough to tell a near-duplicate from a chance LSH collision without the whole signature."""
    return (signature & 0xFF).astype(np.uint8).tobytes()


def sketch_similarity(a: bytes, b: bytes) -> float:
    """Jaccard estimate from two sketches: matches minus the 1/256 chance agreement of a byte."""
    x = np.frombuffer(a, dtype=np.uint8)
    y = np.frombuffer(b, dtype=np.uint8)
    match = float((x == y).mean())
    return max(0.0, (match - 1 / 256) / (1 - 1 / 256))
