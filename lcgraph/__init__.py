"""lcgraph: the knowledge-graph backend of Thailand's Learning City network."""

__version__ = "0.1.0"
