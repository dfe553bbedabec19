"""Shared helpers of the benchmark scripts: the real pages, WARC packing, recipes, and measured runs.

Every tool under comparison runs in its own subprocess so that peak memory can be read for the whole
process tree (Beam's and datatrove's workers and datatrove's extractor sandbox are child processes):
`measure()` polls the tree with psutil and reports the peak of the summed resident set, plus the
`ru_maxrss` that `wait4` returns for the child (its largest single process) as a cross-check.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PY = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else sys.executable
HTML_ROOT = REPO.parent / "shared" / "data" / "web" / "html"
CORPORA = ("trafilatura-eval", "trafilatura-cache")


@dataclass(frozen=True)
class Page:
    path: Path
    url: str
    lang: str  # py3langid's guess from the manifest: used to choose which languages both tools keep


def load_pages(limit: int | None = None, root: Path = HTML_ROOT) -> list[Page]:
    """The real pages listed in the corpora's MANIFEST.tsv files, in a fixed order."""
    pages: list[Page] = []
    for corpus in CORPORA:
        manifest = root / corpus / "MANIFEST.tsv"
        if not manifest.exists():
            continue
        with manifest.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                p = root / corpus / row["file"]
                if p.is_file():
                    pages.append(Page(p, row.get("url") or f"https://example.invalid/{row['file']}",
                                      row.get("langid_py3langid") or ""))
    if not pages:
        raise SystemExit(f"no pages found under {root} (expected {', '.join(CORPORA)} with MANIFEST.tsv)")
    return pages[:limit] if limit else pages


def keep_languages(pages: list[Page], min_pages: int = 5) -> list[str]:
    """Languages frequent enough in the pages for both pipelines to keep (so every stage does work)."""
    counts: dict[str, int] = {}
    for p in pages:
        counts[p.lang] = counts.get(p.lang, 0) + 1
    return sorted(lang for lang, n in counts.items() if n >= min_pages and len(lang) == 2)


def pack_warcs(pages: list[Page], out_dir: Path, *, files: int = 8, copies: int = 1) -> list[Path]:
    """Write the pages as gzipped WARC `response` records spread round-robin over `files` files.

    `copies` > 1 repeats the whole set with distinct record ids and URLs (a query string), so inputs
    grow without new content: what the memory-scaling measurement needs.
    """
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out_dir.mkdir(parents=True, exist_ok=True)
    handles = [open(out_dir / f"pages-{i:03d}.warc.gz", "wb") for i in range(files)]
    writers = [WARCWriter(h, gzip=True) for h in handles]
    try:
        n = 0
        for copy in range(copies):
            for page in pages:
                body = page.path.read_bytes()
                url = page.url if copy == 0 else f"{page.url}{'&' if '?' in page.url else '?'}copy={copy}"
                http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                                   ("Content-Length", str(len(body)))],
                                        protocol="HTTP/1.1")
                rid = f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{copy}:{page.path.name}')}>"
                record = writers[n % files].create_warc_record(
                    url, "response", payload=io.BytesIO(body), http_headers=http,
                    warc_headers_dict={"WARC-Record-ID": rid, "WARC-Date": "2024-01-01T00:00:00Z",
                                       "WARC-Identified-Payload-Type": "text/html"},
                )
                writers[n % files].write_record(record)
                n += 1
    finally:
        for h in handles:
            h.close()
    return sorted(out_dir.glob("*.warc.gz"))


def write_recipe(path: Path, *, inputs: Path, output: Path, langs: list[str], minhash: bool) -> Path:
    """The kazcorpus recipe of the comparison: full per-document stack and exact dedup."""
    recipe = {
        "inputs": [{"path": str(inputs / "*.warc.gz"), "source": "bench", "kind": "warc"}],
        "output": str(output),
        "langid": {"enabled": True, "keep": langs, "min_score": 0.5},
        "pii": {"enabled": True},
        "quality": {"enabled": True},
        "toxicity": {"enabled": True},
        "dedup": {"exact": True, "minhash": minhash, "backend": "cpu"},
    }
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Measured:
    label: str
    docs: int
    seconds: float
    peak_rss_mb: float  # peak of the summed RSS of the process tree (sampled every 50 ms)
    max_single_rss_mb: float  # ru_maxrss of the largest child process
    rc: int
    cpu_s: float = 0.0  # user + system CPU seconds of the whole tree: robust to other load on the machine
    extra: dict = field(default_factory=dict)

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.seconds if self.seconds > 0 else float("nan")

    @property
    def docs_per_cpu_s(self) -> float:
        return self.docs / self.cpu_s if self.cpu_s > 0 else float("nan")


def _tree_sample(proc, cpu_by_pid: dict[int, float]) -> int:
    """Summed RSS of the tree now; records each process's CPU seconds so far in `cpu_by_pid`."""
    import psutil

    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    for p in procs:
        try:
            with p.oneshot():
                total += p.memory_info().rss
                t = p.cpu_times()
                cpu_by_pid[p.pid] = t.user + t.system
        except psutil.Error:
            continue
    return total


def measure(label: str, cmd: list[str], *, docs: int, env: dict | None = None, cwd: Path | None = None,
            log: Path | None = None, timeout: float | None = None) -> Measured:
    """Run `cmd` to completion; wall time and peak memory of its whole process tree."""
    import psutil

    out = open(log, "wb") if log else subprocess.DEVNULL
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    ps = psutil.Process(proc.pid)
    peak = 0
    cpu_by_pid: dict[int, float] = {}
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_sample(ps, cpu_by_pid))
            done.wait(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    killer = threading.Timer(timeout, proc.kill) if timeout else None
    if killer:
        killer.start()
    # wait4, not wait: its rusage is this child's own (ru_maxrss: its largest process), where
    # getrusage(RUSAGE_CHILDREN) would mix in every earlier run.
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    if killer:
        killer.cancel()
    done.set()
    t.join()
    if log:
        out.close()
    extra = {}
    if log and rc != 0:
        extra["tail"] = Path(log).read_text(errors="replace")[-2000:]
    # CPU: wait4 counts the child and the descendants it reaped; the samples also see workers that
    # were never reaped (they miss each process's last 50 ms). The larger of the two is kept.
    cpu = max(usage.ru_utime + usage.ru_stime, sum(cpu_by_pid.values()))
    return Measured(label, docs, seconds, peak / 2**20, usage.ru_maxrss / 1024, rc, cpu, extra)


def read_json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def gunzip_size(path: Path) -> int:
    with gzip.open(path, "rb") as f:
        return sum(len(c) for c in iter(lambda: f.read(1 << 20), b""))


def env_single_thread() -> dict:
    """Child environment: BLAS/OpenMP pools pinned to one thread so 'workers' means cores used."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TOKENIZERS_PARALLELISM"):
        env[var] = "1" if var != "TOKENIZERS_PARALLELISM" else "false"
    return env
