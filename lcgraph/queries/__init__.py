"""Canned (named, parameterised) SPARQL queries shipped with lcgraph."""

from lcgraph.queries.registry import CannedQuery, CannedQueryError, Parameter, ParameterError, Registry

__all__ = ["CannedQuery", "CannedQueryError", "Parameter", "ParameterError", "Registry"]
