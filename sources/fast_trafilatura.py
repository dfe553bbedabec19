"""Output-identical speed-ups of trafilatura's HTML extraction (recipe key `extract.speedups`).

Profiling trafilatura 2.x on real pages shows about half of an extraction spent evaluating its
boilerplate XPath expressions, and most of that not in libxml2 but in Python: the expressions test
`@id` / `@class` with EXSLT regular expressions (`re:test(@class, 'nav|menu|...')`), which lxml runs
as a Python callback for *every* candidate element, and whose attribute argument lxml turns into a
"smart string" that creates an element proxy through `lxml.html`'s Python-level class lookup.

Two changes cut that cost without changing a single extracted character (the identity is tested on
generated trees and on the real pages of `../shared/data/web/html/`):

1. Each `re:test(ATTR, 'P'[, flags])` in trafilatura's module-level XPath lists is rewritten to
   `(ATTR and [contains(string(ATTR), 'lit') or ...] and re:test(string(ATTR), 'P'[, flags]))`:
   - `ATTR and`: an element without the attribute used to call the regex on "" — skipped, which
     is exact whenever P cannot match the empty string (checked for each pattern; otherwise the
     guard is not added);
   - `contains(...)`: for a pattern with at most a few alternatives, one literal that every match
     must contain (derived from the parsed regex) is tested in C first — exact because it is a
     necessary condition; not used with flags (case folding);
   - `string(ATTR)`: the callback receives a plain string instead of an attribute node, so lxml
     creates no element proxy. lxml's callback used the first node of the node-set, and XPath's
     string() is the first node in document order: the same value.
2. trafilatura's HTML parser gets a C-level element class lookup (plain `HtmlElement` for every
   tag) instead of `lxml.html`'s Python one, which only adds form-specific classes (`FormElement`,
   `InputElement`, ...) whose methods trafilatura never calls.
3. Before parsing, trafilatura deletes characters XML forbids with a regex over the whole page
   (`INVALID_XML_CHARS.sub`, ~0.4 ms for a 140 KB page), although nearly no page holds one.  The
   substitution now first looks for them with numpy over the page's UTF-16 code units (~0.1 ms) and
   returns the page untouched when there are none, which is what the regex would return.

`install()` applies both in place (the lists are shared by every trafilatura module that imported
them) and is idempotent; `uninstall()` restores the originals (stock trafilatura, for comparisons).
Nothing here depends on a particular trafilatura release; the identity tests guard each upgrade.
"""

from __future__ import annotations

import re
import threading
from functools import cache

try:  # Python 3.11+
    from re import _constants as _sre_c  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

REGEXP_NS = "http://exslt.org/regular-expressions"
# re:test(@a, 'pattern') or re:test(@a|@b, 'pattern', 'i'): trafilatura's only forms
_RE_TEST = re.compile(r"re:test\(\s*(@[\w-]+(?:\s*\|\s*@[\w-]+)*)\s*,\s*'([^']*)'\s*(?:,\s*'([a-z]*)'\s*)?\)")
# More alternatives than this and the chain of contains() costs more than the one callback it saves
# (measured: ~60 literals made the big boilerplate expression 2.5x slower).
MAX_GUARD_LITERALS = 4
MIN_LITERAL = 2

_lock = threading.Lock()
_originals: dict[tuple[str, str, int | None], object] | None = None


# ------------------------------------------------------------------------------------------------
# necessary literals of a regular expression


def _necessary(seq) -> list[str] | None:
    """Literals one of which every match of the parsed sequence contains, or None if unknown."""
    best: tuple[float, list[str]] | None = None

    def consider(lits: list[str] | None) -> None:
        nonlocal best
        if lits and all(len(x) >= MIN_LITERAL for x in lits):
            # prefer long literals and few alternatives: cheaper and more selective in XPath
            score = min(len(x) for x in lits) - 0.1 * len(lits)
            if best is None or score > best[0]:
                best = (score, lits)

    run: list[str] = []
    for op, av in [*seq, (None, None)]:
        if op is _sre_c.LITERAL:
            run.append(chr(av))
            continue
        if run:  # a maximal run of literal characters, all of which every match contains
            consider(["".join(run)])
            run = []
        if op is _sre_c.SUBPATTERN:
            consider(_necessary(av[-1]))
        elif op is _sre_c.BRANCH:
            alternatives = [_necessary(alt) for alt in av[1]]
            if all(alternatives):
                consider(sorted({x for alt in alternatives for x in alt}))  # type: ignore[union-attr]
        elif op in (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT) and av[0] >= 1:
            consider(_necessary(av[2]))
        # anything else (character sets, anchors, lookarounds, optional parts) adds no literal
    return best[1] if best else None


@cache
def necessary_literals(pattern: str) -> tuple[str, ...] | None:
    """Literals of which every match of `pattern` (no flags) contains at least one; None if none known."""
    lits = _necessary(_sre_parse.parse(pattern))
    return tuple(lits) if lits else None


# ------------------------------------------------------------------------------------------------
# XPath rewriting


def rewrite_xpath(path: str) -> str:
    """The same expression with every `re:test` guarded as described in the module docstring."""

    def guarded(m: re.Match) -> str:
        arg, pattern, flags = m.group(1), m.group(2), m.group(3)
        flag_arg = f", '{flags}'" if flags is not None else ""
        call = f"re:test(string({arg}), '{pattern}'{flag_arg})"
        re_flags = re.IGNORECASE if flags and "i" in flags else 0
        if re.search(pattern, "", re_flags) is not None:
            return call  # matches "": an absent attribute must still reach the regex
        guard = ""
        lits = None if flags else necessary_literals(pattern)
        if lits and len(lits) <= MAX_GUARD_LITERALS and not any("'" in x for x in lits):
            guard = " and (" + " or ".join(f"contains(string({arg}), '{x}')" for x in lits) + ")"
        return f"({arg}{guard} and {call})"

    return _RE_TEST.sub(guarded, path)


def _fast(xpath):
    from lxml.etree import XPath

    new = rewrite_xpath(xpath.path)
    return xpath if new == xpath.path else XPath(new, namespaces={"re": REGEXP_NS})


def _targets():
    """(module, attribute name, list index or None) of every module-level XPath we rewrite."""
    from lxml.etree import XPath
    from trafilatura import baseline, xpaths

    for name, value in vars(xpaths).items():
        if isinstance(value, list) and value and all(isinstance(x, XPath) for x in value):
            for i in range(len(value)):
                yield xpaths, name, i
    if isinstance(getattr(baseline, "BASIC_CLEAN_XPATH", None), XPath):
        yield baseline, "BASIC_CLEAN_XPATH", None


def _get(module, name, index):
    value = getattr(module, name)
    return value if index is None else value[index]


def _set(module, name, index, value) -> None:
    if index is None:
        setattr(module, name, value)
    else:  # in place: core, main_extractor, external imported the list object itself
        getattr(module, name)[index] = value


# The characters trafilatura.utils.INVALID_XML_CHARS deletes; the speed-up is applied only when
# its pattern is exactly this class, so a trafilatura release that changes it falls back to stock.
INVALID_XML_PATTERN = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ufffe\\uffff]"


def holds_invalid_xml_chars(text: str) -> bool:
    """Whether `text` contains a character of INVALID_XML_PATTERN (vectorised; exact).

    UTF-16 code units: every forbidden character is a single unit below U+FFFF, and the surrogate
    pairs of characters beyond it (D800-DFFF) are neither control characters nor FFFE/FFFF.
    """
    import numpy as np

    units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype="<u2")
    low = units[units < 0x20]
    if low.size and ((low != 0x09) & (low != 0x0A) & (low != 0x0D)).any():
        return True
    return bool((units >= 0xFFFE).any())


class _PrecheckedSub:
    """Stands in for the compiled INVALID_XML_CHARS: `sub` skips the regex when nothing matches."""

    def __init__(self, regex: re.Pattern):
        self.regex = regex

    def sub(self, repl, string, count=0):
        if isinstance(string, str) and not holds_invalid_xml_chars(string):
            return string
        return self.regex.sub(repl, string, count)

    def __getattr__(self, name):  # search, pattern, ...: the regex's own
        return getattr(self.regex, name)


def _parser():
    from trafilatura import utils

    return utils.HTML_PARSER


def installed() -> bool:
    return _originals is not None


def install() -> bool:
    """Apply the speed-ups to trafilatura in this process (idempotent). Returns True."""
    global _originals
    if _originals is not None:
        return True
    with _lock:
        if _originals is not None:
            return True
        from lxml import etree, html

        saved: dict = {}
        for module, name, index in list(_targets()):
            old = _get(module, name, index)
            new = _fast(old)
            if new is not old:
                saved[(module.__name__, name, index)] = old
                _set(module, name, index, new)
        from trafilatura import utils

        regex = getattr(utils, "INVALID_XML_CHARS", None)
        if isinstance(regex, re.Pattern) and regex.pattern == INVALID_XML_PATTERN and not regex.flags & re.I:
            saved[(utils.__name__, "INVALID_XML_CHARS", None)] = regex
            utils.INVALID_XML_CHARS = _PrecheckedSub(regex)
        # C-level lookup: the same HtmlElement/HtmlComment/... classes without a Python call per proxy
        _parser().set_element_class_lookup(etree.ElementDefaultClassLookup(
            element=html.HtmlElement, comment=html.HtmlComment,
            pi=html.HtmlProcessingInstruction, entity=html.HtmlEntity))
        _originals = saved
    return True


def uninstall() -> None:
    """Restore stock trafilatura (used by the identity tests and benchmarks)."""
    global _originals
    with _lock:
        if _originals is None:
            return
        import importlib

        from lxml import html

        for (module_name, name, index), old in _originals.items():
            _set(importlib.import_module(module_name), name, index, old)
        _parser().set_element_class_lookup(html.HtmlElementClassLookup())
        _originals = None
