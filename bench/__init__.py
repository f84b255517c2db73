"""Benchmarks: each module times lcgraph against a peer measured in the same run."""
