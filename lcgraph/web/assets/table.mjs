// The result table of the query page and of the canned-query forms.
//
// A SPARQL JSON result is shown one page at a time (the whole result stays in
// memory, only one page is in the DOM). Every IRI is shown by its label in the
// page's language with its prefixed name beside it; blank nodes are marked;
// dates read in the Buddhist Era in Thai, with the ISO value on hover; sorting
// sorts by the text shown. Labels come from /sparql like any client's would:
// the visible page first, the rest in the background.

const LABEL_BATCH = 400;
const RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label";
const SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel";
const XSD = "http://www.w3.org/2001/XMLSchema#";
const NUMERIC = new Set(["integer", "decimal", "double", "float", "long", "int", "short",
  "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger"].map((t) => XSD + t));

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export class ResultView {
  /**
   * container: where the table goes; options: {lang, links: [[ns, path]...],
   * prefixes: {prefix: ns}, text: {key: words}, pageSize}
   */
  constructor(container, options) {
    this.container = container;
    this.lang = options.lang;
    this.links = options.links || [];
    this.prefixes = Object.entries(options.prefixes || {});
    this.T = options.text || {};
    this.pageSize = options.pageSize || 100;
    this.labels = new Map();
    this.page = 0;
    this.sort = null;
    this.generation = 0;
  }

  t(key, values = {}) {
    let s = this.T[key] || key;
    for (const [k, v] of Object.entries(values)) s = s.replace(`{${k}}`, v);
    return s;
  }

  clear() {
    this.generation++;
    this.container.replaceChildren();
  }

  /** Show a SPARQL JSON result (SELECT or ASK); resolves when the first page has its labels. */
  async show(json, queryPrefixes = {}) {
    this.generation++;
    const generation = this.generation;
    this.prefixes = Object.entries({ ...Object.fromEntries(this.prefixes), ...queryPrefixes })
      .sort((a, b) => b[1].length - a[1].length);
    if ("boolean" in json) {
      this.container.replaceChildren(el("p", { class: "answer" }, json.boolean ? this.t("yes") : this.t("no")));
      return;
    }
    this.vars = json.head.vars;
    this.rows = json.results.bindings;
    this.order = this.rows.map((_, i) => i);
    this.page = 0;
    this.sort = null;
    await this.fetchLabels(this.pageIris(), generation);
    if (generation !== this.generation) return;
    this.render();
    this.fetchAllLabels(generation);
  }

  pageIris() {
    const start = this.page * this.pageSize;
    const iris = new Set();
    for (const i of this.order.slice(start, start + this.pageSize)) {
      for (const v of this.vars) {
        const c = this.rows[i][v];
        if (c && c.type === "uri" && !this.labels.has(c.value)) iris.add(c.value);
      }
    }
    return [...iris];
  }

  async fetchAllLabels(generation) {
    const all = new Set();
    for (const r of this.rows) for (const v of this.vars) {
      const c = r[v];
      if (c && c.type === "uri" && !this.labels.has(c.value)) all.add(c.value);
    }
    await this.fetchLabels([...all], generation);
    if (generation === this.generation && all.size) this.render();
  }

  async fetchLabels(iris, generation) {
    for (let i = 0; i < iris.length; i += LABEL_BATCH) {
      if (generation !== this.generation) return;
      const batch = iris.slice(i, i + LABEL_BATCH);
      for (const iri of batch) this.labels.set(iri, null);
      const values = batch.map((x) => `<${x.replace(/[<>"{}|^`\\\s]/g, encodeURIComponent)}>`).join(" ");
      const q = `SELECT ?s ?l WHERE { VALUES ?s { ${values} } ?s <${RDFS_LABEL}>|<${SKOS_PREF}> ?l }`;
      try {
        const r = await fetch("/sparql", {
          method: "POST",
          headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" },
          body: q,
        });
        if (!r.ok) continue;
        for (const b of (await r.json()).results.bindings) {
          const lang = b.l["xml:lang"] || "";
          const have = this.labels.get(b.s.value);
          const rank = (l) => (l === this.lang ? 3 : l === "en" ? 2 : l === "" ? 1 : 0);
          if (!have || rank(lang) > rank(have.lang)) this.labels.set(b.s.value, { text: b.l.value, lang });
        }
      } catch (e) {
        // Labels are a courtesy: the IRIs and prefixed names still show.
      }
    }
  }

  prefixed(iri) {
    for (const [p, ns] of this.prefixes) {
      if (iri.startsWith(ns) && iri.length > ns.length && /^[^\s<>"{}|^`\\?#]+$/u.test(iri.slice(ns.length))) {
        return `${p}:${iri.slice(ns.length)}`;
      }
    }
    return null;
  }

  localHref(iri) {
    for (const [ns, path] of this.links) {
      if (iri.startsWith(ns) && iri.length > ns.length) {
        return path + iri.slice(ns.length) + (path.includes("#") ? "" : `?lang=${this.lang}`);
      }
    }
    return iri;
  }

  formatDate(value) {
    if (!/^-?\d{4,}-\d\d-\d\d/.test(value)) return value;
    const d = new Date(value.length === 10 ? value + "T00:00:00Z" : value);
    if (Number.isNaN(d.getTime())) return value;
    const locale = this.lang === "th" ? "th-TH-u-ca-buddhist" : "en-GB";
    const opts = { year: "numeric", month: "short", day: "numeric", timeZone: value.length === 10 ? "UTC" : undefined };
    if (value.length > 10) Object.assign(opts, { hour: "2-digit", minute: "2-digit" });
    return new Intl.DateTimeFormat(locale, opts).format(d);
  }

  /** The text a cell shows: what sorting sorts by. */
  shown(term) {
    if (!term) return "";
    if (term.type === "uri") {
      const label = this.labels.get(term.value);
      return label ? label.text : this.prefixed(term.value) || term.value;
    }
    if (term.type === "bnode") return "_:" + term.value;
    if (term.datatype === XSD + "date" || term.datatype === XSD + "dateTime") return this.formatDate(term.value);
    return term.value;
  }

  cell(term) {
    const td = el("td");
    if (!term) return td;
    if (term.type === "uri") {
      const label = this.labels.get(term.value);
      const pname = this.prefixed(term.value);
      const a = el("a", { href: this.localHref(term.value), title: term.value }, label ? label.text : pname || term.value);
      if (label && label.lang) a.lang = label.lang;
      td.append(a);
      if (label) td.append(" ", el("code", { class: "pname" }, pname || term.value));
    } else if (term.type === "bnode") {
      td.append(el("span", { class: "bnode", title: this.t("blank_node") }, el("span", { class: "tag" }, this.t("blank_node")), " _:" + term.value));
    } else {
      const shown = this.shown(term);
      const span = el("span", {}, shown);
      if (term["xml:lang"]) span.lang = term["xml:lang"];
      if (shown !== term.value) span.append(" ", el("code", { class: "pname" }, term.value));
      td.append(span);
      if (term["xml:lang"]) td.append(" ", el("span", { class: "langtag" }, "@" + term["xml:lang"]));
      else if (term.datatype && NUMERIC.has(term.datatype)) td.className = "num";
      else if (term.datatype && !term.datatype.endsWith("#string") && shown === term.value) {
        td.append(" ", el("code", { class: "pname" }, this.prefixed(term.datatype) || term.datatype));
      }
    }
    return td;
  }

  sortBy(index) {
    const v = this.vars[index];
    const ascending = !(this.sort && this.sort.index === index && this.sort.ascending);
    this.sort = { index, ascending };
    const numeric = this.rows.every((r) => !r[v] || (r[v].datatype && NUMERIC.has(r[v].datatype)));
    const keys = this.rows.map((r) => (numeric ? (r[v] ? Number(r[v].value) : -Infinity) : this.shown(r[v])));
    const collator = new Intl.Collator(this.lang, { numeric: true, sensitivity: "base" });
    this.order.sort((a, b) => {
      const cmp = numeric ? keys[a] - keys[b] : collator.compare(keys[a], keys[b]);
      return ascending ? cmp : -cmp;
    });
    this.page = 0;
    this.render();
  }

  async goTo(page) {
    this.page = page;
    const generation = this.generation;
    await this.fetchLabels(this.pageIris(), generation);
    if (generation === this.generation) this.render();
    this.container.scrollIntoView({ block: "start" });
  }

  pager() {
    const total = this.rows.length;
    const pages = Math.max(1, Math.ceil(total / this.pageSize));
    const start = total ? this.page * this.pageSize + 1 : 0;
    const end = Math.min(total, (this.page + 1) * this.pageSize);
    const fmt = (n) => n.toLocaleString(this.lang === "th" ? "th-TH" : "en-GB");
    const nav = el("nav", { class: "pager", "aria-label": this.t("pages") },
      el("button", { type: "button", class: "secondary", "data-page": "prev", disabled: this.page === 0,
        onclick: () => this.goTo(this.page - 1) }, "← " + this.t("previous")),
      el("span", { class: "range", "aria-live": "polite" },
        this.t("showing", { start: fmt(start), end: fmt(end), total: fmt(total) })),
      el("button", { type: "button", class: "secondary", "data-page": "next", disabled: this.page >= pages - 1,
        onclick: () => this.goTo(this.page + 1) }, this.t("next") + " →"));
    const size = el("select", { "aria-label": this.t("page_size"), onchange: (e) => {
      this.pageSize = Number(e.target.value); this.goTo(0);
    } }, ...[50, 100, 500].map((n) => el("option", { value: n, selected: n === this.pageSize }, String(n))));
    nav.append(el("label", { class: "size" }, this.t("per_page") + " ", size));
    return nav;
  }

  render() {
    const table = el("table", { class: "data results-table" });
    const head = table.createTHead().insertRow();
    this.vars.forEach((v, i) => {
      const state = this.sort && this.sort.index === i ? (this.sort.ascending ? "ascending" : "descending") : "none";
      head.append(el("th", { scope: "col", "aria-sort": state },
        el("button", { type: "button", onclick: () => this.sortBy(i) }, v)));
    });
    const body = table.createTBody();
    const start = this.page * this.pageSize;
    for (const i of this.order.slice(start, start + this.pageSize)) {
      const tr = body.insertRow();
      for (const v of this.vars) tr.append(this.cell(this.rows[i][v]));
    }
    const wrap = el("div", { class: "table-wrap" }, table);
    this.container.replaceChildren(this.pager(), wrap);
    if (this.rows.length > this.pageSize) this.container.append(this.pager());
  }
}

/** The PREFIX declarations of a query, as {prefix: namespace}. */
export function declaredPrefixes(text) {
  const out = {};
  for (const m of text.matchAll(/PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>/gi)) out[m[1] || ""] = m[2];
  return out;
}

/** Save text as a UTF-8 file with a byte-order mark, so spreadsheet programs keep Thai intact. */
export async function downloadWithBom(url, filename) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(await r.text());
  const blob = new Blob(["\ufeff", await r.text()], { type: "text/csv;charset=utf-8" });
  const a = el("a", { href: URL.createObjectURL(blob), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
