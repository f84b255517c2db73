// The SPARQL editor: highlighting, running queries against /sparql, a sortable
// result table whose IRIs are shown as labelled links, downloads, errors.
// Plain JavaScript, no libraries: the service must work offline.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const editor = document.getElementById("editor");
  const highlight = document.getElementById("highlight");
  const form = document.getElementById("query-form");
  const status = document.getElementById("status");
  const errorBox = document.getElementById("error");
  const results = document.getElementById("results");
  const T = data.text;

  // --- highlighting -------------------------------------------------------
  const KEYWORDS = new Set(("select construct describe ask where from named prefix base distinct reduced " +
    "optional filter union minus graph service bind values as order by asc desc limit offset group having " +
    "insert delete data with using load clear drop create add move copy silent default all not exists in " +
    "a true false count sum min max avg sample group_concat separator str lang langmatches datatype bound " +
    "iri uri bnode regex replace contains strstarts strends year month day now coalesce if").split(" "));
  const TOKEN = /(#[^\n]*)|("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|(<[^<>"{}|^`\\\s]*>)|([?$][A-Za-z_0-9\u00C0-\uFFFF]+)|([A-Za-z][\w-]*)?(:[\w\-.\u00C0-\uFFFF]*)|(\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)|([A-Za-z_]+)/g;

  function escapeHtml(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function paint() {
    const text = editor.value;
    let out = "", last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      out += escapeHtml(text.slice(last, m.index));
      let cls = null;
      if (m[1]) cls = "com"; else if (m[2]) cls = "str"; else if (m[3]) cls = "iri";
      else if (m[4]) cls = "var"; else if (m[6] !== undefined) cls = "pn"; else if (m[7]) cls = "num";
      else if (m[8] && KEYWORDS.has(m[8].toLowerCase())) cls = "kw";
      out += cls ? `<span class="tok-${cls}">${escapeHtml(m[0])}</span>` : escapeHtml(m[0]);
      last = TOKEN.lastIndex;
      if (m[0].length === 0) TOKEN.lastIndex++;
    }
    highlight.innerHTML = out + escapeHtml(text.slice(last)) + "\n";
    highlight.parentElement.scrollTop = editor.scrollTop;
  }
  editor.addEventListener("input", () => { paint(); updateDownloads(); });
  editor.addEventListener("scroll", () => { highlight.parentElement.scrollTop = editor.scrollTop; });

  // --- downloads ----------------------------------------------------------
  function endpoint(format) {
    return "/sparql?" + new URLSearchParams({ query: editor.value, format: format }).toString();
  }
  function updateDownloads() {
    document.getElementById("dl-csv").href = endpoint("csv");
    document.getElementById("dl-json").href = endpoint("json");
  }

  // --- running ------------------------------------------------------------
  async function run(event) {
    if (event) event.preventDefault();
    errorBox.hidden = true;
    status.textContent = "…";
    const started = performance.now();
    let response;
    try {
      response = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/sparql-results+json, text/turtle;q=0.9" },
        body: new URLSearchParams({ query: editor.value }),
      });
    } catch (e) {
      return showError(String(e));
    }
    const elapsed = Math.round(performance.now() - started);
    const body = await response.text();
    if (!response.ok) return showError(readError(body), elapsed);
    const type = response.headers.get("content-type") || "";
    if (type.includes("sparql-results+json")) {
      const json = JSON.parse(body);
      if ("boolean" in json) {
        results.innerHTML = `<p class="answer">${json.boolean ? "true" : "false"}</p>`;
        status.textContent = `${elapsed} ms`;
        return;
      }
      await renderTable(json);
      status.textContent = `${json.results.bindings.length.toLocaleString()} ${T.rows} · ${elapsed} ms`;
    } else {
      results.innerHTML = `<pre class="rdf">${escapeHtml(body)}</pre>`;
      status.textContent = `${elapsed} ms`;
    }
  }
  function readError(body) {
    try { const j = JSON.parse(body); return j.message || j.detail || body; } catch (e) { return body; }
  }
  function showError(message, elapsed) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    status.textContent = elapsed ? `${elapsed} ms` : "";
    results.innerHTML = "";
    const m = /line (\d+)(?:,? column (\d+))?/i.exec(message);
    if (m) moveCaret(parseInt(m[1], 10), m[2] ? parseInt(m[2], 10) : 1);
  }
  function moveCaret(line, column) {
    const lines = editor.value.split("\n");
    let pos = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i++) pos += lines[i].length + 1;
    pos += Math.max(0, column - 1);
    editor.focus();
    editor.setSelectionRange(pos, pos);
  }

  // --- the table ----------------------------------------------------------
  async function labelsFor(iris) {
    if (!iris.length) return {};
    const values = iris.slice(0, 300).map((i) => `<${i}>`).join(" ");
    const q = `SELECT ?s ?l WHERE { VALUES ?s { ${values} } ` +
      `?s <http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#prefLabel> ?l }`;
    try {
      const r = await fetch("/sparql", { method: "POST",
        headers: { "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json" },
        body: q });
      if (!r.ok) return {};
      const out = {};
      for (const b of (await r.json()).results.bindings) {
        const lang = b.l["xml:lang"] || "";
        const have = out[b.s.value];
        if (!have || lang === data.lang || (have.lang !== data.lang && lang === "en")) {
          out[b.s.value] = { text: b.l.value, lang: lang };
        }
      }
      return out;
    } catch (e) {
      return {};
    }
  }
  async function renderTable(json) {
    const vars = json.head.vars;
    const rows = json.results.bindings;
    const iris = [...new Set(rows.flatMap((r) => vars.map((v) => r[v]).filter((c) => c && c.type === "uri")
      .map((c) => c.value)))];
    const labels = await labelsFor(iris);
    const table = document.createElement("table");
    table.className = "data";
    const head = table.createTHead().insertRow();
    vars.forEach((v, i) => {
      const th = document.createElement("th");
      th.scope = "col";
      th.setAttribute("aria-sort", "none");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = v;
      b.addEventListener("click", () => sortBy(table, i, th));
      th.appendChild(b);
      head.appendChild(th);
    });
    const body = table.createTBody();
    for (const r of rows) {
      const tr = body.insertRow();
      for (const v of vars) tr.appendChild(cell(r[v], labels));
    }
    results.replaceChildren(table);
  }
  // IRIs of this service open its own linked-data pages; others go where they point.
  function localHref(iri) {
    for (const [ns, path] of data.links) {
      if (iri.startsWith(ns) && iri.length > ns.length) return path + iri.slice(ns.length);
    }
    return iri;
  }
  function cell(term, labels) {
    const td = document.createElement("td");
    if (!term) return td;
    td.dataset.sort = term.value;
    if (term.type === "uri") {
      const a = document.createElement("a");
      a.href = localHref(term.value);
      const label = labels[term.value];
      a.textContent = label ? label.text : term.value;
      a.title = term.value;
      td.appendChild(a);
    } else {
      td.textContent = term.value;
      if (term["xml:lang"]) td.lang = term["xml:lang"];
      if (term.datatype && /#(integer|decimal|double|float|long|int)$/.test(term.datatype)) {
        td.className = "num";
        td.dataset.sort = String(Number(term.value));
        td.dataset.numeric = "1";
      }
    }
    return td;
  }
  function sortBy(table, index, th) {
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach((h) => h.setAttribute("aria-sort", "none"));
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const rows = [...table.tBodies[0].rows];
    rows.sort((a, b) => {
      const x = a.cells[index], y = b.cells[index];
      const numeric = x.dataset.numeric && y.dataset.numeric;
      const cmp = numeric ? Number(x.dataset.sort) - Number(y.dataset.sort)
        : (x.dataset.sort || "").localeCompare(y.dataset.sort || "", data.lang);
      return ascending ? cmp : -cmp;
    });
    table.tBodies[0].append(...rows);
  }

  // --- canned and example queries -----------------------------------------
  document.querySelectorAll("[data-canned]").forEach((b) => b.addEventListener("click", () => {
    const q = data.canned[b.dataset.canned];
    editor.value = q.sparql;
    paint(); updateDownloads(); editor.focus();
  }));
  document.querySelectorAll("[data-example]").forEach((b) => b.addEventListener("click", () => {
    editor.value = data.examples[Number(b.dataset.example)].sparql;
    paint(); updateDownloads(); run();
  }));
  editor.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(e);
  });
  form.addEventListener("submit", run);
  paint(); updateDownloads();
  if (data.autorun) run();
})();
