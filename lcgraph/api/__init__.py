"""The HTTP layer: the SPARQL 1.1 Protocol (``/sparql``), the Graph Store Protocol (``/store``) and friends.

Start at :func:`lcgraph.api.app.create_app`. Nothing is imported here, so a
query worker process (:mod:`lcgraph.api.query_worker`) starts without
loading the web framework.
"""
