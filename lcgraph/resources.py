"""Where the project's RDF resources live: ontology, vocabularies, shapes, data.

lcgraph is installed in editable mode from its source tree (``make run``),
so the resources are read from the tree the package sits in.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_FILE = ROOT / "ontology" / "lcgraph.ttl"
VOCAB_DIR = ROOT / "ontology" / "vocab"
SHAPES_DIR = ROOT / "shapes"
SEED_DIR = ROOT / "data" / "seed"
EXAMPLES_DIR = ROOT / "data" / "examples"
TEMPLATES_DIR = ROOT / "data" / "templates"


def vocab_files() -> list[Path]:
    """The SKOS vocabulary files, in a stable order."""
    return sorted(VOCAB_DIR.glob("*.ttl"))


def shape_files() -> list[Path]:
    """The SHACL shape files, in a stable order."""
    return sorted(SHAPES_DIR.glob("*.ttl"))


def seed_files() -> list[Path]:
    """The seed-fact files (TriG: each names its own graphs)."""
    return sorted(SEED_DIR.glob("*.trig"))


def example_files() -> list[Path]:
    """The illustrative example files (TriG)."""
    return sorted(EXAMPLES_DIR.glob("*.trig"))
