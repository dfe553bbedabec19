"""The trafilatura speed-ups change nothing: same literals logic, same XPath results, same text."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from kazcorpus.sources import fast_trafilatura as ft
from kazcorpus.sources.html import ExtractConfig, ExtractOperator, _trafilatura

SHARED_HTML = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "web" / "html"


@pytest.fixture
def stock():
    """Run a test against stock trafilatura, restoring whatever state the process had."""
    was = ft.installed()
    ft.uninstall()
    yield
    if was:
        ft.install()


def _patterns() -> list[tuple[str, str | None]]:
    """Every (pattern, flags) that trafilatura's rewritten XPath expressions test."""
    ft.install()
    found = []
    for module, name, index in ft._targets():
        original = ft._originals.get((module.__name__, name, index)) or ft._get(module, name, index)
        found += [(m.group(2), m.group(3)) for m in ft._RE_TEST.finditer(original.path)]
    assert found, "no re:test found: trafilatura changed its XPath style, revisit fast_trafilatura"
    return sorted(set(found))


def _pieces() -> list[str]:
    pieces = ["", " ", "-", "_", "x", "Nav", "main", "content", "article", "post", "comment", "hidden"]
    for pattern, _ in _patterns():
        pieces += re.findall(r"[A-Za-z][A-Za-z_ -]{1,20}", pattern)
    return pieces


def _random_value(rng: random.Random, pieces: list[str]) -> str:
    return "".join(rng.choice(pieces) + rng.choice(["", " ", "-", "_"]) for _ in range(rng.randint(0, 4)))


def test_necessary_literals_of_simple_patterns():
    assert ft.necessary_literals("^shar|social|viral") == ("shar", "social", "viral")
    assert ft.necessary_literals("bread-?crumb") in (("bread",), ("crumb",))
    assert ft.necessary_literals(r"(^|\s)bottom|bottom(\s|$)") == ("bottom",)
    assert ft.necessary_literals("[a-z]+") is None  # nothing is certain about a match
    assert ft.necessary_literals("a|bc") is None  # one-letter literals are not worth a test


def test_every_match_contains_a_necessary_literal():
    rng = random.Random(7)
    pieces = _pieces()
    checked = 0
    for pattern, flags in _patterns():
        lits = ft.necessary_literals(pattern)
        if flags or not lits:
            continue
        compiled = re.compile(pattern)
        for _ in range(400):
            value = _random_value(rng, pieces)
            if compiled.search(value):
                checked += 1
                assert any(x in value for x in lits), (pattern, lits, value)
    assert checked > 100  # the generator really produced matches


def _random_tree(rng: random.Random, pieces: list[str]):
    from lxml import html

    tags = ["div", "p", "span", "section", "article", "main", "aside", "list", "item", "ul", "ol", "li",
            "details", "header", "h1", "table", "a", "form", "cite", "quote", "footer", "nav"]
    attrs = ["id", "class", "style", "role", "aria-hidden", "data-component", "itemprop"]

    def element(depth: int) -> str:
        tag = rng.choice(tags)
        chosen = rng.sample(attrs, rng.randint(0, 3))
        if rng.random() < 0.3:  # both orders of id and class: string(@id|@class) takes the first
            chosen = ["class", "id"] if rng.random() < 0.5 else ["id", "class"]
        attr_text = "".join(f' {a}="{_random_value(rng, pieces)}"' for a in chosen)
        inner = "".join(element(depth + 1) for _ in range(rng.randint(0, 3) if depth < 4 else 0))
        return f"<{tag}{attr_text}>t{inner}</{tag}>"

    body = "".join(element(0) for _ in range(6))
    return html.fromstring(f"<html><body>{body}</body></html>")


def test_rewritten_xpaths_select_the_same_elements():
    ft.install()
    rng = random.Random(11)
    pieces = _pieces()
    pairs = [(old, ft._get(*key_to_target(key))) for key, old in ft._originals.items() if key[1] != "INVALID_XML_CHARS"]
    assert len(pairs) >= 10
    selected = 0
    for _ in range(60):
        tree = _random_tree(rng, pieces)
        root = tree.getroottree()
        for old, new in pairs:
            a = [root.getpath(e) for e in old(tree)]
            b = [root.getpath(e) for e in new(tree)]
            assert a == b, (old.path, new.path)
            selected += len(a)
    assert selected > 50  # the trees really contained matching elements


def key_to_target(key):
    import importlib

    module_name, name, index = key
    return importlib.import_module(module_name), name, index


def test_rewrite_keeps_patterns_that_match_empty_strings_unguarded():
    out = ft.rewrite_xpath(".//*[re:test(@class, 'a*')]")
    assert out == ".//*[re:test(string(@class), 'a*')]"
    out = ft.rewrite_xpath(".//*[re:test(@id|@class, 'footer|nav', 'i')]")
    assert out == ".//*[(@id|@class and re:test(string(@id|@class), 'footer|nav', 'i'))]"


def test_uninstall_restores_stock(stock):
    from lxml import html
    from trafilatura import utils, xpaths

    assert not ft.installed()
    assert "re:test(@" in xpaths.OVERALL_DISCARD_XPATH[0].path
    assert type(utils.HTML_PARSER.makeelement("form")) is not html.HtmlElement  # FormElement
    assert isinstance(utils.INVALID_XML_CHARS, re.Pattern)
    ft.install()
    assert "re:test(string(" in xpaths.OVERALL_DISCARD_XPATH[0].path
    assert not isinstance(utils.INVALID_XML_CHARS, re.Pattern)  # the pre-checked stand-in
    ft.uninstall()
    assert "re:test(@" in xpaths.OVERALL_DISCARD_XPATH[0].path
    assert isinstance(utils.INVALID_XML_CHARS, re.Pattern)


def test_invalid_xml_char_precheck_agrees_with_the_regex():
    from trafilatura import utils

    regex = re.compile(ft.INVALID_XML_PATTERN)
    assert utils.INVALID_XML_CHARS.pattern == regex.pattern  # else install() leaves it stock
    stand_in = ft._PrecheckedSub(regex)
    rng = random.Random(3)
    # every forbidden character and its neighbours, XML whitespace, BMP and astral letters,
    # U+FFFD-U+FFFF, lone surrogates (as surrogateescape leaves them)
    alphabet = ([chr(c) for c in range(0x21)] + ["a", "ж", "қ", "中", "\ufffd", "\ufffe", "\uffff",
                                                 "\U0001f600", "\U0010fffe", "\udc80", "\ud800"])
    for n in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        if n % 2:  # mostly clean text, as real pages are
            text = regex.sub("", text)
        assert ft.holds_invalid_xml_chars(text) == bool(regex.search(text)), ascii(text)
        assert stand_in.sub("", text) == regex.sub("", text), ascii(text)


def test_recipe_switch_selects_stock_or_fast(stock):
    page = "<html><body><article><p>" + "Бұл мәтін. " * 40 + "</p></article></body></html>"
    slow = _trafilatura(page, ExtractConfig(speedups=False), with_metadata=False)
    assert not ft.installed()
    fast = _trafilatura(page, ExtractConfig(), with_metadata=False)
    assert ft.installed()
    assert slow == fast and "Бұл мәтін." in fast["text"]


def _real_pages(limit: int) -> list[bytes]:
    files = sorted(SHARED_HTML.glob("*/*.html"))
    if not files:
        pytest.skip(f"real pages not found under {SHARED_HTML}")
    rng = random.Random(3)
    return [p.read_bytes() for p in rng.sample(files, min(limit, len(files)))]


def test_real_pages_extract_identically(stock):
    pages = _real_pages(120)
    op = ExtractOperator(config=ExtractConfig(speedups=False, timeout_mode="off"))

    def texts():
        from kazcorpus.sources.html import decode_payload

        out = []
        for raw in pages:
            page = decode_payload(raw, None)[0]
            result = op._extract_html(page, None)
            out.append(result["text"] if result else None)
        return out

    ft.uninstall()
    before = texts()
    op.config = ExtractConfig(timeout_mode="off")
    after = texts()
    assert ft.installed()
    assert sum(bool(t) for t in before) > 80
    assert before == after
