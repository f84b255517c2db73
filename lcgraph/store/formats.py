"""RDF serialisation formats: names, file extensions and media types.

One table answers "which pyoxigraph format is this?" for the CLI (a name or
a file extension) and for the HTTP layer (a media type).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import RdfFormat


@dataclass(frozen=True)
class Format:
    """One RDF serialisation format known to lcgraph."""

    name: str
    rdf_format: RdfFormat
    media_type: str
    extensions: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    @property
    def is_dataset(self) -> bool:
        """True for formats that carry named graphs (TriG, N-Quads)."""
        return self.rdf_format.supports_datasets


FORMATS: tuple[Format, ...] = (
    Format("turtle", RdfFormat.TURTLE, "text/turtle", (".ttl",), ("ttl",)),
    Format("ntriples", RdfFormat.N_TRIPLES, "application/n-triples", (".nt",), ("nt", "n-triples")),
    Format("nquads", RdfFormat.N_QUADS, "application/n-quads", (".nq",), ("nq", "n-quads")),
    Format("trig", RdfFormat.TRIG, "application/trig", (".trig",)),
    Format("rdfxml", RdfFormat.RDF_XML, "application/rdf+xml", (".rdf", ".owl", ".xml"), ("xml", "rdf/xml")),
    Format("jsonld", RdfFormat.JSON_LD, "application/ld+json", (".jsonld", ".json"), ("json-ld", "json")),
    Format("n3", RdfFormat.N3, "text/n3", (".n3",)),
)

_BY_NAME = {alias: f for f in FORMATS for alias in (f.name, *f.aliases)}
_BY_EXT = {ext: f for f in FORMATS for ext in f.extensions}
_BY_MEDIA = {f.media_type: f for f in FORMATS}
_BY_MEDIA.update({"application/x-turtle": _BY_NAME["turtle"], "text/plain": _BY_NAME["ntriples"]})


class UnknownFormat(ValueError):
    """Raised when a format name, extension or media type is not one we read."""


def format_names() -> list[str]:
    """The canonical format names, for help texts and error messages."""
    return [f.name for f in FORMATS]


def by_name(name: str) -> Format:
    """Look a format up by its name or alias (``turtle``, ``ttl``, ``nq`` …)."""
    try:
        return _BY_NAME[name.strip().lower()]
    except KeyError:
        raise UnknownFormat(f"unknown format {name!r}; known formats: {', '.join(format_names())}") from None


def by_media_type(media_type: str) -> Format:
    """Look a format up by media type; parameters such as ``charset`` are ignored."""
    bare = media_type.split(";", 1)[0].strip().lower()
    try:
        return _BY_MEDIA[bare]
    except KeyError:
        known = ", ".join(sorted(_BY_MEDIA))
        raise UnknownFormat(f"unsupported media type {bare!r}; supported: {known}") from None


def for_path(path: Path, explicit: str | None = None) -> Format:
    """The format of a file: the explicit name if given, else from its extension.

    A trailing ``.gz`` is looked through (``data.nt.gz`` is N-Triples).
    """
    if explicit:
        return by_name(explicit)
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _BY_EXT:
        return _BY_EXT[suffixes[-1]]
    known = ", ".join(sorted(_BY_EXT))
    raise UnknownFormat(
        f"cannot tell the format of {path.name!r} from its extension (known: {known}); pass --format"
    )
