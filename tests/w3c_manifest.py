"""The W3C manifest interpreter for the SPARQL 1.1 Protocol and Graph Store Protocol suites.

:func:`read_manifest` turns a manifest (``tests/w3c/…/manifest*.ttl``, copied
unchanged from the W3C) into :class:`W3CTest` entries, each a list of HTTP
requests with the responses they must get; :func:`run_w3c_test` replays one
entry over a real server (:mod:`live_server`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import rdflib
from live_server import RunningServer
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from lcgraph.store import Dataset

W3C_DIR = Path(__file__).parent / "w3c"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
HT = "http://www.w3.org/2011/http#"
CNT = "http://www.w3.org/2011/content#"
HTS = "http://www.w3.org/2011/http-statusCodes#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

_STATUS_NAMES = {"OK": {200}, "Created": {201}, "NoContent": {204}, "NotFound": {404}}


@dataclass
class W3CRequest:
    """One HTTP request of a manifest entry and what its response must be."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    body_text: str | None
    encoding: str
    statuses: set[int]
    expected_boolean: bool | None = None
    expected_format: str | None = None
    expected_location: str | None = None
    expected_headers: dict[str, str] = field(default_factory=dict)
    expected_body: str | None = None


@dataclass
class W3CTest:
    """A manifest entry: its name, the graphs it needs loaded, and its requests in order."""

    id: str
    name: str
    graph_data: list[tuple[Path, str]]
    requests: list[W3CRequest]


def _status_codes(values: list[str]) -> set[int]:
    codes: set[int] = set()
    for value in values:
        local = value[len(HTS) :]
        if local.startswith("StatusCode") and local.endswith("xx"):
            first = int(local[len("StatusCode")])
            codes |= set(range(first * 100, first * 100 + 100))
        else:
            codes |= _STATUS_NAMES[local]
    return codes


def read_manifest(path: Path) -> list[W3CTest]:
    """Every entry of a W3C HTTP manifest, in manifest order."""
    g = rdflib.Graph()
    g.parse(path, format="turtle")
    u = rdflib.URIRef

    def one(node: Any, prop: str) -> Any:
        return g.value(node, u(prop))

    def headers_of(node: Any) -> dict[str, str]:
        lst = one(node, HT + "headers")
        if lst is None:
            return {}
        return {
            str(one(h, HT + "fieldName")).lower(): str(one(h, HT + "fieldValue")) for h in Collection(g, lst)
        }

    manifest = next(g.subjects(rdflib.RDF.type, u(MF + "Manifest")))
    tests: list[W3CTest] = []
    for entry in Collection(g, one(manifest, MF + "entries")):
        requests = []
        action = one(entry, MF + "action")
        for req in Collection(g, one(action, HT + "requests")):
            body_node = one(req, HT + "body")
            text = str(one(body_node, CNT + "chars")) if body_node is not None else None
            encoding = (
                str(one(body_node, CNT + "characterEncoding") or "UTF-8")
                if body_node is not None
                else "UTF-8"
            )
            resp = one(req, HT + "resp")
            expected_body_node = one(resp, HT + "body")
            boolean = one(resp, MF + "expectedBoolean")
            requests.append(
                W3CRequest(
                    method=str(one(req, HT + "methodName")),
                    path=str(one(req, HT + "absolutePath")),
                    headers=headers_of(req),
                    body=None,
                    body_text=text,
                    encoding=encoding,
                    statuses=_status_codes([str(s) for s in g.objects(resp, u(MF + "expectedStatus"))]),
                    expected_boolean=bool(boolean.toPython()) if boolean is not None else None,
                    expected_format=str(one(resp, MF + "expectedFormat") or "") or None,
                    expected_location=str(one(resp, MF + "expectedLocation") or "") or None,
                    expected_headers=headers_of(resp),
                    expected_body=str(one(expected_body_node, CNT + "chars"))
                    if expected_body_node is not None
                    else None,
                )
            )
        graph_data = [
            (path.parent / Path(str(one(gd, UT + "graph"))).name, str(one(gd, RDFS_LABEL)))
            for gd in g.objects(entry, u(UT + "graphData"))
        ]
        tests.append(
            W3CTest(str(entry).rsplit("#", 1)[-1], str(one(entry, MF + "name")), graph_data, requests)
        )
    return tests


def _our_path(path: str) -> str:
    """Manifest paths start with /sparql/ or /gsp; ours are /sparql and /store."""
    if path.startswith("/sparql/"):
        return "/sparql" + path[len("/sparql/") :]
    if path.startswith("/gsp"):
        return "/store" + path[len("/gsp") :]
    raise ValueError(f"unexpected manifest path {path}")


def _check_format(request: W3CRequest, response: httpx.Response) -> None:
    media = response.headers.get("content-type", "").split(";")[0].strip()
    body = response.content
    if request.expected_format in ("boolean", "tabular"):
        fmt = ox.QueryResultsFormat.from_media_type(media)
        assert fmt is not None, f"not a SPARQL results media type: {media}"
        parsed = ox.parse_query_results(body, fmt)
        if request.expected_format == "boolean":
            assert isinstance(parsed, ox.QueryBoolean), f"expected a boolean answer, got {body[:200]!r}"
            if request.expected_boolean is not None:
                assert bool(parsed) is request.expected_boolean
        else:
            assert isinstance(parsed, ox.QuerySolutions)
            list(parsed)
    elif request.expected_format == "RDF":
        fmt = ox.RdfFormat.from_media_type(media)
        assert fmt is not None, f"not an RDF media type: {media}"
        list(ox.parse(body, fmt))


def _check_expected_body(request: W3CRequest, response: httpx.Response) -> None:
    expected_type = request.expected_headers.get("content-type", "text/turtle")
    got_type = response.headers.get("content-type", "")
    assert got_type.split(";")[0].strip() == expected_type.split(";")[0].strip(), got_type
    expected = rdflib.Graph().parse(data=request.expected_body, format="turtle")
    got = rdflib.Graph().parse(data=response.text, format="turtle")
    assert isomorphic(expected, got), (
        f"graphs differ:\nexpected\n{request.expected_body}\ngot\n{response.text}"
    )


def _fresh_store(test: W3CTest) -> Callable[[Dataset], None]:
    def fill(ds: Dataset) -> None:
        ds.update("DROP ALL")
        quads = [
            ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph))
            for data, graph in test.graph_data
            for t in ox.parse(path=str(data), format=ox.RdfFormat.N_TRIPLES)
        ]
        ds.apply(quads)

    return fill


def _clear_and_put_graph_data(server: RunningServer, test: W3CTest) -> None:
    """Over HTTP, as a client would: ``DROP ALL``, then the entry's graphs with Graph Store PUTs.

    The store keeps its history of change-sets (a client cannot drop it).
    """
    r = httpx.post(server.sparql, data={"update": "DROP ALL"}, headers=server.write_headers, timeout=30)
    assert r.status_code == 204, f"{test.id}: DROP ALL got {r.status_code}: {r.text}"
    for data, graph in test.graph_data:
        r = httpx.put(
            server.store,
            params={"graph": graph},
            content=data.read_bytes(),
            headers={"Content-Type": "application/n-triples", **server.write_headers},
            timeout=30,
        )
        assert r.status_code in (201, 204), f"{test.id}: loading {data.name} got {r.status_code}: {r.text}"


def run_w3c_test(server: RunningServer, test: W3CTest, *, fresh: bool = True) -> None:
    """Run one manifest entry against ``server``, asserting every response.

    ``fresh``: the server is restarted over an empty store holding only the
    entry's graph data (as the manifests assume). Otherwise the server keeps
    running and is emptied and given the entry's graphs over HTTP.
    """
    if fresh:
        server.change(_fresh_store(test))
    else:
        _clear_and_put_graph_data(server, test)
    variables: dict[str, str] = {}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for number, request in enumerate(test.requests, start=1):
            path = request.path
            text = request.body_text
            for name, value in variables.items():
                path = path.replace(name, value)
                text = text.replace(name, value) if text is not None else None
            body = (
                text.encode(request.encoding.lower().replace("utf-16", "utf-16"))
                if text is not None
                else None
            )
            headers = {**request.headers, **server.write_headers}
            response = client.request(request.method, _our_path(path), content=body, headers=headers)
            where = f"{test.id} request {number} ({request.method} {path[:80]})"
            assert response.status_code in request.statuses, (
                f"{where}: status {response.status_code} not in {sorted(request.statuses)[:6]}: "
                f"{response.text[:300]}"
            )
            if request.expected_location:
                location = response.headers.get("location")
                assert location, f"{where}: no Location header"
                variables[request.expected_location] = location
            if request.expected_format:
                _check_format(request, response)
            if "content-type" in request.expected_headers and request.method != "HEAD":
                want = request.expected_headers["content-type"].split(";")[0].strip()
                assert response.headers.get("content-type", "").split(";")[0].strip() == want, where
            if request.method == "HEAD" and "content-type" in request.expected_headers:
                want = request.expected_headers["content-type"].split(";")[0].strip()
                assert response.headers.get("content-type", "").split(";")[0].strip() == want, where
            if request.expected_body is not None and request.method != "HEAD":
                _check_expected_body(request, response)
