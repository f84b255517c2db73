"""Canned (named, parameterised) SPARQL queries shipped with lcgraph."""

from lcgraph.queries.canned import CannedQueries, CannedQuery, CannedQueryError, Parameter, ParameterError

__all__ = ["CannedQuery", "CannedQueryError", "Parameter", "ParameterError", "CannedQueries"]
