"""Toxicity filtering (placeholder until the filters issue lands)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc


class ToxicityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True


class ToxicityOperator(BaseOperator):
    stage = "toxicity"

    def __init__(self, *, config: ToxicityConfig | None = None):
        self.config = config or ToxicityConfig()

    def annotate(self, doc: Doc) -> None:
        doc.annotations[self.stage] = {"toxic_words": 0}
