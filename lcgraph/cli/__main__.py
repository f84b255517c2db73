"""``python -m lcgraph.cli``: the same as the ``lcgraph`` command."""

from lcgraph.cli import main

main()
