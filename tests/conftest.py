"""Shared fixtures: real lcgraph servers on free loopback ports over temp on-disk stores.

The server itself is :class:`live_server.RunningServer`. Every module that needs
one uses these fixtures:

* ``live`` — one server per module. Its store is filled before the server
  opens it by the module's ``live_seed`` fixture (default: empty store), with
  the settings of its ``live_settings`` fixture (default: the test tokens)::

      @pytest.fixture(scope="module")
      def live_seed() -> Seed:
          return fill                     # lcgraph.synthetic-style filler of a Dataset

* ``server`` — the module's ``live`` server with an empty store for this test.
* ``served_server`` — one server per module as ``lcgraph serve`` runs it: the
  writer and two query processes.
* ``server_factory`` / ``module_server_factory`` — servers with any settings
  (``server_factory(max_body_bytes=1000, seed=…, workers=2)``), stopped after
  the test or the module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from live_server import RunningServer, Seed, start_server

# Real stores (oxigraph serve, Virtuoso) and the `repository` fixture over every backend.
from stores import oxigraph_server, repository, virtuoso_server  # noqa: F401


def _factory(tmp_factory: pytest.TempPathFactory) -> tuple[Callable[..., RunningServer], list[RunningServer]]:
    started: list[RunningServer] = []

    def make(**overrides: Any) -> RunningServer:
        server = start_server(tmp_factory.mktemp("store") / "db", **overrides)
        started.append(server)
        return server

    return make, started


@pytest.fixture
def server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RunningServer]]:
    """Start servers with settings overrides; each is stopped after the test."""
    make, started = _factory(tmp_path_factory)
    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def module_server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RunningServer]]:
    """Like ``server_factory``, but the servers live for the whole test module."""
    make, started = _factory(tmp_path_factory)
    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def live_seed() -> Seed | None:
    """What the module's ``live`` server holds when it starts; override in a module to fill it."""
    return None


@pytest.fixture(scope="module")
def live_settings() -> dict[str, Any]:
    """Settings overrides of the module's ``live`` server; override in a module to change them."""
    return {}


@pytest.fixture(scope="module")
def live(
    module_server_factory: Callable[..., RunningServer], live_seed: Seed | None, live_settings: dict[str, Any]
) -> RunningServer:
    """One server per test module over the store ``live_seed`` fills before it starts."""
    return module_server_factory(seed=live_seed, **live_settings)


@pytest.fixture
def server(live: RunningServer) -> RunningServer:
    """The module's server, with an empty store for this test."""
    live.reset()
    return live


@pytest.fixture(scope="module")
def served_server(module_server_factory: Callable[..., RunningServer]) -> RunningServer:
    """One server per test module as ``lcgraph serve`` runs it: two query processes and the writer."""
    return module_server_factory(workers=2)
