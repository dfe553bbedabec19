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

import array
import functools
import re
import sys
import unicodedata
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc

try:  # the regex parser and compiler, read to tell what a pattern can match
    from re import _compiler as sre_compile  # Python >= 3.11
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_compile  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]


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
    scan of every position.  Most triggers (ü, é, ł, ’, –) only count next to a second one, so a
    window is searched only around a trigger that can make a match alone or that has another
    trigger close enough to share a match with it (`_lone_triggers` reads which from the regex):
    a German or Polish page with hundreds of accented letters then costs a few windows too.
    Other fixers this stage enables act on characters found by one character-class scan (control
    characters, C1 controls, surrogates, the line breaks \\r, U+0085, U+2028, U+2029), and
    Unicode normalization is checked with `unicodedata.is_normalized`.
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
        self.triggers = re.compile(_char_class(triggers))
        # Which triggers need a window: every match holds a trigger (checked here, not assumed: if
        # the regex could match without one, windows could miss it and the whole text is searched),
        # and a match either holds only one, which must be one of `lone`, or two at most
        # width - 1 apart.  So a window is needed around a trigger of `lone` and around a trigger
        # followed by another within width - 1; the first trigger of any match is one of these,
        # and its window holds the whole match.
        analysis = _lone_triggers(BADNESS_RE, frozenset(triggers)) if width is not None else None
        if analysis is None or analysis[0]:
            self.width = None
            self.candidates = self.triggers
        else:
            lone = analysis[1]
            conditions = [f"(?<={_char_class(lone)})"] if lone else []
            if width >= 2:
                conditions.append(f"(?=[\\s\\S]{{0,{width - 2}}}{_char_class(triggers)})")
            self.candidates = re.compile(f"{_char_class(triggers)}(?:{'|'.join(conditions or ['(?!)'])})")
        fixed_chars = {chr(c) for c in CONTROL_CHARS} | {"\r", "\x85", "\u2028", "\u2029"}
        self.other_fixers = re.compile(
            "[" + "".join(re.escape(ch) for ch in sorted(fixed_chars)) + "\ud800-\udfff\x80-\x9f]"
        )

    def is_bad(self, text: str) -> bool:
        """`ftfy.badness.is_bad(text)`, searching only around the triggers that need it."""
        if self.width is None:
            return self.badness.search(text) is not None
        w, n = self.width, len(text)
        search = self.badness.search
        start = end = -1
        for m in self.candidates.finditer(text):
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
        return not self._normalized(text) or self._needs_other_fixes(text)

    def _normalized(self, text: str) -> bool:
        return self.normalization is None or unicodedata.is_normalized(self.normalization, text)

    def _needs_other_fixes(self, text: str) -> bool:
        """Whether a fixer other than Unicode normalization would change `text`."""
        return self.other_fixers.search(text) is not None or (not text.isascii() and self.is_bad(text))

    def normalized_only(self, text: str) -> str | None:
        """ftfy's result when Unicode normalization is all it would change in `text`, else None.

        ftfy repeats its fixes until the text stops changing.  On a text that is not normalized but
        has no mojibake and none of the other fixers' characters, the first round changes nothing
        but the normalization (its encoding fixer leaves text that is not `is_bad` as it is); when
        the normalized text needs nothing either (`needs_ftfy`), the second round changes nothing
        and ftfy returns it, with the normalization as its one step.  Pages whose decomposed
        accents are their only flaw then cost one `unicodedata.normalize`, not a run of ftfy."""
        if self._normalized(text) or self._needs_other_fixes(text):
            return None
        fixed = unicodedata.normalize(self.normalization, text)
        return None if self.needs_ftfy(fixed) else fixed


class LineMatcher:
    """Answers "does any boilerplate pattern match this line?" in two calls instead of one per pattern.

    The patterns are merged into two alternations: those anchored at the start of the line ("^...",
    most of the menu and share-button rules) are tried with `match`, once at position 0, and the
    rest with `search`.  One alternation of all of them would try every anchored branch at every
    position of the line, which was most of this stage's cost after ftfy.  A pattern counts as
    anchored only when the regex parser shows it starts with "^" outside any alternation and without
    MULTILINE; the verdict is the same as `any(p.search(line) for p in patterns)`.

    The unanchored ones ("все права защищены", "cookie") are tried at every position of a line and
    match on few pages, so `floating_possible` first asks the whole text whether any line could
    match them (`_RequiredWords`); when not, `matching(lines, floating=False)` leaves them out."""

    def __init__(self, patterns: list[re.Pattern[str]]):
        anchored = [p for p in patterns if _anchored_at_start(p)]
        floating = [p for p in patterns if not _anchored_at_start(p)]
        self._anchored = _alternation(anchored)
        self._floating = _alternation(floating)
        self._floating_words = _RequiredWords(floating)

    def search(self, line: str) -> bool:
        return bool(self.matching((line,)))

    def matching(self, lines: Iterable[str], floating: bool = True) -> set[str]:
        """The lines that `search` answers True for (`floating`: try the unanchored patterns)."""
        tests = [p.match for p in self._anchored] + ([p.search for p in self._floating] if floating else [])
        found = set()
        for line in lines:
            for test in tests:
                if test(line):
                    found.add(line)
                    break
        return found

    def floating_possible(self, text: str) -> bool:
        """False only when no line of `text` (nor any part of one) matches an unanchored pattern."""
        return bool(self._floating) and self._floating_words.may_match(text)


class _RequiredWords:
    """Tells from one pass over a whole text that none of some patterns can match anywhere in it.

    Every match of a pattern holds one of a few strings of its literal characters (`_required_literals`:
    "cookie" or "куки" for "\\b(cookies?|куки)\\b"), so a text without any of them, in any case,
    has no match in any of its lines.  Case is compared by `str.casefold` of the whole text and the
    strings, one `in` each; where a character matches a literal one under re.IGNORECASE without
    folding to the same (Turkish ı and İ for i), the text has it replaced first, or, when no one
    replacement is right, the patterns are tried line by line as without this check."""

    def __init__(self, patterns: list[re.Pattern[str]]):
        words: set[str] = set()
        for pattern in patterns:
            found = _required_literals(pattern)
            if found is None:
                self.words = None  # a pattern with no literal it must match: nothing to look for
                return
            words |= found
        replace: dict[str, str] = {}
        unsure: set[str] = set()
        for ch, literals in _case_partners(frozenset("".join(words))).items():
            folds = {lit.casefold() for lit in literals}
            if folds == {ch.casefold()}:
                continue
            fold = folds.pop() if len(folds) == 1 else None
            if fold is not None and fold.casefold() == fold:
                replace[ch] = fold
            else:
                unsure.add(ch)
        self.words = tuple(sorted({w.casefold() for w in words}))
        self.replace = replace
        self.unsure = frozenset(unsure)
        self.odd = re.compile(_char_class(set(replace) | unsure)) if replace or unsure else None

    def may_match(self, text: str) -> bool:
        if self.words is None:
            return True
        if self.odd is not None and self.odd.search(text):
            for ch in set(self.odd.findall(text)):
                if ch in self.unsure:
                    return True
                text = text.replace(ch, self.replace[ch])
        folded = text.casefold()
        return any(word in folded for word in self.words)


@functools.lru_cache(maxsize=8)
def _case_partners(chars: frozenset[str]) -> dict[str, set[str]]:
    """Every character that matches one of `chars` under re.IGNORECASE, with those it matches: found
    by the regex engine itself over all of Unicode (one scan, some 30 ms), not by a case table of
    our own that could disagree with it."""
    if not chars:
        return {}
    codec = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"
    every = array.array("I", range(0x110000)).tobytes().decode(codec, "surrogatepass")
    partners: dict[str, set[str]] = {}
    for m in re.finditer(_char_class(chars), every, re.IGNORECASE):
        ch = m.group()
        partners[ch] = {lit for lit in chars if re.fullmatch(re.escape(lit), ch, re.IGNORECASE)}
    return partners


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
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - unknown parser: treat as unanchored, which is always correct
        return False
    if pattern.flags & re.MULTILINE or parsed.state.flags & re.MULTILINE:
        return False
    return bool(parsed.data) and parsed.data[0] == (sre_parse.AT, sre_parse.AT_BEGINNING)


def _char_class(chars: set[str] | frozenset[str]) -> str:
    return "[" + "".join(re.escape(ch) for ch in sorted(chars)) + "]"


@functools.lru_cache(maxsize=8)
def _lone_triggers(pattern: re.Pattern[str], triggers: frozenset[str]) -> tuple[bool, frozenset[str]] | None:
    """(whether `pattern` can match text holding no trigger, the triggers that can be the only one
    in a match), read from the regex parser; None for a construct this does not model.  (Kept per
    pattern: every operator set up in a process asks the same.)

    Each part of the pattern is summed up as (can match without a trigger, triggers it can match
    as its only one): a character class is tested against every trigger, a sequence has a lone
    trigger of one item when every other item can go without, an alternation has those of any
    branch.  Guesses only ever err towards "can go without" and "lone", which cost windows, never
    a missed match."""
    if pattern.flags & re.IGNORECASE:
        return None  # (a literal would then also match characters other than itself)
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - a parser change must only cost speed, never correctness
        return None
    single = (sre_parse.LITERAL, sre_parse.NOT_LITERAL, sre_parse.IN, sre_parse.ANY)

    def item(node) -> tuple[bool, set[str]] | None:
        op, av = node
        if op in single:
            # The item alone, compiled: which triggers it matches is then the regex engine's word.
            one = sre_compile.compile(sre_parse.SubPattern(tree.state, [node]), pattern.flags)
            lone = {t for t in triggers if one.fullmatch(t)}
            if op is sre_parse.LITERAL:
                return chr(av) not in triggers, lone
            if op is sre_parse.IN and all(kind in (sre_parse.LITERAL, sre_parse.RANGE) for kind, _ in av):
                members = (range(a, a + 1) if kind is sre_parse.LITERAL else range(a[0], a[1] + 1)
                           for kind, a in av)
                return any(chr(c) not in triggers for r in members for c in r), lone
            return True, lone  # (a negated class, a category, "."; always true of ftfy's ones)
        if op is sre_parse.AT:
            return True, set()
        if op is sre_parse.SUBPATTERN:
            # (Items are compiled with the pattern's flags: a group with flags of its own is not.)
            return None if av[1] or av[2] else sequence(av[-1])
        if op is sre_parse.BRANCH:
            branches = [sequence(b) for b in av[1]]
            if None in branches:
                return None
            return any(b[0] for b in branches), set().union(*(b[1] for b in branches))
        if op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
            low, high, body = av
            inner = sequence(body)
            if inner is None:
                return None
            # Repeated, one copy may hold the lone trigger when the others can go without one.
            return inner[0] or low == 0, inner[1] if high >= 1 and (low <= 1 or inner[0]) else set()
        return None  # lookarounds, back references...: not modelled

    def sequence(nodes) -> tuple[bool, set[str]] | None:
        parts = [item(node) for node in nodes]
        if None in parts:
            return None
        lone: set[str] = set()
        for i, (_, chars) in enumerate(parts):
            if all(without for j, (without, _) in enumerate(parts) if j != i):
                lone |= chars
        return all(without for without, _ in parts), lone

    try:
        found = sequence(tree)
    except Exception:  # noqa: BLE001 - as above: no fast path rather than a wrong one
        return None
    return None if found is None else (found[0], frozenset(found[1]))


def _required_literals(pattern: re.Pattern[str]) -> set[str] | None:
    """Strings of the pattern's literal characters one of which every match holds (compared with
    the pattern's case rules), or None when the parser shows no such set.

    A run of literal characters in a sequence is required, and so is what a group, an alternation
    (the union of its branches' sets, each branch needing one) or a repetition of at least one
    holds; of a sequence's candidates the one with the longest shortest string is kept.  Anything
    else (classes, lookarounds, optional parts) requires nothing, which is always true."""
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - a parser change must only cost speed, never correctness
        return None

    def better(a: set[str] | None, b: set[str] | None) -> set[str] | None:
        if a is None or b is None:
            return a if b is None else b
        return a if min(map(len, a)) >= min(map(len, b)) else b

    def sequence(nodes) -> set[str] | None:
        best: set[str] | None = None
        run: list[str] = []
        for op, av in list(nodes) + [(None, None)]:
            if op is sre_parse.LITERAL:
                run.append(chr(av))
                continue
            if run:
                best = better(best, {"".join(run)})
                run = []
            found = None
            if op is sre_parse.SUBPATTERN:
                found = sequence(av[-1])
            elif op is sre_parse.BRANCH:
                branches = [sequence(b) for b in av[1]]
                found = None if None in branches else set().union(*branches)
            elif op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT) and av[0] >= 1:
                found = sequence(av[2])
            best = better(best, found)
        return best

    try:
        return sequence(tree)
    except Exception:  # noqa: BLE001 - as above
        return None


def _max_match_width(pattern: re.Pattern[str]) -> int | None:
    """The longest text a regex can match, or None when unbounded (from the regex parser)."""
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
        normalized = self._mojibake.normalized_only(text)
        if normalized is not None:
            return normalized, [f"normalize {self.config.normalization}"]
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
        limit = self.config.max_line_chars
        lines = text.split("\n")
        stripped = [line.strip() for line in lines]
        # Only short lines are candidates (a fifth of a page's text): the patterns, and the look for
        # the words the unanchored ones need, see those alone, each distinct line once.
        short = {line for line in stripped if line and len(line) <= limit}
        if not short:
            return text, []
        floating = self._any.floating_possible("\n".join(short))
        hits = self._any.matching(short, floating)
        if not hits:
            return text, []
        kept: list[str] = []
        removed: list[str] = []
        for line, key in zip(lines, stripped, strict=True):
            (removed if key in hits else kept).append(line)
        cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
        return cleaned, removed

    def decide(self, doc: Doc) -> str | None:
        ann = doc.annotations.get(self.stage) or {}
        if ann.get("removed_lines") and not doc.text.strip():
            return "only_boilerplate"
        return None
