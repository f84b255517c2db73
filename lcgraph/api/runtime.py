"""What the SPARQL routers share while the server runs.

For ``create_app`` and the routers of ``lcgraph.api``. One
:class:`ServiceRuntime` per app (``app.state.runtime``) holds the dataset,
the query evaluator (worker processes over snapshots, or in-thread for an
in-memory store), the token registry and the limits, and knows which graphs
a caller may not see.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.requests import Request

from lcgraph.api.auth import READ_PRIVATE, Principal, TokenRegistry
from lcgraph.api.errors import Forbidden
from lcgraph.api.query_pool import InlineEvaluator, QueryPool, default_pool_size
from lcgraph.api.snapshots import Snapshots
from lcgraph.config import Settings
from lcgraph.namespaces import GRAPH_PRIVATE
from lcgraph.store import Dataset

T = TypeVar("T")

#: Graphs only a ``read-private`` token may read (personal data, PDPA).
PRIVATE_GRAPHS: tuple[str, ...] = (str(GRAPH_PRIVATE),)


def _setting(settings: Settings, name: str, env: str, default: int) -> int:
    """A limit from ``Settings`` if it has the field, else ``LCGRAPH_*`` env, else the default."""
    value = getattr(settings, name, None)
    if value is None:
        value = settings.extra.get(name) or os.environ.get(env) or default
    return int(value)


@dataclass
class ServiceRuntime:
    """The shared state of a running SPARQL service."""

    settings: Settings
    dataset: Dataset
    tokens: TokenRegistry
    evaluator: QueryPool | InlineEvaluator
    snapshots: Snapshots | None
    max_result_bytes: int
    generation: int = 0  # bumped by every write; keys caches of whole-store figures
    fronted: bool = False  # front-door processes answer queries from the published snapshot
    description_counts: tuple[int, int, dict[str, int]] | None = None

    @classmethod
    def create(cls, settings: Settings, dataset: Dataset) -> ServiceRuntime:
        snapshots: Snapshots | None = None
        evaluator: QueryPool | InlineEvaluator
        if dataset.path is not None:
            snapshots = Snapshots(dataset, Snapshots.root_for(dataset.path))
            size = _setting(settings, "query_workers", "LCGRAPH_QUERY_WORKERS", default_pool_size())
            evaluator = QueryPool(snapshots, size=size)
        else:
            evaluator = InlineEvaluator(dataset.store)
        return cls(
            settings=settings,
            dataset=dataset,
            tokens=TokenRegistry.from_settings(settings),
            evaluator=evaluator,
            snapshots=snapshots,
            max_result_bytes=_setting(settings, "max_result_bytes", "LCGRAPH_MAX_RESULT_BYTES", 256 << 20),
        )

    async def start(self) -> None:
        if self.snapshots is not None:
            self.snapshots.start()
        await self.evaluator.start()

    async def stop(self) -> None:
        await self.evaluator.close()
        if self.snapshots is not None:
            self.snapshots.close()
        self.dataset.flush()

    def mark_written(self) -> None:
        """Tell the query workers the store changed (the next query reads a new snapshot)."""
        self.generation += 1
        if self.snapshots is not None:
            self.snapshots.mark_written()

    async def publish_writes(self) -> None:
        """With front doors, make and publish the snapshot of a write before its answer leaves.

        A client that reads right after its write then reads it, whichever
        process answers (see :mod:`lcgraph.api.front`).
        """
        if self.fronted and self.snapshots is not None and not self.snapshots.fresh:
            await self.snapshots.current()

    def publish_now(self) -> None:
        """:meth:`mark_written` and, with front doors, publish at once (for writes outside HTTP)."""
        self.mark_written()
        if self.fronted and self.snapshots is not None:
            self.snapshots.ensure_current()

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
