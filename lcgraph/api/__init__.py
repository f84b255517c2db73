"""The HTTP layer: the SPARQL 1.1 Protocol (``/sparql``), the Graph Store Protocol (``/store``) and friends.

Start at :func:`lcgraph.app.create_app` (above this package and :mod:`lcgraph.web`);
``lcgraph serve`` runs it as :mod:`lcgraph.api.serving` describes. Every query goes through
:mod:`lcgraph.api.query_service`.
"""
