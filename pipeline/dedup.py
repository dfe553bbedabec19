"""Deduplication stages over many documents: exact (hash of normalised text) and near (MinHash LSH).

Documents are grouped by a key in the Beam graph; in each group one representative is kept by a
deterministic rule (`representative_order`) and the others are rejected with the representative's id,
so the result does not depend on the runner or on how work was split.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

import xxhash
from kazcorpus.pipeline.record import Doc
from pydantic import BaseModel, ConfigDict, Field


class BoilerplateConfig(BaseModel):
    """Lines that recur across many pages of one host (menus, footers, banners) are removed."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    min_docs: int = Field(3, ge=2)  # a line must recur on at least this many pages of the host
    min_share: float = Field(0.3, gt=0.0, le=1.0)  # ... and on at least this share of them


class DedupConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    exact: bool = True
    exact_url: bool = False  # also drop a second document with the same normalised URL
    minhash: bool = True
    backend: Literal["cpu", "gpu", "auto"] = "cpu"
    ngram: int = Field(3, ge=1, le=16)
    bands: int = Field(20, ge=1)
    rows: int = Field(5, ge=1)
    seed: int = 1
    against: list[str] = Field(default_factory=list)  # earlier output folders (incremental dedup)
    boilerplate: BoilerplateConfig = BoilerplateConfig()

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows


_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    """Text as dedup compares it (placeholder; the dedup issue makes it script-aware)."""
    text = unicodedata.normalize("NFC", text).lower()
    return " ".join(_PUNCT.sub(" ", text).split())


def exact_key(doc: Doc) -> str:
    return xxhash.xxh3_128_hexdigest(normalize(doc.text).encode())


def representative_order(doc: Doc) -> tuple:
    """Sort key: the first document of a duplicate group is kept.

    Highest quality first (fewest quality flags is not known yet, so the longer text), then the
    oldest record, then the id, which makes the choice total and runner-independent.
    """
    return (-len(doc.text), doc.provenance.date or "9999", doc.id)


class NearDedup:
    """Near-duplicate removal with MinHash LSH (placeholder: passes documents through)."""

    def __new__(cls, config: DedupConfig, *, out_dir: str, work_dir: str):
        import apache_beam as beam

        return beam.Map(lambda d: d)
