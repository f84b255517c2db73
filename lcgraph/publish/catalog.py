"""DCAT and VoID descriptions of the published dataset, computed from the store's current state.

For partners and harvesters (data portals, UNESCO, universities) who find
the dataset by its description at ``/catalog`` and ``/.well-known/void``.
One ``dcat:Catalog`` holds one ``dcat:Repository``/``void:Repository`` for the
whole public dataset and one per public named graph (its ``void:subset``),
each with a ``dcat:Distribution`` per download format. Counts (triples,
entities, classes, properties, class and property partitions) and links to
external datasets (``void:Linkset``) are counted by the engine. The private
graph is listed with restricted access and nothing else.

The counts of the whole dataset are sums over its graphs: a triple stated in
two graphs counts twice, as it is stored twice.

The licence and the publisher are deployment choices, read from
``LCGRAPH_DATA_LICENSE`` and ``LCGRAPH_PUBLISHER`` (IRIs).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph as ox

from lcgraph.config import Settings
from lcgraph.namespaces import DCAT, DCT, FOAF, LC, PREFIXES, RDF, RDFS, SCHEMA, VOID, XSD
from lcgraph.publish.privacy import PRIVATE_GRAPH, public_graphs
from lcgraph.publish.state import state_tag
from lcgraph.store import FORMATS, Repository

DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
NON_PUBLIC = "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"
PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
OUR_SPACE = "https://w3id.org/lcgraph/"
DOWNLOAD_FORMATS = ("turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml")
VOCABULARIES = ("lc", "org", "schema", "skos", "prov", "dct", "time", "foaf", "geo")


@dataclass(frozen=True)
class CatalogSettings:
    """Where the description points: the instance base, the server's public URL, licence, publisher."""

    base_iri: str
    server_url: str
    license: str = DEFAULT_LICENSE
    publisher: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, server_url: str) -> CatalogSettings:
        """From the settings: ``LCGRAPH_BASE_IRI``, ``LCGRAPH_DATA_LICENSE``, ``LCGRAPH_PUBLISHER``."""
        return cls(
            base_iri=settings.base_iri,
            server_url=server_url.rstrip("/"),
            license=settings.data_license,
            publisher=settings.publisher,
        )

    @property
    def catalog_iri(self) -> str:
        return f"{self.base_iri}catalog/lcgraph"

    @property
    def dataset_iri(self) -> str:
        return f"{self.base_iri}dataset/lcgraph"


@dataclass
class GraphCounts:
    """VoID statistics of one graph, as the engine counted them."""

    triples: int = 0
    entities: int = 0
    subjects: int = 0
    properties: int = 0
    objects: int = 0
    classes: int = 0


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(str(XSD.integer)))


class _Triples(list[ox.Triple]):
    def add(self, s: str, p: object, o: ox.NamedNode | ox.Literal | str) -> None:
        obj = _n(o) if isinstance(o, str) else o
        self.append(ox.Triple(_n(s), _n(str(p)), obj))


def graph_counts(ds: Repository, graphs: list[str]) -> dict[str, GraphCounts]:
    """Triples, entities, distinct subjects/properties/objects and classes of each graph."""
    counts: dict[str, GraphCounts] = {g: GraphCounts() for g in graphs}
    if not graphs:
        return counts
    rows = ds.select(
        "SELECT ?g (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?ds) (COUNT(DISTINCT ?p) AS ?dp) "
        "(COUNT(DISTINCT ?o) AS ?do) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        named_graphs=graphs,
    )
    for r in rows:
        c = counts[r["g"].value]
        c.triples, c.subjects = int(r["t"].value), int(r["ds"].value)
        c.properties, c.objects = int(r["dp"].value), int(r["do"].value)
    for r in ds.select(
        "SELECT ?g (COUNT(DISTINCT ?s) AS ?n) { GRAPH ?g { ?s ?p ?o FILTER(isIRI(?s)) } } GROUP BY ?g",
        named_graphs=graphs,
    ):
        counts[r["g"].value].entities = int(r["n"].value)
    for r in ds.select(
        "SELECT ?g (COUNT(DISTINCT ?c) AS ?n) { GRAPH ?g { ?s a ?c } } GROUP BY ?g", named_graphs=graphs
    ):
        counts[r["g"].value].classes = int(r["n"].value)
    return counts


def _partitions(ds: Repository, graphs: list[str]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    classes = ds.select(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { GRAPH ?g { ?s a ?c } } GROUP BY ?c ORDER BY ?c",
        named_graphs=graphs,
    )
    props = ds.select(
        "SELECT ?p (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?p ORDER BY ?p", named_graphs=graphs
    )
    return (
        [(r["c"].value, int(r["n"].value)) for r in classes if isinstance(r["c"], ox.NamedNode)],
        [(r["p"].value, int(r["n"].value)) for r in props],
    )


def external_links(ds: Repository, graphs: list[str], base_iri: str) -> list[tuple[str, str, int]]:
    """(link predicate, target site, triples) for statements pointing outside our IRI spaces."""
    rows = ds.select(
        "SELECT ?p ?site (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o "
        f'FILTER(isIRI(?o) && ?p != <{RDF.type}> && !STRSTARTS(STR(?o), "{OUR_SPACE}") '
        f'&& !STRSTARTS(STR(?o), "{base_iri}")) '
        'BIND(REPLACE(STR(?o), "^([a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]+).*$", "$1/") AS ?site) '
        'FILTER(STRSTARTS(?site, "http")) } } GROUP BY ?p ?site ORDER BY ?site ?p',
        named_graphs=graphs,
    )
    return [(r["p"].value, r["site"].value, int(r["n"].value)) for r in rows]


def _coverage(ds: Repository, graphs: list[str]) -> tuple[dict[str, tuple[str, str]], dict[str, set[str]]]:
    """Per graph: (first, last) date of its events and activities, and the provinces of its cities."""
    dates = ds.select(
        "SELECT ?g (MIN(?d) AS ?first) (MAX(?d) AS ?last) { GRAPH ?g { ?s ?p ?d "
        f"VALUES ?p {{ <{SCHEMA.startDate}> <{SCHEMA.endDate}> }} FILTER(DATATYPE(?d) = <{XSD.date}>) }} }} "
        "GROUP BY ?g",
        named_graphs=graphs,
    )
    provinces = ds.select(
        f"SELECT DISTINCT ?g ?prov {{ GRAPH ?g {{ ?c <{LC.province}> ?prov }} }}", named_graphs=graphs
    )
    spatial: dict[str, set[str]] = defaultdict(set)
    for r in provinces:
        spatial[r["g"].value].add(r["prov"].value)
    temporal = {r["g"].value: (r["first"].value, r["last"].value) for r in dates if "first" in r}
    return temporal, spatial


def _graph_titles(ds: Repository, graphs: list[str]) -> dict[str, list[ox.Literal]]:
    titles: dict[str, list[ox.Literal]] = defaultdict(list)
    if not graphs:
        return titles
    values = " ".join(f"<{g}>" for g in graphs)
    for r in ds.select(
        f"SELECT ?g ?t {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?g <{DCT.title}> ?t }} }}", named_graphs=graphs
    ):
        titles[r["g"].value].append(r["t"])
    return titles


def _distributions(out: _Triples, dataset: str, settings: CatalogSettings, query: str) -> None:
    for name in DOWNLOAD_FORMATS:
        fmt = next(f for f in FORMATS if f.name == name)
        dist = f"{dataset}#distribution-{name}"
        url = f"{settings.server_url}/export?{query}{'&' if query else ''}format={name}"
        out.add(dataset, DCAT.distribution, dist)
        out.add(dist, RDF.type, str(DCAT.Distribution))
        out.add(dist, DCAT.downloadURL, url)
        out.add(dist, DCAT.accessURL, url)
        out.add(dist, DCAT.mediaType, f"https://www.iana.org/assignments/media-types/{fmt.media_type}")
        out.add(dist, DCT.format, ox.Literal(fmt.media_type))
        out.add(dist, DCT.license, settings.license)
        out.add(dist, DCT.title, ox.Literal(f"{dataset.rsplit('/', 1)[-1]} ({name})", language="en"))


def _describe_counts(out: _Triples, iri: str, c: GraphCounts) -> None:
    out.add(iri, VOID.triples, _int(c.triples))
    out.add(iri, VOID.entities, _int(c.entities))
    out.add(iri, VOID.distinctSubjects, _int(c.subjects))
    out.add(iri, VOID.properties, _int(c.properties))
    out.add(iri, VOID.distinctObjects, _int(c.objects))
    out.add(iri, VOID.classes, _int(c.classes))


def catalog_triples(ds: Repository, settings: CatalogSettings) -> list[ox.Triple]:
    """The DCAT catalog and VoID description of the public dataset, as triples."""
    graphs = public_graphs(ds)
    counts = graph_counts(ds, graphs)
    out = _Triples()
    cat, whole = settings.catalog_iri, settings.dataset_iri
    out.add(cat, RDF.type, str(DCAT.Catalog))
    out.add(cat, DCT.title, ox.Literal("แคตตาล็อกข้อมูลเครือข่ายเมืองแห่งการเรียนรู้", language="th"))
    out.add(cat, DCT.title, ox.Literal("Learning City knowledge graph catalogue", language="en"))
    out.add(cat, FOAF.homepage, settings.server_url + "/")
    out.add(cat, DCT.license, settings.license)
    out.add(cat, DCAT.dataset, whole)
    _header(out, whole, settings, _example_resources(ds, graphs))
    total = GraphCounts()
    for c in counts.values():
        for field_name in ("triples", "entities", "subjects", "objects"):
            setattr(total, field_name, getattr(total, field_name) + getattr(c, field_name))
    classes, props = _partitions(ds, graphs)
    total.classes, total.properties = len(classes), len(props)
    _describe_counts(out, whole, total)
    _partition_triples(out, whole, classes, props)
    _linksets(out, whole, external_links(ds, graphs, settings.base_iri))
    _distributions(out, whole, settings, "")
    out.add(whole, VOID.dataDump, f"{settings.server_url}/export?format=nquads")
    temporal, spatial = _coverage(ds, graphs)
    titles = _graph_titles(ds, graphs)
    for g in graphs:
        _graph_dataset(out, g, counts[g], titles.get(g, []), temporal.get(g), spatial.get(g, set()), settings)
        out.add(cat, DCAT.dataset, g)
        out.add(whole, VOID.subset, g)
    if ds.has_graph(PRIVATE_GRAPH):
        out.add(PRIVATE_GRAPH, RDF.type, str(DCAT.Dataset))
        out.add(PRIVATE_GRAPH, DCT.accessRights, NON_PUBLIC)
        out.add(
            PRIVATE_GRAPH,
            DCT.title,
            ox.Literal("Personal data (Thailand PDPA): not published", language="en"),
        )
        out.add(PRIVATE_GRAPH, DCT.title, ox.Literal("ข้อมูลส่วนบุคคล (PDPA) ไม่เผยแพร่", language="th"))
        out.add(cat, DCAT.dataset, PRIVATE_GRAPH)
    return out


def _example_resources(ds: Repository, graphs: list[str]) -> list[str]:
    """One learning city and one learning space of the public view, for void:exampleResource."""
    out = []
    for cls in (LC.LearningCity, LC.LearningSpace):
        rows = ds.select(
            f"SELECT ?x {{ ?x a <{cls}> FILTER(isIRI(?x)) }} ORDER BY ?x LIMIT 1",
        )
        out += [r["x"].value for r in rows]
    return out


def _header(out: _Triples, whole: str, settings: CatalogSettings, example_resources: list[str]) -> None:
    for t in (DCAT.Dataset, VOID.Dataset):
        out.add(whole, RDF.type, str(t))
    out.add(whole, DCT.title, ox.Literal("กราฟความรู้เครือข่ายเมืองแห่งการเรียนรู้ของประเทศไทย", language="th"))
    out.add(whole, DCT.title, ox.Literal("Thailand Learning City knowledge graph", language="en"))
    out.add(
        whole,
        DCT.description,
        ox.Literal(
            "Learning cities, learning spaces, knowledge assets, learning activities and partners of "
            "Thailand's learning-city network, with the source of every fact. Personal data is not "
            "published.",
            language="en",
        ),
    )
    out.add(whole, DCT.license, settings.license)
    out.add(whole, DCT.accessRights, PUBLIC)
    if settings.publisher:
        out.add(whole, DCT.publisher, settings.publisher)
    out.add(whole, VOID.sparqlEndpoint, f"{settings.server_url}/sparql")
    out.add(whole, VOID.uriSpace, ox.Literal(settings.base_iri))
    for example in example_resources:
        out.add(whole, VOID.exampleResource, example)
    out.add(whole, DCAT.landingPage, settings.server_url + "/catalog")
    for prefix in VOCABULARIES:
        out.add(whole, VOID.vocabulary, PREFIXES[prefix])


def _partition_triples(
    out: _Triples, whole: str, classes: list[tuple[str, int]], props: list[tuple[str, int]]
) -> None:
    for i, (cls, n) in enumerate(classes):
        part = f"{whole}#class-{i}"
        out.add(whole, VOID.classPartition, part)
        out.add(part, VOID["class"], cls)
        out.add(part, VOID.entities, _int(n))
    for i, (prop, n) in enumerate(props):
        part = f"{whole}#property-{i}"
        out.add(whole, VOID.propertyPartition, part)
        out.add(part, VOID.property, prop)
        out.add(part, VOID.triples, _int(n))


def _linksets(out: _Triples, whole: str, links: list[tuple[str, str, int]]) -> None:
    for i, (pred, site, n) in enumerate(links):
        linkset = f"{whole}#linkset-{i}"
        out.add(linkset, RDF.type, str(VOID.Linkset))
        out.add(linkset, VOID.subjectsTarget, whole)
        out.add(linkset, VOID.objectsTarget, site)
        out.add(linkset, VOID.linkPredicate, pred)
        out.add(linkset, VOID.triples, _int(n))
        out.add(site, RDF.type, str(VOID.Dataset))
        out.add(site, VOID.uriSpace, ox.Literal(site))
        out.add(whole, VOID.subset, linkset)


def _graph_dataset(
    out: _Triples,
    g: str,
    counts: GraphCounts,
    titles: list[ox.Literal],
    temporal: tuple[str, str] | None,
    spatial: set[str],
    settings: CatalogSettings,
) -> None:
    for t in (DCAT.Dataset, VOID.Dataset):
        out.add(g, RDF.type, str(t))
    for title in titles:
        out.add(g, DCT.title, title)
    if not titles:
        out.add(g, RDFS.label, ox.Literal(g.removeprefix(OUR_SPACE)))
    out.add(g, DCT.license, settings.license)
    out.add(g, DCT.isPartOf, settings.dataset_iri)
    _describe_counts(out, g, counts)
    if temporal:
        period = f"{g}#period"
        out.add(g, DCT.temporal, period)
        out.add(period, RDF.type, str(DCT.PeriodOfTime))
        out.add(period, DCAT.startDate, ox.Literal(temporal[0], datatype=_n(str(XSD.date))))
        out.add(period, DCAT.endDate, ox.Literal(temporal[1], datatype=_n(str(XSD.date))))
    for province in sorted(spatial):
        out.add(g, DCT.spatial, province)
    _distributions(out, g, settings, f"graph={quote(g, safe='')}")


_cache: dict[tuple[int, str, CatalogSettings], list[ox.Triple]] = {}
_lock = threading.Lock()


def catalog(ds: Repository, settings: CatalogSettings) -> list[ox.Triple]:
    """:func:`catalog_triples`, cached until the store changes."""
    key = (id(ds), state_tag(ds), settings)
    with _lock:
        if key in _cache:
            return _cache[key]
    triples = catalog_triples(ds, settings)
    with _lock:
        _cache.clear()
        _cache[key] = triples
    return triples


def serialize_catalog(triples: list[ox.Triple], fmt: ox.RdfFormat) -> bytes:
    """Write the description with the engine's serialiser (prefixes where the format has them)."""
    prefixes = dict(PREFIXES) if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    return ox.serialize(triples, format=fmt, prefixes=prefixes) or b""


@dataclass
class DatasetSummary:
    """One dataset of the catalog, for the HTML page."""

    iri: str
    titles: dict[str, str]
    counts: dict[str, int]
    downloads: list[tuple[str, str]]
    restricted: bool = False


def summarize(triples: list[ox.Triple], settings: CatalogSettings) -> list[DatasetSummary]:
    """The datasets of a catalog (whole dataset first), read back from its triples."""
    by_subject: dict[str, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        by_subject[t.subject.value].append(t)
    listed = [
        t.object.value for t in by_subject[settings.catalog_iri] if t.predicate.value == str(DCAT.dataset)
    ]
    out: list[DatasetSummary] = []
    for iri in listed:
        own = by_subject[iri]
        titles = {
            t.object.language or "": t.object.value
            for t in own
            if t.predicate.value == str(DCT.title) and isinstance(t.object, ox.Literal)
        }
        counts = {
            t.predicate.value.rsplit("#", 1)[-1]: int(t.object.value)
            for t in own
            if t.predicate.value.startswith(str(VOID))
            and isinstance(t.object, ox.Literal)
            and t.object.datatype == _n(str(XSD.integer))
        }
        downloads = []
        for t in own:
            if t.predicate.value == str(DCAT.distribution):
                dist = by_subject[t.object.value]
                url = next(d.object.value for d in dist if d.predicate.value == str(DCAT.downloadURL))
                downloads.append((t.object.value.rsplit("-", 1)[-1], url))
        restricted = any(
            t.predicate.value == str(DCT.accessRights) and t.object.value == NON_PUBLIC for t in own
        )
        out.append(DatasetSummary(iri, titles, counts, downloads, restricted))
    return out
