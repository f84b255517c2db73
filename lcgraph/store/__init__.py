"""Storage: the dataset over pyoxigraph, and the RDF formats it reads and writes."""

from lcgraph.store.dataset import Dataset, LoadError, LoadResult
from lcgraph.store.formats import (
    FORMATS,
    Format,
    UnknownFormat,
    by_media_type,
    by_name,
    for_path,
    format_names,
)

__all__ = [
    "FORMATS",
    "Dataset",
    "Format",
    "LoadError",
    "LoadResult",
    "UnknownFormat",
    "by_media_type",
    "by_name",
    "for_path",
    "format_names",
]
