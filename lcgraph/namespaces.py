"""Every namespace lcgraph uses, defined once.

Other modules import the rdflib ``Namespace`` objects from here and build
SPARQL prefix headers with :func:`sparql_prefixes`; no other module spells a
namespace IRI out.
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, SKOS, TIME, VOID, XSD

LC = Namespace("https://w3id.org/lcgraph/def#")
LCV = Namespace("https://w3id.org/lcgraph/vocab/")
LCSH = Namespace("https://w3id.org/lcgraph/shapes#")
LCID = Namespace("https://w3id.org/lcgraph/id/")
LCG = Namespace("https://w3id.org/lcgraph/graph/")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
# Data in the wild uses both schemes for schema.org; input is normalised to https.
SCHEMA_HTTP = Namespace("http://schema.org/")
# rdflib's WGS constant uses https, which matches no real data: define it here.
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
GEOSPARQL = Namespace("http://www.opengis.net/ont/geosparql#")
DCT = DCTERMS

PREFIXES: dict[str, str] = {
    "lc": str(LC),
    "lcv": str(LCV),
    "lcsh": str(LCSH),
    "lcid": str(LCID),
    "lcg": str(LCG),
    "org": str(ORG),
    "schema": str(SCHEMA),
    "skos": str(SKOS),
    "prov": str(PROV),
    "dct": str(DCTERMS),
    "dcat": str(DCAT),
    "void": str(VOID),
    "time": str(TIME),
    "foaf": str(FOAF),
    "geo": str(GEO),
    "geosparql": str(GEOSPARQL),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "sh": str(SH),
}

# Named graphs with a fixed role.
GRAPH_ONTOLOGY = LCG["ontology"]
GRAPH_VOCAB = LCG["vocab"]
GRAPH_SHAPES = LCG["shapes"]
GRAPH_EXAMPLES = LCG["examples"]
GRAPH_FINDINGS = LCG["findings"]
GRAPH_PRIVATE = LCG["private"]
GRAPH_HISTORY = LCG["history"]
GRAPH_SYNTHETIC = LCG["synthetic"]
#: Where triples written without a graph name land (GSP ``?default``, updates without GRAPH).
#: The store's own default graph is the set union of the public graphs (see store/dataset.py).
GRAPH_UNNAMED = LCG["default"]

__all__ = [
    "DCAT",
    "DCT",
    "FOAF",
    "GEO",
    "GEOSPARQL",
    "LC",
    "LCG",
    "LCID",
    "LCSH",
    "LCV",
    "ORG",
    "OWL",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SCHEMA_HTTP",
    "SH",
    "SKOS",
    "TIME",
    "VOID",
    "XSD",
    "sparql_prefixes",
]


def sparql_prefixes(*names: str) -> str:
    """Return ``PREFIX`` lines for a SPARQL query (all prefixes if none named)."""
    chosen = names or tuple(PREFIXES)
    return "".join(f"PREFIX {n}: <{PREFIXES[n]}>\n" for n in chosen)
