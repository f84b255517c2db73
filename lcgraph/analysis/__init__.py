"""Network-gap analysis of the learning-city knowledge graph (networkx).

For policy analysts: :func:`lcgraph.analysis.gaps.analyse` turns the store
into ranked findings (Thai and English), partnership suggestions and GNLC
readiness scorecards; :mod:`report` renders them, :mod:`rdf_out` writes
them back to the store as RDF with provenance.
"""
