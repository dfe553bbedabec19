"""Text cleaning before measurement: mojibake repair and boilerplate lines (placeholder)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc


class CleanConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True


class CleanOperator(BaseOperator):
    stage = "clean"

    def __init__(self, *, config: CleanConfig | None = None):
        self.config = config or CleanConfig()

    def annotate(self, doc: Doc) -> None:
        doc.annotations[self.stage] = {"removed_lines": 0}
