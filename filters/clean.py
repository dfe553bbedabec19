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
import unicodedata
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


class MojibakeCheck:
    """Says, exactly and cheaply, whether ftfy (as this stage configures it) would leave a text as it is.

    ftfy's own first step is `ftfy.badness.is_bad`, a large regex tried at every position of the
    text; it costs most of ftfy's time and on most documents finds nothing.  Each of its rules needs
    at least one character of a few hundred (accented Latin letters, C1 controls, box drawing,
    currency, quotes...; `triggers` below); Cyrillic and Greek letters only matter next to one of
    those.  So the same regex is run only on short windows around the trigger characters a text
    has, a window as wide as the longest match the regex can make: the answer is is_bad's, and a
    Kazakh or Russian page with a few quotes and dashes costs a few window searches instead of a
    scan of every position.  Other fixers this stage enables act on characters found by one
    character-class scan (control characters, C1 controls, surrogates, the line breaks \\r, U+0085,
    U+2028, U+2029), and Unicode normalization is checked with `unicodedata.is_normalized`.
    Everything is built from ftfy's own tables at set-up, so it follows ftfy's data."""

    def __init__(self, normalization: str | None):
        from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES
        from ftfy.chardata import CONTROL_CHARS

        self.normalization = normalization
        self.badness = BADNESS_RE
        width = _max_match_width(BADNESS_RE)
        self.width = width  # None: unbounded, windows cannot be used; fall back to is_bad
        in_categories = re.compile("[" + "".join(MOJIBAKE_CATEGORIES.values()) + "]")
        chars = {chr(cp) for cp in range(0x80, 0x10000) if in_categories.match(chr(cp))}
        chars |= {ch for ch in BADNESS_RE.pattern if ord(ch) > 0x7F}
        # Cyrillic and Greek letters (ftfy's "common" letter categories and the ones its rules name)
        # are everyday text here; the rules that use them also need a trigger character, except
        # "вЂ" and "ГўВЂВ" (Windows-1251 mojibake of U+2000-range punctuation), whose "Ђ" stays a
        # trigger.  Letters that ftfy also lists as accented ("Ґ", "ґ") stay triggers too.
        letters = re.compile("[" + MOJIBAKE_CATEGORIES["upper_common"] + MOJIBAKE_CATEGORIES["lower_common"] + "]")
        others = re.compile(
            "[" + "".join(v for k, v in MOJIBAKE_CATEGORIES.items() if k not in ("upper_common", "lower_common")) + "]"
        )
        everyday = {
            ch
            for ch in chars
            if not others.match(ch)
            and (letters.match(ch) or unicodedata.name(ch, "").startswith(("CYRILLIC", "GREEK")))
        }
        triggers = (chars - everyday) | {"Ђ"}
        self.triggers = re.compile("[" + "".join(re.escape(ch) for ch in sorted(triggers)) + "]")
        fixed_chars = {chr(c) for c in CONTROL_CHARS} | {"\r", "\x85", "\u2028", "\u2029"}
        self.other_fixers = re.compile(
            "[" + "".join(re.escape(ch) for ch in sorted(fixed_chars)) + "\ud800-\udfff\x80-\x9f]"
        )

    def is_bad(self, text: str) -> bool:
        """`ftfy.badness.is_bad(text)`, searching only around trigger characters."""
        if self.width is None:
            return self.badness.search(text) is not None
        w, n = self.width, len(text)
        search = self.badness.search
        start = end = -1
        for m in self.triggers.finditer(text):
            i = m.start()
            # A match that contains position i lies in [i - w + 1, i + w); `pos` keeps the meaning
            # of "^" (the real start of the text), `endpos` only cuts what no such match needs.
            lo, hi = max(0, i - w + 1), min(n, i + w)
            if lo <= end:
                end = hi
                continue
            if end >= 0 and search(text, start, end):
                return True
            start, end = lo, hi
        return end >= 0 and search(text, start, end) is not None

    def needs_ftfy(self, text: str) -> bool:
        """False only when ftfy would return `text` unchanged."""
        if self.normalization is not None and not unicodedata.is_normalized(self.normalization, text):
            return True
        if self.other_fixers.search(text):
            return True
        return not text.isascii() and self.is_bad(text)


class LineMatcher:
    """Answers "does any boilerplate pattern match this line?" in two calls instead of one per pattern.

    The patterns are merged into two alternations: those anchored at the start of the line ("^...",
    most of the menu and share-button rules) are tried with `match`, once at position 0, and the
    rest with `search`.  One alternation of all of them would try every anchored branch at every
    position of the line, which was most of this stage's cost after ftfy.  A pattern counts as
    anchored only when the regex parser shows it starts with "^" outside any alternation and without
    MULTILINE; the verdict is the same as `any(p.search(line) for p in patterns)`."""

    def __init__(self, patterns: list[re.Pattern[str]]):
        anchored = [p for p in patterns if _anchored_at_start(p)]
        floating = [p for p in patterns if not _anchored_at_start(p)]
        self._anchored = _alternation(anchored)
        self._floating = _alternation(floating)

    def search(self, line: str) -> bool:
        return any(
            (pattern.match if anchored else pattern.search)(line)
            for anchored, group in ((True, self._anchored), (False, self._floating))
            for pattern in group
        )


def _alternation(patterns: list[re.Pattern[str]]) -> list[re.Pattern[str]]:
    """One regex for the lot, or the patterns themselves when they cannot be merged (a pattern with
    its own global flags, such as "(?s)...", may only stand at the start of a regex)."""
    if not patterns:
        return []
    try:
        return [re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE)]
    except re.error:
        return patterns


def _anchored_at_start(pattern: re.Pattern[str]) -> bool:
    try:
        from re import _parser as sre_parse  # Python >= 3.11
    except ImportError:  # pragma: no cover - older Pythons
        import sre_parse  # type: ignore[no-redef]
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - unknown parser: treat as unanchored, which is always correct
        return False
    if pattern.flags & re.MULTILINE or parsed.state.flags & re.MULTILINE:
        return False
    return bool(parsed.data) and parsed.data[0] == (sre_parse.AT, sre_parse.AT_BEGINNING)


def _max_match_width(pattern: re.Pattern[str]) -> int | None:
    """The longest text a regex can match, or None when unbounded (from the regex parser)."""
    try:
        from re import _parser as sre_parse  # Python >= 3.11
    except ImportError:  # pragma: no cover - older Pythons
        import sre_parse  # type: ignore[no-redef]
    try:
        _, hi = sre_parse.parse(pattern.pattern, pattern.flags).getwidth()
    except Exception:  # noqa: BLE001 - a parser change must only cost speed, never correctness
        return None
    return hi if hi < 1000 else None


class CleanOperator(BaseOperator):
    stage = "clean"

    def __init__(self, *, config: CleanConfig | None = None):
        self.config = config or CleanConfig()

    def setup(self) -> None:
        import ftfy

        self._mojibake = MojibakeCheck(self.config.normalization)
        self._patterns = compile_patterns(self.config)
        self._any = LineMatcher(self._patterns) if self._patterns else None
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

        if not self._mojibake.needs_ftfy(text):  # most documents: skip ftfy's cost
            return text, []
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
