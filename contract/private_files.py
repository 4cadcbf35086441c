"""Files only their owner may read: the data directory and what is written into it.

The data directory holds conversations (SQLite checkpoints), approval requests, the audit log and
its key, the docs index and the demo cluster's credentials. On a shared host none of that is for
other users, so the directory is created 0700 and the process's umask gains 077 before anything
is written into it: every file a library creates there (SQLite and its WAL, Chroma, caches) is
born 0600 without each writer having to remember. A data directory left open by an earlier
version is closed, with everything in it, the first time it is used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
OTHERS = stat.S_IRWXG | stat.S_IRWXO


def private_data_dir(path: Path) -> Path:
    """Create (or close) ``path`` as a directory only its owner can enter, and keep new files private."""
    restrict_umask()
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    mode = path.stat().st_mode
    if mode & OTHERS:
        log.warning(
            "data directory %s was readable by others (%o): making it and its files private", path, mode & 0o777
        )
        _close_tree(path)
    return path


def restrict_umask() -> None:
    """Add 077 to the umask (never loosen it): files and directories are created for their owner only."""
    current = os.umask(0o077)
    if current | 0o077 != 0o077:
        os.umask(current | 0o077)


def write_private(path: Path, data: str | bytes) -> None:
    """Write ``path`` atomically, readable by its owner only from the first byte (no chmod afterwards)."""
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, PRIVATE_FILE)  # O_CREAT's mode does not apply to a file that already existed
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def open_private(path: Path, mode: str = "a+"):
    """Open ``path`` (text, UTF-8), creating it 0600 if it does not exist; an existing file is made 0600."""
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    flags = os.O_CREAT | (os.O_RDWR if "+" in mode or "r" in mode else os.O_WRONLY)
    if "a" in mode:
        flags |= os.O_APPEND
    fd = os.open(path, flags, PRIVATE_FILE)
    if os.fstat(fd).st_mode & OTHERS:
        os.fchmod(fd, PRIVATE_FILE)
    return os.fdopen(fd, mode, encoding="utf-8")


def _close_tree(root: Path) -> None:
    """Take group and other permissions off ``root`` and everything under it (links are not followed)."""
    for dirpath, _dirnames, filenames in os.walk(root):
        _chmod(dirpath, PRIVATE_DIR)
        for name in filenames:
            full = os.path.join(dirpath, name)
            if not os.path.islink(full):
                _chmod(full, os.stat(full).st_mode & 0o700)


def _chmod(path: str, mode: int) -> None:
    try:
        os.chmod(path, mode)
    except OSError as exc:  # a file owned by someone else: say so, the rest is still closed
        log.warning("cannot make %s private: %s", path, exc)
