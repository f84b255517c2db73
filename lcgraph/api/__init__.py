"""The HTTP layer: the SPARQL 1.1 Protocol (``/sparql``), the Graph Store Protocol (``/store``) and friends.

Start at :func:`lcgraph.api.app.create_app`; ``lcgraph serve`` runs it as
:mod:`lcgraph.api.serving` describes. Every query goes through
:mod:`lcgraph.api.query_service`.
"""
