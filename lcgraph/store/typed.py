"""pyoxigraph's unions narrowed to what lcgraph holds: the one place that does it, typed.

For every reader of terms and query answers above the store. pyoxigraph 0.5
types a quad's subject and object, and a solution's values, with RDF 1.2
*triple terms* (``ox.Triple``) in the union, and a query's answer as
solutions, a boolean or triples. lcgraph's data has no triple terms (the
shapes and the ontology describe resources and literals only), and each
caller knows which query form it sent; these helpers say so once, with a
clear answer for the case that cannot happen in our data instead of an
``AttributeError`` deep in a page.
"""

from __future__ import annotations

import pyoxigraph as ox

from lcgraph.store.dataset import LoadError

#: A subject, object or solution value as pyoxigraph types it.
AnyTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
#: What a subject of lcgraph's data is.
Resource = ox.NamedNode | ox.BlankNode


def text(term: AnyTerm) -> str:
    """The term's text: an IRI, a blank node's id, a literal's lexical form.

    A triple term gives its N-Triples form, so a page or an index shows
    something readable rather than failing. (Graph names:
    :func:`lcgraph.store.graph_names.graph_iri`.)
    """
    if isinstance(term, ox.Triple):
        return str(term)
    return term.value


def language(term: AnyTerm) -> str:
    """A literal's language tag, ``""`` for any other term or a literal without one."""
    return (term.language or "") if isinstance(term, ox.Literal) else ""


def resource(term: AnyTerm) -> Resource | None:
    """The term as a resource (IRI or blank node), or ``None`` for a literal or triple term."""
    return term if isinstance(term, ox.NamedNode | ox.BlankNode) else None


def solutions(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> ox.QuerySolutions:
    """The solutions of a SELECT; any other answer is a programming error, said so."""
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"expected the solutions of a SELECT query, got {type(result).__name__}")
    return result


#: A term of lcgraph's data: an IRI, a blank node or a literal (never a triple term).
Term = ox.NamedNode | ox.BlankNode | ox.Literal
#: A statement of lcgraph's data, as a plain tuple.
Statement = tuple[Resource, ox.NamedNode, Term]


class TripleTermRefused(LoadError):
    """RDF 1.2 triple terms are not part of lcgraph's data model (the shapes cannot check them)."""


def statement(quad: ox.Quad | ox.Triple) -> Statement:
    """The quad's subject, predicate and object; a triple term in it is refused (400), not passed on."""
    s, o = quad.subject, quad.object
    if isinstance(s, ox.Triple) or isinstance(o, ox.Triple):
        raise TripleTermRefused(
            f"RDF 1.2 triple terms are not supported: {quad} "
            "(lcgraph's shapes describe resources and literals)"
        )
    return s, quad.predicate, o


_PLAIN = frozenset(
    {"http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}
)


def as_stored(quads: set[ox.Quad]) -> set[ox.Quad]:
    """The quads as the engine will hold them: typed literals in its canonical form.

    For the validation of a change. The engine keeps numbers, dates, booleans…
    as values, so ``"50.0"^^xsd:decimal`` is read back as ``"50"^^xsd:decimal``;
    what is validated must be what will be read. The typed literals pass once
    through an in-memory store.
    """
    typed = [q for q in quads if isinstance(o := q.object, ox.Literal) and o.datatype.value not in _PLAIN]
    if not typed:
        return quads
    scratch = ox.Store()
    scratch.extend(typed)
    return (quads - set(typed)) | set(scratch)
