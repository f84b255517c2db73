"""Storage: the repository seam, the embedded repository, and the RDF formats they read and write."""

from lcgraph.store.dataset import Dataset, LoadError, LoadResult, OxigraphRepository
from lcgraph.store.formats import (
    FORMATS,
    Format,
    UnknownFormat,
    by_media_type,
    by_name,
    for_path,
    format_names,
)
from lcgraph.store.repository import ConcurrentChange, Repository, StoreUnavailable

__all__ = [
    "FORMATS",
    "ConcurrentChange",
    "Dataset",
    "Format",
    "LoadError",
    "LoadResult",
    "OxigraphRepository",
    "Repository",
    "StoreUnavailable",
    "UnknownFormat",
    "by_media_type",
    "by_name",
    "for_path",
    "format_names",
]
