"""One writer per output directory: an exclusive lock file naming its holder.

``DirectoryLock(DIR)`` holds ``DIR/.mirl.lock`` while a sweep plans, trains and stores into
``DIR``. The file holds the holder's host, pid, start time and command line, so that a
second writer is refused at once with a message saying who holds the directory.

Exclusion is the kernel's: the holder keeps an ``flock`` on the file, which the kernel
releases when the process ends, however it ends. So a lock left by a process that was
killed (SIGKILL, a crashed machine) is found not held and taken over, with a note naming
the dead holder. A lock file naming a process of another host is not taken over while the
file system may not pass ``flock`` between hosts: the message says to delete it if nothing
runs there any more. On file systems without ``flock`` (some network mounts) the lock
falls back to the file's contents: held while its process lives on this host.

Taking the lock creates the directory and a file in it, so it is also the check that the
directory is writable, made before any training.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCK_NAME = ".mirl.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: contents only
    fcntl = None


class LockError(RuntimeError):
    """The directory is held by another writer, or cannot be written at all."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a lock: from the lock file's contents."""

    host: str
    pid: int
    since: float
    command: str

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            return cls(str(data["host"]), int(data["pid"]), float(data["since"]), data["command"])
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        return f"pid {self.pid} on host {self.host}, since {since}: {self.command}"


def _this_host() -> str:
    return platform.node() or "localhost"


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _writable_dir(root: Path) -> None:
    """Create ``root`` if needed; a ``LockError`` naming the problem if it cannot be."""
    for parent in (root, *root.parents):
        if parent.exists():
            if not parent.is_dir():
                raise LockError(
                    f"cannot use {str(root)!r} as an output directory: {str(parent)!r} is a file"
                )
            break
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise LockError(
            f"cannot create the output directory {str(root)!r}: {err.strerror or err}"
        ) from None


class DirectoryLock:
    """The exclusive lock of an output directory (a context manager; see the module doc).

    ``note`` is called with a line to show the user when a stale lock is taken over.
    """

    def __init__(self, root: str | os.PathLike, command: str | None = None, note=None):
        self.root = Path(root)
        self.path = self.root / LOCK_NAME
        self.command = command if command is not None else " ".join(["mirl", *sys.argv[1:]])
        self.note = note or (lambda line: print(line, file=sys.stderr, flush=True))
        self._fd: int | None = None

    def _refuse(self, holder: Holder | None, extra: str = "") -> LockError:
        who = holder.describe() if holder else "a process whose lock file is unreadable"
        return LockError(
            f"{self.root} is in use by another mirl ({who}); one writer per output "
            f"directory: wait for it to finish, or use another --out{extra}"
        )

    def acquire(self) -> DirectoryLock:
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this lock")
        _writable_dir(self.root)
        for _ in range(100):  # the file may be removed by its holder between open and lock
            fd = self._open()
            try:
                flocked = self._flock(fd)
                if os.fstat(fd).st_ino != os.stat(self.path).st_ino:
                    raise FileNotFoundError(self.path)  # unlinked under us: open the new one
                self._claim(fd, flocked)
            except FileNotFoundError:
                os.close(fd)
                continue
            except BaseException:
                os.close(fd)
                raise
            self._fd = fd
            return self
        raise LockError(f"could not take {self.path}: it keeps being replaced")

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise LockError(
                f"cannot write to the output directory {str(self.root)!r}: {err.strerror or err}"
            ) from None

    def _flock(self, fd: int) -> bool:
        """Take the kernel lock; False where the file system has none."""
        if fcntl is None:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise self._refuse(Holder.parse(_read(fd))) from None
        except OSError as err:
            if err.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                return False
            raise
        return True

    def _claim(self, fd: int, flocked: bool) -> None:
        """Write this process into the lock file, after deciding that whoever the file
        names (if anyone) no longer holds it."""
        text = _read(fd)
        holder = Holder.parse(text)
        me = _this_host()
        if holder is not None and (holder.host, holder.pid) != (me, os.getpid()):
            if holder.host != me:
                raise self._refuse(
                    holder,
                    f"; if no mirl runs on {holder.host} any more, delete {self.path}",
                )
            if _alive(holder.pid) and not flocked:
                raise self._refuse(holder)
            self.note(
                f"mirl: taking over the lock of {self.root} left by pid {holder.pid} "
                f"({holder.command}), which is no longer running"
            )
        elif holder is None and text.strip() and not flocked:
            raise self._refuse(None, f"; if no mirl runs any more, delete {self.path}")
        mine = {"host": me, "pid": os.getpid(), "since": time.time(), "command": self.command}
        payload = json.dumps(mine).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, payload, 0)
        os.fsync(fd)

    def release(self) -> None:
        """Remove the lock file (while still holding it) and let go."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            if os.fstat(self._fd).st_ino == os.stat(self.path).st_ino:
                self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> DirectoryLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 4096, 0).decode(errors="replace")
    except OSError:
        return ""


def holder_of(root: str | os.PathLike) -> Holder | None:
    """Who the lock file of ``root`` names, if there is one (held or stale)."""
    try:
        return Holder.parse((Path(root) / LOCK_NAME).read_text())
    except OSError:
        return None


@contextlib.contextmanager
def writing(out: str | os.PathLike, command: str | None = None) -> Iterator[Path]:
    """Hold ``out`` as its one writer, after checking that results can be stored in
    ``out/runs``; yields ``out`` as a path. Raises ``LockError`` (held by another writer,
    or not writable) before anything is stored.

    If the block fails before storing anything, the folders this made are removed."""
    out = Path(out)
    created = [p for p in (out / "runs", out, *out.parents) if not p.exists()]
    lock = DirectoryLock(out, command).acquire()
    failed = True
    try:
        runs = out / "runs"
        if runs.exists() and not runs.is_dir():
            raise LockError(f"cannot store results in {out}: {runs} is a file")
        try:
            runs.mkdir(exist_ok=True)
            with tempfile.TemporaryFile(dir=runs):
                pass
        except OSError as err:
            raise LockError(f"cannot store results in {runs}: {err.strerror or err}") from None
        yield out
        failed = False
    finally:
        lock.release()
        if failed:
            for folder in created:  # deepest first; rmdir removes only empty folders
                with contextlib.suppress(OSError):
                    folder.rmdir()
