"""What a request reads: the store as it is now, or the newest published snapshot of it.

For the service runtime (:mod:`lcgraph.api.runtime`). A :class:`ReadView`
is a dataset plus the *generation* it reflects (a number that changes with
every write that changed the store); caches of derived figures are keyed
by it.

* :class:`LiveViews` — the process that owns the store (the writer, or a
  single-process server): reads see the store itself; :meth:`mark_written`
  moves the generation on.
* :class:`SnapshotViews` — a query process of ``lcgraph serve``: reads see
  the newest checkpoint the writer published (:mod:`lcgraph.api.snapshots`),
  reopened when the shared publication counter moves (a memory read per
  request). A checkpoint stays locked (shared ``flock``) while any request
  of this process still holds its dataset, so the writer cannot delete it.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from lcgraph.api.errors import ServiceUnavailable
from lcgraph.api.snapshots import PUBLISHED, Counter, SnapshotsChanging, hold_newest, open_held
from lcgraph.store import Repository


@dataclass(frozen=True)
class ReadView:
    """A dataset to read, and the store generation it reflects.

    ``local``: the data is read in this process (an embedded store or a
    checkpoint of it), so a quick query may be evaluated on the event loop;
    ``False`` over a remote SPARQL store, whose answers wait on the network.
    """

    dataset: Repository
    generation: int
    local: bool = True


class LiveViews:
    """Reads see the store itself (the process that writes it, or any process over a remote store).

    The generation moves on with this process's writes and, every ``poll``
    seconds at most, when the repository's version changed (on a remote
    store, other lcgraph servers may have written; asking costs a request).
    """

    def __init__(self, dataset: Repository, poll: float = 0.0, *, local: bool = True) -> None:
        self._view = ReadView(dataset, 0, local)
        self._poll = poll
        self._seen = dataset.version()
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def current(self) -> ReadView:
        if self._poll and time.monotonic() - self._checked >= self._poll:
            with self._lock:
                if time.monotonic() - self._checked >= self._poll:
                    self._checked = time.monotonic()
                    version = self._view.dataset.version()
                    if version != self._seen:
                        self._seen = version
                        self._view = ReadView(self._view.dataset, self._view.generation + 1, self._view.local)
        return self._view

    def mark_written(self) -> None:
        with self._lock:
            self._seen = self._view.dataset.version()
            self._view = ReadView(self._view.dataset, self._view.generation + 1, self._view.local)

    def close(self) -> None:
        return None


class SnapshotViews:
    """Reads see the newest published checkpoint of the writer's store."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._counter: Counter | None = None
        self._view: ReadView | None = None
        self._name: str | None = None
        self._lock = threading.Lock()

    def current(self) -> ReadView:
        counter = self._counter
        if counter is None:
            try:
                counter = self._counter = Counter(self.root / PUBLISHED)
            except FileNotFoundError:
                raise ServiceUnavailable("the store is not ready for queries yet; try again") from None
        seen = counter.value()
        view = self._view
        if view is not None and view.generation == seen:
            return view
        with self._lock:
            if self._view is None or self._view.generation != seen:
                self._open(seen)
            assert self._view is not None
            return self._view

    def _open(self, generation: int) -> None:
        try:
            held = hold_newest(self.root)
        except FileNotFoundError:
            raise ServiceUnavailable("the store is not ready for queries yet; try again") from None
        except SnapshotsChanging as exc:
            raise ServiceUnavailable(str(exc)) from None
        if self._view is not None and held.name == self._name:
            os.close(held.fd)  # the dataset already open holds its own lock
            self._view = ReadView(self._view.dataset, generation)
            return
        # The lock goes when the last request holding this dataset lets go of it.
        self._view, self._name = ReadView(open_held(held), generation), held.name

    def mark_written(self) -> None:
        return None  # only the writer writes; its publication moves the counter

    def close(self) -> None:
        self._view = None
        if self._counter is not None:
            self._counter.close()
            self._counter = None
