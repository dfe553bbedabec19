"""PII redaction for Kazakhstan web text: IIN/BIN, phones, e-mail, KZ IBAN, payment cards, IPs.

Each detected item is replaced by a placeholder (`<IIN>`, `<PHONE>`, `<EMAIL>`, `<IBAN>`, `<CARD>`,
`<IP>`) and listed in `doc.annotations["pii"]` as `{"kind", "start", "end"}` over the text as it
was BEFORE redaction, with counts per kind.  Generic PII steps (datatrove's `PIIFormatter`) know
e-mails and IPs only; a Kazakh corpus must also hide the national identifier and +7 phones.

Numbers are redacted only when they pass the check that their kind defines, so order numbers,
prices, dates and ISBNs stay:

* IIN/BIN: 12 digits with the mod-11 check digit (weights 1..11, then 3..11,1,2 when the first
  pass gives 10).  About one random 12-digit number in eleven passes that alone, so an IIN must
  also start with a real birth date and a century/sex digit 1-6, or have ЖСН/ИИН/БСН/БИН (or the
  Latin IIN/BIN) in the few characters before it (a BIN has no birth date).
* Phones: +7 followed by ten digits (Kazakhstan and Russia share +7); 8 or a bare 7 followed by a
  Kazakh mobile prefix (700-709, 747, 771, 775-778) or a Kazakh city code (71x, 72x: 7172 Astana,
  727 Almaty...); an 8 followed by a Russian 9xx mobile when written with separators.
* KZ IBAN: KZ + 2 check digits + 16 characters (20 in all, spaces allowed), ISO 7064 mod-97 = 1.
* Cards: 13-19 digits (groups separated by a space or a dash), Luhn, and a first digit 2-6 (the
  card networks; ISBN-13s start with 978/979 and are never taken for cards).
* IPv4/IPv6: validated by the standard library's `ipaddress`; dotted version numbers
  ("версия 1.2.3.4") are left alone.

The stage never drops a document unless `max_items` / `max_items_per_1000_chars` say so
(a page that is a list of phone numbers is a directory, not text).
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import Doc

Kind = Literal["IIN", "PHONE", "EMAIL", "IBAN", "CARD", "IP"]
KINDS: tuple[str, ...] = ("EMAIL", "IBAN", "CARD", "IIN", "PHONE", "IP")  # priority on overlaps
PLACEHOLDERS = {k: f"<{k}>" for k in KINDS}
REASONS = ("too_much_pii",)

IIN_CONTEXT_WORDS = ("ЖСН", "ИИН", "БСН", "БИН", "IIN", "BIN", "ЖСН/ИИН", "БСН/БИН")


class PiiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(True, description="run this stage")
    kinds: list[Kind] = Field(default_factory=lambda: list(KINDS), description="kinds to detect and redact")
    context_chars: int = Field(
        25, ge=0, description="how far before a 12-digit number to look for ЖСН/ИИН/БСН/БИН"
    )
    max_items: int | None = Field(None, ge=0, description="drop a document with more PII items than this")
    max_items_per_1000_chars: float | None = Field(
        None, ge=0, description="drop a document with a higher density of PII items"
    )


def config_keys() -> dict[str, str]:
    """Recipe keys of the `pii` section with what each one means."""
    return {f"pii.{k}": (f.description or "") for k, f in PiiConfig.model_fields.items()}


# --- check digits ------------------------------------------------------------------------------

_W1 = tuple(range(1, 12))
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def iin_check_digit(first11: str) -> int | None:
    """The control digit for 11 leading digits, or None where the scheme gives none (never issued)."""
    d = [int(c) for c in first11]
    check = sum(a * b for a, b in zip(d, _W1, strict=False)) % 11
    if check == 10:
        check = sum(a * b for a, b in zip(d, _W2, strict=False)) % 11
    return None if check == 10 else check


def iin_checksum_ok(digits: str) -> bool:
    """The IIN/BIN control digit (Kazakhstan's mod-11 scheme with a second weight set)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    return iin_check_digit(digits[:11]) == int(digits[11])


def iin_birth_date_ok(digits: str) -> bool:
    """YYMMDD plus the century/sex digit (1-2: 1800s, 3-4: 1900s, 5-6: 2000s) form a real date."""
    century = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}.get(digits[6])
    if century is None:
        return False
    try:
        datetime.date(century + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return False
    return True


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to 10..35, mod 97 == 1."""
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"KZ\d{2}[0-9A-Z]{16}", s):
        return False
    rearranged = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


KZ_MOBILE = tuple(f"70{i}" for i in range(10)) + ("747", "771", "775", "776", "777", "778")


def phone_ok(raw: str) -> bool:
    digits = re.sub(r"\D", "", raw)
    if len(digits) != 11:
        return False
    national = digits[1:]
    plus = raw.lstrip().startswith("+")
    if plus:
        return digits[0] == "7" and national[0] in "3456789"
    kz = national.startswith(KZ_MOBILE) or national[:2] in ("71", "72")
    if digits[0] == "8":
        if kz:
            return True
        # Russian mobiles written 8 9xx ...: only with separators, a bare 11-digit run is too
        # often an account or order number.
        return national[0] == "9" and bool(re.search(r"[\s\-().]", raw))
    if digits[0] == "7":
        return national.startswith(KZ_MOBILE)
    return False


# --- candidate patterns --------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_IBAN = re.compile(r"(?<![0-9A-Za-z])KZ\d{2}(?:[ ]?[0-9A-Z]{4}){4}(?![0-9A-Za-z])", re.IGNORECASE)
# A run of digit groups separated by one space or dash: cards are found inside such runs.
_DIGIT_RUN = re.compile(r"(?<![\w.,])\d+(?:[ \-]\d+)*(?![\w])")
_TWELVE = re.compile(r"(?<![\d\w])\d{12}(?![\d\w])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\s?7|8|7)[\s\-.]?(?:\(\s?\d{3,5}\s?\)|\d{3,5})[\s\-.]?\d{1,4}(?:[\s\-.]?\d{1,4}){1,3}(?![\d])"
)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# Pre-checks.  Each finder's regex walks the whole text, about 0.1 ms per kind on a 5 kB page: most
# of them start with a lookbehind or a digit class, so `re` has to try a match at nearly every
# position.  Most pages hold no PII, so each kind first gets a necessary condition that is cheap to
# test: a substring search, a regex that starts with a literal (`re` jumps between occurrences of
# a literal with a fast substring search), or one digit pattern shared by three kinds.  When it
# fails the finder could not have returned anything; when it holds the finder runs unchanged.
# Why each one is necessary:
# * EMAIL: `_EMAIL` holds a literal "@".
# * IBAN: `_IBAN` starts with KZ and two digits; the only characters that (?i)Z matches are Z and z.
# * IIN, CARD, PHONE: an IIN is 12 digits in a row, a card 13-19 digits in groups one separator
#   apart, a phone that `phone_ok` accepts 11 digits with at most 3 characters between two of
#   them (separator, bracket and space around an area code: "8 ( 727 ) 2...").  So all three hold
#   11 digits each at most 3 characters after the previous one.
# * IP: a dotted IPv4 candidate holds ".D.D.D" (D: 1-3 digits); an IPv6 candidate is only tried
#   when it holds "::" or 7 colons, and between two colons of a candidate there are hex digits only.
_PRECHECK_IBAN = (re.compile(r"Z\d\d"), re.compile(r"z\d\d"))
_PRECHECK_DIGITS = re.compile(r"\d(?:\D{0,3}\d){10}")
_PRECHECK_IPV4 = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d")
_PRECHECK_IPV6 = re.compile(r"::|:(?:[0-9A-Fa-f]{1,4}:){6}")


def possible_kinds(text: str) -> set[str]:
    """The kinds `detect` may find in `text`: a superset, never missing a kind that is there."""
    kinds = set()
    if "@" in text:
        kinds.add("EMAIL")
    if any(rx.search(text) for rx in _PRECHECK_IBAN):
        kinds.add("IBAN")
    if _PRECHECK_DIGITS.search(text):
        kinds.update(("IIN", "CARD", "PHONE"))
    if _PRECHECK_IPV4.search(text) or _PRECHECK_IPV6.search(text):
        kinds.add("IP")
    return kinds


_VERSION_CONTEXT = re.compile(r"(?:\bv|version|верси[яи]|нұсқа(?:сы)?)\s*\.?\s*$", re.IGNORECASE)
_ISBN_CONTEXT = re.compile(r"isbn[\s:\-]*$", re.IGNORECASE)


@dataclass(slots=True)
class Span:
    kind: str
    start: int
    end: int


def _context_before(text: str, start: int, chars: int) -> str:
    return text[max(0, start - chars) : start]


def find_iins(text: str, context_chars: int = 25) -> list[Span]:
    out = []
    for m in _TWELVE.finditer(text):
        digits = m.group()
        if not iin_checksum_ok(digits):
            continue
        ctx = _context_before(text, m.start(), context_chars).upper()
        if iin_birth_date_ok(digits) or any(w in ctx for w in IIN_CONTEXT_WORDS):
            out.append(Span("IIN", m.start(), m.end()))
    return out


def find_cards(text: str) -> list[Span]:
    """Cards inside runs of digit groups.  A run may hold more than a card ("в 2023 году 4111 1111
    1111 1111"), so every window of whole groups with 13-19 digits is tried, longest first."""
    out = []
    for run in _DIGIT_RUN.finditer(text):
        body, base = run.group(), run.start()
        groups = [(g.start(), g.end()) for g in re.finditer(r"\d+", body)]
        i = 0
        while i < len(groups):
            windows, n_digits = [], 0
            for j in range(i, len(groups)):
                n_digits += groups[j][1] - groups[j][0]
                if n_digits > 19:
                    break
                if n_digits >= 13:
                    windows.append(j)
            hit = None
            for j in reversed(windows):
                a, b = groups[i][0], groups[j][1]
                digits = re.sub(r"\D", "", body[a:b])
                if digits[0] in "23456" and luhn_ok(digits):
                    if not _ISBN_CONTEXT.search(_context_before(text, base + a, 12)):
                        hit = j
                        out.append(Span("CARD", base + a, base + b))
                    break
            i = hit + 1 if hit is not None else i + 1
    return out


def find_phones(text: str) -> list[Span]:
    return [Span("PHONE", m.start(), m.end()) for m in _PHONE.finditer(text) if phone_ok(m.group())]


def find_emails(text: str) -> list[Span]:
    return [Span("EMAIL", m.start(), m.end()) for m in _EMAIL.finditer(text)]


def find_ibans(text: str) -> list[Span]:
    return [Span("IBAN", m.start(), m.end()) for m in _IBAN.finditer(text) if iban_ok(m.group())]


def find_ips(text: str) -> list[Span]:
    out = []
    for m in _IPV4.finditer(text):
        try:
            ipaddress.IPv4Address(m.group())
        except ValueError:
            continue
        if _VERSION_CONTEXT.search(_context_before(text, m.start(), 12)):
            continue
        out.append(Span("IP", m.start(), m.end()))
    for m in _IPV6.finditer(text):
        cand = m.group()
        if "::" not in cand and cand.count(":") != 7:
            continue
        if not re.search(r"[0-9A-Fa-f]", cand):
            continue
        try:
            ipaddress.IPv6Address(cand)
        except ValueError:
            continue
        out.append(Span("IP", m.start(), m.end()))
    return out


_FINDERS = {
    "EMAIL": lambda text, cfg: find_emails(text),
    "IBAN": lambda text, cfg: find_ibans(text),
    "CARD": lambda text, cfg: find_cards(text),
    "IIN": lambda text, cfg: find_iins(text, cfg.context_chars),
    "PHONE": lambda text, cfg: find_phones(text),
    "IP": lambda text, cfg: find_ips(text),
}


def detect(text: str, config: PiiConfig | None = None, *, precheck: bool = True) -> list[Span]:
    """Non-overlapping PII spans, in text order.  On an overlap the kind earlier in `KINDS` wins
    (an e-mail holding digits, an IBAN holding a card-like run...).  `precheck=False` runs every
    finder even where `possible_kinds` rules its kind out (same result, slower: for tests)."""
    config = config or PiiConfig()
    wanted = possible_kinds(text) if precheck else set(KINDS)
    taken: list[Span] = []
    for kind in KINDS:
        if kind not in config.kinds or kind not in wanted:
            continue
        for span in _FINDERS[kind](text, config):
            if not any(span.start < t.end and t.start < span.end for t in taken):
                taken.append(span)
    return sorted(taken, key=lambda s: s.start)


def redact(text: str, spans: list[Span]) -> str:
    parts, pos = [], 0
    for s in spans:
        parts.append(text[pos : s.start])
        parts.append(PLACEHOLDERS[s.kind])
        pos = s.end
    parts.append(text[pos:])
    return "".join(parts)


class PiiOperator(BaseOperator):
    stage = "pii"

    def __init__(self, *, config: PiiConfig | None = None):
        self.config = config or PiiConfig()

    def annotate(self, doc: Doc) -> None:
        self.ensure_setup()
        text = doc.text
        spans = detect(text, self.config)
        counts: dict[str, int] = {}
        for s in spans:
            counts[s.kind] = counts.get(s.kind, 0) + 1
        doc.annotations[self.stage] = {
            "pii": [{"kind": s.kind, "start": s.start, "end": s.end} for s in spans],
            "counts": counts,
            "n_chars_in": len(text),
        }
        if spans:
            doc.text = redact(text, spans)

    def decide(self, doc: Doc) -> str | None:
        ann = doc.annotations.get(self.stage) or {}
        n = len(ann.get("pii", []))
        if self.config.max_items is not None and n > self.config.max_items:
            return "too_much_pii"
        per_k = self.config.max_items_per_1000_chars
        if per_k is not None and n > per_k * max(ann.get("n_chars_in", 0), 1) / 1000:
            return "too_much_pii"
        return None
