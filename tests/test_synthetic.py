"""The synthetic-data generator: deterministic, streamed, in the data model, and shaped like a real network.

For whoever changes lcgraph/synthetic.py or relies on it for benchmarks.
Output is parsed by the real engine (loaded into an on-disk store) and
checked with SPARQL; conformance is checked with pyshacl against shapes/;
the command line is run as a real process.
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tracemalloc
from collections import Counter
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pyshacl
import pytest
import rdflib

from lcgraph import resources
from lcgraph.namespaces import GRAPH_VOCAB, LCID, LCV, sparql_prefixes
from lcgraph.store import Dataset
from lcgraph.synthetic import DEFAULT_PROFILE, GRAPH_SYNTHETIC, PROFILES, PROVINCE_CAPITALS, Profile, generate

LCGRAPH = str(Path(sys.executable).parent / "lcgraph")
PREFIXES = sparql_prefixes()
# Small cities, so that pyshacl can check a whole file in a few seconds.
TINY = Profile(min_spaces=5, max_spaces=8, min_administrators=2, max_administrators=3)


def render(cities: int, seed: int, fmt: str = "nq", profile: Profile = DEFAULT_PROFILE) -> tuple[bytes, int]:
    buf = io.BytesIO()
    n = generate(cities, seed, buf, fmt, profile=profile)
    return buf.getvalue(), n


def select(ds: Dataset, body: str) -> list[tuple[str | None, ...]]:
    result = ds.query(PREFIXES + body)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [tuple(None if row[n] is None else row[n].value for n in names) for row in result]


@pytest.fixture(scope="module")
def three_cities(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, int]:
    """Three default-profile cities (seed 11) in a real on-disk store, with the vocabularies."""
    data, n = render(3, 11)
    ds = Dataset.open(tmp_path_factory.mktemp("synthetic") / "store")
    ds.load_bytes(data, "nq")
    for f in resources.vocab_files():
        ds.load_path(f, graph=str(GRAPH_VOCAB))
    return ds, n


# --- Deterministic and streamed -----------------------------------------------------------


def test_same_seed_same_bytes_and_another_seed_other_bytes() -> None:
    first, n1 = render(2, 42)
    again, n2 = render(2, 42)
    other, _ = render(2, 43)
    assert first == again and n1 == n2
    assert first != other


def test_each_city_has_its_own_random_stream() -> None:
    """Adding a city leaves the earlier ones as they were (2 and 3 cities share the national partners)."""
    two, _ = render(2, 5)
    three, _ = render(3, 5)
    city_one = [line for line in two.splitlines() if b"syn-0001" in line]
    assert len(city_one) > 1000
    assert city_one == [line for line in three.splitlines() if b"syn-0001" in line]


def test_text_and_binary_streams_get_the_same_content() -> None:
    text = io.StringIO()
    n = generate(1, 9, text, "nt", profile=TINY)
    data, m = render(1, 9, "nt", TINY)
    assert n == m
    assert text.getvalue().encode("utf-8") == data


def test_n_triples_are_the_n_quads_without_the_graph() -> None:
    quads, n = render(1, 3, "nq", TINY)
    triples, m = render(1, 3, "nt", TINY)
    assert n == m == quads.count(b"\n") == triples.count(b"\n")
    suffix = f" <{GRAPH_SYNTHETIC}> .".encode()
    assert [q.removesuffix(suffix) + b" ." for q in quads.splitlines()] == triples.splitlines()


class _ChunkRecorder(io.RawIOBase):
    """A binary sink that keeps only the size of each write."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.sizes.append(len(b))
        return len(b)


def test_output_is_written_in_chunks_as_it_is_made() -> None:
    sink = _ChunkRecorder()
    generate(12, 1, sink, "nq")
    assert len(sink.sizes) >= 12  # at least one write per city
    assert max(sink.sizes) < sum(sink.sizes) / 4  # no write holds the whole output


def _peak_memory(cities: int) -> int:
    tracemalloc.start()
    generate(cities, 2, _ChunkRecorder(), "nq")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_memory_does_not_grow_with_the_number_of_cities() -> None:
    small, large = _peak_memory(3), _peak_memory(18)
    # Six times the output; the peak is one city's worth either way (plus the national partners).
    assert large < small * 1.5, (small, large)


# --- Valid, in the data model -------------------------------------------------------------


def test_bad_arguments_are_refused_before_anything_is_written() -> None:
    buf = io.BytesIO()
    with pytest.raises(ValueError, match="cities"):
        generate(0, 1, buf, "nq")
    with pytest.raises(ValueError, match="format"):
        generate(1, 1, buf, "ttl")
    with pytest.raises(ValueError, match="spaces"):
        Profile(min_spaces=10, max_spaces=5)
    assert buf.getvalue() == b""


def test_the_engine_reads_every_line_and_no_line_is_a_duplicate(three_cities: tuple[Dataset, int]) -> None:
    ds, n = three_cities
    (count,) = select(ds, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH_SYNTHETIC}> {{ ?s ?p ?o }} }}")[0]
    assert int(count) == n


def test_the_graph_and_every_agent_say_they_are_synthetic(three_cities: tuple[Dataset, int]) -> None:
    ds, _ = three_cities
    (description,) = select(
        ds,
        f"""SELECT ?d WHERE {{ <{GRAPH_SYNTHETIC}> dct:description ?d
        FILTER(LANG(?d) = "en") }}""",
    )[0]
    assert description.startswith("Synthetic data, not facts")
    rows = select(
        ds,
        """SELECT ?x ?th ?en WHERE {
        VALUES ?c { lc:LearningCity lc:PartnerOrganisation lc:CityLearningAdministrator lc:Network
                    lc:LearningSpace lc:KnowledgeAsset lc:LearningActivity lc:Partnership }
        ?x a ?c ; rdfs:label ?th , ?en FILTER(LANG(?th) = "th" && LANG(?en) = "en") }""",
    )
    assert len(rows) > 1000
    for x, th, en in rows:
        assert "สังเคราะห์" in th and "ynthetic" in en, x
    assert not select(ds, "SELECT ?s WHERE { { ?s schema:email ?o } UNION { ?s schema:telephone ?o } }")


def test_every_code_is_a_concept_of_the_right_list(three_cities: tuple[Dataset, int]) -> None:
    ds, _ = three_cities
    bad = select(
        ds,
        """SELECT ?p ?v WHERE {
        VALUES (?p ?scheme) { (lc:province "province") (lc:spaceType "space-type") (lc:assetType "asset-type")
            (lc:theme "theme") (lc:ageGroup "age-group") (lc:buildingBlock "gnlc") (lc:sector "sector")
            (org:role "membership-role") (lc:administrativeLevel "admin-level") }
        ?x ?p ?v .
        FILTER NOT EXISTS { ?v skos:inScheme ?s FILTER(STR(?s) = CONCAT(STR(lcv:), ?scheme)) } }""",
    )
    assert bad == []


@pytest.mark.parametrize("seed", [1, 2])
def test_a_small_generated_file_conforms_to_the_shapes(seed: int) -> None:
    shape_files = resources.shape_files()
    assert shape_files, "shapes/ holds no shape files"
    data_bytes, _ = render(2, seed, "nt", TINY)
    data = rdflib.Graph()
    data.parse(resources.ONTOLOGY_FILE)
    for f in resources.vocab_files():
        data.parse(f)
    data.parse(data=data_bytes.decode("utf-8"), format="nt")
    shapes = rdflib.Graph()
    for f in shape_files:
        shapes.parse(f)
    _conforms, report, text = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert list(report.subjects(sh.resultSeverity, sh.Violation)) == [], text
    assert list(report.subjects(sh.resultSeverity, sh.Warning)) == [], text


# --- Realistic distributions --------------------------------------------------------------


def test_cities_have_50_to_300_spaces_near_their_province(three_cities: tuple[Dataset, int]) -> None:
    ds, _ = three_cities
    capitals = {str(LCV[f"province/{code}"]): (lat, lon) for code, lat, lon in PROVINCE_CAPITALS}
    spaces = select(
        ds,
        """SELECT ?city (COUNT(DISTINCT ?s) AS ?n) WHERE {
        ?city a lc:LearningCity . ?s a lc:LearningSpace ; lc:city ?city } GROUP BY ?city""",
    )
    assert len(spaces) == 3
    assert all(50 <= int(n) <= 300 for _, n in spaces)
    placed = select(
        ds,
        """SELECT ?s ?province ?lat ?long WHERE {
        ?s a lc:LearningSpace ; lc:city/lc:province ?province ; geo:lat ?lat ; geo:long ?long }""",
    )
    assert len(placed) > 0.8 * sum(int(n) for _, n in spaces)  # all but the online spaces
    for s, province, lat, lon in placed:
        clat, clon = capitals[province]
        assert abs(float(lat) - clat) < 0.1 and abs(float(lon) - clon) < 0.1, s


def test_activities_have_one_to_four_organisers_and_dates(three_cities: tuple[Dataset, int]) -> None:
    ds, _ = three_cities
    rows = select(
        ds,
        """SELECT ?a (COUNT(DISTINCT ?o) AS ?n) (SAMPLE(?start) AS ?s) (SAMPLE(?end) AS ?e)
        WHERE {
        ?a a lc:LearningActivity ; schema:organizer ?o ; schema:startDate ?start ; schema:endDate ?end }
        GROUP BY ?a""",
    )
    organisers = Counter(int(n) for _, n, _, _ in rows)
    assert set(organisers) == {1, 2, 3, 4}
    for a, _, start, end in rows:
        assert "2024-01-01" <= start <= "2025-12-31" and start <= end, a


def _network(ds: Dataset) -> nx.Graph:
    """Co-organising ties (the bulk of the collaboration network), from one SPARQL query."""
    g = nx.Graph()
    for (x,) in select(
        ds,
        """SELECT ?x WHERE {
            VALUES ?c { lc:LearningCity lc:PartnerOrganisation lc:CityLearningAdministrator } ?x a ?c }""",
    ):
        g.add_node(x)
    for a, b in select(
        ds,
        """SELECT DISTINCT ?a ?b WHERE { ?x a lc:LearningActivity .
            { ?x schema:organizer ?a } UNION { ?x lc:city ?a }
            { ?x schema:organizer ?b } UNION { ?x lc:city ?b } FILTER(STR(?a) < STR(?b)) }""",
    ):
        g.add_edge(a, b)
    return g


def test_preferential_attachment_gives_hubs_and_isolated_actors(three_cities: tuple[Dataset, int]) -> None:
    ds, _ = three_cities
    g = _network(ds)
    degrees = [d for _, d in g.degree()]
    assert max(degrees) > 10 * statistics.median(degrees)
    partner_degrees = sorted((d for n, d in g.degree() if "/partner/syn-0" in n), reverse=True)
    assert partner_degrees[0] > 5 * statistics.median(partner_degrees)  # hubs among partners too
    assert 0 < sum(1 for d in degrees if d == 0) < len(degrees) / 10


def test_national_partners_tie_the_cities_together(three_cities: tuple[Dataset, int]) -> None:
    ds, _ = three_cities
    g = _network(ds)
    giant = max(nx.connected_components(g), key=len)
    cities = {str(LCID[f"city/syn-{i:04d}"]) for i in (1, 2, 3)}
    assert cities <= giant


def test_cities_leave_things_out(tmp_path: Path) -> None:
    """Across ten cities, some lack an age group, a theme or a building block (gaps to find)."""
    data, _ = render(10, 4, "nq", Profile(min_spaces=20, max_spaces=30))
    ds = Dataset.open(tmp_path / "store")
    ds.load_bytes(data, "nq")
    rows = select(
        ds,
        """SELECT ?city (COUNT(DISTINCT ?age) AS ?ages) (COUNT(DISTINCT ?theme) AS ?themes)
        WHERE { ?a a lc:LearningActivity ; lc:city ?city ; lc:ageGroup ?age ; lc:theme ?theme }
        GROUP BY ?city""",
    )
    assert len(rows) == 10
    assert any(int(ages) < 6 for _, ages, _ in rows)
    assert any(int(themes) < 16 for _, _, themes in rows)


# --- Scale --------------------------------------------------------------------------------


def test_29_cities_give_a_few_hundred_thousand_triples_and_100_over_a_million() -> None:
    counter = _ChunkRecorder()
    assert 150_000 <= generate(29, 1, counter, "nt") <= 600_000
    assert generate(100, 1, _ChunkRecorder(), "nt") >= 1_000_000


def test_profiles_are_named() -> None:
    assert PROFILES["default"] == DEFAULT_PROFILE
    assert set(PROFILES) == {"default", "benchmark"}


# --- The command line ---------------------------------------------------------------------


def test_cli_writes_the_same_bytes_as_the_function(tmp_path: Path) -> None:
    out = tmp_path / "one.nt"
    args = ["generate", "--cities", "1", "--seed", "5", "--format", "nt", "--out", str(out)]
    proc = subprocess.run([LCGRAPH, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data, n = render(1, 5, "nt")
    assert out.read_bytes() == data
    assert f"wrote {n:,} triples" in proc.stderr


def test_cli_writes_to_standard_output() -> None:
    proc = subprocess.run(
        [LCGRAPH, "generate", "--cities", "1", "--seed", "6", "--profile", "benchmark"],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == render(1, 6, "nq", PROFILES["benchmark"])[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cities", "0"], "--cities"),
        (["--cities", "1", "--format", "ttl"], "--format"),
        (["--cities", "1", "--out", "/nonexistent-dir/x.nq"], "cannot write /nonexistent-dir/x.nq"),
    ],
)
def test_cli_rejects_bad_input_with_a_clear_message(args: list[str], message: str) -> None:
    proc = subprocess.run([LCGRAPH, "generate", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert message in proc.stderr
