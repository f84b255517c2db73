"""The Repository contract, the same on every backend: embedded, `oxigraph serve`, Virtuoso 7.

Each test takes ``repository`` (tests/stores.py), an empty dataset on each
backend in turn. Where Virtuoso differs from the SPARQL spec and lcgraph
cannot hide it, the test says exactly what differs (README: "lcgraph in
front of a SPARQL store").
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from stores import start_oxigraph

from lcgraph.store.formats import SPARQL_JSON, SPARQL_TSV, SPARQL_XML
from lcgraph.store.open import open_repository
from lcgraph.store.repository import ConcurrentChange, Repository, StoreUnavailable
from lcgraph.store.sparql import SparqlRepository, StoreRefused

EX = "http://example.org/"
G1, G2, G3 = (ox.NamedNode(EX + g) for g in ("g1", "g2", "g3"))
PRIVATE = ox.NamedNode("https://w3id.org/lcgraph/graph/private")
A, B, P = ox.NamedNode(EX + "a"), ox.NamedNode(EX + "b"), ox.NamedNode(EX + "p")
XSD = "http://www.w3.org/2001/XMLSchema#"


def n(repo: Repository, sparql: str, **kwargs: object) -> int:
    return int(repo.select(sparql, **kwargs)[0]["n"].value)


def test_is_a_repository(repository: Repository) -> None:
    assert isinstance(repository, Repository)
    assert repository.graphs() == []
    assert repository.is_empty()


def test_union_has_set_semantics(repository: Repository) -> None:
    x = ox.Literal("x")
    repository.apply(add=[ox.Quad(A, P, x, G1), ox.Quad(A, P, x, G2), ox.Quad(B, P, x, G2)])
    assert repository.count() == 3
    assert n(repository, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == 2
    # Several default graphs (FROM, or arguments) are merged: the shared triple once.
    assert n(repository, f"SELECT (COUNT(*) AS ?n) FROM {G1} FROM {G2} {{ ?s ?p ?o }}") == 2
    assert n(repository, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", default_graph=[G1.value, G2.value]) == 2
    assert n(repository, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", default_graph=[G1.value]) == 1
    assert n(repository, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }") == 3


def test_graphs_exist_apart_from_their_triples(repository: Repository) -> None:
    repository.apply(create=[G3])
    assert repository.graphs() == [G3.value]
    assert repository.has_graph(G3.value) and repository.count(G3.value) == 0
    repository.apply(add=[ox.Quad(A, P, B, G3)])
    repository.apply(clear=[G3])
    assert repository.has_graph(G3.value) and repository.count(G3.value) == 0
    assert not repository.ask("ASK { ?s ?p ?o }")
    repository.apply(drop=[G3])
    assert repository.graphs() == []


def test_removals_keep_the_union_in_step(repository: Repository) -> None:
    x = ox.Literal("x")
    repository.apply(add=[ox.Quad(A, P, x, G1), ox.Quad(A, P, x, G2)])
    repository.apply(remove=[ox.Quad(A, P, x, G1)])
    assert repository.ask(f"ASK {{ {A} {P} {x} }}"), "still in g2, so still in the union"
    repository.apply(drop=[G2])
    assert not repository.ask(f"ASK {{ {A} {P} {x} }}")
    assert repository.graphs() == [G1.value] and repository.count() == 0


def test_has_quad_answers_for_every_named_graph(repository: Repository) -> None:
    secret, c = ox.Literal("secret"), ox.NamedNode(EX + "C")
    assert not repository.has_quad(A) and not repository.has_quad(object=c)
    repository.apply(add=[ox.Quad(A, P, c, G1), ox.Quad(B, P, secret, PRIVATE)])
    assert repository.has_quad(A) and repository.has_quad(object=c) and repository.has_quad(A, P, c)
    assert repository.has_quad(B) and repository.has_quad(object=secret), "the private graph is a named graph"
    assert (
        not repository.has_quad(c) and not repository.has_quad(object=A) and not repository.has_quad(A, P, A)
    )
    repository.apply(remove=[ox.Quad(A, P, c, G1)])
    assert not repository.has_quad(A) and not repository.has_quad(object=c)


def test_quads_linking_to_a_node_name_their_named_graphs(repository: Repository) -> None:
    c, b = ox.NamedNode(EX + "C"), ox.BlankNode()
    repository.apply(
        add=[ox.Quad(A, P, c, G1), ox.Quad(A, P, c, G2), ox.Quad(B, P, c, PRIVATE), ox.Quad(A, P, B, G1)]
    )
    assert sorted(q.graph_name.value for q in repository.quads(object=c)) == sorted(
        [G1.value, G2.value, PRIVATE.value]
    )
    assert all(q.subject in (A, B) and q.predicate == P and q.object == c for q in repository.quads(object=c))
    assert list(repository.quads(object=ox.Literal("absent"))) == []
    repository.apply(add=[ox.Quad(A, P, b, G3)])
    linked = list(repository.quads(object=next(iter(repository.quads(graph=G3))).object))
    assert [(q.subject, q.graph_name) for q in linked] == [(A, G3)]


def test_private_graph_is_left_out_unless_asked_for(repository: Repository) -> None:
    secret = ox.Literal("secret")
    repository.apply(add=[ox.Quad(A, P, secret, PRIVATE), ox.Quad(B, P, secret, G1)])
    rows = repository.select("SELECT ?s { ?s ?p ?o }")
    assert [r["s"] for r in rows] == [B]
    assert {r["s"] for r in repository.select("SELECT ?s { ?s ?p ?o }", include_private=True)} == {A, B}
    assert [r["g"] for r in repository.select("SELECT ?g { GRAPH ?g { ?s ?p ?o } }")] == [G1]
    seen = {r["g"] for r in repository.select("SELECT ?g { GRAPH ?g { ?s ?p ?o } }", include_private=True)}
    assert seen == {G1, PRIVATE}


def test_blank_nodes_keep_their_identity(repository: Repository) -> None:
    b = ox.BlankNode()
    repository.apply(add=[ox.Quad(A, P, b, G1), ox.Quad(b, P, ox.Literal("inner"), G1)])
    found = {q.object for q in repository.quads(A, P, None, G1)}
    assert found == {b}, "the same blank node comes back, request after request"
    assert list(repository.quads(b, None, None))[0].object == ox.Literal("inner")
    assert repository.contains(ox.Quad(b, P, ox.Literal("inner"), G1))
    repository.apply(remove=[ox.Quad(b, P, ox.Literal("inner"), G1)])
    assert repository.count(G1.value) == 1
    assert not repository.ask("ASK { ?s ?p 'inner' }")
    # Joined through the blank node in one query.
    rows = repository.select(f"SELECT ?x {{ {A} {P} ?x }}")
    assert rows == [{"x": b}]


def _engine_answer(repository: Repository, query: str, fmt: object, **kwargs: object) -> bytes:
    """The answer as lcgraph's query service writes it (the store's own bytes where it passes them on)."""
    out = io.BytesIO()
    passed = repository.answer_bytes(query, fmt, **kwargs)  # type: ignore[arg-type]
    if passed is not None:
        passed.write_to(out)
    else:
        repository.query(query, **kwargs).serialize(out, fmt.engine)  # type: ignore[attr-defined]
    return out.getvalue()


ANSWERED = [SPARQL_JSON, SPARQL_XML, SPARQL_TSV]


def _rows(answer: bytes, fmt: object) -> object:
    """An answer as the engine reads it: sorted rows of terms, or the boolean."""
    parsed = ox.parse_query_results(answer, format=fmt.engine)  # type: ignore[attr-defined]
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    names = [v.value for v in parsed.variables]
    return sorted(tuple(str(row[n]) for n in names) for row in parsed)


@pytest.mark.parametrize("fmt", ANSWERED, ids=lambda f: f.key)
def test_answers_in_the_store_own_bytes_are_the_engine_answers(
    repository: Repository, request: pytest.FixtureRequest, fmt: object
) -> None:
    """Blank nodes (skolem IRIs on a remote store) come back as blank nodes, booleans canonical,
    the private graph only when asked for: the same answer as the embedded engine writes.
    Oxigraph server's bytes pass through (its probe matched the engine's bytes); Virtuoso's
    are parsed and written again (it keeps booleans as 1/0: the probe differs)."""
    b = ox.BlankNode("kept")
    quads = [
        ox.Quad(A, P, b, G1),
        ox.Quad(b, P, ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")), G1),
        ox.Quad(b, P, ox.Literal('x"y\tz', language="th"), G1),
        ox.Quad(A, P, ox.Literal("secret"), PRIVATE),
    ]
    repository.apply(add=quads)
    reference = open_repository("memory:")
    reference.apply(add=quads)
    backend = request.node.callspec.params["repository"]
    for query, private in [
        ("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", False),
        ("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", True),
        ("SELECT ?g ?s WHERE { GRAPH ?g { ?s ?p ?o } }", False),
        ("ASK { ?s ?p 'secret' }", False),
        ("ASK { ?s ?p 'secret' }", True),
        ("SELECT ?x WHERE { FILTER(false) }", False),
    ]:
        passed = repository.answer_bytes(query, fmt, include_private=private)  # type: ignore[arg-type]
        kind = {"embedded": None, "oxigraph-serve": "_PassedAnswer", "virtuoso": "_ParsedAnswer"}[backend]
        assert (type(passed).__name__ if passed is not None else None) == kind
        out = io.BytesIO()
        if passed is not None:
            passed.write_to(out)
        else:
            repository.query(query, include_private=private).serialize(out, fmt.engine)  # type: ignore[union-attr,attr-defined]
        ours = out.getvalue()
        theirs = _engine_answer(reference, query, fmt, include_private=private)
        assert _rows(ours, fmt) == _rows(theirs, fmt), (query, ours, theirs)
        assert (b"secret" in ours) == (private and query.startswith("SELECT ?s ?p"))


@pytest.mark.parametrize("fmt", ANSWERED, ids=lambda f: f.key)
def test_blank_nodes_are_restored_across_every_chunk_boundary(
    remote: str, fmt: object, request: pytest.FixtureRequest
) -> None:
    """The rewrite holds back what may be the start of a term: the store's real answer, cut at
    every byte into two chunks (and into 1-byte chunks), gives exactly the answer read whole."""
    repository = open_repository(remote)
    nodes = [ox.BlankNode(f"n{i}") for i in range(3)]
    repository.apply(add=[ox.Quad(nodes[i], P, nodes[(i + 1) % 3], G1) for i in range(3)])
    query = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"
    import httpx

    # What the rewrite reads: the engine's serialisation of the parsed answer (every store), and
    # the store's own bytes where they pass through (oxigraph serve; Virtuoso's probe differs).
    engine = io.BytesIO()
    repository.query(query).serialize(engine, fmt.engine)  # type: ignore[attr-defined]
    sources = [engine.getvalue()]
    if repository._writes_faithfully(fmt):  # type: ignore[attr-defined]
        sources.append(
            httpx.post(
                repository.endpoint.query_url,  # type: ignore[attr-defined]
                data={"query": query, "default-graph-uri": "https://w3id.org/lcgraph/store/union"},
                headers={"Accept": fmt.media_type},  # type: ignore[attr-defined]
                timeout=60,
            ).content
        )
    assert len(sources) == (2 if request.node.callspec.params["remote"] == "oxigraph-serve" else 1)
    for raw in sources:
        _check_rewrites(raw, fmt, nodes)


def _check_rewrites(raw: bytes, fmt: object, nodes: list[ox.BlankNode]) -> None:
    from lcgraph.store.sparql import GENID, _Rewriter

    assert raw.count(GENID.encode()) == 6, raw

    def rewritten(parts: list[bytes]) -> bytes:
        out = io.BytesIO()
        rewriter = _Rewriter(fmt.key, out)  # type: ignore[attr-defined]
        for part in parts:
            rewriter.write(part)
        rewriter.finish()
        return out.getvalue()

    whole = rewritten([raw])
    assert GENID.encode() not in whole and whole.count(b"n1") == 2
    assert rewritten([raw[i : i + 1] for i in range(len(raw))]) == whole
    for cut in range(len(raw) + 1):
        assert rewritten([raw[:cut], raw[cut:]]) == whole, cut
    parsed = ox.parse_query_results(whole, format=fmt.engine)  # type: ignore[attr-defined]
    assert {(row["s"], row["o"]) for row in parsed} == {(nodes[i], nodes[(i + 1) % 3]) for i in range(3)}


def test_load_and_dump_round_trip(repository: Repository) -> None:
    text = f"""
        @prefix ex: <{EX}> .
        ex:a ex:p "x" , "y"@en ; ex:q [ ex:r 3 ] .
    """
    result = repository.load_bytes(text, "turtle", graph=G1.value)
    assert result.quads_added == 4
    out = io.BytesIO()
    repository.dump(out, "trig")
    copy = open_repository("memory:")
    copy.load_bytes(out.getvalue(), "trig")
    assert copy.count(G1.value) == 4
    assert copy.ask(f"ASK {{ GRAPH {G1} {{ {A} <{EX}q> [ <{EX}r> 3 ] }} }}", include_private=True)
    single = io.BytesIO()
    repository.dump(single, "ntriples", graph=G1.value)
    assert len(single.getvalue().splitlines()) == 4
    with pytest.raises(Exception, match="line 1"):
        repository.load_bytes("<a> <b> .", "ntriples", graph=G2.value)
    assert not repository.has_graph(G2.value), "a broken load writes nothing"


def test_version_changes_on_commit_and_guards_it(repository: Repository) -> None:
    v0 = repository.version()
    v1 = repository.apply(add=[ox.Quad(A, P, B, G1)])
    assert v1 != v0 and repository.version() == v1
    with pytest.raises(ConcurrentChange):
        repository.apply(add=[ox.Quad(B, P, A, G1)], expect_version=v0)
    assert repository.count() == 1, "a refused commit writes nothing"
    v2 = repository.apply(add=[ox.Quad(B, P, A, G1)], expect_version=v1)
    assert v2 != v1 and repository.count() == 2


def test_literals_as_each_store_keeps_them(repository: Repository, request: pytest.FixtureRequest) -> None:
    """Language tags come back lower-cased everywhere. Oxigraph (embedded or server) keeps an
    xsd:int as xsd:integer; Virtuoso keeps the xsd:int (but stores numbers by value: "7"^^xsd:int
    and 7 are one term there). The README lists this."""
    repository.apply(
        add=[
            ox.Quad(A, P, ox.Literal("chat", language="FR-ca"), G1),
            ox.Quad(A, P, ox.Literal("7", datatype=ox.NamedNode(XSD + "int")), G1),
            ox.Quad(A, P, ox.Literal("2.5", datatype=ox.NamedNode(XSD + "decimal")), G1),
        ]
    )
    objects = {q.object for q in repository.quads(A, P, None, G1)}
    assert ox.Literal("chat", language="fr-ca") in objects
    assert ox.Literal("2.5", datatype=ox.NamedNode(XSD + "decimal")) in objects
    kept = "int" if request.node.callspec.params["repository"] == "virtuoso" else "integer"
    assert ox.Literal("7", datatype=ox.NamedNode(XSD + kept)) in objects


def test_construct_and_bound_variables(repository: Repository) -> None:
    repository.apply(add=[ox.Quad(A, P, ox.Literal("x"), G1), ox.Quad(B, P, ox.Literal("y"), G1)])
    triples = repository.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert isinstance(triples, ox.QueryTriples)
    assert {t.subject for t in triples} == {A, B}
    out = io.BytesIO()
    repository.query(f"CONSTRUCT WHERE {{ {A} ?p ?o }}").serialize(out, format=ox.RdfFormat.N_TRIPLES)
    assert out.getvalue().count(b"\n") == 1
    # Bound variables are seen inside the WHERE group (the engine wants them projected).
    rows = repository.select("SELECT ?s ?o WHERE { ?s ?p ?o FILTER(isIRI(?s)) }", substitutions={"s": B})
    assert rows == [{"s": B, "o": ox.Literal("y")}]
    assert repository.ask("ASK { ?s ?p 'x' }", substitutions={"s": A})
    assert not repository.ask("ASK { ?s ?p 'x' }", substitutions={"s": B})


def test_files_exports_and_scratch_copies(repository: Repository, tmp_path: Path) -> None:
    data = tmp_path / "data.trig"
    data.write_text(f"<{EX}g1> {{ <{EX}a> <{EX}p> 'x' . }}\n<{EX}g2> {{ <{EX}a> <{EX}p> 'x' , 'z' . }}\n")
    repository.load_path(data)
    assert repository.graphs() == [G1.value, G2.value] and repository.count() == 3
    union = tmp_path / "union.nt"
    repository.dump(union, "ntriples", default_graph=True)
    assert len(union.read_text().splitlines()) == 2, "the union holds each triple once"
    copy = repository.scratch_copy()
    copy.apply(drop=[G1])
    assert repository.graphs() == [G1.value, G2.value], "the copy is apart from the store"
    assert copy.count() == 2
    stats = repository.stats()
    assert stats["quads"] == 3 and stats["public_triples"] == 2
    assert stats["graphs"] == {G1.value: 1, G2.value: 2}


# -- several writers in front of one store ---------------------------------------------------


@pytest.fixture(params=["oxigraph-serve", "virtuoso"])
def remote(request: pytest.FixtureRequest) -> Iterator[str]:
    from stores import empty_remote

    server = request.getfixturevalue(
        "oxigraph_server" if request.param == "oxigraph-serve" else "virtuoso_server"
    )
    empty_remote(server)
    yield server.spec


def test_two_writers_lose_nothing(remote: str) -> None:
    first, second = open_repository(remote), open_repository(remote)
    errors: list[BaseException] = []

    def write(repo: Repository, who: str) -> None:
        try:
            for i in range(15):
                repo.apply(add=[ox.Quad(ox.NamedNode(f"{EX}{who}{i}"), P, ox.Literal(who), G1)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(r, w)) for r, w in ((first, "x"), (second, "y"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert first.count(G1.value) == 30 and second.count(G1.value) == 30
    assert n(first, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == 30


def test_a_forked_version_is_joined_by_the_next_commit(remote: str) -> None:
    """Two commits that raced under snapshot isolation both land and both leave their version.

    The fork is made here by hand (the race itself cannot be timed in a test; CI met it on
    oxigraph serve): the version names both, the next commit expects both and leaves one.
    """
    import httpx

    from lcgraph.store.sparql import META, VERSION

    repo = open_repository(remote)
    assert isinstance(repo, SparqlRepository)
    repo.apply(add=[ox.Quad(A, P, B, G1)])
    single = repo.version()
    fork = f'INSERT DATA {{ GRAPH {META} {{ {META} {VERSION} "raced" }} }}'
    httpx.post(repo.endpoint.update_url, data={"update": fork}, timeout=60).raise_for_status()
    forked = repo.version()
    assert sorted(forked.split()) == sorted([single, "raced"])
    with pytest.raises(ConcurrentChange):
        repo.apply(add=[ox.Quad(B, P, A, G1)], expect_version=single)  # only one of the pair: refused
    joined = repo.apply(add=[ox.Quad(B, P, A, G1)], expect_version=forked)
    assert repo.version() == joined and " " not in joined
    assert repo.count(G1.value) == 2


def test_a_guarded_commit_on_a_stale_version_is_refused(remote: str) -> None:
    first, second = open_repository(remote), open_repository(remote)
    seen = first.version()
    assert second.version() == seen
    second.apply(add=[ox.Quad(B, P, A, G1)], expect_version=seen)
    with pytest.raises(ConcurrentChange, match="nothing was written"):
        first.apply(add=[ox.Quad(A, P, B, G2)], expect_version=seen)
    assert second.graphs() == [G1.value] and second.count() == 1


def test_what_a_failing_update_request_leaves(remote: str, request: pytest.FixtureRequest) -> None:
    """The store's own atomicity, which a commit relies on: an operation that fails at run time
    (a LOAD of nothing) after an INSERT. Oxigraph server keeps nothing; Virtuoso keeps the INSERT
    (README). lcgraph then names the commit it failed in the middle of."""
    repo = open_repository(remote)
    assert isinstance(repo, SparqlRepository)
    first = f"INSERT DATA {{ GRAPH {G1} {{ {A} {P} 'first' }} }}"
    with pytest.raises(StoreUnavailable):
        repo._update(f"{first} ; LOAD <http://127.0.0.1:9/nothing.ttl> INTO GRAPH {G2}")
    kept = repo._ask(f"ASK {{ GRAPH {G1} {{ {A} {P} 'first' }} }}")
    assert kept == (request.node.callspec.params["remote"] == "virtuoso")


def _guarded_writer(spec: str, who: str, count: int) -> tuple[list[str], int, str]:
    """One lcgraph process: ``count`` guarded writes (validated, with history), racing another one."""
    from lcgraph.validation.guarded import apply_change

    committed, refused = [], 0
    try:
        repo = open_repository(spec)
        for i in range(count):
            subject = f"{EX}{who}/{i}"
            try:
                apply_change(
                    repo, add_quads=[ox.Quad(ox.NamedNode(subject), P, ox.Literal(who), G1)], source=who
                )
                committed.append(subject)
            except ConcurrentChange:
                refused += 1
        repo.close()
    except Exception as exc:  # reported by the test (exceptions do not all cross processes)
        return committed, refused, f"{type(exc).__name__}: {exc}"
    return committed, refused, ""


def test_two_lcgraph_processes_guarded_writes(remote: str) -> None:
    """Two processes run the guarded write path against one store: every write either lands with
    its history record or is refused as a concurrent change; none is lost or half-written."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.starmap_async(_guarded_writer, [(remote, "x", 12), (remote, "y", 12)]).get(timeout=240)
    assert [error for _, _, error in results] == ["", ""]
    committed = [s for done, _, _ in results for s in done]
    assert len(committed) + sum(refused for _, refused, _ in results) == 24
    repo = open_repository(remote)
    present = {
        r["s"].value for r in repo.select(f"SELECT ?s {{ GRAPH {G1} {{ ?s ?p ?o }} }}", include_private=True)
    }
    assert present == set(committed)
    changes = repo.select(
        "SELECT (COUNT(DISTINCT ?c) AS ?n) { GRAPH <https://w3id.org/lcgraph/graph/history> { ?c ?p ?o } "
        "FILTER(CONTAINS(STR(?c), '/change/')) }",
        include_private=True,
    )
    assert int(changes[0]["n"].value) == len(committed), "one history record per commit"


# -- faults ----------------------------------------------------------------------------------


class _Fake(BaseHTTPRequestHandler):
    """A SPARQL endpoint that misbehaves as its server's ``mode`` says."""

    def _answer(self) -> None:
        mode = self.server.mode  # type: ignore[attr-defined]
        self.server.requests += 1  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if mode == "slow":
            time.sleep(3)
        if mode == "401":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="store"')
            self.end_headers()
            return
        status, body, media = {
            "500": (500, b"Internal error: out of memory", "text/plain"),
            "garbage": (200, b"<html>a login page</html>", "application/sparql-results+json"),
            "slow": (200, b'{"head":{},"boolean":true}', "application/sparql-results+json"),
        }[mode]
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_store() -> Iterator[object]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    server.mode = "500"  # type: ignore[attr-defined]
    server.requests = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server: object) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/sparql"  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", ["500", "garbage"])
def test_a_store_answering_errors_or_garbage_is_named(fake_store: object, mode: str) -> None:
    fake_store.mode = mode  # type: ignore[attr-defined]
    with pytest.raises(StoreUnavailable) as caught:
        open_repository(f"sparql:{_url(fake_store)}")
    assert f"127.0.0.1:{fake_store.server_address[1]}" in str(caught.value)  # type: ignore[attr-defined]
    assert not isinstance(caught.value, StoreRefused)
    # Not retried: the 500 ends the start-up update; the garbage is read by the version query after it.
    assert fake_store.requests == (1 if mode == "500" else 2)  # type: ignore[attr-defined]


def test_connection_errors_are_retried_with_back_off(tmp_path: Path) -> None:
    """A store that comes up while lcgraph retries its first connection is used."""
    from stores import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    late = threading.Timer(
        0.3,
        lambda: started.append(
            subprocess.Popen(
                [
                    shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or "oxigraph",
                    "serve",
                    "--location",
                    str(tmp_path / "db"),
                    "--bind",
                    f"127.0.0.1:{port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        ),
    )
    started: list[subprocess.Popen] = []
    late.start()
    try:
        repo = open_repository(f"sparql:{base}/query?update={base}/update")
        assert repo.graphs() == []
    finally:
        late.join()
        for proc in started:
            proc.terminate()
            proc.wait(20)


def test_a_slow_store_times_out_naming_it(fake_store: object) -> None:
    fake_store.mode = "slow"  # type: ignore[attr-defined]
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        open_repository(f"sparql:{_url(fake_store)}?timeout=0.5")
    assert caught.value.timeout and "0.5 s" in str(caught.value)
    assert time.monotonic() - started < 2.5, "no hung worker: the timeout holds"


def test_wrong_credentials_are_a_clear_start_up_error(fake_store: object) -> None:
    fake_store.mode = "401"  # type: ignore[attr-defined]
    with pytest.raises(StoreRefused, match="credentials"):
        open_repository(f"sparql:{_url(fake_store)}?user=lcgraph&password=wrong")


def test_a_stopped_store_is_named_and_nothing_is_half_written(tmp_path: Path) -> None:
    server = start_oxigraph(tmp_path)
    try:
        repo = open_repository(server.spec)
        repo.apply(add=[ox.Quad(A, P, B, G1)])
        version = repo.version()
    finally:
        server.stop()
    with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1:\d+.*cannot connect"):
        repo.apply(add=[ox.Quad(B, P, A, G1)], expect_version=version)
    with pytest.raises(StoreUnavailable, match="cannot connect"):
        repo.select("SELECT * { ?s ?p ?o }")
    # The same store started again holds exactly what was committed before it stopped.
    again = start_oxigraph(tmp_path)
    try:
        repo = SparqlRepository.open(again.spec)
        assert repo.version() == version and repo.count() == 1
    finally:
        again.stop()


def test_store_errors_cross_process_boundaries() -> None:
    import pickle

    from lcgraph.store.repository import StoreUnavailable

    again = pickle.loads(
        pickle.dumps(StoreUnavailable("no answer", store="http://127.0.0.1:1/sparql", timeout=True))
    )
    assert (str(again), again.store, again.timeout) == (
        "http://127.0.0.1:1/sparql: no answer",
        "http://127.0.0.1:1/sparql",
        True,
    )


# -- big loads over a SPARQL store ---------------------------------------------------------------


def _ntriples(n: int, tag: str = "s") -> str:
    return "".join(f'<{EX}{tag}{i}> <{EX}p> "value {i}" .\n' for i in range(n))


def test_a_big_load_is_written_in_parts_chained_by_version(
    remote: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load bigger than LOAD_PART quads is several commits; each expects the version the
    previous one left, and the history record (afterword) comes with the last."""
    import lcgraph.store.sparql as sparql

    monkeypatch.setattr(sparql, "LOAD_PART", 40)
    repo = open_repository(remote)
    assert isinstance(repo, SparqlRepository)
    commits: list[int] = []
    real_commit = SparqlRepository._commit

    def counted(self: SparqlRepository, change: object, old: str) -> str:
        commits.append(len(change.add))  # type: ignore[attr-defined]
        return real_commit(self, change, old)  # type: ignore[arg-type]

    monkeypatch.setattr(SparqlRepository, "_commit", counted)
    history = ox.Quad(A, P, ox.Literal("loaded"), G2)
    result = repo.load_bytes(_ntriples(100), "ntriples", graph=G1.value, afterword=lambda n, gs: [history])
    assert commits == [40, 40, 21], "three requests, the history record in the last"
    assert result.quads_added == 100 and repo.count(G1.value) == 100
    assert repo.contains(history)


def test_a_big_load_stops_when_another_writer_comes_between_parts(
    remote: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lcgraph.store.sparql as sparql
    from lcgraph.store.dataset import LoadError

    monkeypatch.setattr(sparql, "LOAD_PART", 40)
    repo, other = open_repository(remote), open_repository(remote)
    real_commit = SparqlRepository._commit
    done: list[str] = []

    def interleaved(self: SparqlRepository, change: object, old: str) -> str:
        new = real_commit(self, change, old)  # type: ignore[arg-type]
        if not done:
            done.append(new)
            other.apply(add=[ox.Quad(B, P, A, G2)])  # another process commits here
        return new

    monkeypatch.setattr(SparqlRepository, "_commit", interleaved)
    with pytest.raises(LoadError, match=r"stopped after 40 of 100 quads: parts 1-1 of 3 were written"):
        repo.load_bytes(_ntriples(100), "ntriples", graph=G1.value)
    assert repo.count(G1.value) == 40, "the first part stays; nothing after the other writer's commit"
    assert repo.count(G2.value) == 1
