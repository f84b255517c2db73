"""The one format table (``lcgraph.store.formats``): the engine's metadata plus the names clients send.

Content negotiation itself is tested over HTTP in ``test_protocol.py`` and with
real client libraries in ``test_clients.py``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pyoxigraph as ox
import pytest

from lcgraph.api import negotiation
from lcgraph.api.accept import named
from lcgraph.api.errors import NotAcceptable
from lcgraph.store import formats
from lcgraph.store.formats import UnknownFormat, by_media_type, by_name, for_path

RDF = [
    ox.RdfFormat.TURTLE,
    ox.RdfFormat.N_TRIPLES,
    ox.RdfFormat.N_QUADS,
    ox.RdfFormat.TRIG,
    ox.RdfFormat.RDF_XML,
    ox.RdfFormat.JSON_LD,
    ox.RdfFormat.N3,
]


@pytest.mark.parametrize("engine", RDF, ids=lambda f: f.name)
def test_every_rdf_format_the_engine_writes_is_in_the_table_with_its_own_metadata(
    engine: ox.RdfFormat,
) -> None:
    (fmt,) = [f for f in formats.RDF_FORMATS if f.engine == engine]
    assert fmt.media_type == engine.media_type
    assert by_media_type(engine.media_type) is fmt
    assert for_path(Path(f"data.{engine.file_extension}")) is fmt
    assert for_path(Path(f"data.{engine.file_extension}.gz")) is fmt
    assert fmt.is_dataset is engine.supports_datasets
    assert fmt.label == engine.name


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ttl", "turtle"),
        ("nt", "ntriples"),
        ("n-triples", "ntriples"),
        ("nq", "nquads"),
        ("xml", "rdfxml"),
        ("rdf/xml", "rdfxml"),
        ("json-ld", "jsonld"),
        ("json", "jsonld"),
        (" TriG ", "trig"),
    ],
)
def test_short_names_people_type_name_the_format(name: str, key: str) -> None:
    assert by_name(name).key == key


@pytest.mark.parametrize(
    ("media", "key"),
    [
        ("application/x-turtle", "turtle"),
        ("text/plain", "ntriples"),
        ("text/turtle; charset=utf-8", "turtle"),
        ("application/n-quads", "nquads"),
    ],
)
def test_media_types_clients_send_name_the_format(media: str, key: str) -> None:
    assert by_media_type(media).key == key


def test_owl_and_xml_files_are_rdf_xml_and_unknown_names_are_refused_clearly() -> None:
    assert for_path(Path("onto.owl")).key == "rdfxml"
    assert for_path(Path("x.xml")).key == "rdfxml"
    assert for_path(Path("x.json")).key == "jsonld"
    assert for_path(Path("x.docx"), "nt").key == "ntriples"
    with pytest.raises(UnknownFormat, match="pass --format"):
        for_path(Path("notes.txt"))
    with pytest.raises(UnknownFormat, match="known formats: turtle"):
        by_name("docx")
    with pytest.raises(UnknownFormat, match="unsupported media type 'application/pdf'"):
        by_media_type("application/pdf")


def test_a_format_crosses_a_process_boundary_as_itself() -> None:
    for fmt in (*formats.RESULTS_FORMATS, *formats.RDF_FORMATS):
        assert pickle.loads(pickle.dumps(fmt)) is fmt


def test_results_formats_carry_the_engine_media_types_and_the_w3c_iris() -> None:
    for fmt in formats.RESULTS_FORMATS:
        assert fmt.is_results and fmt.engine.media_type.startswith(fmt.media_type)
        assert fmt.iri == fmt.engine.iri
    # pyoxigraph 0.5 names JSON-LD .../ns/formats/data/JSON-LD; the W3C list says .../ns/formats/JSON-LD.
    assert formats.JSON_LD.iri == "http://www.w3.org/ns/formats/JSON-LD"
    assert formats.JSON_LD.engine.iri != formats.JSON_LD.iri


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "json"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "json"),
        ("text/turtle", "turtle"),
        ("application/ld+json", "jsonld"),
        ("application/json", "json"),
        ("text/turtle;q=0.1, application/ld+json", "jsonld"),
    ],
)
def test_validation_reports_are_negotiated_like_every_answer(accept: str | None, expected: str) -> None:
    assert negotiation.negotiate(accept, negotiation.REPORT_FORMATS).key == expected


def test_json_errors_only_for_clients_that_name_json_with_a_nonzero_q() -> None:
    json_types = ("application/json", "application/problem+json")
    assert named("application/json", json_types) == 1.0
    assert named("application/problem+json;q=0.5, text/plain", json_types) == 0.5
    assert named("application/json;q=0", json_types) == 0.0
    assert named("*/*", json_types) == 0.0
    assert named("application/sparql-results+json", json_types) == 0.0


def test_a_format_parameter_naming_nothing_known_is_406() -> None:
    with pytest.raises(NotAcceptable, match="format='docx'"):
        negotiation.negotiate(None, negotiation.RESULTS_FORMATS, "docx")
    # A real format this answer has none of gets the default (SPARQLWrapper's "turtle" on a SELECT).
    assert negotiation.negotiate(None, negotiation.RESULTS_FORMATS, "turtle") is formats.SPARQL_JSON
