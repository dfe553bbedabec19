"""Recipes: YAML -> a typed, validated `Recipe`, checked before any work starts.

Each stage owns its configuration model next to its code (`filters/langid.py` has `LangIdConfig`,
...); this module assembles them.  Unknown keys are errors (pydantic `extra="forbid"`), and every
error names the offending key so `kazcorpus run` can exit 2 with a useful message.

Relative paths in a recipe file are resolved against the folder of the recipe file, so a recipe and
its data can be moved together; paths given on the command line are relative to the current folder.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kazcorpus.filters.clean import CleanConfig
from kazcorpus.filters.langid import LangIdConfig
from kazcorpus.filters.pii import PiiConfig
from kazcorpus.filters.quality import QualityConfig
from kazcorpus.filters.toxicity import ToxicityConfig
from kazcorpus.pipeline.dedup import DedupConfig
from kazcorpus.sources import KINDS, infer_kind
from kazcorpus.sources.html import ExtractConfig

REMOTE_SCHEMES = ("gs://", "s3://", "hdfs://", "az://", "http://", "https://")


class RecipeError(ValueError):
    """A bad recipe: the message names the key. The CLI exits 2 on it."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class InputSpec(Strict):
    path: str
    source: str | None = None  # defaults to the file name stem
    kind: Literal[KINDS] | None = None  # type: ignore[valid-type]
    text_field: str = "text"  # jsonl / parquet
    id_field: str = "id"
    url_field: str = "url"
    encoding: str | None = None  # text inputs; None = detect


class ShardsConfig(Strict):
    max_rows: int = Field(10_000, ge=1)
    max_bytes: int = Field(256 * 1024 * 1024, ge=1024)


class RightsConfig(Strict):
    """Rights signals are always recorded; `drop_opted_out` drops pages that reserved their rights."""

    drop_opted_out: bool = False


class Recipe(Strict):
    inputs: list[InputSpec] = Field(min_length=1)
    output: str
    extract: ExtractConfig = ExtractConfig()
    clean: CleanConfig = CleanConfig()
    langid: LangIdConfig = LangIdConfig()
    pii: PiiConfig = PiiConfig()
    quality: QualityConfig = QualityConfig()
    toxicity: ToxicityConfig = ToxicityConfig()
    dedup: DedupConfig = DedupConfig()
    rights: RightsConfig = RightsConfig()
    shards: ShardsConfig = ShardsConfig()
    blocklist: str | None = None  # takedown blocklist file (JSONL), applied at ingest
    resume: bool = True  # reuse per-input checkpoints under OUT/_work from an interrupted run

    @field_validator("output")
    @classmethod
    def _output_not_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v

    def resolved_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def recipe_hash(self) -> str:
        blob = json.dumps(self.resolved_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _format_validation_error(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            lines.append(f"unknown key '{key}'")
        elif e["type"] == "missing":
            lines.append(f"missing key '{key}'")
        else:
            got = e.get("input")
            lines.append(f"bad value for '{key}': {e['msg']} (got {got!r})")
    return "; ".join(lines)


def _resolve(path: str, base: Path | None) -> str:
    if path.startswith(REMOTE_SCHEMES) or os.path.isabs(path) or base is None:
        return path
    return str((base / path).resolve())


def parse_recipe(data: Any, *, base: Path | None = None) -> Recipe:
    """Validate a recipe mapping; relative paths are resolved against `base`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RecipeError(f"a recipe must be a mapping of keys, got {type(data).__name__}")
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as err:
        raise RecipeError(_format_validation_error(err)) from None
    for spec in recipe.inputs:
        spec.path = _resolve(spec.path, base)
    recipe.output = _resolve(recipe.output, base)
    if recipe.blocklist:
        recipe.blocklist = _resolve(recipe.blocklist, base)
        if "://" not in recipe.blocklist and not os.path.isfile(recipe.blocklist):
            raise RecipeError(f"blocklist: file not found: {recipe.blocklist} "
                              "(`kazcorpus forget` creates it; remove the key to run without one)")
    recipe.dedup.against = [_resolve(p, base) for p in recipe.dedup.against]
    return recipe


def load_recipe(path: str | os.PathLike | None) -> Recipe:
    """Read and validate a recipe file; None means the bundled demo recipe."""
    if path is None:
        return demo_recipe()
    p = Path(path)
    if not p.is_file():
        raise RecipeError(f"recipe file not found: {path}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RecipeError(f"recipe {path} is not valid YAML: {exc}") from None
    return parse_recipe(data, base=p.resolve().parent)


def demo_dir() -> Path:
    return Path(str(resources.files("kazcorpus.pipeline") / "demo"))


def demo_recipe() -> Recipe:
    recipe = load_recipe(demo_dir() / "recipe.yaml")
    recipe.output = str(Path("out/demo").resolve())
    return recipe


def expand_inputs(recipe: Recipe) -> list[tuple[int, str, str, str]]:
    """Every input file as (input index, path, source name, kind), sorted for determinism.

    An input entry that matches nothing is a recipe error (exit 2); a file that vanishes or cannot
    be read later is a counted run-time error.
    """
    out: list[tuple[int, str, str, str]] = []
    for i, spec in enumerate(recipe.inputs):
        files = _match(spec.path)
        if not files:
            raise RecipeError(f"inputs[{i}].path: no file matches '{spec.path}'")
        single = len(files) == 1 and files[0] == spec.path
        for f in files:
            kind = spec.kind or infer_kind(f)
            if kind is None and not single:
                # One odd file in a folder or glob is bad input, counted as `unknown_kind`, not fatal.
                kind = "unknown"
            if kind is None:
                raise RecipeError(
                    f"inputs[{i}].kind: cannot infer the kind of '{f}' from its name; "
                    f"set kind to one of {', '.join(KINDS)}"
                )
            source = spec.source or Path(spec.path).name.split(".")[0].replace("*", "") or "input"
            out.append((i, f, source, kind))
    return out


def _match(path: str) -> list[str]:
    if path.startswith(REMOTE_SCHEMES):
        from apache_beam.io.filesystems import FileSystems

        pattern = path.rstrip("/") + "/*" if path.endswith("/") else path
        return sorted(m.path for r in FileSystems.match([pattern]) for m in r.metadata_list)
    if os.path.isdir(path):
        return sorted(
            str(p) for p in Path(path).rglob("*") if p.is_file() and not p.name.startswith(".")
        )
    if glob.has_magic(path):
        return sorted(p for p in glob.glob(path, recursive=True) if os.path.isfile(p))
    return [path] if os.path.isfile(path) else []
