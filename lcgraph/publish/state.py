"""A short tag that changes whenever the store's content changes, for ETags and caches.

For the publishing routes (ETag headers) and the caches of the catalog and
the search index. pyoxigraph keeps no version counter, so for an on-disk
store the tag is a digest of the RocksDB directory listing (name, size and
modification time of each file): every committed write appends to the
write-ahead log or adds a table file, so the listing changes with it, even
when another process wrote. Compaction also changes it, which only costs a
needless refresh. An in-memory store (tests, scratch work) has no files; its
tag is the number of quads per graph, which misses an edit that keeps the
counts equal, so the caches there are also keyed by the Dataset object.
"""

from __future__ import annotations

import hashlib
import os

from lcgraph.store import Repository


def _listing(path: os.PathLike[str] | str) -> list[tuple[str, int, int]]:
    """Name, size and mtime of the store's files.

    RocksDB compacts in the background and may delete a file between listing
    and stat; such a file is simply no longer part of the state.
    """
    listing = []
    with os.scandir(path) as entries:
        for entry in entries:
            try:
                if entry.is_file():
                    info = entry.stat()
                    listing.append((entry.name, info.st_size, info.st_mtime_ns))
            except FileNotFoundError:
                continue
    return sorted(listing)


def state_tag(ds: Repository) -> str:
    """A 16-hex-digit tag of the store's current state."""
    digest = hashlib.blake2b(digest_size=8)
    if ds.path is not None:
        digest.update(repr(_listing(ds.path)).encode())
    else:
        # In memory or remote: the repository's version changes with every commit.
        digest.update(ds.version().encode())
    return digest.hexdigest()
