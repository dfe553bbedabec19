"""Text cleaning right after extraction: mojibake repair and removal of boilerplate lines.

Runs before language ID and the quality rules, so that they measure the text a reader would see:
a page whose UTF-8 was decoded as Windows-1251 ("Р’СЃРµ РїСЂР°РІР°") is not Kazakh or Russian to
a language identifier, and a cookie banner or "Барлық құқықтар қорғалған" footer skews every
repetition and punctuation ratio.

* Mojibake is repaired with ftfy (the well-kept library for it), configured to change encoding
  errors only: no quote uncurling or width folding, which would rewrite correct text.
* Boilerplate lines are removed by pattern, one document at a time, from the regular expressions in
  `lexicons/boilerplate_lines.txt` (a data file a linguist can extend).  Only short lines are
  candidates: a paragraph that quotes "все права защищены" inside a real sentence stays.
  Boilerplate found by repetition across the pages of one site is `pipeline/boilerplate.py`'s job.

The counts go to `doc.annotations["clean"]`; a document with nothing left is dropped as
`only_boilerplate`.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc


class CleanConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(True, description="run this stage")
    fix_mojibake: bool = Field(True, description="repair mis-decoded text with ftfy")
    normalization: str | None = Field("NFC", description="Unicode normal form applied by ftfy (null = none)")
    remove_boilerplate: bool = Field(True, description="remove lines matching boilerplate patterns")
    patterns: list[str] | str = Field(
        "boilerplate_lines.txt",
        description="boilerplate line regexes (case-insensitive): a list, or a file (bundled name or path)",
    )
    extra_patterns: list[str] = Field(default_factory=list, description="more regexes, added to `patterns`")
    max_line_chars: int = Field(200, ge=1, description="only lines up to this length can be boilerplate")
    keep_examples: int = Field(5, ge=0, description="removed lines kept in the annotation, for review")


def config_keys() -> dict[str, str]:
    """Recipe keys of the `clean` section with what each one means."""
    return {f"clean.{k}": (f.description or "") for k, f in CleanConfig.model_fields.items()}


REASONS = ("only_boilerplate",)


def compile_patterns(config: CleanConfig) -> list[re.Pattern[str]]:
    from kazcorpus.filters.lexicon import read_lexicon

    raw = read_lexicon(config.patterns) if isinstance(config.patterns, str) else list(config.patterns)
    raw += config.extra_patterns
    compiled = []
    for p in raw:
        try:
            compiled.append(re.compile(p, re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"clean.patterns: bad regular expression {p!r}: {exc}") from None
    return compiled


class CleanOperator(BaseOperator):
    stage = "clean"

    def __init__(self, *, config: CleanConfig | None = None):
        self.config = config or CleanConfig()

    def setup(self) -> None:
        import ftfy

        self._patterns = compile_patterns(self.config)
        # One alternation answers "is this line boilerplate?" in a single scan; the individual
        # patterns are only consulted for lines already known to match.
        self._any = re.compile("|".join(f"(?:{p.pattern})" for p in self._patterns), re.IGNORECASE) if self._patterns else None
        self._ftfy_config = ftfy.TextFixerConfig(
            uncurl_quotes=False,
            fix_character_width=False,
            fix_latin_ligatures=False,
            unescape_html=False,
            normalization=self.config.normalization,
            explain=True,
        )
        self._ready = True

    def fix_mojibake(self, text: str) -> tuple[str, list[str]]:
        import ftfy

        fixed, steps = ftfy.fix_and_explain(text, self._ftfy_config)
        return fixed, [f"{action} {arg}" for action, arg in (steps or [])]

    def annotate(self, doc: Doc) -> None:
        self.ensure_setup()
        result: dict[str, Any] = {"removed_lines": 0, "removed_chars": 0, "mojibake_fixed": False}
        text = doc.text
        if self.config.fix_mojibake and text:
            fixed, steps = self.fix_mojibake(text)
            if fixed != text:
                result["mojibake_fixed"] = any(s.startswith(("encode", "decode")) for s in steps)
                result["ftfy"] = steps
                text = fixed
        if self.config.remove_boilerplate and self._any is not None:
            text, removed = self.remove_boilerplate(text)
            result["removed_lines"] = len(removed)
            result["removed_chars"] = sum(len(line) for line in removed)
            if removed and self.config.keep_examples:
                result["examples"] = [line.strip()[:120] for line in removed[: self.config.keep_examples]]
        doc.text = text
        doc.annotations[self.stage] = result

    def remove_boilerplate(self, text: str) -> tuple[str, list[str]]:
        kept: list[str] = []
        removed: list[str] = []
        limit = self.config.max_line_chars
        for line in text.split("\n"):
            stripped = line.strip()
            if stripped and len(stripped) <= limit and self._any.search(stripped):
                removed.append(line)
                continue
            kept.append(line)
        if not removed:
            return text, removed
        cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
        return cleaned, removed

    def decide(self, doc: Doc) -> str | None:
        ann = doc.annotations.get(self.stage) or {}
        if ann.get("removed_lines") and not doc.text.strip():
            return "only_boilerplate"
        return None
