"""A real ``lcgraph serve`` process over a copy of an ``init --examples`` store, for the attack suite.

The store is made once per test session (``lcgraph init --examples``, then a few
marked statements bulk-loaded into the private graph) and copied for every
server, so a server whose store an attack damaged can be replaced by a clean
one. Servers are started as a user would start them: ``lcgraph serve --data
DIR --host 127.0.0.1 --port N`` with the tokens in ``LCGRAPH_TOKENS``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

LCGRAPH = str(Path(sys.executable).with_name("lcgraph"))

WRITE = "write-token-1234"
READ = "read-token-1234"
ADMIN = "admin-token-1234"
TOKENS = f"w:{WRITE}:write,r:{READ}:read-private,a:{ADMIN}:write+admin"
WHO = {"anonymous": None, "write": WRITE, "read": READ, "admin": ADMIN}

G = "https://w3id.org/lcgraph/graph/"
PRIVATE = G + "private"
HISTORY = G + "history"
ONTOLOGY = G + "ontology"
VOCAB = G + "vocab"
SHAPES = G + "shapes"
EXAMPLES = G + "examples"
REFERENCE = (ONTOLOGY, VOCAB, SHAPES)
PROTECTED = (PRIVATE, HISTORY, *REFERENCE)
ID = "https://w3id.org/lcgraph/id/"
NORTH_1 = ID + "administrator/example-north-1"
NORTH_2 = ID + "administrator/example-north-2"
CITY_NORTH = ID + "city/example-north"
HIDDEN_CITY = ID + "city/privmark-hidden"
HIDDEN_ORG = ID + "partner/privmark-org"
NATIONAL_ID = "1100199999991"

#: Anything private that may show up in an answer: the examples' e-mails, the
#: marker put on every planted private statement, the planted national ID.
LEAK = re.compile(r"example-(north|northeast|south)-\d@example\.org|PRIVMARK|" + NATIONAL_ID)

PLANT = f"""
PREFIX lc: <https://w3id.org/lcgraph/def#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
<{PRIVATE}> {{
  <{CITY_NORTH}> rdfs:label "PRIVMARK-city-label"@en , "PRIVMARK-city-label"@th .
  <{HIDDEN_CITY}> a lc:LearningCity ; rdfs:label "PRIVMARK-hidden-city"@en , "PRIVMARK-hidden-city"@th .
  <{HIDDEN_ORG}> a lc:PartnerOrganisation ; rdfs:label "PRIVMARK-org"@en , "PRIVMARK-org"@th ;
      lc:city <{CITY_NORTH}> .
  <{NORTH_1}> lc:nationalId "{NATIONAL_ID}" .
}}
"""


def leaks(text: str) -> list[str]:
    """The private values found in ``text`` (empty when none)."""
    return sorted({m.group(0) for m in LEAK.finditer(text)})


def auth(who: str) -> dict[str, str]:
    token = WHO[who]
    return {"Authorization": f"Bearer {token}"} if token else {}


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LCGRAPH, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


def make_template(where: Path) -> Path:
    """``lcgraph init --examples`` plus the planted private statements; returns the data directory."""
    data = where / "template"
    done = run("init", "--examples", "--data", str(data))
    assert done.returncode == 0, done.stderr
    plant = where / "plant.trig"
    plant.write_text(PLANT, encoding="utf-8")
    done = run("load", str(plant), "--force", "--data", str(data), "--agent", "attack-suite")
    assert done.returncode == 0, done.stderr
    return data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    """A running ``lcgraph serve`` process."""

    url: str
    data: Path
    proc: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def health(self) -> dict[str, object]:
        return httpx.get(self.url + "/health", timeout=10).json()

    def client(self, who: str = "anonymous", timeout: float = 60) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=auth(who), timeout=timeout)

    def get(self, path: str, who: str = "anonymous", **kw: object) -> httpx.Response:
        with self.client(who) as c:
            return c.get(path, **kw)  # type: ignore[arg-type]

    def request(self, method: str, path: str, who: str = "anonymous", **kw: object) -> httpx.Response:
        with self.client(who) as c:
            return c.request(method, path, **kw)  # type: ignore[arg-type]

    def update(self, text: str, who: str = "write", **params: str) -> httpx.Response:
        with self.client(who) as c:
            return c.post(
                "/sparql",
                content=text.encode(),
                params=params,
                headers={"Content-Type": "application/sparql-update"},
            )

    def gsp(
        self,
        method: str,
        who: str = "write",
        body: str | None = None,
        media: str = "application/n-triples",
        **params: str,
    ) -> httpx.Response:
        """A Graph Store Protocol request on ``/store`` (``graph=…``, ``default=`` … as ``params``)."""
        with self.client(who) as c:
            return c.request(
                method,
                "/store",
                params=params,
                content=None if body is None else body.encode(),
                headers={} if body is None else {"Content-Type": media},
            )

    def select(self, query: str, who: str = "read") -> list[dict[str, str]]:
        """Rows of a SELECT (values as strings), asserting a 200."""
        with self.client(who) as c:
            r = c.post(
                "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}
            )
        assert r.status_code == 200, f"{r.status_code}: {r.text[:400]}"
        return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]

    def counts(self) -> dict[str, int]:
        """Triples per named graph, as a read-private caller sees them."""
        rows = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return {r["g"]: int(r["n"]) for r in rows}

    def graph_triples(self, graph: str) -> set[tuple[str, str, str]]:
        rows = self.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return {(r["s"], r["p"], r["o"]) for r in rows}

    def alive(self) -> bool:
        try:
            return httpx.get(self.url + "/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)

    def kill(self) -> None:
        """``kill -9`` of the whole process group."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


def serve(template: Path, where: Path, **env: str) -> Live:
    """Copy ``template`` into ``where`` and start ``lcgraph serve`` on it; wait for ``/health``."""
    data = where / "db"
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(template, data)
    return serve_existing(data, where / "serve.log", **env)


def serve_existing(data: Path, log: Path, *args: str, **env: str) -> Live:
    """Start ``lcgraph serve --data DATA`` (with ``args``, e.g. ``--workers 2``) on a free port.

    The tokens are the attack suite's unless ``env`` sets ``LCGRAPH_TOKENS``; the
    server's output goes to ``log``. Returns once ``/health`` answers.
    """
    port = free_port()
    full_env = {**os.environ, "LCGRAPH_TOKENS": TOKENS, **env}
    full_env.pop("LCGRAPH_TOKENS_FILE", None)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [LCGRAPH, "serve", "--data", str(data), "--host", "127.0.0.1", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=full_env,
            start_new_session=True,
        )
    live = Live(f"http://127.0.0.1:{port}", data, proc, log, env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"lcgraph serve exited with {proc.returncode}: {log.read_text()[-2000:]}")
        if live.alive():
            return live
        time.sleep(0.2)
    live.kill()
    raise RuntimeError("lcgraph serve did not answer /health within 120 s")


class Servers:
    """One shared server per test module, kept clean between tests.

    ``baseline`` is the per-graph triple count of the pristine store. After each
    test, :meth:`restore` drops (with the admin token) every graph the baseline
    does not have; if any other graph then differs from the baseline (the
    history may only have grown), or the server no longer answers, it is
    replaced by a fresh copy of the template.
    """

    def __init__(self, template: Path, where: Path, **env: str) -> None:
        self.template, self.where, self.env = template, where, env
        self.n = 0
        # A spare server starts in the background, so a replacement costs no start-up time.
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._spare: Future[Live] | None = None
        self.live = self._start()
        self.baseline = self.live.counts()

    def _new(self) -> Live:
        self.n += 1
        place = self.where / f"run{self.n}"
        place.mkdir(parents=True, exist_ok=True)
        return serve(self.template, place, **self.env)

    def _start(self) -> Live:
        live = self._spare.result() if self._spare is not None else self._new()
        self._spare = self._pool.submit(self._new)
        return live

    def _clean(self) -> bool:
        if not self.live.alive():
            return False
        extra = [g for g in self.live.counts() if g not in self.baseline]
        if extra:
            drops = " ; ".join(f"DROP SILENT GRAPH <{g}>" for g in extra)
            if self.live.update(drops, who="admin").status_code != 204:
                return False
        now = self.live.counts()
        history = now.pop(HISTORY, 0)
        expected = {g: n for g, n in self.baseline.items() if g != HISTORY}
        return now == expected and history >= self.baseline.get(HISTORY, 0)

    def restore(self) -> None:
        try:
            clean = self._clean()
        except (httpx.HTTPError, AssertionError):
            clean = False
        if not clean:
            self.live.stop()
            self.live = self._start()

    def close(self) -> None:
        self.live.stop()
        if self._spare is not None:
            self._spare.result().stop()
        self._pool.shutdown()
