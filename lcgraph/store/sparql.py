"""lcgraph over a SPARQL 1.1 store it does not run itself (Oxigraph server, Virtuoso, …).

For operators and developers of the store layer. :class:`SparqlRepository`
implements :class:`~lcgraph.store.repository.Repository` over HTTP: queries
over the SPARQL 1.1 Protocol (answers parsed by the engine,
``pyoxigraph.parse_query_results``, streamed; or passed on as the store wrote
them), every commit as ONE SPARQL Update request, graph reads over the Graph
Store Protocol where the store has one. It keeps the same dataset layout as
the embedded store, written into the remote store as plain named graphs,
because a remote store's own default graph cannot be relied on (Virtuoso's is
the union of every graph, its system graphs included, and cannot be written
apart):

* ``<…/store/union>`` holds the set union of the public graphs, maintained by
  the same update request as each change; a query that names no dataset reads
  it as its default graph (plus ``lcg:private`` for ``include_private``);
* ``<…/store/meta>`` lists lcgraph's graphs (so empty graphs exist and a
  store's system graphs are never listed) and holds the store version and the
  chain of commits (``<commit/new> follows <commit/old>``);
* blank nodes are kept as skolem IRIs under
  ``https://w3id.org/lcgraph/.well-known/genid/`` so that a blank node keeps its
  identity from one request to the next (a SPARQL request mints new blank
  nodes for every ``_:b`` it reads); quads, dumps, small answers
  (``select``) and answers streamed to clients (:meth:`SparqlRepository.answer_bytes`:
  the store's own bytes where its probe shows it writes a format as the
  engine does, else the engine's) turn them back into blank nodes.

Several lcgraph processes may write to one store: every commit's first
operation moves the version from the one the commit was prepared on to a new
one, and every other operation of the request runs only where the new version
is in place (``WHERE { GRAPH meta { meta version "new" } }``). When another
process committed first nothing matches, nothing is written, and
:class:`~lcgraph.store.repository.ConcurrentChange` is raised (the API answers
409). This is atomic on stores that run each update request in one
transaction (Oxigraph server does).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import random
import re
import socket
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from lcgraph.namespaces import GRAPH_PRIVATE
from lcgraph.store.dataset import (
    LoadError,
    LoadResult,
    OxigraphRepository,
    _graph_node,
    _load_error,
    _parsed,
    stored,
)
from lcgraph.store.dataset_clause import _TOKEN, read_dataset_clause
from lcgraph.store.formats import (
    Format,
    UnknownFormat,
    Writable,
    by_media_type,
    by_name,
    engine_target,
    for_path,
    write_answer,
)
from lcgraph.store.graph_names import InvalidGraphName, graph_iri
from lcgraph.store.repository import (
    Afterword,
    ConcurrentChange,
    ProgressCallback,
    QueryResult,
    StoreAnswer,
    StoreUnavailable,
    store_stats,
)

STORE_NS = "https://w3id.org/lcgraph/store/"
UNION = ox.NamedNode(STORE_NS + "union")
META = ox.NamedNode(STORE_NS + "meta")
VERSION = ox.NamedNode(STORE_NS + "version")
HAS_GRAPH = ox.NamedNode(STORE_NS + "graph")
FOLLOWS = ox.NamedNode(STORE_NS + "follows")
PRIVATE = ox.NamedNode(str(GRAPH_PRIVATE))
GENID = "https://w3id.org/lcgraph/.well-known/genid/"
PROBE = ox.NamedNode(STORE_NS + "probe")

RESULTS_JSON = "application/sparql-results+json"
ACCEPT_ANY = (
    f"{RESULTS_JSON}, application/sparql-results+xml;q=0.9, application/n-triples;q=0.8, text/turtle;q=0.7"
)
# Triples per operation of an update request (long templates overflow some stores' SQL compilers).
CHUNK = 500
# Quads per update request of a load: bigger loads are several chained commits (see _load_in_parts).
LOAD_PART = 500
RETRY_DELAYS = (0.2, 0.6, 1.5)
_GRAPH_KEYWORD = re.compile(r"\bGRAPH\b", re.IGNORECASE)


class StoreRefused(StoreUnavailable):
    """The store answered but refused us (wrong credentials, no update rights): a configuration error."""


# -- blank nodes <-> skolem IRIs -----------------------------------------------


def skolem(term: Any) -> Any:
    """A blank node as the IRI it is kept under on a remote store (other terms unchanged)."""
    if isinstance(term, ox.BlankNode):
        return ox.NamedNode(GENID + term.value)
    if isinstance(term, ox.Triple):
        return ox.Triple(skolem(term.subject), term.predicate, skolem(term.object))
    return term


_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
_CANONICAL_BOOLEAN = {"1": ox.Literal("true", datatype=_BOOLEAN), "0": ox.Literal("false", datatype=_BOOLEAN)}


def unskolem(term: Any) -> Any:
    """A term as lcgraph wrote it: the blank node a skolem IRI stands for, booleans in canonical form.

    Virtuoso keeps booleans by value and gives ``true`` back as ``"1"^^xsd:boolean``
    (the same value; the canonical form is ``true``).
    """
    if isinstance(term, ox.NamedNode) and term.value.startswith(GENID):
        return ox.BlankNode(term.value[len(GENID) :])
    if isinstance(term, ox.Literal) and term.datatype == _BOOLEAN and term.value in _CANONICAL_BOOLEAN:
        return _CANONICAL_BOOLEAN[term.value]
    return term


def _skolem_quad(q: ox.Quad) -> ox.Quad:
    return ox.Quad(skolem(q.subject), q.predicate, skolem(q.object), q.graph_name)


def _unskolem_quad(q: ox.Quad) -> ox.Quad:
    return ox.Quad(unskolem(q.subject), q.predicate, unskolem(q.object), q.graph_name)


def _probe_quads() -> list[ox.Quad]:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    node = ox.BlankNode("lcgraphprobe")
    terms: dict[str, ox.Literal | ox.NamedNode | ox.BlankNode] = {
        "b": ox.Literal("true", datatype=ox.NamedNode(xsd + "boolean")),
        "i": ox.Literal("7", datatype=ox.NamedNode(xsd + "int")),
        "d": ox.Literal("2.50", datatype=ox.NamedNode(xsd + "decimal")),
        "t": ox.Literal("2024-01-02T03:04:05Z", datatype=ox.NamedNode(xsd + "dateTime")),
        "l": ox.Literal("chat", language="FR-ca"),
        "s": ox.Literal('a"b\\c\n\t</uri><x>&amp; ไทย {"type":"uri"} \u00e9'),
        "n": ox.NamedNode("http://example.org/ß?q=1#f"),
        "k": node,
    }
    return [ox.Quad(node, ox.NamedNode(f"{STORE_NS}probe#{k}"), v, PROBE) for k, v in terms.items()]


_PROBE_QUADS = _probe_quads()
_PROBE_QUERIES = (
    "SELECT ?k ?p ?o WHERE { ?k ?p ?o } ORDER BY ?p",
    f"ASK {{ ?k <{STORE_NS}probe#b> true }}",
    f"ASK {{ ?k <{STORE_NS}probe#none> ?x }}",
)


# -- answers streamed as the store writes them -----------------------------------

_GENID = GENID.encode()
_XSD_BOOLEAN = b"http://www.w3.org/2001/XMLSchema#boolean"


def _json_rules(canonical_booleans: bool) -> list[tuple[re.Pattern[bytes], bytes]]:
    rules = [(re.compile(re.escape(b'{"type":"uri","value":"' + _GENID)), b'{"type":"bnode","value":"')]
    if canonical_booleans:
        for stored_as, canonical in ((b"1", b"true"), (b"0", b"false")):
            literal = b'{"type":"literal","value":"%s","datatype":"' + _XSD_BOOLEAN + b'"}'
            rules.append((re.compile(re.escape(literal % stored_as)), literal % canonical))
    return rules


def _xml_rules(canonical_booleans: bool) -> list[tuple[re.Pattern[bytes], bytes]]:
    rules = [(re.compile(rb"<uri>" + re.escape(_GENID) + rb"([^<]*)</uri>"), rb"<bnode>\1</bnode>")]
    if canonical_booleans:
        literal = b'<literal datatype="' + _XSD_BOOLEAN + b'">%s</literal>'
        rules += [
            (re.compile(re.escape(literal % b)), literal % c) for b, c in ((b"1", b"true"), (b"0", b"false"))
        ]
    return rules


def _tsv_rules(canonical_booleans: bool) -> list[tuple[re.Pattern[bytes], bytes]]:
    end = rb"(?=[\t\r\n]|\Z)"
    rules = [(re.compile(rb"([\t\n])<" + re.escape(_GENID) + rb"([^>\t\n]*)>" + end), rb"\1_:\2")]
    if canonical_booleans:
        literal = rb'([\t\n])"%s"\^\^<' + re.escape(_XSD_BOOLEAN) + b">" + end
        rules += [(re.compile(literal % b), rb"\1" + c) for b, c in ((b"1", b"true"), (b"0", b"false"))]
    return rules


def _cut_before_last(buffer: bytes, starts: bytes) -> int:
    """Where the last byte of ``starts`` is (``len(buffer)`` if none)."""
    found = max(buffer.rfind(bytes([b])) for b in starts)
    return len(buffer) if found < 0 else found


def _cut_xml(buffer: bytes) -> int:
    """Where the last opening tag starts (``<`` not followed by ``/``; ``len(buffer)`` if none)."""
    at = len(buffer)
    while (at := buffer.rfind(b"<", 0, at)) >= 0:
        if buffer[at + 1 : at + 2] not in (b"/", b""):
            return at
    # A ``<`` at the very end may still become an opening tag: held.
    return len(buffer) - 1 if buffer.endswith(b"<") else len(buffer)


# Per results format: which rules rewrite the terms, where a buffer may be cut without cutting a
# term the rules match (no match spans the cut: each rule's match holds the cut byte only as its
# first byte), and the first/last bytes an answer in that format has.
_REWRITES: dict[str, tuple[Any, Any, bytes, bytes]] = {
    "json": (_json_rules, lambda b: _cut_before_last(b, b"{"), b"{", b"}"),
    "xml": (_xml_rules, _cut_xml, b"<", b">"),
    "tsv": (_tsv_rules, lambda b: _cut_before_last(b, b"\t\n"), b"?tf\n", b""),
}


class _Rewriter:
    """Turns skolem IRIs back into blank nodes in a results stream, whatever its chunks' boundaries.

    The bytes after the last place a term may begin are held until the next
    chunk (or the end), so every term the rules match is seen whole.
    ``canonical_booleans`` also writes Virtuoso's ``"1"^^xsd:boolean`` as ``true``.
    """

    def __init__(self, fmt: str, output: Writable, *, canonical_booleans: bool = False) -> None:
        make_rules, self._cut, _, _ = _REWRITES[fmt]
        self._rules: list[tuple[re.Pattern[bytes], bytes]] = make_rules(canonical_booleans)
        self._output = output
        self._held = b""

    def _rewrite(self, data: bytes) -> bytes:
        for pattern, replacement in self._rules:
            data = pattern.sub(replacement, data)
        return data

    def write(self, data: bytes) -> int:
        buffer = self._held + bytes(data) if self._held else bytes(data)
        cut = self._cut(buffer)
        self._held = buffer[cut:]
        if cut:
            self._output.write(self._rewrite(buffer[:cut]))
        return len(data)

    def flush(self) -> None:
        return None

    def finish(self) -> None:
        if self._held:
            self._output.write(self._rewrite(self._held))
            self._held = b""


class _PassedAnswer:
    """The store's answer bytes, passed on as they arrive (skolem IRIs made blank nodes again)."""

    def __init__(self, fmt: Format, response: httpx.Response, store: str) -> None:
        self.format = fmt
        self._response = response
        self._store = store

    def write_to(self, output: Writable) -> None:
        _, _, first, last = _REWRITES[self.format.key]
        rewriter = _Rewriter(self.format.key, output)
        started, tail = False, b""
        try:
            for chunk in self._response.iter_bytes():
                if not started and (head := chunk.lstrip()):
                    if head[:1] not in [bytes([b]) for b in first]:
                        raise StoreUnavailable(
                            f"answered something that is not SPARQL results in {self.format.label}: "
                            f"{head[:80]!r}",
                            store=self._store,
                        )
                    started = True
                rewriter.write(chunk)
                tail = (tail + chunk)[-64:]
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"the answer broke off ({exc})", store=self._store) from None
        finally:
            self._response.close()
        # (TSV has no last byte to check: a SELECT of no variables is a blank answer.)
        if last and not tail.rstrip().endswith(last):
            raise StoreUnavailable(f"answered incomplete SPARQL results ({tail[-40:]!r})", store=self._store)
        rewriter.finish()

    def close(self) -> None:
        _abort(self._response)


class _ParsedAnswer:
    """The store's answer parsed by the engine and serialised again (a store that writes some terms
    differently from the engine); skolem IRIs become blank nodes, booleans are written canonically."""

    def __init__(self, fmt: Format, response: httpx.Response, repository: SparqlRepository) -> None:
        self.format = fmt
        self._response = response
        self._repository = repository

    def write_to(self, output: Writable) -> None:
        store = self._repository.endpoint.name
        result = self._repository._results(self._response)
        if not isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
            self._response.close()
            raise StoreUnavailable("answered a SELECT/ASK with a graph", store=store)
        rewriter = _Rewriter(self.format.key, output, canonical_booleans=True)
        try:
            write_answer(result, rewriter, self.format)
        except SyntaxError as exc:
            raise StoreUnavailable(f"answered broken SPARQL results ({exc})", store=store) from None
        finally:
            self._response.close()
        rewriter.finish()

    def close(self) -> None:
        _abort(self._response)


def _abort(response: httpx.Response) -> None:
    """Make a read blocked on this response return now (from another thread): shut its socket down."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


# -- the endpoint --------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """Where the store answers and how lcgraph signs in."""

    query_url: str
    update_url: str
    gsp_url: str | None = None
    user: str | None = None
    password: str | None = None
    token: str | None = None
    timeout: float = 60.0

    @classmethod
    def from_spec(cls, spec: str, **defaults: Any) -> Endpoint:
        """``sparql:QUERY_URL[?update=URL][&gsp=URL][&user=U&password=P | &token=T][&timeout=S]``.

        Only these parameters are read (and removed) from the query URL; any
        other parameter stays part of it. ``defaults`` (from settings) fill
        what the spec leaves out.
        """
        url = spec[len("sparql:") :] if spec.startswith("sparql:") else spec
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"store {spec!r}: the query URL must be an http(s) URL")
        ours: dict[str, str] = {}
        kept: list[tuple[str, str]] = []
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key in ("update", "gsp", "user", "password", "token", "timeout"):
                ours[key] = value
            else:
                kept.append((key, value))
        query_url = urlunsplit(parts._replace(query=urlencode(kept)))
        values = {k: v for k, v in defaults.items() if v is not None}
        values.update({k: v for k, v in ours.items() if k not in ("update", "timeout")})
        return cls(
            query_url=query_url,
            update_url=ours.get("update") or query_url,
            gsp_url=ours.get("gsp") or values.pop("gsp_url", None),
            timeout=float(ours.get("timeout") or values.pop("timeout", 60.0)),
            **{k: values.get(k) for k in ("user", "password", "token")},
        )

    @property
    def name(self) -> str:
        """The endpoint as error messages name it (no credentials)."""
        parts = urlsplit(self.query_url)
        host = parts.hostname or ""
        return urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))


class _ResponseReader(io.RawIOBase):
    """A streamed HTTP answer as a binary file for the engine's parsers; closes the answer at its end."""

    def __init__(self, response: httpx.Response, store: str) -> None:
        self._response = response
        self._chunks = response.iter_bytes()
        self._store = store
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            try:
                self._rest = next(self._chunks)
            except StopIteration:
                self._response.close()
                return 0
            except httpx.HTTPError as exc:
                self._response.close()
                raise StoreUnavailable(f"the answer broke off: {exc}", store=self._store) from None
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n

    def close(self) -> None:
        self._response.close()
        super().close()


def _answer_file(response: httpx.Response, store: str) -> IO[bytes]:
    """The streamed answer as a buffered binary file, as the engine's parsers read it."""
    return io.BufferedReader(_ResponseReader(response, store), 64 * 1024)


_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _form_and_group(sparql: str) -> tuple[str, int | None]:
    """The query form and where its WHERE group's body starts (``None``: it has none)."""
    form, depth, after_where = "SELECT", 0, False
    seen_form = False
    for m in _TOKEN.finditer(sparql):
        kind, value = m.lastgroup, m.group()
        if kind in ("ws", "comment", "string"):
            continue
        word = value.upper()
        if depth == 0 and not seen_form and word in _FORMS:
            form, seen_form = word, True
            continue
        if depth == 0 and word == "WHERE":
            after_where = True
        if value == "{":
            if depth == 0 and seen_form and (form != "CONSTRUCT" or after_where):
                return form, m.end()
            depth += 1
        elif value == "}":
            depth = max(depth - 1, 0)
    return form, None


def _bind(sparql: str, substitutions: dict[str, Any]) -> str:
    """Bind variables as the first element of the WHERE group (stores have no other way to take them)."""
    names = " ".join(str(k if isinstance(k, ox.Variable) else ox.Variable(k)) for k in substitutions)
    values = " ".join(_term(v) for v in substitutions.values())
    clause = f" VALUES ({names}) {{ ({values}) }} "
    _, at = _form_and_group(sparql)
    if at is None:
        return f"{sparql}\n{clause}"
    return sparql[:at] + clause + sparql[at:]


def _accept(sparql: str) -> str:
    form, _ = _form_and_group(sparql)
    if form in ("CONSTRUCT", "DESCRIBE"):
        return "application/n-triples, text/turtle;q=0.8"
    return f"{RESULTS_JSON}, application/sparql-results+xml;q=0.9"


def _pattern(subject: Any, predicate: Any, object: Any) -> str:
    """A triple pattern: the given terms, variables ``?s ?p ?o`` for the ``None`` ones."""
    s = _term(subject) if subject is not None else "?s"
    p = str(predicate) if predicate is not None else "?p"
    o = _term(object) if object is not None else "?o"
    return f"{s} {p} {o}"


def _term(term: Any) -> str:
    """A term as SPARQL text (the engine writes it; blank nodes as their skolem IRIs)."""
    return str(skolem(term))


def _rows(quads: Iterable[ox.Quad]) -> str:
    return " ".join(f"({_term(q.subject)} {q.predicate} {_term(q.object)})" for q in quads)


def _triples(quads: Iterable[ox.Quad]) -> str:
    return " ".join(f"{_term(q.subject)} {q.predicate} {_term(q.object)} ." for q in quads)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _by_graph(quads: Iterable[ox.Quad]) -> dict[ox.NamedNode, list[ox.Quad]]:
    out: dict[ox.NamedNode, list[ox.Quad]] = {}
    for q in quads:
        g = q.graph_name
        if not isinstance(g, ox.NamedNode):  # stored() has put default-graph quads in UNNAMED
            raise InvalidGraphName(f"a quad to write names no graph IRI: {q}")
        out.setdefault(g, []).append(q)
    return out


class SparqlRepository:
    """The :class:`~lcgraph.store.repository.Repository` over a SPARQL 1.1 store (module docstring)."""

    path: Path | None = None

    def __init__(self, endpoint: Endpoint, *, retries: int = len(RETRY_DELAYS)) -> None:
        self.endpoint = endpoint
        self._retries = retries
        headers = {"User-Agent": "lcgraph"}
        auth: httpx.Auth | None = None
        if endpoint.token:
            headers["Authorization"] = f"Bearer {endpoint.token}"
        elif endpoint.user is not None:
            auth = httpx.BasicAuth(endpoint.user, endpoint.password or "")
        self._faithful: dict[str, bool] = {}
        self._client = httpx.Client(
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(endpoint.timeout, connect=min(10.0, endpoint.timeout)),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    @classmethod
    def open(cls, spec: str | Endpoint, **defaults: Any) -> SparqlRepository:
        """Connect and prepare the layout (meta graph, version); a clear error if the store refuses us."""
        endpoint = spec if isinstance(spec, Endpoint) else Endpoint.from_spec(spec, **defaults)
        repo = cls(endpoint)
        try:
            repo._prepare()
            repo.version()
        except BaseException:
            repo.close()
            raise
        return repo

    def _prepare(self) -> None:
        # A no-op when the store is already laid out; it checks that we may update, at start.
        # (COUNT, not FILTER NOT EXISTS or OPTIONAL/!BOUND: Virtuoso 7 gets those wrong on an empty graph.)
        self._update(
            f'INSERT {{ GRAPH {META} {{ {META} {VERSION} "{uuid.uuid4().hex}" }} }} '
            f"WHERE {{ {{ SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {META} {{ {META} {VERSION} ?v }} }} }} "
            "FILTER(?n = 0) }"
        )

    # -- HTTP ----------------------------------------------------------------

    def _send(self, method: str, url: str, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        """One request, retried with back-off on connection errors only; errors name the store."""
        store = self.endpoint.name
        for attempt in range(self._retries + 1):
            try:
                request = self._client.build_request(method, url, **kwargs)
                response = self._client.send(request, stream=stream)
                break
            except httpx.ConnectError as exc:
                if attempt == self._retries:
                    raise StoreUnavailable(f"cannot connect ({exc})", store=store) from None
                time.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
            except httpx.TimeoutException:
                raise StoreUnavailable(
                    f"no answer within {self.endpoint.timeout:g} s", store=store, timeout=True
                ) from None
            except httpx.HTTPError as exc:
                raise StoreUnavailable(f"the connection failed ({exc})", store=store) from None
        if response.status_code < 400:
            return response
        if stream:
            response.read()
        text = " ".join(response.text.split())[:300]
        response.close()
        if response.status_code in (401, 403):
            raise StoreRefused(
                f"refused lcgraph's credentials (HTTP {response.status_code}): check LCGRAPH_STORE_USER/"
                f"LCGRAPH_STORE_PASSWORD/LCGRAPH_STORE_TOKEN and the store's update rights: {text}",
                store=store,
            )
        if response.status_code >= 500:
            raise StoreUnavailable(f"answered HTTP {response.status_code}: {text}", store=store)
        raise ValueError(f"{store} refused the request (HTTP {response.status_code}): {text}")

    def _update(self, sparql: str) -> None:
        self._send("POST", self.endpoint.update_url, data={"update": sparql})

    def _post_query(self, sparql: str, params: list[tuple[str, str]], accept: str) -> httpx.Response:
        return self._send(
            "POST",
            self.endpoint.query_url,
            stream=True,
            content=urlencode([("query", sparql), *params]).encode("ascii"),
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        )

    def _results(self, response: httpx.Response) -> QueryResult:
        """The answer parsed by the engine: solutions streamed, graphs into an in-memory store."""
        store = self.endpoint.name
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        results_format = ox.QueryResultsFormat.from_media_type(media) if media else None
        try:
            if results_format is not None:
                return ox.parse_query_results(_answer_file(response, store), format=results_format)
            rdf = by_media_type(media).rdf_format
            local = ox.Store()
            local.extend(
                ox.Quad(unskolem(t.subject), t.predicate, unskolem(t.object))
                for t in ox.parse(_answer_file(response, store), format=rdf)
            )
            return local.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        except (SyntaxError, ValueError, UnknownFormat) as exc:
            response.close()
            raise StoreUnavailable(
                f"answered something that is not a SPARQL answer ({exc})", store=store
            ) from None

    def _select(self, sparql: str, params: list[tuple[str, str]] | None = None) -> list[dict[str, Any]]:
        result = self._results(self._post_query(sparql, params or [], RESULTS_JSON))
        if not isinstance(result, ox.QuerySolutions):
            raise StoreUnavailable("answered a SELECT with something else", store=self.endpoint.name)
        names = [v.value for v in result.variables]
        try:
            return [{n: unskolem(row[n]) for n in names if row[n] is not None} for row in result]
        except SyntaxError as exc:
            raise StoreUnavailable(
                f"answered broken SPARQL results ({exc})", store=self.endpoint.name
            ) from None

    def _ask(self, sparql: str) -> bool:
        """An ASK over the store's own dataset (internal queries name their graphs)."""
        result = self._results(self._post_query(sparql, [], RESULTS_JSON))
        if not isinstance(result, ox.QueryBoolean):
            raise StoreUnavailable("answered an ASK with something else", store=self.endpoint.name)
        return bool(result)

    # -- reading -------------------------------------------------------------

    def _request(
        self,
        sparql: str,
        *,
        default_graph: Iterable[str | None] | None = None,
        named_graphs: Iterable[str] | None = None,
        include_private: bool = False,
        substitutions: dict[str, Any] | None = None,
        base_iri: str | None = None,
    ) -> tuple[str, list[tuple[str, str]], list[str | None], list[str]]:
        """The query text and protocol parameters for a query with lcgraph's dataset rules.

        The one place that decides which graphs of the store a query reads: the
        union (plus ``lcg:private`` for ``include_private``) when it names no
        dataset. When several default graphs are named, the parameters are
        empty and the graphs to merge are returned instead (default, named).
        """
        if base_iri:
            sparql = f"BASE <{base_iri}>\n{sparql}"
        if substitutions:
            sparql = _bind(sparql, substitutions)
        if default_graph is None and named_graphs is None:
            clause = read_dataset_clause(sparql)
            if clause.names_dataset:
                default_graph, named_graphs = clause.default, clause.named
        params: list[tuple[str, str]] = []
        if default_graph is not None:
            defaults = list(dict.fromkeys(default_graph))
            named = list(dict.fromkeys(named_graphs or []))
            if len(defaults) > 1:
                return sparql, [], defaults, named
            params += [("default-graph-uri", UNION.value if g is None else g) for g in defaults]
            params += [("named-graph-uri", g) for g in named]
        else:
            params.append(("default-graph-uri", UNION.value))
            if include_private:
                params.append(("default-graph-uri", PRIVATE.value))
            if named_graphs is not None:
                params += [("named-graph-uri", g) for g in named_graphs]
            elif _GRAPH_KEYWORD.search(sparql):
                params += [
                    ("named-graph-uri", g) for g in self.graphs() if include_private or g != PRIVATE.value
                ]
        if not any(k == "named-graph-uri" for k, _ in params):
            # Without one, some stores read every graph they have as the named graphs.
            params.append(("named-graph-uri", META.value + "#none"))
        return sparql, params, [], []

    def query(self, sparql: str, **kwargs: Any) -> QueryResult:
        """Evaluate a query on the store with the embedded store's dataset rules (see the module docstring).

        ``kwargs`` as :meth:`lcgraph.store.repository.Repository.query` (no
        ``custom_functions``). ``substitutions`` become a ``VALUES`` clause (the
        store has no other way to bind variables); several default graphs are
        merged with set semantics in an in-memory copy, as the embedded store does.
        """
        sparql, params, merge, named = self._request(sparql, **kwargs)
        if merge:
            return self._merged_copy(merge, named).query(sparql, default_graph=[ox.DefaultGraph()])
        return self._results(self._post_query(sparql, params, _accept(sparql)))

    def answer_bytes(self, sparql: str, results_format: Format, **kwargs: Any) -> StoreAnswer | None:
        """A SELECT/ASK answer as the store writes it, blank nodes restored on the way (module docstring).

        Passed through when the store writes this format exactly as the
        embedded engine would (:meth:`_writes_faithfully`); otherwise the
        answer is parsed by the engine and serialised again, as :meth:`query`
        does. ``None`` for CONSTRUCT/DESCRIBE, for several default graphs and
        for formats no rewrite is defined for (the caller uses :meth:`query`).
        """
        if kwargs.get("custom_functions") or results_format.key not in _REWRITES:
            return None
        kwargs.pop("custom_functions", None)
        form, _ = _form_and_group(sparql)
        if form not in ("SELECT", "ASK"):
            return None
        text, params, merge, _ = self._request(sparql, **kwargs)
        if merge:
            return None
        if not self._writes_faithfully(results_format):
            response = self._post_query(text, params, _accept(text))
            return _ParsedAnswer(results_format, response, self)
        response = self._post_query(text, params, results_format.media_type)
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != results_format.media_type:
            response.close()
            return None  # not the answer asked for (a query form we misread): the engine's path
        return _PassedAnswer(results_format, response, self.endpoint.name)

    def _writes_faithfully(self, fmt: Format) -> bool:
        """Does the store write ``fmt`` byte for byte as the embedded engine does (after the blank-node
        rewrite)? Asked once per format: a probe with the terms stores differ on (booleans, xsd:int,
        decimals, language tags, escapes, a blank node) is written to the store's probe graph, read
        back the way queries read, and compared with the engine's own serialisation of the same data."""
        known = self._faithful.get(fmt.key)
        if known is not None:
            return known
        self._update(f"INSERT DATA {{ GRAPH {PROBE} {{ {_triples(_PROBE_QUADS)} }} }}")
        reference = ox.Store()
        reference.extend(ox.Quad(q.subject, q.predicate, q.object) for q in _PROBE_QUADS)
        same = True
        for query in _PROBE_QUERIES:
            expected = io.BytesIO()
            write_answer(reference.query(query), expected, fmt)
            try:
                response = self._post_query(
                    query,
                    [("default-graph-uri", PROBE.value), ("named-graph-uri", META.value + "#none")],
                    fmt.media_type,
                )
            except (ValueError, StoreUnavailable) as exc:
                if isinstance(exc, StoreUnavailable) and "HTTP" not in exc.problem:
                    raise  # down or slow: not an answer about the format
                same = False  # the store refused the probe: its bytes are not known to be the engine's
                break
            media = response.headers.get("content-type", "").split(";")[0].strip().lower()
            got = io.BytesIO()
            try:
                _PassedAnswer(fmt, response, self.endpoint.name).write_to(got)
            except StoreUnavailable:
                got = io.BytesIO()  # not results at all: the engine's path will say so
            same = same and media == fmt.media_type and got.getvalue() == expected.getvalue()
        self._faithful[fmt.key] = same
        return same

    def _merged_copy(self, defaults: list[str | None], named: list[str]) -> ox.Store:
        """An in-memory dataset whose default graph is the RDF merge of ``defaults``."""
        copy = ox.Store()
        for g in defaults:
            source = UNION if g is None else ox.NamedNode(g)
            copy.extend(ox.Quad(q.subject, q.predicate, q.object) for q in self._graph_quads(source))
        for g in named:
            copy.add_graph(ox.NamedNode(g))
            copy.extend(self._graph_quads(ox.NamedNode(g)))
        return copy

    def _graph_quads(self, graph: ox.NamedNode) -> Iterator[ox.Quad]:
        """One graph's triples as quads in it, blank nodes restored (over GSP where the store has it)."""
        if self.endpoint.gsp_url:
            response = self._send(
                "GET",
                self.endpoint.gsp_url,
                params={"graph": graph.value},
                headers={"Accept": "application/n-triples"},
                stream=True,
            )
            media = response.headers.get("content-type", "").split(";")[0].strip().lower()
            try:
                fmt = by_media_type(media).rdf_format
            except UnknownFormat:
                response.close()
                raise StoreUnavailable(f"answered a graph as {media!r}", store=self.endpoint.name) from None
            source: Iterable[Any] = ox.parse(_answer_file(response, self.endpoint.name), format=fmt)
        else:
            result = self.query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}", include_private=True
            )
            if not isinstance(result, ox.QueryTriples):
                raise StoreUnavailable("answered a CONSTRUCT with no triples", store=self.endpoint.name)
            source = result
        try:
            for t in source:
                yield ox.Quad(unskolem(t.subject), t.predicate, unskolem(t.object), graph)
        except SyntaxError as exc:
            raise StoreUnavailable(f"answered a broken graph ({exc})", store=self.endpoint.name) from None

    def select(self, sparql: str, **kwargs: Any) -> list[dict[str, Any]]:
        """A SELECT's rows as ``{variable: term}`` (blank nodes restored); for small answers."""
        result = self.query(sparql, **kwargs)
        if not isinstance(result, ox.QuerySolutions):
            raise TypeError("select() needs a SELECT query")
        names = [v.value for v in result.variables]
        try:
            return [{n: unskolem(row[n]) for n in names if row[n] is not None} for row in result]
        except SyntaxError as exc:
            raise StoreUnavailable(
                f"answered broken SPARQL results ({exc})", store=self.endpoint.name
            ) from None

    def ask(self, sparql: str, **kwargs: Any) -> bool:
        result = self.query(sparql, **kwargs)
        if not isinstance(result, ox.QueryBoolean):
            raise TypeError("ask() needs an ASK query")
        return bool(result)

    def quads(
        self,
        subject: Any = None,
        predicate: Any = None,
        object: Any = None,
        graph: str | ox.NamedNode | None = None,
    ) -> Iterator[ox.Quad]:
        """Quads of lcgraph's named graphs matching a pattern, streamed, blank nodes restored."""
        g = ox.NamedNode(graph) if isinstance(graph, str) else graph
        pattern = _pattern(subject, predicate, object)
        where = f"GRAPH {META} {{ {META} {HAS_GRAPH} ?g }} GRAPH ?g {{ {pattern} }}"
        if g is not None:
            where = f"GRAPH {g} {{ {pattern} }} BIND({g} AS ?g)"
        result = self._results(self._post_query(f"SELECT ?s ?p ?o ?g WHERE {{ {where} }}", [], RESULTS_JSON))
        assert isinstance(result, ox.QuerySolutions)
        fixed = {"s": subject, "p": predicate, "o": object}

        def rows() -> Iterator[ox.Quad]:
            try:
                for row in result:
                    terms = {k: fixed[k] if fixed[k] is not None else unskolem(row[k]) for k in fixed}
                    yield ox.Quad(terms["s"], terms["p"], terms["o"], row["g"])
            except SyntaxError as exc:
                raise StoreUnavailable(f"answered broken results ({exc})", store=self.endpoint.name) from None

        return rows()

    def contains(self, quad: ox.Quad) -> bool:
        if not isinstance(quad.graph_name, ox.NamedNode):
            return False
        triple = f"{_term(quad.subject)} {quad.predicate} {_term(quad.object)}"
        q = f"ASK {{ GRAPH {quad.graph_name} {{ {triple} }} }}"
        return self._ask(q)

    def has_quad(self, subject: Any = None, predicate: Any = None, object: Any = None) -> bool:
        pattern = _pattern(subject, predicate, object)
        return self._ask(f"ASK {{ GRAPH {META} {{ {META} {HAS_GRAPH} ?g }} GRAPH ?g {{ {pattern} }} }}")

    def graphs(self) -> list[str]:
        """lcgraph's named graphs, sorted (empty ones included; the store's own graphs never)."""
        rows = self._select(f"SELECT ?g WHERE {{ GRAPH {META} {{ {META} {HAS_GRAPH} ?g }} }}")
        return sorted(r["g"].value for r in rows)

    def has_graph(self, graph: str) -> bool:
        return graph in self.graphs()

    def version(self) -> str:
        """The store's version; after two commits that raced, both of their versions (joined by a space).

        A store that runs update requests under snapshot isolation (Oxigraph server) lets two
        requests that start at the same instant both see the old version: both land (no write is
        lost) and both new versions are kept. The next commit expects that pair and replaces it
        by one version again.
        """
        rows = self._select(f"SELECT ?v WHERE {{ GRAPH {META} {{ {META} {VERSION} ?v }} }}")
        if not rows:
            raise StoreUnavailable(
                "holds no lcgraph version: was the meta graph edited by hand? (lcgraph init --store …)",
                store=self.endpoint.name,
            )
        return " ".join(sorted(str(row["v"].value) for row in rows))

    def count(self, graph: str | None = None) -> int:
        if graph is None:
            where = f"GRAPH {META} {{ {META} {HAS_GRAPH} ?g }} GRAPH ?g {{ ?s ?p ?o }}"
        else:
            where = f"GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }}"
        return int(self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")[0]["n"].value)

    def is_empty(self) -> bool:
        return not self._ask(f"ASK {{ GRAPH {META} {{ {META} {HAS_GRAPH} ?g }} GRAPH ?g {{ ?s ?p ?o }} }}")

    def stats(self) -> dict[str, Any]:
        per_graph = {
            row["g"].value: int(row["n"].value)
            for row in self._select(
                f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH {META} {{ {META} {HAS_GRAPH} ?g }} "
                "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
            )
        }
        return store_stats(self, per_graph)

    # -- writing -------------------------------------------------------------

    def apply(
        self,
        add: Iterable[ox.Quad] = (),
        remove: Iterable[ox.Quad] = (),
        *,
        clear: Iterable[ox.NamedNode] = (),
        drop: Iterable[ox.NamedNode] = (),
        create: Iterable[ox.NamedNode] = (),
        expect_version: str | None = None,
    ) -> str:
        """Commit a change as ONE update request, conditional on the version; returns the new version.

        Without ``expect_version`` the change is made on whatever version the
        store is at (retried a few times if another process commits in
        between: the change does not depend on what it read).
        """
        change = _Change(
            [stored(q) for q in add],
            [stored(q) for q in remove],
            list(clear),
            list(drop),
            list(create),
        )
        if expect_version is not None:
            return self._commit(change, expect_version)
        for attempt in range(50):
            try:
                return self._commit(change, self.version())
            except ConcurrentChange:
                # Jittered back-off, so that writers that collided do not collide again in step.
                time.sleep(random.uniform(0, min(0.5, 0.02 * (attempt + 1))))
        raise ConcurrentChange(
            f"{self.endpoint.name}: other writers kept committing first; nothing was written"
        )

    def _commit(self, change: _Change, old: str) -> str:
        new = uuid.uuid4().hex
        first = old.split()[0]
        marker = f"ASK {{ GRAPH {META} {{ <{STORE_NS}commit/{new}> {FOLLOWS} <{STORE_NS}commit/{first}> }} }}"
        try:
            self._update(change.update_text(old, new))
        except StoreUnavailable as exc:
            # A store whose update requests are not atomic (Virtuoso) may have kept the first operations.
            if exc.timeout or not self._ask(marker):
                raise
            raise StoreUnavailable(
                f"failed in the middle of commit {new} and kept part of it (its update requests are not "
                f"atomic): {exc}",
                store=self.endpoint.name,
            ) from None
        confirmed = self._ask(marker)
        if not confirmed:
            raise ConcurrentChange(
                f"{self.endpoint.name}: the store changed since version {old}; nothing was written"
            )
        return new

    def load_bytes(
        self,
        data: bytes | str,
        format: str | Format,
        *,
        graph: str | None = None,
        source: str = "input",
        base_iri: str | None = None,
        afterword: Afterword | None = None,
    ) -> LoadResult:
        """Parse here (errors name line and column), then write everything in one commit."""
        fmt = by_name(format) if isinstance(format, str) else format
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not data.strip():
            raise LoadError("the input is empty: there is nothing to load", source=source)
        target = _graph_node(graph)
        started = time.perf_counter()
        try:
            quads = list(_parsed(data, fmt, target, base_iri))
            if afterword is not None:
                quads += afterword(len(quads), sorted({graph_iri(q.graph_name) for q in quads}))
        except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
            raise _load_error(exc, source) from None
        before = self.count() if fmt.is_dataset else self.count(target.value)
        self._load_in_parts(quads, source)
        after = self.count() if fmt.is_dataset else self.count(target.value)
        return LoadResult(source, fmt.name, before, after, time.perf_counter() - started)

    def _load_in_parts(self, quads: list[ox.Quad], source: str) -> None:
        """Write a load as commits of at most :data:`LOAD_PART` quads, chained by version.

        One request per commit as always; a big load is several commits, because a store
        compiles one very long update request very slowly (Virtuoso: minutes for 5,000 quads).
        Each part expects the version the previous part left, so no other commit can come
        between two parts unnoticed: the load then stops (:class:`LoadError` saying how much
        was written). The history record (``afterword``) is at the end, in the last part.
        """
        if len(quads) <= LOAD_PART:
            self.apply(add=quads)
            return
        parts = list(_chunks(quads, LOAD_PART))
        version = self.version()
        written = 0
        for i, part in enumerate(parts):
            try:
                version = self._commit(_Change([stored(q) for q in part], [], [], [], []), version)
            except (ConcurrentChange, StoreUnavailable) as exc:
                if i == 0 and isinstance(exc, ConcurrentChange):
                    version = self.version()  # nothing written yet: start again on the new version
                    return self._load_in_parts(quads, source)
                raise LoadError(
                    f"stopped after {written} of {len(quads)} quads: parts 1-{i} of {len(parts)} were "
                    f"written (each in one update request), part {i + 1} was not ({exc}); the history "
                    "record comes with the last part, so this load has none: load the file again "
                    "(quads already there are not doubled) or remove what it added",
                    source=source,
                ) from None
            written += len(part)

    def load_path(
        self,
        path: str | Path,
        *,
        graph: str | None = None,
        format: str | None = None,
        progress: ProgressCallback | None = None,
        base_iri: str | None = None,
        afterword: Afterword | None = None,
        bulk: bool = False,
    ) -> LoadResult:
        """Load a file (read whole, parsed here), all-or-nothing, naming file/line/column on error."""
        p = Path(path)
        source = str(p)
        try:
            fmt = for_path(p, format)
        except UnknownFormat as exc:
            raise LoadError(str(exc), source=source) from None
        if not p.is_file():
            raise LoadError("no such file" if not p.exists() else "is a directory, not a file", source=source)
        if p.stat().st_size == 0:
            raise LoadError("the file is empty: there is nothing to load", source=source)
        opener = gzip.open if p.suffix.lower() == ".gz" else open
        try:
            with opener(p, "rb") as fh:
                data = fh.read()
        except (OSError, EOFError) as exc:
            raise LoadError(f"cannot read the file: {exc}", source=source) from None
        if progress is not None:
            progress(p.stat().st_size)
        del bulk  # one commit whatever the size: the store does the bulk work
        return self.load_bytes(data, fmt, graph=graph, source=source, base_iri=base_iri, afterword=afterword)

    def flush(self) -> None:
        """Every commit is durable when the store answers it."""

    # -- exporting and copies ------------------------------------------------

    def dump(
        self,
        output: Writable | str | Path,
        format: str | Format | ox.RdfFormat,
        *,
        graph: str | None = None,
        default_graph: bool = False,
        prefixes: dict[str, str] | None = None,
        exclude: Iterable[str] = (),
    ) -> None:
        """Serialise with the engine, streamed from the store to ``output`` (blank nodes restored)."""
        if isinstance(format, ox.RdfFormat):
            rdf_format, is_dataset, name = format, format.supports_datasets, format.file_extension
        else:
            fmt = by_name(format) if isinstance(format, str) else format
            rdf_format, is_dataset, name = fmt.rdf_format, fmt.is_dataset, fmt.name
        kwargs: dict[str, Any] = {}
        if prefixes and rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
            kwargs["prefixes"] = prefixes
        out = engine_target(output)
        if graph is not None or default_graph:
            source = UNION if graph is None else ox.NamedNode(graph)
            items: Iterable[Any] = self._graph_quads(source)
            if not is_dataset:
                items = (ox.Triple(q.subject, q.predicate, q.object) for q in items)
            elif graph is None:
                items = (ox.Quad(q.subject, q.predicate, q.object) for q in items)
            ox.serialize(items, out, format=rdf_format, **kwargs)
            return
        if not is_dataset:
            raise UnknownFormat(
                f"{name} holds one graph: name the graph to export, or use trig/nquads for the whole dataset"
            )
        skip = {ox.NamedNode(g) for g in exclude}
        quads = (q for q in self.quads() if q.graph_name not in skip) if skip else self.quads()
        ox.serialize(quads, out, format=rdf_format, **kwargs)

    def scratch_copy(self) -> Any:
        """An embedded in-memory copy of the whole dataset, for dry runs."""
        copy = OxigraphRepository.memory()
        copy.apply(add=list(self.quads()), create=[ox.NamedNode(g) for g in self.graphs()])
        return copy

    def close(self) -> None:
        self._client.close()


@dataclass
class _Change:
    """One commit, written as one conditional update request."""

    add: list[ox.Quad]
    remove: list[ox.Quad]
    clear: list[ox.NamedNode]
    drop: list[ox.NamedNode]
    create: list[ox.NamedNode]

    def update_text(self, old: str, new: str) -> str:
        """The request: move the version, then (only where the new version is in place) the change.

        The union is kept with positive patterns only: what leaves a public
        graph leaves the union, then whatever another public graph still holds
        is put back (Virtuoso 7 mis-evaluates FILTER NOT EXISTS and
        OPTIONAL/!BOUND over graphs in updates; tests/test_repository_contract.py).
        """
        guard = f'GRAPH {META} {{ {META} {VERSION} "{new}" }}'
        held = f"GRAPH {META} {{ {META} {HAS_GRAPH} ?h }} GRAPH ?h {{ ?s ?p ?o }} FILTER(?h != {PRIVATE})"
        left = ox.NamedNode(f"{STORE_NS}scratch/{new}")
        # ``old`` is one version, or the versions of commits that raced (see SparqlRepository.version).
        held_versions = " . ".join(f'{META} {VERSION} "{v}"' for v in old.split())
        follows = " . ".join(
            f"<{STORE_NS}commit/{new}> {FOLLOWS} <{STORE_NS}commit/{v}>" for v in old.split()
        )
        ops = [
            f"DELETE {{ GRAPH {META} {{ {held_versions} }} }} "
            f'INSERT {{ GRAPH {META} {{ {META} {VERSION} "{new}" . {follows} }} }} '
            f"WHERE {{ GRAPH {META} {{ {held_versions} }} "
            # Exactly these versions: a commit checked against one side of a fork is stale.
            f"{{ SELECT (COUNT(?v) AS ?versions) WHERE {{ GRAPH {META} {{ {META} {VERSION} ?v }} }} }} "
            f"FILTER(?versions = {len(old.split())}) }}"
        ]
        public_removed = [q for q in self.remove if q.graph_name != PRIVATE]
        for g, quads in _by_graph(self.remove).items():
            for part in _chunks(quads):
                union = f" GRAPH {UNION} {{ {_triples(part)} }}" if g != PRIVATE else ""
                ops.append(f"DELETE {{ GRAPH {g} {{ {_triples(part)} }}{union} }} WHERE {{ {guard} }}")
        emptied = [g for g in [*self.clear, *self.drop] if g != PRIVATE]
        for g in emptied:
            ops.append(
                f"INSERT {{ GRAPH {left} {{ ?s ?p ?o }} }} WHERE {{ {guard} GRAPH {g} {{ ?s ?p ?o }} }}"
            )
            ops.append(
                f"DELETE {{ GRAPH {UNION} {{ ?s ?p ?o }} }} WHERE {{ {guard} GRAPH {g} {{ ?s ?p ?o }} }}"
            )
        for g in [*self.clear, *self.drop]:
            ops.append(f"DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ {guard} GRAPH {g} {{ ?s ?p ?o }} }}")
        for g in self.drop:
            ops.append(f"DELETE {{ GRAPH {META} {{ {META} {HAS_GRAPH} {g} }} }} WHERE {{ {guard} }}")
        for part in _chunks(public_removed):
            ops.append(
                f"INSERT {{ GRAPH {UNION} {{ ?s ?p ?o }} }} WHERE {{ {guard} "
                f"VALUES (?s ?p ?o) {{ {_rows(part)} }} {held} }}"
            )
        if emptied:
            ops.append(
                f"INSERT {{ GRAPH {UNION} {{ ?s ?p ?o }} }} "
                f"WHERE {{ {guard} GRAPH {left} {{ ?s ?p ?o }} {held} }}"
            )
            ops.append(f"DELETE {{ GRAPH {left} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {left} {{ ?s ?p ?o }} }}")
        created = list(dict.fromkeys([*self.create, *(q.graph_name for q in self.add)]))
        if created:
            listed = " ".join(f"{META} {HAS_GRAPH} {g} ." for g in created)
            ops.append(f"INSERT {{ GRAPH {META} {{ {listed} }} }} WHERE {{ {guard} }}")
        for g, quads in _by_graph(self.add).items():
            for part in _chunks(quads):
                body = _triples(part)
                union = f" GRAPH {UNION} {{ {body} }}" if g != PRIVATE else ""
                ops.append(f"INSERT {{ GRAPH {g} {{ {body} }}{union} }} WHERE {{ {guard} }}")
        return " ;\n".join(ops)
