"""Networks projected from the knowledge graph by SPARQL, for the gap analysis.

For the analysis pipeline and for researchers who want the same projections
in Gephi. Every tie and count here comes from a SPARQL query evaluated by
the store's engine (two queries at a time); Python only turns result rows
into networkx graphs, never walks triples.

Three projections:

* the **collaboration network** of actors (learning cities, partner
  organisations, city learning administrators, networks). Two actors are tied
  when they share an activity (co-organise it, or one organises it in the
  other, a city), co-manage a learning space (or manage one in a city), share
  a knowledge asset (provide it, host it, or organise an activity that uses
  it), are parties to one declared partnership, or are affiliated (an
  administrator works for a city or is a member of an organisation).
  Co-organising a learning-city event (``lc:LearningCityEvent``) is a tie
  too. Each edge keeps ``weight`` (all shared items) and one count per kind
  of tie. Pairs are counted in Python from the engine's item–agent rows;
* the **city–partner** bipartite network (what a partner does in a city);
* the **coverage cube** city × age group × theme × GNLC building block,
  counting activities.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import networkx as nx
import pyoxigraph as ox

from lcgraph.namespaces import GRAPH_FINDINGS, GRAPH_PRIVATE, LC, LCID, LCV, sparql_prefixes
from lcgraph.store import Repository

TIE_KINDS = ("activity", "event", "space", "asset", "partnership", "affiliation")
ACTOR_CLASSES = {
    "city": "lc:LearningCity",
    "partner": "lc:PartnerOrganisation",
    "administrator": "lc:CityLearningAdministrator",
    "network": "lc:Network",
}

_PREFIXES = sparql_prefixes("lc", "lcv", "org", "schema", "skos", "rdfs", "time", "rdf")

# The class of each kind of shared item, and the properties by which an agent
# takes part in it ("usesAsset" stands for: organises an activity that uses it).
_ITEM_CLASS = {
    "activity": "lc:LearningActivity",
    "event": "lc:LearningCityEvent",
    "space": "lc:LearningSpace",
    "asset": "lc:KnowledgeAsset",
    "partnership": "lc:Partnership",
}
_TAKES_PART = {
    "activity": ("organizer", "city"),
    "event": ("organizer",),
    "space": ("managedBy", "city"),
    "asset": ("provider", "city", "usesAsset"),
    "partnership": ("party",),
}
# One scan per property, shared by every kind of item that uses it: no join
# with the item's class in the engine (the organizer scan took 1.0 s alone and
# 4.4 s joined to "?x a lc:LearningActivity" at 1M ties); items are sorted into
# kinds in Python from one query of the items' classes. Measured end to end,
# that Python work gives the gain back: networks() takes 17-19 s either way at
# 1M ties; what made project() faster is the TSV reading below.
_PARTICIPATION = {
    "organizer": "SELECT ?x ?who WHERE { ?x schema:organizer ?who FILTER(isIRI(?who)) }",
    "city": "SELECT ?x ?who WHERE { ?x lc:city ?who FILTER(isIRI(?who)) }",
    "managedBy": "SELECT ?x ?who WHERE { ?x lc:managedBy ?who FILTER(isIRI(?who)) }",
    "provider": "SELECT ?x ?who WHERE { ?x schema:provider ?who FILTER(isIRI(?who)) }",
    "party": "SELECT ?x ?who WHERE { ?x lc:party ?who FILTER(isIRI(?who)) }",
    "usesAsset": "SELECT ?x ?use WHERE { ?use lc:usesAsset ?x }",
}
_ITEM_KINDS_QUERY = (
    "SELECT ?x ?kind WHERE { VALUES (?class ?kind) { "
    + " ".join(f'({cls} "{kind}")' for kind, cls in _ITEM_CLASS.items())
    + " } ?x a ?class }"
)


class AnalysisInputError(ValueError):
    """The store cannot be analysed as asked (empty store, no actors, unknown city)."""


class UnknownCity(AnalysisInputError):
    """The city asked for is not a learning city in the store."""


def _q(body: str) -> str:
    return _PREFIXES + body


def analysed_graphs(ds: Repository) -> list[str]:
    """The named graphs the analysis reads: all but its own findings and the personal-data graph."""
    skip = {str(GRAPH_FINDINGS), str(GRAPH_PRIVATE)}
    return [g for g in ds.graphs() if g not in skip]


def _rows(ds: Repository, body: str) -> Iterator[ox.QuerySolution]:
    # The default graph of every query is the public union (no personal data); the
    # findings' own vocabulary never matches the patterns the projections read.
    result = ds.query(_q(body))
    assert isinstance(result, ox.QuerySolutions)
    yield from result


def _text(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str | None:
    return None if term is None else term.value


def _table(ds: Repository, body: str) -> list[list[str]]:
    """The rows of a query whose values are IRIs, blank nodes, numbers or plain strings, as text.

    The engine evaluates the query and writes the whole result as TSV in one
    call; splitting that text is cheaper than a Python object per term.
    Terms keep their TSV form (``<iri>``, ``_:b``, ``"text"``, ``12``):
    :func:`_iri` strips the brackets where a value is kept.
    """
    result = ds.query(_q(body))
    assert isinstance(result, ox.QuerySolutions)
    tsv = result.serialize(format=ox.QueryResultsFormat.TSV)
    assert tsv is not None  # no output given: the bytes are returned
    lines = tsv.decode("utf-8").split("\n")
    return [line.split("\t") for line in lines[1:] if line]


def _iri(term: str) -> str:
    return term[1:-1] if term.startswith("<") else term


_AFFILIATION_QUERY = (
    "SELECT ?a ?b (COUNT(*) AS ?n) WHERE { ?a a lc:CityLearningAdministrator ."
    " { ?a lc:city ?b } UNION { ?a org:memberOf ?b } FILTER(isIRI(?b) && ?a != ?b) } GROUP BY ?a ?b"
)


@dataclass
class Concept:
    """A SKOS concept with its labels (for wording findings)."""

    iri: str
    code: str
    label_th: str
    label_en: str
    broader: str | None = None


@dataclass
class Projections:
    """Everything the analysis reads from the store, in one place."""

    #: Nodes are the actors' IRIs.
    collaboration: nx.Graph[str]
    city_partner: nx.Graph[str]
    activities_by_city: Counter[str]
    age_by_city: dict[str, Counter[str]]
    block_by_city: dict[str, Counter[str]]
    theme_by_city: dict[str, Counter[str]]  # activity themes
    asset_theme_by_city: dict[str, Counter[str]]
    concepts: dict[str, Concept]
    city_facts: dict[str, Counter[str]] = field(default_factory=dict)
    memberships: dict[str, list[tuple[str, str | None, str | None]]] = field(default_factory=dict)
    graphs_used: list[str] = field(default_factory=list)
    province_of: dict[str, str] = field(default_factory=dict)  # city -> lcv:province concept
    region_of: dict[str, str] = field(default_factory=dict)  # province -> lcv:region concept
    themes_of: Callable[[list[str]], dict[str, set]] = lambda actors: {}

    def label(self, iri: str, lang: str = "en") -> str:
        """A node's or concept's label in ``lang``, falling back to the other language and the IRI."""
        if iri in self.concepts:
            c = self.concepts[iri]
            return (c.label_th or c.label_en) if lang == "th" else (c.label_en or c.label_th)
        if iri in self.collaboration:
            d = self.collaboration.nodes[iri]
            first, second = ("label_th", "label_en") if lang == "th" else ("label_en", "label_th")
            return d.get(first) or d.get(second) or short_name(iri)
        return short_name(iri)

    def has_no_ecology(self, city: str) -> bool:
        """Nothing of the city's learning ecology is recorded: no activity, space, asset or partner.

        Such a city (e.g. a GNLC member known only from the seed facts) gets
        one "no data" finding instead of a gap for every age group, sector and tie.
        """
        facts: Mapping[str, int] = self.city_facts.get(city, {})
        partners = self.city_partner.degree(city) if city in self.city_partner else 0
        return not (facts.get("activities") or facts.get("spaces") or facts.get("assets") or partners)

    def cities(self) -> list[str]:
        return sorted(n for n, d in self.collaboration.nodes(data=True) if d.get("kind") == "city")


def short_name(iri: str) -> str:
    """The last path segment of an IRI (a readable fallback label)."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _actor_rows(ds: Repository) -> list[tuple[str, str, str, str, str, str]]:
    values = " ".join(f'({cls} "{kind}")' for kind, cls in ACTOR_CLASSES.items())
    body = (
        "SELECT ?actor ?kind (SAMPLE(?th0) AS ?th) (SAMPLE(?en0) AS ?en) (SAMPLE(?sector0) AS ?sector)"
        " (MIN(STR(?city0)) AS ?city) WHERE {"
        f" VALUES (?class ?kind) {{ {values} }} ?actor a ?class ."
        ' OPTIONAL { ?actor rdfs:label ?th0 FILTER(langMatches(lang(?th0), "th")) }'
        ' OPTIONAL { ?actor rdfs:label ?en0 FILTER(langMatches(lang(?en0), "en")) }'
        " OPTIONAL { ?actor lc:sector ?sector0 } OPTIONAL { ?actor lc:city ?city0 }"
        " } GROUP BY ?actor ?kind"
    )
    return [
        (r[0].value, r[1].value, _text(r[2]) or "", _text(r[3]) or "", _text(r[4]) or "", _text(r[5]) or "")
        for r in _rows(ds, body)
    ]


def _add_actors(g: nx.Graph, rows: list[tuple[str, str, str, str, str, str]]) -> None:
    for actor, kind, th, en, sector, city in rows:
        if actor in g and g.nodes[actor]["kind"] == "city":
            continue  # an actor typed twice keeps "city" first
        home = actor if kind == "city" else city
        g.add_node(actor, kind=kind, label_th=th, label_en=en, sector=sector, city=home)


def _incidences(fetched: dict[str, Any], actors: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """Per kind of item: item -> the actors taking part in it, from the participation scans.

    Agents that are not actors (e.g. untyped IRIs) are dropped as the rows are read.
    """
    actor_of = {f"<{a}>": a for a in actors}  # TSV form -> IRI
    kinds_of: dict[str, list[str]] = defaultdict(list)
    for x, kind in fetched["item-kinds"]:
        kinds_of[x].append(kind.strip('"'))
    organisers: dict[str, list[str]] = defaultdict(list)
    for x, who in fetched["takes-part:organizer"]:
        if who in actor_of:
            organisers[x].append(actor_of[who])
    out: dict[str, dict[str, set[str]]] = {kind: defaultdict(set) for kind in _ITEM_CLASS}
    for prop in _PARTICIPATION:
        wanted = {kind for kind, props in _TAKES_PART.items() if prop in props}
        for x, who in fetched[f"takes-part:{prop}"]:
            # usesAsset rows are (asset, activity): the agents are the activity's organisers.
            agents = organisers.get(who, ()) if prop == "usesAsset" else (actor_of.get(who),)
            if not agents or agents[0] is None:
                continue
            for kind in kinds_of.get(x, ()):
                if kind in wanted:
                    out[kind][x].update(a for a in agents if a is not None)
    return {kind: {x: list(who) for x, who in items.items() if who} for kind, items in out.items()}


def _affiliation_rows(ds: Repository) -> list[tuple[str, str, int]]:
    return [(r[0].value, r[1].value, int(r[2].value)) for r in _rows(ds, _AFFILIATION_QUERY)]


def in_parallel(tasks: dict[str, Callable[[], Any]], workers: int = 2) -> dict[str, Any]:
    """Run independent queries on ``workers`` threads and return their results by name.

    pyoxigraph evaluates a query without holding the GIL, so two queries run
    on two cores (measured: 0.83 s instead of 1.47 s for two scans).
    """
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(fn) for name, fn in tasks.items()}
        return {name: f.result() for name, f in futures.items()}


def _network_tasks(ds: Repository) -> dict[str, Callable[[], Any]]:
    tasks: dict[str, Callable[[], Any]] = {
        f"takes-part:{prop}": partial(_table, ds, body) for prop, body in _PARTICIPATION.items()
    }
    tasks["item-kinds"] = partial(_table, ds, _ITEM_KINDS_QUERY)
    tasks["actors"] = partial(_actor_rows, ds)
    tasks["affiliations"] = partial(_affiliation_rows, ds)
    return tasks


def _co_participation(members: dict[str, list[str]]) -> Counter:
    """How many items each pair of actors shares: the one-mode projection of the incidence."""
    pairs: Counter = Counter()
    for agents in members.values():
        if len(agents) > 1:
            pairs.update(itertools.combinations(sorted(agents), 2))
    return pairs


def _city_partner_pairs(members: dict[str, list[str]], kind_of: dict[str, str]) -> Counter:
    pairs: Counter = Counter()
    for agents in members.values():
        cities = [a for a in agents if kind_of[a] == "city"]
        partners = [a for a in agents if kind_of[a] == "partner"]
        pairs.update((c, p) for c in cities for p in partners)
    return pairs


def _accumulate(
    edges: dict[tuple[str, str], dict], pairs: Counter, kind: str, kinds: tuple[str, ...]
) -> None:
    """Add one kind's pair counts to the edge attribute dicts (plain dicts: no graph calls per pair)."""
    for pair, n in pairs.items():
        attrs = edges.get(pair)
        if attrs is None:
            attrs = edges[pair] = dict.fromkeys(kinds, 0)
            attrs["weight"] = 0
        attrs["weight"] += n
        attrs[kind] += n


def _add_edges(g: nx.Graph, edges: dict[tuple[str, str], dict], kinds: tuple[str, ...]) -> None:
    for attrs in edges.values():
        attrs["kinds"] = ";".join(k for k in kinds if attrs[k])
    g.add_edges_from((a, b, attrs) for (a, b), attrs in edges.items())


def networks(ds: Repository) -> tuple[nx.Graph, nx.Graph]:
    """The collaboration network and the city–partner bipartite network, in one pass.

    One SPARQL scan per participation property and one of the items' classes
    say who takes part in which item; the pairs are counted from those rows. (Letting the engine
    self-join and group the pairs gives the same numbers but was 3–7 times
    slower on 0.8M triples, measured here.)

    Collaboration nodes carry ``kind`` (city, partner, administrator,
    network), ``label_th``, ``label_en``, ``sector`` (partners) and ``city``
    (home city: the city itself, an administrator's city, or for a partner
    the city where it takes part in most items). Networks without ties are
    left out: a network is not expected to act on its own. A partner works
    in a city (bipartite tie) when it takes part in an item of that city or
    in a partnership with it.
    """
    return _build_networks(in_parallel(_network_tasks(ds)))


def _build_networks(fetched: dict[str, Any]) -> tuple[nx.Graph, nx.Graph]:
    g: nx.Graph = nx.Graph()
    _add_actors(g, fetched["actors"])
    kind_of = dict(g.nodes(data="kind"))
    bipartite: nx.Graph = nx.Graph()
    item_kinds = tuple(_ITEM_CLASS)
    ties: dict[tuple[str, str], dict] = {}
    works_in: dict[tuple[str, str], dict] = {}
    incidences = _incidences(fetched, kind_of)
    for kind in item_kinds:
        members = incidences[kind]
        _accumulate(ties, _co_participation(members), kind, TIE_KINDS)
        _accumulate(works_in, _city_partner_pairs(members, kind_of), kind, item_kinds)
    affiliations: Counter = Counter()
    for a, b, n in fetched["affiliations"]:
        if a in kind_of and b in kind_of:
            affiliations[tuple(sorted((a, b)))] += n
    _accumulate(ties, affiliations, "affiliation", TIE_KINDS)
    _add_edges(g, ties, TIE_KINDS)
    _add_edges(bipartite, works_in, item_kinds)
    g.remove_nodes_from([n for n, k in kind_of.items() if k == "network" and g.degree(n) == 0])
    for n in bipartite:
        bipartite.nodes[n]["kind"] = kind_of[n]
        bipartite.nodes[n]["bipartite"] = 0 if kind_of[n] == "city" else 1
    _set_partner_home_cities(bipartite, g)
    return g, bipartite


def collaboration_network(ds: Repository) -> nx.Graph:
    """The undirected, weighted collaboration network of actors (see :func:`networks`)."""
    return networks(ds)[0]


def city_partner_network(ds: Repository) -> nx.Graph:
    """The bipartite city -- partner network, weighted by shared items (see :func:`networks`)."""
    return networks(ds)[1]


def _set_partner_home_cities(bipartite: nx.Graph, collaboration: nx.Graph) -> None:
    for n, d in bipartite.nodes(data=True):
        if d["kind"] != "partner" or n not in collaboration:
            continue
        best = max(bipartite[n].items(), key=lambda kv: (kv[1]["weight"], kv[0]))
        collaboration.nodes[n]["city"] = best[0]


def _concepts(ds: Repository) -> dict[str, Concept]:
    body = (
        "SELECT ?c (SAMPLE(?n0) AS ?n) (SAMPLE(?th0) AS ?th) (SAMPLE(?en0) AS ?en)"
        " (SAMPLE(?b0) AS ?b) WHERE {"
        " ?c a skos:Concept ."
        " OPTIONAL { ?c skos:notation ?n0 }"
        ' OPTIONAL { ?c skos:prefLabel ?th0 FILTER(langMatches(lang(?th0), "th")) }'
        ' OPTIONAL { ?c skos:prefLabel ?en0 FILTER(langMatches(lang(?en0), "en")) }'
        " OPTIONAL { ?c skos:broader ?b0 } } GROUP BY ?c"
    )
    out: dict[str, Concept] = {}
    for row in _rows(ds, body):
        iri = row[0].value
        out[iri] = Concept(iri, short_name(iri), _text(row[2]) or "", _text(row[3]) or "", _text(row[4]))
    return out


def coverage_cube(ds: Repository) -> Counter:
    """Activities per (city, age group, theme, building block or None): the coverage cube."""
    body = (
        "SELECT ?city ?age ?theme ?block (COUNT(DISTINCT ?x) AS ?n) WHERE {"
        " ?x a lc:LearningActivity ; lc:city ?city ; lc:ageGroup ?age ; lc:theme ?theme ."
        " OPTIONAL { ?x lc:buildingBlock ?block } } GROUP BY ?city ?age ?theme ?block"
    )
    cube: Counter = Counter()
    for row in _rows(ds, body):
        cube[(row[0].value, row[1].value, row[2].value, _text(row[3]))] = int(row[4].value)
    return cube


def _activity_profile(ds: Repository) -> dict[str, dict[str, Counter[str]]]:
    """Per city, activities by age group, theme and building block, in one scan."""
    body = (
        "SELECT ?p ?city ?v (COUNT(DISTINCT ?x) AS ?n) WHERE {"
        " VALUES ?p { lc:ageGroup lc:theme lc:buildingBlock }"
        " ?x a lc:LearningActivity ; lc:city ?city ; ?p ?v } GROUP BY ?p ?city ?v"
    )
    out: dict[str, dict[str, Counter[str]]] = {
        str(LC[name]): defaultdict(Counter) for name in ("ageGroup", "theme", "buildingBlock")
    }
    for p, city, v, n in _table(ds, body):
        out[_iri(p)][_iri(city)][_iri(v)] = int(n)
    return out


def _asset_themes(ds: Repository) -> dict[str, Counter[str]]:
    body = (
        "SELECT ?city ?v (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a lc:KnowledgeAsset ; lc:city ?city ;"
        " lc:theme ?v } GROUP BY ?city ?v"
    )
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for city, v, n in _table(ds, body):
        out[_iri(city)][_iri(v)] = int(n)
    return out


def actor_themes(ds: Repository, actors: list[str]) -> dict[str, set]:
    """The themes of what each given actor organises, provides, manages or is party to.

    Asked only for the actors of the partnership suggestions (their reasons
    name shared themes), so it stays small on a national network.
    """
    out: dict[str, set] = defaultdict(set)
    if not actors:
        return out
    values = " ".join(str(ox.NamedNode(a)) for a in actors)
    body = (
        f"SELECT DISTINCT ?actor ?theme WHERE {{ VALUES ?actor {{ {values} }}"
        " { ?x schema:organizer ?actor } UNION { ?x schema:provider ?actor } UNION { ?x lc:managedBy ?actor }"
        " UNION { ?x lc:party ?actor } ?x lc:theme ?theme }"
    )
    for row in _rows(ds, body):
        out[row[0].value].add(row[1].value)
    return out


def _city_facts(ds: Repository) -> dict[str, Counter[str]]:
    """Per city: how many spaces, assets, activities, administrators, partnerships.

    Each branch is grouped on its own; joining every branch to ``?city a
    lc:LearningCity`` first made the engine take 23 s instead of 1 s (measured).
    """
    body = (
        "SELECT ?city ?what (COUNT(DISTINCT ?x) AS ?n) WHERE {"
        ' { ?x a lc:LearningSpace ; lc:city ?city . BIND("spaces" AS ?what) }'
        ' UNION { ?x a lc:KnowledgeAsset ; lc:city ?city . BIND("assets" AS ?what) }'
        ' UNION { ?x a lc:LearningActivity ; lc:city ?city . BIND("activities" AS ?what) }'
        ' UNION { ?x a lc:CityLearningAdministrator ; lc:city ?city . BIND("administrators" AS ?what) }'
        ' UNION { ?x a lc:Partnership ; lc:party ?city . BIND("partnerships" AS ?what) }'
        " } GROUP BY ?city ?what"
    )
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for city, what, n in _table(ds, body):
        out[_iri(city)][what.strip('"')] = int(n)
    return out


def _memberships(ds: Repository) -> dict[str, list[tuple[str, str | None, str | None]]]:
    body = (
        "SELECT ?city ?network ?role ?year WHERE { ?m org:member ?city ; org:organization ?network ."
        " ?city a lc:LearningCity . OPTIONAL { ?m org:role ?role }"
        " OPTIONAL { ?m org:memberDuring/time:hasBeginning/time:inXSDgYear ?year } }"
    )
    out: dict[str, list] = defaultdict(list)
    for row in _rows(ds, body):
        out[row[0].value].append((row[1].value, _text(row[2]), _text(row[3])))
    return out


def _places(ds: Repository) -> tuple[dict[str, str], dict[str, str]]:
    """Each city's province (``lc:province``) and each province's region (``skos:broadMatch`` to
    ``lcv:region``; Pattaya through Chon Buri, its broader province)."""
    cities = (
        "SELECT ?city (MIN(STR(?p)) AS ?province) WHERE { ?city a lc:LearningCity ; lc:province ?p"
        " FILTER(isIRI(?p)) } GROUP BY ?city"
    )
    regions = (
        "SELECT ?p (MIN(STR(?r)) AS ?region) WHERE { ?p skos:inScheme lcv:province ;"
        " skos:broader?/skos:broadMatch ?r . ?r skos:inScheme lcv:region } GROUP BY ?p"
    )
    province_of = {_iri(c): p.strip('"') for c, p in _table(ds, cities)}
    region_of = {_iri(p): r.strip('"') for p, r in _table(ds, regions)}
    return province_of, region_of


def project(ds: Repository) -> Projections:
    """Run every projection query (two at a time) and gather the results: the analysis input.

    The network queries go first; while Python builds the graphs from their
    rows, the engine answers the per-city aggregates on the other core.
    """
    later: dict[str, Callable[[], Any]] = {
        "facts": partial(_city_facts, ds),
        "profile": partial(_activity_profile, ds),
        "asset_themes": partial(_asset_themes, ds),
        "concepts": partial(_concepts, ds),
        "memberships": partial(_memberships, ds),
        "places": partial(_places, ds),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = {name: pool.submit(fn) for name, fn in _network_tasks(ds).items()}
        rest = {name: pool.submit(fn) for name, fn in later.items()}
        g, bipartite = _build_networks({name: f.result() for name, f in first.items()})
        fetched = {name: f.result() for name, f in rest.items()}
    cities = {n for n, k in g.nodes(data="kind") if k == "city"}
    facts = {c: n for c, n in fetched["facts"].items() if c in cities}
    profile = fetched["profile"]
    return Projections(
        collaboration=g,
        city_partner=bipartite,
        activities_by_city=Counter({c: n["activities"] for c, n in facts.items()}),
        age_by_city=profile[str(LC.ageGroup)],
        block_by_city=profile[str(LC.buildingBlock)],
        theme_by_city=profile[str(LC.theme)],
        asset_theme_by_city=fetched["asset_themes"],
        concepts=fetched["concepts"],
        city_facts=facts,
        memberships=fetched["memberships"],
        graphs_used=analysed_graphs(ds),
        province_of=fetched["places"][0],
        region_of=fetched["places"][1],
        themes_of=lambda actors: actor_themes(ds, actors),
    )


def resolve_city(projections: Projections, text: str) -> str:
    """The IRI of the city named by ``text``: an IRI, a slug (``phayao``) or a label.

    Raises :class:`UnknownCity` listing the known cities when none matches.
    """
    cities = projections.cities()
    wanted = text.strip()
    candidates = [wanted, str(LCID[f"city/{wanted}"])]
    for c in candidates:
        if c in cities:
            return c
    folded = wanted.casefold()
    for c in cities:
        d = projections.collaboration.nodes[c]
        if folded in {d.get("label_th", "").casefold(), d.get("label_en", "").casefold(), short_name(c)}:
            return c
    known = ", ".join(short_name(c) for c in cities[:30]) or "none: the store has no lc:LearningCity"
    raise UnknownCity(f"no learning city called {text!r}; known cities: {known}")


def concept_iri(scheme: str, code: str) -> str:
    """The IRI of concept ``code`` in scheme ``scheme`` (``lcv:{scheme}/{code}``)."""
    return str(LCV[f"{scheme}/{code}"])
