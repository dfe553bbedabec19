"""Reading the word lists and pattern files shipped in `filters/lexicons/`.

The lists are data, not code, so a linguist can review and extend them without touching Python:
one entry a line, UTF-8, blank lines and lines starting with '#' ignored.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def lexicon_path(name: str) -> Path:
    return Path(str(resources.files("kazcorpus.filters") / "lexicons" / name))


def read_lexicon(name_or_path: str) -> list[str]:
    """Entries of a bundled lexicon (`"stopwords_kk.txt"`) or of a file given by path."""
    path = Path(name_or_path)
    if not path.is_absolute() and not path.exists():
        path = lexicon_path(name_or_path)
    if not path.is_file():
        raise FileNotFoundError(f"lexicon not found: {name_or_path} (looked in {path})")
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line)
    return entries
