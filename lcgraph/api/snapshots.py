"""Read-only snapshots of the on-disk store, for the query worker processes.

For :mod:`lcgraph.api.query_pool`. The web server process owns the store
(RocksDB allows one writer). Query workers must not open a store another
process writes to (pyoxigraph calls that undefined behaviour), so they open
checkpoints instead: ``Store.backup`` makes a consistent copy made of hard
links, in a few milliseconds, that nobody ever writes to.

After a write, the next query takes a fresh checkpoint, so a client always
reads its own writes. A checkpoint is deleted when no worker has it open
and a newer one exists.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from lcgraph.store import Dataset

log = logging.getLogger("lcgraph.api")


@dataclass(frozen=True)
class Snapshot:
    """One checkpoint: its directory and the write generation it reflects."""

    path: str
    generation: int


class Snapshots:
    """The current checkpoint of a dataset, renewed lazily after writes."""

    def __init__(self, dataset: Dataset, root: Path) -> None:
        if dataset.path is None:
            raise ValueError("snapshots need an on-disk dataset")
        self._dataset = dataset
        self.root = root
        self._generation = 0  # bumped by every write
        self._current: Snapshot | None = None
        self._users: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._counter = 0
        self._mutex = threading.Lock()

    @staticmethod
    def root_for(dataset_path: Path) -> Path:
        """Where checkpoints of the store at ``dataset_path`` live (same file system, for hard links)."""
        return dataset_path.parent / f".{dataset_path.name}.snapshots"

    def start(self) -> None:
        # Checkpoints left by a server that was killed are stale: remove them.
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def mark_written(self) -> None:
        """Record that the store changed; the next query reads a new checkpoint."""
        with self._mutex:
            self._generation += 1

    async def current(self) -> Snapshot:
        """The checkpoint to read from now, made if the store changed since the last one."""
        current = self._current
        if current is not None and current.generation == self._generation:
            return current
        async with self._lock:
            current = self._current
            if current is None or current.generation != self._generation:
                current = await asyncio.to_thread(self._checkpoint)
                old, self._current = self._current, current
                if old is not None:
                    self._collect(old.path)
            return current

    def _checkpoint(self) -> Snapshot:
        with self._mutex:
            generation = self._generation
            self._counter += 1
            counter = self._counter
        path = self.root / f"{counter:08d}"
        self._dataset.store.backup(str(path))
        return Snapshot(str(path), generation)

    def acquire(self, path: str) -> None:
        """A worker opened ``path``."""
        self._users[path] = self._users.get(path, 0) + 1

    def release(self, path: str) -> None:
        """A worker closed ``path`` (or died)."""
        count = self._users.get(path, 0) - 1
        if count > 0:
            self._users[path] = count
            return
        self._users.pop(path, None)
        self._collect(path)

    def _collect(self, path: str) -> None:
        if self._users.get(path) or (self._current is not None and self._current.path == path):
            return
        shutil.rmtree(path, ignore_errors=True)
