"""The ``lcgraph`` command line: a thin shell over the services, one module per command group.

For data stewards, researchers, analysts and maintainers. Every command that
uses a store takes ``--data DIR`` (or ``LCGRAPH_DATA``); errors are one line
on stderr with exit code 2 and leave the store as it was. While ``lcgraph
serve`` holds the store, read commands read its newest snapshot and write
commands say how to write through it (:mod:`lcgraph.cli.common`).

* :mod:`lcgraph.cli.store` — ``version``, ``init``, ``load``, ``query``, ``export``, ``stats``
* :mod:`lcgraph.cli.validate` — ``validate``
* :mod:`lcgraph.cli.ingest` — ``import``, ``history``, ``templates``
* :mod:`lcgraph.cli.synthetic` — ``generate``
* :mod:`lcgraph.cli.analysis` — ``gaps``
* :mod:`lcgraph.cli.serve` — ``serve``
* :mod:`lcgraph.cli.publish` — ``privacy-check``, ``catalog``, ``describe``, ``search``

No service module imports this package.
"""

from __future__ import annotations

import typer

from lcgraph.cli import analysis, ingest, publish, serve, store, synthetic, validate

app = typer.Typer(
    name="lcgraph",
    help="lcgraph: the Learning City knowledge graph (RDF store, SHACL, gap analysis, SPARQL service).",
    no_args_is_help=True,
    add_completion=False,
)

for _group in (store, validate, ingest, synthetic, analysis, serve, publish):
    _group.register(app)


def main() -> None:
    app()
