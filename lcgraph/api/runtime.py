"""What the routers share while the server runs.

For ``create_app`` and the routers of ``lcgraph.api``. One
:class:`ServiceRuntime` per app (``app.state.runtime``) holds the settings,
the token registry and the *read views* (:mod:`lcgraph.api.views`): the
store itself in the process that owns it, the newest published snapshot in
a query process of ``lcgraph serve``. It is told about writes
(:meth:`ServiceRuntime.committed`: only when a commit changed the store),
publishes a snapshot for the query processes before the write's answer
leaves, and knows which graphs a caller may not see.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import Request

from lcgraph.api.auth import READ_PRIVATE, Principal, TokenRegistry
from lcgraph.api.errors import Forbidden
from lcgraph.api.snapshots import Snapshots
from lcgraph.api.views import LiveViews, ReadView, SnapshotViews
from lcgraph.config import Settings
from lcgraph.namespaces import GRAPH_PRIVATE
from lcgraph.store import Repository
from lcgraph.store.open import open_repository, store_spec

#: How often (seconds, at most) a process over a remote store asks whether another server wrote.
REMOTE_POLL = 1.0


def is_remote(settings: Settings) -> bool:
    """Does the deployment keep its data in a SPARQL store lcgraph does not run?"""
    return store_spec(settings).startswith("sparql:")


T = TypeVar("T")
log = logging.getLogger("lcgraph.api")

REPLACE_WITHIN = 60.0
"""Seconds a process with a runaway evaluation waits to be replaced before it stops by itself."""

#: Graphs only a ``read-private`` token may read (personal data, PDPA).
PRIVATE_GRAPHS: tuple[str, ...] = (str(GRAPH_PRIVATE),)


@dataclass
class ServiceRuntime:
    """The shared state of a running service.

    ``owner``: this process owns the store (it writes); else it is a query
    process reading published snapshots and handing writes to the owner.
    """

    settings: Settings
    tokens: TokenRegistry
    views: LiveViews | SnapshotViews
    owner: bool
    snapshots: Snapshots | None = None  # set when query processes read this owner's snapshots
    stuck: int = 0  # evaluations that did not stop when asked
    started: float = field(default_factory=time.time)
    description_counts: tuple[int, int, dict[str, int]] | None = None

    @classmethod
    def create(cls, settings: Settings, dataset: Repository | None) -> ServiceRuntime:
        """The runtime of the owner (over ``dataset``) or of a query process (``dataset=None``).

        A query process of an embedded store reads the snapshots the owner publishes; over a
        remote SPARQL store it reads the store itself (each process its own connection).
        """
        views: LiveViews | SnapshotViews
        remote = is_remote(settings)
        if dataset is not None:
            views = LiveViews(dataset, poll=REMOTE_POLL if remote else 0.0, local=not remote)
        elif remote:
            views = LiveViews(open_repository(store_spec(settings), settings), poll=REMOTE_POLL, local=False)
        else:
            assert settings.snapshots_dir is not None
            views = SnapshotViews(settings.snapshots_dir)
        return cls(settings, TokenRegistry.from_settings(settings), views, owner=dataset is not None)

    @property
    def dataset(self) -> Repository:
        """The dataset requests read now (the store itself, or the newest snapshot)."""
        return self.views.current().dataset

    def view(self) -> ReadView:
        return self.views.current()

    @property
    def generation(self) -> int:
        """Changes whenever the store changed; keys caches of whole-store figures."""
        return self.views.current().generation

    async def start(self) -> None:
        if self.snapshots is not None:
            self.snapshots.start()
            await asyncio.to_thread(self.snapshots.ensure_current)

    async def stop(self) -> None:
        if self.snapshots is not None:
            self.snapshots.close()
        if self.owner:
            self.views.current().dataset.flush()
        self.views.close()

    def mark_written(self) -> None:
        """The store changed: new generation; query processes get a new snapshot before this returns."""
        self.views.mark_written()
        if self.snapshots is not None:
            self.snapshots.mark_written()
            self.snapshots.ensure_current()

    async def committed(self, changed: bool) -> None:
        """Called by every route that wrote; only a commit that changed the store counts."""
        if changed:
            await asyncio.to_thread(self.mark_written)

    def on_stuck(self) -> None:
        """An evaluation did not stop at its time limit: a query process is replaced.

        The supervisor is asked (SIGHUP, uvicorn's "restart the processes") to
        start a fresh process and only then stop this one gracefully, so the
        port always has processes answering. Meanwhile this process asks its
        clients to close their connections after each answer (so none is
        cut when it stops). One request per store process is enough: a
        restart replaces every process started before it was asked for.
        """
        self.stuck += 1
        if self.owner:
            log.warning("a query passed its time limit and keeps computing in a thread of this process")
            return
        if self.stuck > 1:
            return
        log.warning("a query would not stop at its time limit; this process drains and is replaced")
        assert self.settings.snapshots_dir is not None
        asked = self.settings.snapshots_dir / "restart-asked"
        try:
            already = asked.stat().st_mtime >= self.started
        except FileNotFoundError:
            already = False
        if not already:
            asked.touch()
            os.kill(os.getppid(), signal.SIGHUP)
        # If the supervisor gives up on the restart (a replacement not ready in time), leave anyway.
        asyncio.get_running_loop().call_later(REPLACE_WITHIN, os.kill, os.getpid(), signal.SIGTERM)

    def hidden_for(self, principal: Principal) -> tuple[str, ...]:
        """The graphs ``principal`` may not read."""
        return () if principal.can(READ_PRIVATE) else PRIVATE_GRAPHS

    def check_readable(self, principal: Principal, graphs: list[str] | tuple[str, ...] | None) -> None:
        """403 if ``graphs`` names a graph ``principal`` may not read."""
        hidden = set(self.hidden_for(principal))
        for graph in graphs or ():
            if graph in hidden:
                raise Forbidden(
                    f"the graph <{graph}> holds personal data; reading it needs a token "
                    "with the 'read-private' scope (Authorization: Bearer <token>)"
                )

    async def blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking store work in a thread."""
        return await asyncio.to_thread(fn, *args, **kwargs)


def runtime(request: Request) -> ServiceRuntime:
    """The :class:`ServiceRuntime` of the app serving ``request``."""
    return request.app.state.runtime
