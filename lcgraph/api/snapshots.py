"""Read-only snapshots of the on-disk store, for the processes that answer queries.

For the writer of ``lcgraph serve`` (:mod:`lcgraph.api.serving`), which owns
the store (RocksDB allows one writer), and the query processes, which read
the snapshots (:class:`lcgraph.api.views.SnapshotViews`). Other processes
must not open a store another process writes to (pyoxigraph calls that
undefined behaviour), so they open checkpoints instead: ``Store.backup``
makes a consistent copy made of hard links, in a few milliseconds, that
nobody ever writes to.

After a write that changed the store, the writer makes a new checkpoint
before the write's answer leaves (:meth:`Snapshots.ensure_current`), so a
client always reads its own writes. The newest checkpoint's name is
published in ``CURRENT`` (replaced atomically); then the counter in
``PUBLISHED`` (8 bytes, memory-mapped by every reader) goes up by one, so a
reader learns of a new checkpoint by reading memory instead of asking the
file system on every request.

A checkpoint is deleted once a newer one exists and nobody reads it: every
reader holds a shared ``flock`` on ``<name>.lock`` beside the checkpoint,
which the collector must be able to take exclusively first.

While it serves, the writer also holds an exclusive ``flock`` on ``SERVER``
(its address and process id): :func:`serving` tells other processes, such as
the ``lcgraph`` commands, whether a live server holds the store, and
:func:`open_newest` lets them read its newest checkpoint meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import mmap
import os
import shutil
import struct
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lcgraph.store import Dataset, Repository

log = logging.getLogger("lcgraph.api")

CURRENT = "CURRENT"
"""File in the snapshot root naming the newest checkpoint."""
PUBLISHED = "PUBLISHED"
"""File in the snapshot root holding how many times ``CURRENT`` was replaced (see :class:`Counter`)."""
SERVER = "SERVER"
"""File in the snapshot root naming the serving process (JSON ``url``, ``pid``), locked while it serves."""
_COUNT = struct.Struct("<Q")


class Counter:
    """A number shared by processes through a memory-mapped 8-byte file.

    One process (the core) raises it; the others read it, as often as they
    like, for the price of a memory read. Only its changes matter: a reader
    that sees a new value reads ``CURRENT`` again.
    """

    def __init__(self, path: Path, writer: bool = False) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT if writer else os.O_RDONLY, 0o644)
        try:
            if writer:
                os.ftruncate(fd, _COUNT.size)
            self._map = mmap.mmap(fd, _COUNT.size, access=mmap.ACCESS_WRITE if writer else mmap.ACCESS_READ)
        finally:
            os.close(fd)

    def value(self) -> int:
        return int(_COUNT.unpack_from(self._map)[0])

    def bump(self) -> None:
        _COUNT.pack_into(self._map, 0, self.value() + 1)

    def close(self) -> None:
        self._map.close()


@dataclass(frozen=True)
class Snapshot:
    """One checkpoint: its directory and the write generation it reflects."""

    path: str
    generation: int


def lock_path(snapshot_path: str | Path) -> str:
    """The lock file readers in other processes hold (shared) while they use a checkpoint."""
    return f"{snapshot_path}.lock"


class Snapshots:
    """The current checkpoint of a dataset, renewed after writes."""

    def __init__(self, dataset: Dataset, root: Path, url: str | None = None) -> None:
        if dataset.path is None:
            raise ValueError("snapshots need an on-disk dataset")
        self._dataset = dataset
        self.root = root
        self.url = url  # where the server listens, for the SERVER file
        self._server_fd: int | None = None
        self._generation = 0  # bumped by every write
        self._current: Snapshot | None = None
        self._users: dict[str, int] = {}
        self._pending: set[str] = set()  # superseded, still read by another process
        self._counter = 0
        self._mutex = threading.Lock()  # generation, users
        self._making = threading.Lock()  # one checkpoint at a time
        self._published: Counter | None = None

    @staticmethod
    def root_for(dataset_path: Path) -> Path:
        """Where checkpoints of the store at ``dataset_path`` live (same file system, for hard links)."""
        return dataset_path.parent / f".{dataset_path.name}.snapshots"

    def start(self) -> None:
        # Checkpoints left by a server that was killed are stale: remove them.
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)
        self._published = Counter(self.root / PUBLISHED, writer=True)
        self._server_fd = _claim(self.root / SERVER, {"url": self.url, "pid": os.getpid()})

    def close(self) -> None:
        if self._published is not None:
            self._published.close()
            self._published = None
        shutil.rmtree(self.root, ignore_errors=True)
        if self._server_fd is not None:
            os.close(self._server_fd)
            self._server_fd = None

    def mark_written(self) -> None:
        """Record that the store changed; the next reader gets a new checkpoint."""
        with self._mutex:
            self._generation += 1

    @property
    def fresh(self) -> bool:
        """Whether the current checkpoint reflects every write so far."""
        current = self._current
        return current is not None and current.generation == self._generation

    async def current(self) -> Snapshot:
        """The checkpoint to read from now, made if the store changed since the last one."""
        current = self._current
        if current is not None and current.generation == self._generation:
            return current
        return await asyncio.to_thread(self.ensure_current)

    def ensure_current(self) -> Snapshot:
        """Like :meth:`current`, from any thread (blocks while the checkpoint is made)."""
        with self._making:
            current = self._current
            if current is not None and current.generation == self._generation:
                return current
            fresh = self._checkpoint()
            old, self._current = self._current, fresh
            self._publish(fresh)
            if old is not None:
                self._collect(old.path)
            self._sweep()
            return fresh

    def _checkpoint(self) -> Snapshot:
        with self._mutex:
            generation = self._generation
            self._counter += 1
            counter = self._counter
        path = self.root / f"{counter:08d}"
        Path(lock_path(path)).touch()
        self._dataset.checkpoint(path)
        return Snapshot(str(path), generation)

    def _publish(self, snapshot: Snapshot) -> None:
        temporary = self.root / f".{CURRENT}.{os.getpid()}"
        temporary.write_text(Path(snapshot.path).name + "\n")
        os.replace(temporary, self.root / CURRENT)
        if self._published is not None:
            self._published.bump()

    def acquire(self, path: str) -> None:
        """A worker of this process opened ``path``."""
        with self._mutex:
            self._users[path] = self._users.get(path, 0) + 1

    def release(self, path: str) -> None:
        """A worker of this process closed ``path`` (or died)."""
        with self._mutex:
            count = self._users.get(path, 0) - 1
            if count > 0:
                self._users[path] = count
                return
            self._users.pop(path, None)
        self._collect(path)

    def _collect(self, path: str) -> None:
        with self._mutex:
            if self._users.get(path) or (self._current is not None and self._current.path == path):
                return
        if not self._unused_elsewhere(path):
            self._pending.add(path)
            return
        self._pending.discard(path)
        shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path(path))

    def _sweep(self) -> None:
        """Delete superseded checkpoints other processes have let go of since."""
        for path in list(self._pending):
            self._collect(path)

    @staticmethod
    def _unused_elsewhere(path: str) -> bool:
        """True if no other process holds the checkpoint's lock (and none can take it now)."""
        try:
            fd = os.open(lock_path(path), os.O_RDONLY)
        except FileNotFoundError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        # Keep the exclusive lock until the file is gone: a reader that opens it
        # now blocks, then finds the checkpoint deleted and reads CURRENT again.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path(path))
        os.close(fd)
        return True


def _claim(path: Path, record: dict[str, object]) -> int:
    """Write ``record`` to ``path`` under an exclusive ``flock`` kept for as long as the fd is open."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, json.dumps(record).encode())
    os.replace(temporary, path)  # the lock is on the file, which now has the public name
    return fd


@dataclass(frozen=True)
class Server:
    """The live ``lcgraph serve`` that holds a store: where it listens and its process id."""

    url: str | None
    pid: int | None


def serving(store_path: Path) -> Server | None:
    """The live server that holds the store at ``store_path``, or None if no server runs on it.

    A server killed without closing leaves its ``SERVER`` file, but not its lock.
    """
    try:
        fd = os.open(Snapshots.root_for(store_path) / SERVER, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                record = json.loads(os.read(fd, 4096) or b"{}")
            except ValueError:
                record = {}
            return Server(record.get("url"), record.get("pid"))
        return None
    finally:
        os.close(fd)


class SnapshotsChanging(RuntimeError):
    """The newest checkpoint kept being replaced while a reader tried to lock it."""


@dataclass(frozen=True)
class Held:
    """A checkpoint locked for reading: its name, directory, when it was made, and the locked fd."""

    name: str
    path: Path
    made: datetime
    fd: int


def hold_newest(root: Path, tries: int = 50) -> Held:
    """Lock the newest published checkpoint (shared ``flock``) so it is not collected while read.

    Raises FileNotFoundError if nothing is published yet, :class:`SnapshotsChanging` if it kept
    being replaced. Close ``fd`` to let it go.
    """
    for _ in range(tries):
        name = (root / CURRENT).read_text().strip()
        path = root / name
        try:
            fd = os.open(lock_path(path), os.O_RDONLY)
        except FileNotFoundError:
            continue  # collected after CURRENT moved on: read it again
        fcntl.flock(fd, fcntl.LOCK_SH)
        try:
            kept = os.stat(lock_path(path)).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            kept = False
        if not kept:  # collected between reading CURRENT and locking
            os.close(fd)
            continue
        # The lock file is touched just before the checkpoint is made.
        return Held(name, path, datetime.fromtimestamp(os.fstat(fd).st_mtime), fd)
    raise SnapshotsChanging("the store's snapshot kept changing; try again")


def open_held(held: Held) -> Repository:
    """Open a held checkpoint read-only; its lock goes when the dataset is collected."""
    dataset = Dataset.open_read_only(held.path)
    weakref.finalize(dataset, os.close, held.fd)
    return dataset


def open_newest(store_path: Path) -> tuple[Repository, datetime]:
    """For another process: the newest checkpoint the server of ``store_path`` published, and its time."""
    held = hold_newest(Snapshots.root_for(store_path))
    return open_held(held), held.made
