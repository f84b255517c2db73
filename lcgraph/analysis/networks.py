"""Networks projected from the knowledge graph by SPARQL, for the gap analysis.

For the analysis pipeline and for researchers who want the same projections
in Gephi. Every tie and count here comes from a SPARQL query evaluated by
the store's engine; Python only turns result rows into networkx graphs.

Three projections:

* the **collaboration network** of actors (learning cities, partner
  organisations, city learning administrators, networks). Two actors are tied
  when they share an activity (co-organise it, or one organises it in the
  other, a city), co-manage a learning space (or manage one in a city), share
  a knowledge asset (provide it, host it, or organise an activity that uses
  it), are parties to one declared partnership, or are affiliated (an
  administrator works for a city or is a member of an organisation). Each
  edge keeps ``weight`` (all shared items) and one count per kind of tie;
* the **city–partner** bipartite network (what a partner does in a city);
* the **coverage cube** city × age group × theme × GNLC building block,
  counting activities.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import networkx as nx
import pyoxigraph as ox

from lcgraph.namespaces import GRAPH_FINDINGS, GRAPH_PRIVATE, LCID, LCV, sparql_prefixes
from lcgraph.store import Dataset

TIE_KINDS = ("activity", "space", "asset", "partnership", "affiliation")
ACTOR_CLASSES = {
    "city": "lc:LearningCity",
    "partner": "lc:PartnerOrganisation",
    "administrator": "lc:CityLearningAdministrator",
    "network": "lc:Network",
}

_PREFIXES = sparql_prefixes("lc", "lcv", "org", "schema", "skos", "rdfs", "time", "rdf")

# The class of each kind of shared item, and the ways an agent {w} takes part
# in item ?x ({u} is a fresh variable for an activity that uses an asset).
_ITEM_CLASS = {
    "activity": "lc:LearningActivity",
    "space": "lc:LearningSpace",
    "asset": "lc:KnowledgeAsset",
    "partnership": "lc:Partnership",
}
_TAKES_PART = {
    "activity": ("?x schema:organizer {w}", "?x lc:city {w}"),
    "space": ("?x lc:managedBy {w}", "?x lc:city {w}"),
    "asset": ("?x schema:provider {w}", "?x lc:city {w}", "{u} lc:usesAsset ?x ; schema:organizer {w}"),
    "partnership": ("?x lc:party {w}",),
}


class AnalysisInputError(ValueError):
    """The store cannot be analysed as asked (empty store, no actors, unknown city)."""


class UnknownCity(AnalysisInputError):
    """The city asked for is not a learning city in the store."""


def _q(body: str) -> str:
    return _PREFIXES + body


def analysed_graphs(ds: Dataset) -> list[str]:
    """The named graphs the analysis reads: all but its own findings and the personal-data graph."""
    skip = {str(GRAPH_FINDINGS), str(GRAPH_PRIVATE)}
    return [g for g in ds.graphs() if g not in skip]


def _rows(ds: Dataset, body: str) -> Iterator[ox.QuerySolution]:
    # The default graph of every query is the default graph plus the analysed
    # graphs: old findings must not feed new ones, and personal data is not needed.
    result = ds.query(_q(body), default_graph=[None, *analysed_graphs(ds)])
    assert isinstance(result, ox.QuerySolutions)
    yield from result


def _text(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str | None:
    return None if term is None else term.value


def _takes_part(kind: str, who: str, use: str) -> str:
    return " UNION ".join("{ " + p.format(w=who, u=use) + " }" for p in _TAKES_PART[kind])


def _tie_query(kind: str) -> str:
    """Pairs of agents (?a < ?b) taking part in the same items, with how many items."""
    if kind == "affiliation":
        return (
            "SELECT ?a ?b (COUNT(*) AS ?n) WHERE { ?a a lc:CityLearningAdministrator ."
            " { ?a lc:city ?b } UNION { ?a org:memberOf ?b }"
            " FILTER(isIRI(?b) && ?a != ?b) } GROUP BY ?a ?b"
        )
    return (
        f"SELECT ?a ?b (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a {_ITEM_CLASS[kind]} ."
        f" {_takes_part(kind, '?a', '?useA')} {_takes_part(kind, '?b', '?useB')}"
        " FILTER(isIRI(?a) && isIRI(?b) && STR(?a) < STR(?b)) } GROUP BY ?a ?b"
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

    collaboration: nx.Graph
    city_partner: nx.Graph
    coverage: Counter  # (city, age, theme, block or None) -> activities
    activities_by_city: Counter
    age_by_city: dict[str, Counter]
    block_by_city: dict[str, Counter]
    theme_by_city: dict[str, Counter]  # activity themes
    asset_theme_by_city: dict[str, Counter]
    actor_themes: dict[str, set]
    concepts: dict[str, Concept]
    city_facts: dict[str, Counter] = field(default_factory=dict)
    memberships: dict[str, list[tuple[str, str | None, str | None]]] = field(default_factory=dict)
    graphs_used: list[str] = field(default_factory=list)

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

    def cities(self) -> list[str]:
        return sorted(n for n, d in self.collaboration.nodes(data=True) if d.get("kind") == "city")


def short_name(iri: str) -> str:
    """The last path segment of an IRI (a readable fallback label)."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _add_actors(ds: Dataset, g: nx.Graph) -> None:
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
    for row in _rows(ds, body):
        actor = row[0].value
        kind = row[1].value
        if actor in g and g.nodes[actor]["kind"] == "city":
            continue  # an actor typed twice keeps "city" first
        g.add_node(
            actor,
            kind=kind,
            label_th=_text(row[2]) or "",
            label_en=_text(row[3]) or "",
            sector=_text(row[4]) or "",
            city=actor if kind == "city" else (_text(row[5]) or ""),
        )


def _add_ties(ds: Dataset, g: nx.Graph) -> None:
    for kind in TIE_KINDS:
        for row in _rows(ds, _tie_query(kind)):
            a, b, n = row[0].value, row[1].value, int(row[2].value)
            if a not in g or b not in g:
                continue  # ties to things that are not actors (e.g. untyped IRIs)
            if g.has_edge(a, b):
                edge = g[a][b]
                edge["weight"] += n
                edge[kind] = edge.get(kind, 0) + n
            else:
                g.add_edge(a, b, weight=n, **{k: 0 for k in TIE_KINDS})
                g[a][b][kind] = n
    for _, _, d in g.edges(data=True):
        d["kinds"] = ";".join(k for k in TIE_KINDS if d.get(k))


def collaboration_network(ds: Dataset) -> nx.Graph:
    """The undirected, weighted collaboration network of actors.

    Nodes carry ``kind`` (city, partner, administrator, network),
    ``label_th``, ``label_en``, ``sector`` (partners) and ``city`` (home city:
    the city itself, an administrator's city, or for a partner the city where
    it does most). Networks without ties are left out: a network is not
    expected to act on its own.
    """
    g = nx.Graph()
    _add_actors(ds, g)
    _add_ties(ds, g)
    g.remove_nodes_from([n for n, d in g.nodes(data=True) if d["kind"] == "network" and g.degree(n) == 0])
    return g


def city_partner_network(ds: Dataset, collaboration: nx.Graph | None = None) -> nx.Graph:
    """Bipartite network city -- partner, weighted by shared items, with a count per kind.

    A partner works in a city when it organises an activity there, manages a
    learning space there, provides a knowledge asset there, or is party to a
    partnership with the city. When ``collaboration`` is given, each
    partner's home city (where it does most) is written onto its node there.
    """
    body = (
        "SELECT ?city ?partner ?kind (COUNT(DISTINCT ?x) AS ?n) WHERE {"
        " ?partner a lc:PartnerOrganisation ."
        ' { ?x lc:city ?city ; schema:organizer ?partner . BIND("activity" AS ?kind) }'
        ' UNION { ?x lc:city ?city ; lc:managedBy ?partner . BIND("space" AS ?kind) }'
        ' UNION { ?x lc:city ?city ; schema:provider ?partner . BIND("asset" AS ?kind) }'
        ' UNION { ?x lc:party ?city , ?partner . BIND("partnership" AS ?kind) }'
        " ?city a lc:LearningCity ."
        " } GROUP BY ?city ?partner ?kind"
    )
    g = nx.Graph()
    for row in _rows(ds, body):
        city, partner, kind, n = row[0].value, row[1].value, row[2].value, int(row[3].value)
        g.add_node(city, bipartite=0, kind="city")
        g.add_node(partner, bipartite=1, kind="partner")
        if not g.has_edge(city, partner):
            g.add_edge(city, partner, weight=0, **{k: 0 for k in TIE_KINDS if k != "affiliation"})
        g[city][partner]["weight"] += n
        g[city][partner][kind] += n
    if collaboration is not None:
        _set_partner_home_cities(g, collaboration)
    return g


def _set_partner_home_cities(bipartite: nx.Graph, collaboration: nx.Graph) -> None:
    for n, d in bipartite.nodes(data=True):
        if d["kind"] != "partner" or n not in collaboration:
            continue
        best = max(bipartite[n].items(), key=lambda kv: (kv[1]["weight"], kv[0]))
        collaboration.nodes[n]["city"] = best[0]


def _concepts(ds: Dataset) -> dict[str, Concept]:
    body = (
        "SELECT ?c (SAMPLE(?n0) AS ?n) (SAMPLE(?th0) AS ?th) (SAMPLE(?en0) AS ?en) (SAMPLE(?b0) AS ?b) WHERE {"
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


def _coverage(ds: Dataset) -> Counter:
    body = (
        "SELECT ?city ?age ?theme ?block (COUNT(DISTINCT ?x) AS ?n) WHERE {"
        " ?x a lc:LearningActivity ; lc:city ?city ; lc:ageGroup ?age ; lc:theme ?theme ."
        " OPTIONAL { ?x lc:buildingBlock ?block } } GROUP BY ?city ?age ?theme ?block"
    )
    cube: Counter = Counter()
    for row in _rows(ds, body):
        cube[(row[0].value, row[1].value, row[2].value, _text(row[3]))] = int(row[4].value)
    return cube


def _per_city(ds: Dataset, pattern: str) -> dict[str, Counter]:
    """``{city: Counter(value -> distinct items)}`` for a pattern binding ?city ?v ?x."""
    body = f"SELECT ?city ?v (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {pattern} }} GROUP BY ?city ?v"
    out: dict[str, Counter] = defaultdict(Counter)
    for row in _rows(ds, body):
        out[row[0].value][row[1].value] = int(row[2].value)
    return out


def _actor_themes(ds: Dataset) -> dict[str, set]:
    body = (
        "SELECT DISTINCT ?actor ?theme WHERE {"
        " { ?x schema:organizer ?actor } UNION { ?x schema:provider ?actor } UNION { ?x lc:managedBy ?actor }"
        " UNION { ?x lc:party ?actor } ?x lc:theme ?theme }"
    )
    out: dict[str, set] = defaultdict(set)
    for row in _rows(ds, body):
        out[row[0].value].add(row[1].value)
    return out


def _city_facts(ds: Dataset) -> dict[str, Counter]:
    """Per city: how many spaces, assets, activities, administrators, partnerships."""
    body = (
        "SELECT ?city ?what (COUNT(DISTINCT ?x) AS ?n) WHERE { ?city a lc:LearningCity ."
        ' { ?x a lc:LearningSpace ; lc:city ?city . BIND("spaces" AS ?what) }'
        ' UNION { ?x a lc:KnowledgeAsset ; lc:city ?city . BIND("assets" AS ?what) }'
        ' UNION { ?x a lc:LearningActivity ; lc:city ?city . BIND("activities" AS ?what) }'
        ' UNION { ?x a lc:CityLearningAdministrator ; lc:city ?city . BIND("administrators" AS ?what) }'
        ' UNION { ?x a lc:Partnership ; lc:party ?city . BIND("partnerships" AS ?what) }'
        " } GROUP BY ?city ?what"
    )
    out: dict[str, Counter] = defaultdict(Counter)
    for row in _rows(ds, body):
        out[row[0].value][row[1].value] = int(row[2].value)
    return out


def _memberships(ds: Dataset) -> dict[str, list[tuple[str, str | None, str | None]]]:
    body = (
        "SELECT ?city ?network ?role ?year WHERE { ?m org:member ?city ; org:organization ?network ."
        " ?city a lc:LearningCity . OPTIONAL { ?m org:role ?role }"
        " OPTIONAL { ?m org:memberDuring/time:hasBeginning/time:inXSDgYear ?year } }"
    )
    out: dict[str, list] = defaultdict(list)
    for row in _rows(ds, body):
        out[row[0].value].append((row[1].value, _text(row[2]), _text(row[3])))
    return out


def project(ds: Dataset) -> Projections:
    """Run every projection query and gather the results (the analysis input)."""
    g = collaboration_network(ds)
    bipartite = city_partner_network(ds, g)
    facts = _city_facts(ds)
    return Projections(
        collaboration=g,
        city_partner=bipartite,
        coverage=_coverage(ds),
        activities_by_city=Counter({c: n["activities"] for c, n in facts.items()}),
        age_by_city=_per_city(ds, "?x a lc:LearningActivity ; lc:city ?city ; lc:ageGroup ?v ."),
        block_by_city=_per_city(ds, "?x a lc:LearningActivity ; lc:city ?city ; lc:buildingBlock ?v ."),
        theme_by_city=_per_city(ds, "?x a lc:LearningActivity ; lc:city ?city ; lc:theme ?v ."),
        asset_theme_by_city=_per_city(ds, "?x a lc:KnowledgeAsset ; lc:city ?city ; lc:theme ?v ."),
        actor_themes=_actor_themes(ds),
        concepts=_concepts(ds),
        city_facts=facts,
        memberships=_memberships(ds),
        graphs_used=analysed_graphs(ds),
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
