"""File access through Beam's FileSystems, so `gs://`, `s3://` and `hdfs://` outputs work like local ones.

Everything that writes output goes through `atomic_write`: write to a temporary name, then rename, so
a killed run never leaves a half-written shard under its final name.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import uuid
from collections.abc import Callable
from typing import IO

from apache_beam.io.filesystems import FileSystems


def is_remote(path: str) -> bool:
    return "://" in path


def join(base: str, *parts: str) -> str:
    if is_remote(base):
        return posixpath.join(base, *parts)
    return os.path.join(base, *parts)


def exists(path: str) -> bool:
    return FileSystems.exists(path)


def open_read(path: str) -> IO[bytes]:
    if not is_remote(path):
        return open(path, "rb")
    return FileSystems.open(path)


def read_bytes(path: str) -> bytes:
    with open_read(path) as f:
        return f.read()


def atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Call `write(fileobj)` on a temporary file next to `path`, then rename it to `path`."""
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    if not is_remote(path):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        try:
            with open(tmp, "wb") as f:
                write(f)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return
    with FileSystems.create(tmp) as f:
        write(f)
    if FileSystems.exists(path):
        FileSystems.delete([path])
    FileSystems.rename([tmp], [path])


def write_bytes(path: str, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))


def sha256_file(path: str, *, chunk: int = 1 << 20) -> tuple[int, str]:
    """(size in bytes, sha256 hex) of a file, streamed."""
    h = hashlib.sha256()
    size = 0
    with open_read(path) as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            size += len(block)
            h.update(block)
    return size, h.hexdigest()


def list_files(pattern: str) -> list[str]:
    if not is_remote(pattern):
        import glob

        return sorted(glob.glob(pattern))
    return sorted(m.path for r in FileSystems.match([pattern]) for m in r.metadata_list)


def delete(paths: list[str]) -> None:
    paths = [p for p in paths if exists(p)]
    if paths:
        FileSystems.delete(paths)
