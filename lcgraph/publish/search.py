"""Label search in Thai and English, for ``/search`` and for SPARQL.

For people looking for a city, space, partner or concept by name. Thai is
written without spaces between words, so Thai text is cut into words with
pythainlp's ``newmm`` segmenter (dictionary-based maximal matching); other
scripts are split on non-word characters and lower-cased. The index holds
only labels and descriptions of the public view (rdfs:label,
skos:prefLabel/altLabel, dct:title, descriptions and comments), is built
with one SPARQL query, and is rebuilt when the store's state tag changes.

Ranking: a resource that matches more of the query's words ranks first;
then things described in the data come before terms of the ontology and
the code lists (a search for "Phayao" finds the city before the province
code); then the resource one of whose labels covers the query best (the share of
the query's words the label holds, then the share of the label's words that
are query words: "หาดใหญ่" is half of "เทศบาลนครหาดใหญ่" but a small part of a
news headline that mentions it twice); then the score, where a hit in a label counts three times a hit in
a description and rarer words count more (inverse document frequency). A
query word also matches, at half weight, the words of the index that
contain it (``นคร`` finds ``เทศบาลนคร`` even where ``นคร`` is a word of its
own elsewhere).

SPARQL: :func:`sparql_functions` gives the engine the function
``lc:textScore(?text, "query")`` (IRI ``https://w3id.org/lcgraph/def#textScore``),
the share (0–1) of the query's words found in ``?text``, segmented the same
way.
"""

from __future__ import annotations

import math
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import pyoxigraph as ox

from lcgraph.namespaces import DCT, LC, OWL, RDF, RDFS, SCHEMA, SKOS, XSD
from lcgraph.publish.state import state_tag
from lcgraph.store import Repository, typed

LABEL_WEIGHT = 3.0
TEXT_WEIGHT = 1.0
LABELS = (RDFS.label, SKOS.prefLabel, SKOS.altLabel, DCT.title, SCHEMA.name)
TEXTS = (RDFS.comment, DCT.description, SCHEMA.description, SKOS.definition)
TEXT_SCORE = LC.textScore
# Terms of the ontology and the code lists: found, but after the things described in the data.
VOCABULARY_CLASSES = frozenset(
    str(c)
    for c in (
        SKOS.Concept,
        SKOS.ConceptScheme,
        OWL.Class,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
        RDFS.Datatype,
    )
)

_THAI = re.compile(r"[\u0e00-\u0e7f]")
_WORD = re.compile(r"[\w\u0e00-\u0e7f]+")


def words(text: str) -> list[str]:
    """The words of a text: Thai runs segmented with newmm, the rest split and lower-cased."""
    out: list[str] = []
    for chunk in _WORD.findall(text.lower()):
        if _THAI.search(chunk):
            out.extend(w for w in _thai_words(chunk) if w.strip())
        else:
            out.append(chunk)
    return out


@lru_cache(maxsize=65536)
def _thai_words(chunk: str) -> tuple[str, ...]:
    from pythainlp import word_tokenize  # imported on first use: it loads a dictionary

    return tuple(word_tokenize(chunk, engine="newmm", keep_whitespace=False))


@dataclass
class Hit:
    """One search result: the resource, its labels, its classes and how well it matched."""

    iri: str
    score: float
    matched: int
    labels: dict[str, str] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)
    text: str = ""


@dataclass
class _Doc:
    iri: str
    labels: dict[str, str] = field(default_factory=dict)
    classes: set[str] = field(default_factory=set)
    first_text: str = ""
    label_words: list[frozenset[str]] = field(default_factory=list)

    @property
    def shortest(self) -> int:
        return min((len(label) for label in self.labels.values()), default=1 << 20)


class SearchIndex:
    """An inverted index over the labels and descriptions of the public view."""

    def __init__(self) -> None:
        self.docs: list[_Doc] = []
        self.postings: dict[str, dict[int, float]] = defaultdict(dict)

    @classmethod
    def build(cls, ds: Repository) -> SearchIndex:
        """Read labels and descriptions with one query and index them."""
        index = cls()
        props = " ".join(f"<{p}>" for p in (*LABELS, *TEXTS))
        rows = typed.solutions(
            ds.query(
                f"SELECT ?s ?p ?t {{ VALUES ?p {{ {props} }} ?s ?p ?t FILTER(isIRI(?s) && isLiteral(?t)) }}"
            )
        )
        ids: dict[str, int] = {}
        labels = {str(p) for p in LABELS}
        for s, p, t in rows:
            doc_id = ids.get(s.value)
            if doc_id is None:
                doc_id = ids[s.value] = len(index.docs)
                index.docs.append(_Doc(s.value))
            index._add(doc_id, p.value in labels, t)
        index._add_classes(ds, ids)
        return index

    def _add(self, doc_id: int, is_label: bool, text: ox.Literal) -> None:
        doc = self.docs[doc_id]
        if is_label:
            doc.labels.setdefault(text.language or "", text.value)
        elif not doc.first_text:
            doc.first_text = text.value
        weight = LABEL_WEIGHT if is_label else TEXT_WEIGHT
        found = words(text.value)
        if is_label and found:
            doc.label_words.append(frozenset(found))
        for w in found:
            posting = self.postings[w]
            posting[doc_id] = posting.get(doc_id, 0.0) + weight

    def _add_classes(self, ds: Repository, ids: dict[str, int]) -> None:
        rows = typed.solutions(ds.query(f"SELECT ?s ?c {{ ?s <{RDF.type}> ?c FILTER(isIRI(?c)) }}"))
        for s, c in rows:
            doc_id = ids.get(s.value)
            if doc_id is not None:
                self.docs[doc_id].classes.add(c.value)

    def _matches(self, word: str) -> list[tuple[dict[int, float], float]]:
        whole = [(self.postings[word], 1.0)] if word in self.postings else []
        # The words that contain it, at half weight.
        return whole + [(p, 0.5) for w, p in self.postings.items() if word in w and w != word]

    @staticmethod
    def _cover(doc: _Doc, wanted: list[str]) -> tuple[float, float]:
        """How well one label covers the query: the share of query words it holds, then
        the share of its own words that are (or contain) query words; the best label's."""
        best = (0.0, 0.0)
        for label in doc.label_words:
            held = sum(1 for q in wanted if any(q in w for w in label)) / len(wanted)
            own = sum(1 for w in label if any(q in w for q in wanted)) / len(label)
            best = max(best, (held, own))
        return best

    def search(self, query: str, *, limit: int = 20, classes: set[str] | None = None) -> list[Hit]:
        """The best ``limit`` resources for ``query``, optionally only of the given classes."""
        wanted = list(dict.fromkeys(words(query)))
        n = max(len(self.docs), 1)
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, int] = defaultdict(int)
        for w in wanted:
            seen: set[int] = set()
            for posting, factor in self._matches(w):
                idf = math.log(1 + n / len(posting))
                for doc_id, tf in posting.items():
                    scores[doc_id] += factor * idf * (1 + math.log(tf))
                    seen.add(doc_id)
            for doc_id in seen:
                matched[doc_id] += 1
        # Ties go to the shortest label: "หาดใหญ่" finds the city before its membership.
        docs = self.docs
        cover = {d: self._cover(docs[d], wanted) for d in scores}

        def rank(d: int) -> tuple[int, bool, float, float, float, int, str]:
            vocabulary = bool(docs[d].classes & VOCABULARY_CLASSES)
            held, own = cover[d]
            return (-matched[d], vocabulary, -held, -own, -scores[d], docs[d].shortest, docs[d].iri)

        ranked = sorted(scores, key=rank)
        hits: list[Hit] = []
        for doc_id in ranked:
            doc = self.docs[doc_id]
            if classes and not (doc.classes & classes):
                continue
            hits.append(
                Hit(
                    doc.iri,
                    round(scores[doc_id], 4),
                    matched[doc_id],
                    dict(doc.labels),
                    sorted(doc.classes),
                    doc.first_text,
                )
            )
            if len(hits) == limit:
                break
        return hits


_indexes: dict[tuple[int, str], SearchIndex] = {}
_lock = threading.Lock()


def index_for(ds: Repository) -> SearchIndex:
    """The index of the store's current state (built on first use, rebuilt after a change)."""
    key = (id(ds), state_tag(ds))
    with _lock:
        index = _indexes.get(key)
        if index is None:
            index = SearchIndex.build(ds)
            for old in [k for k in _indexes if k[0] == key[0]]:
                del _indexes[old]
            _indexes[key] = index
        return index


def text_score(text: str, query: str) -> float:
    """The share (0–1) of the query's words that occur in ``text``."""
    wanted = set(words(query))
    if not wanted:
        return 0.0
    have = set(words(text))
    return len(wanted & have) / len(wanted)


def _text_score_function(text: object, query: object) -> ox.Literal | None:
    if not isinstance(text, ox.Literal) or not isinstance(query, ox.Literal):
        return None
    return ox.Literal(repr(text_score(text.value, query.value)), datatype=ox.NamedNode(str(XSD.double)))


def sparql_functions() -> dict[ox.NamedNode, Callable[..., ox.Literal | None]]:
    """Custom functions for ``Store.query(custom_functions=…)``: ``lc:textScore``."""
    return {ox.NamedNode(str(TEXT_SCORE)): _text_score_function}
