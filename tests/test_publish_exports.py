"""Exports: every format re-parses to the public dataset; slices, gzip, JSON-LD with pyld, bad input."""

from __future__ import annotations

import gzip
import io
import json
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from live_server import RunningServer, Seed
from pyld import jsonld
from rdflib.compare import isomorphic
from test_publish_support import EXAMPLES, PRIVATE, build_store, fill, public_quads

from lcgraph.publish import exports
from lcgraph.publish.jsonld import jsonld_context
from lcgraph.store import Dataset, by_name

RDFLIB = {
    "turtle": "turtle",
    "ntriples": "nt",
    "rdfxml": "xml",
    "jsonld": "json-ld",
    "nquads": "nquads",
    "trig": "trig",
}


@pytest.fixture(scope="module")
def live_seed() -> Seed:
    """The module's ``live`` server (conftest) starts over the seed network."""
    return fill


def _expected_graph(ds: Dataset) -> rdflib.Graph:
    """The merge of the public graphs, read from the store without SPARQL."""
    data = ox.serialize([q.triple for q in public_quads(ds)], format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=data, format="nt")


def _expected_dataset(ds: Dataset) -> rdflib.Dataset:
    data = ox.serialize(public_quads(ds), format=ox.RdfFormat.N_QUADS)
    return rdflib.Dataset().parse(data=data, format="nquads")


def _graphs_of(d: rdflib.Dataset) -> dict[str, rdflib.Graph]:
    out = {}
    for g in d.graphs():
        if len(g):
            out[str(g.identifier)] = rdflib.Graph().parse(data=g.serialize(format="nt"), format="nt")
    return out


@pytest.mark.parametrize("name", ["turtle", "ntriples", "rdfxml"])
def test_triple_format_exports_reparse_to_the_public_graph(live: RunningServer, name: str) -> None:
    r = httpx.get(live.url + "/export", params={"format": name}, timeout=60)
    assert r.status_code == 200, r.text[:300]
    got = rdflib.Graph().parse(data=r.content, format=RDFLIB[name])
    assert isomorphic(got, _expected_graph(live.dataset))


@pytest.mark.parametrize("name", ["nquads", "trig", "jsonld"])
def test_dataset_format_exports_keep_every_public_graph(live: RunningServer, name: str) -> None:
    r = httpx.get(live.url + "/export", params={"format": name}, timeout=60)
    got = _graphs_of(rdflib.Dataset().parse(data=r.content, format=RDFLIB[name]))
    expected = _graphs_of(_expected_dataset(live.dataset))
    assert PRIVATE not in got and EXAMPLES in got
    assert got.keys() == expected.keys()
    for g in expected:
        assert isomorphic(got[g], expected[g]), g


def test_json_ld_export_expands_with_pyld_to_the_same_graphs(live: RunningServer) -> None:
    # JSON-LD carries named graphs, so the export keeps the source graph of every statement.
    r = httpx.get(live.url + "/export", params={"format": "jsonld"}, timeout=60)
    expanded = jsonld.expand(r.json())
    nquads = jsonld.to_rdf(expanded, {"format": "application/n-quads"})
    got = _graphs_of(rdflib.Dataset().parse(data=nquads, format="nquads"))
    expected = _graphs_of(_expected_dataset(live.dataset))
    assert got.keys() == expected.keys()
    for g in expected:
        assert isomorphic(got[g], expected[g]), g


def test_context_document_compacts_and_expands_back(live: RunningServer) -> None:
    context = httpx.get(live.url + "/context.jsonld").json()
    assert context == jsonld_context()
    terms = context["@context"]
    assert terms["city"] == {"@id": "https://w3id.org/lcgraph/def#city", "@type": "@id"}
    assert terms["label"]["@container"] == "@language"
    doc = httpx.get(live.url + "/id/space/example-phayao-library?format=jsonld").json()
    compacted = jsonld.compact(doc, context)
    text = json.dumps(compacted, ensure_ascii=False)
    assert '"city"' in text and '"label"' in text and '"spaceType"' in text
    back = jsonld.to_rdf(jsonld.expand(compacted), {"format": "application/n-quads"})
    original = jsonld.to_rdf(jsonld.expand(doc), {"format": "application/n-quads"})
    assert isomorphic(
        rdflib.Graph().parse(data=back, format="nt"), rdflib.Graph().parse(data=original, format="nt")
    )


def _quads(content: bytes) -> set[str]:
    return {line for line in content.decode().splitlines() if line.strip()}


def test_city_slice_holds_the_city_s_resources_and_nothing_else(live: RunningServer) -> None:
    r = httpx.get(live.url + "/export", params={"city": "phayao", "format": "nquads"})
    assert r.status_code == 200
    assert 'filename="lcgraph-city-phayao.nq"' in r.headers["content-disposition"]
    lines = _quads(r.content)
    subjects = {line.split(" ", 1)[0] for line in lines}
    id_ = "https://w3id.org/lcgraph/id/"
    for member in (
        "city/phayao",
        "space/example-phayao-library",
        "activity/example-reading-club",
        "administrator/example-somchai",
        "membership/gnlc-phayao",
    ):
        assert f"<{id_}{member}>" in subjects, member
    assert f"<{id_}city/hat-yai>" not in subjects
    assert f"<{id_}administrator/example-malee>" not in subjects
    assert not any(PRIVATE in line for line in lines)


def test_partner_class_and_graph_slices(live: RunningServer) -> None:
    id_ = "https://w3id.org/lcgraph/id/"
    params = {"partner": "example-library-foundation", "format": "nt"}
    partner = httpx.get(live.url + "/export", params=params)
    subjects = {line.split(" ", 1)[0] for line in _quads(partner.content)}
    assert {
        f"<{id_}partner/example-library-foundation>",
        f"<{id_}space/example-phayao-library>",
        f"<{id_}activity/example-reading-club>",
    } <= subjects
    spaces = httpx.get(live.url + "/export", params={"class": "lc:LearningSpace", "format": "nt"})
    typed = {line.split(" ", 1)[0] for line in _quads(spaces.content) if "22-rdf-syntax-ns#type" in line}
    assert f"<{id_}space/example-phayao-library>" in typed
    graph = httpx.get(live.url + "/export", params={"graph": "examples", "format": "nquads"})
    assert len(_quads(graph.content)) == live.dataset.count(EXAMPLES)


def test_gzip_file_and_gzip_transfer(live: RunningServer) -> None:
    identity = {"Accept-Encoding": "identity"}
    plain = httpx.get(live.url + "/export", params={"format": "nquads"}, headers=identity)
    assert "content-encoding" not in plain.headers
    gz = httpx.get(live.url + "/export", params={"format": "nquads", "gzip": "true"})
    assert gz.headers["content-type"] == "application/gzip"
    assert gz.headers["content-disposition"].endswith('.nq.gz"')
    assert _quads(gzip.decompress(gz.content)) == _quads(plain.content)
    with httpx.stream(
        "GET", live.url + "/export", params={"format": "nquads"}, headers={"Accept-Encoding": "gzip"}
    ) as r:
        assert r.headers["content-encoding"] == "gzip"
        raw = b"".join(r.iter_raw())
    assert _quads(gzip.decompress(raw)) == _quads(plain.content)


def test_bad_slices_and_formats_are_4xx(live: RunningServer) -> None:
    r = httpx.get(live.url + "/export", params={"city": "atlantis"})
    assert r.status_code == 404
    assert "atlantis" in r.text and "https://w3id.org/lcgraph/id/city/phayao" in r.text  # the known ones
    r = httpx.get(live.url + "/export", params={"class": "Unicorn"})
    assert r.status_code == 404 and "LearningCity" in r.text
    r = httpx.get(live.url + "/export", params={"city": "phayao", "partner": "pmua"})
    assert r.status_code == 400 and "one slice" in r.text
    assert httpx.get(live.url + "/export", params={"format": "docx"}).status_code == 406
    assert httpx.get(live.url + "/export", params={"graph": "no-such-graph"}).status_code == 404


def test_write_export_to_files_for_the_command_line(tmp_path: Path) -> None:
    ds = build_store(tmp_path / "db")
    sl = exports.resolve_slice(ds, city="hat-yai")
    exports.write_export(ds, tmp_path / "hat-yai.ttl.gz", "turtle", sl, gzip=True)
    data = gzip.decompress((tmp_path / "hat-yai.ttl.gz").read_bytes())
    g = rdflib.Graph().parse(data=data, format="turtle")
    assert (rdflib.URIRef("https://w3id.org/lcgraph/id/city/hat-yai"), None, None) in g
    assert (rdflib.URIRef("https://w3id.org/lcgraph/id/administrator/example-malee"), None, None) in g
    with_private = io.BytesIO()
    exports.write_export(ds, with_private, by_name("nquads"), may_read_private=True)
    assert PRIVATE.encode() in with_private.getvalue()


def test_stream_stops_when_the_reader_goes_away(tmp_path: Path) -> None:
    ds = Dataset.open(tmp_path / "db")
    lines = "".join(f'<urn:x:s{i}> <urn:x:p> "value number {i} of a long export" .\n' for i in range(60_000))
    ds.load_bytes(lines, "ntriples", graph=EXAMPLES)
    stream = exports.stream_export(ds, by_name("ntriples"), exports.Slice())
    first = next(stream)
    assert first.startswith(b"<urn:x:s")
    stream.close()  # the client disconnected after one chunk
    deadline = time.monotonic() + 10
    while any(t.name.startswith("export-") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(t.name.startswith("export-") for t in threading.enumerate())
