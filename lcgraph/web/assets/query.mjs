// The query page: a CodeMirror 6 SPARQL editor, runs against /sparql, the
// result table, the query in the URL (shareable; Back returns to it), a
// history of past queries, a cancel button, and errors in the page's language
// at the right place with the cursor put there.
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from "@codemirror/view";
import { EditorState } from "@codemirror/state";
import { defaultKeymap, history as undoHistory, historyKeymap, indentWithTab } from "@codemirror/commands";
import { StreamLanguage, syntaxHighlighting, defaultHighlightStyle, bracketMatching } from "@codemirror/language";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";
import { autocompletion, completionKeymap, closeBrackets } from "@codemirror/autocomplete";
import { linter, lintGutter, lintKeymap, setDiagnostics } from "@codemirror/lint";
import { searchKeymap } from "@codemirror/search";
import { ResultView, declaredPrefixes, downloadWithBom, el } from "./table.mjs";

const data = JSON.parse(document.getElementById("page-data").textContent);
const T = data.text;
const status = document.getElementById("status");
const errorBox = document.getElementById("error");
const resultsBox = document.getElementById("results");
const runButton = document.getElementById("run");
const cancelButton = document.getElementById("cancel");
const textarea = document.getElementById("editor");
const HISTORY_KEY = "lcgraph.query-history";
const HISTORY_SIZE = 25;
let controller = null;

const view_results = new ResultView(resultsBox, { lang: data.lang, links: data.links, prefixes: data.prefixes, text: T });

// --- the editor -------------------------------------------------------------

function prefixLine(prefix) {
  return `PREFIX ${prefix}: <${data.prefixes[prefix]}>`;
}

function complete(context) {
  const word = context.matchBefore(/[\w-]*:?[\w-]*/);
  if (!word || (word.from === word.to && !context.explicit)) return null;
  const text = context.state.doc.toString();
  const line = context.state.doc.lineAt(context.pos).text;
  if (/^\s*PREFIX\s+[\w-]*$/i.test(line.slice(0, context.pos - context.state.doc.lineAt(context.pos).from))) {
    return { from: word.from, options: Object.keys(data.prefixes).map((p) => ({
      label: `${p}:`, apply: `${p}: <${data.prefixes[p]}>`, detail: data.prefixes[p], type: "namespace" })) };
  }
  const colon = word.text.indexOf(":");
  if (colon >= 0) {
    const prefix = word.text.slice(0, colon);
    const terms = data.terms[prefix] || [];
    return { from: word.from + colon + 1, options: terms.map((t) => ({ label: t.name, detail: t.label, type: t.kind })) ,
      validFor: /^[\w-]*$/ };
  }
  const declared = declaredPrefixes(text);
  const options = Object.keys(data.prefixes).map((p) => ({
    label: `${p}:`, type: "namespace", detail: declared[p] ? "" : T.adds_prefix,
    apply: (view, completion, from, to) => {
      const changes = [{ from, to, insert: `${p}:` }];
      if (!(p in declaredPrefixes(view.state.doc.toString()))) changes.push({ from: 0, insert: prefixLine(p) + "\n" });
      view.dispatch({ changes });
    },
  }));
  for (const k of data.keywords) options.push({ label: k, type: "keyword" });
  return { from: word.from, options, validFor: /^[\w-]*$/ };
}

// Undeclared prefixes are found here, at once; everything else the engine's
// parser finds, through /query/check, in the page's language.
function undeclaredPrefixes(doc) {
  const text = doc.toString();
  const declared = declaredPrefixes(text);
  const masked = text.replace(/#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>\s]*>/g, (m) => " ".repeat(m.length));
  const out = [];
  for (const m of masked.matchAll(/(^|[\s(){};,.^/|!=<>*+])([A-Za-z][\w-]*):(?=[\w-]|\s|$)/g)) {
    const prefix = m[2];
    if (prefix in declared || /^PREFIX$/i.test(prefix)) continue;
    const before = masked.slice(Math.max(0, m.index - 12), m.index + m[1].length);
    if (/PREFIX\s*$/i.test(before)) continue;
    const from = m.index + m[1].length;
    const known = prefix in data.prefixes;
    out.push({
      from, to: from + prefix.length + 1, severity: "error",
      message: T.check_prefix.replace("{prefix}", prefix) + (known ? "; " + T.check_add_prefix.replace("{line}", prefixLine(prefix)) : ""),
      actions: known ? [{ name: T.add, apply: (view) => view.dispatch({ changes: { from: 0, insert: prefixLine(prefix) + "\n" } }) }] : [],
    });
  }
  return out;
}

async function checkRemotely(text) {
  try {
    const r = await fetch("/query/check", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query: text, lang: data.lang }),
    });
    return r.ok ? await r.json() : null;
  } catch (e) {
    return null;
  }
}

function positionOf(doc, line, column) {
  const l = doc.line(Math.min(Math.max(1, line), doc.lines));
  return Math.min(l.from + Math.max(0, column - 1), l.to);
}

const sparqlLinter = linter(async (view) => {
  const local = undeclaredPrefixes(view.state.doc);
  if (local.length) return local;
  const doc = view.state.doc;
  const problem = await checkRemotely(doc.toString());
  if (!problem || problem.ok || !problem.line) return [];
  const from = positionOf(doc, problem.line, problem.column);
  return [{ from, to: Math.min(doc.length, from + 1), severity: "error", message: problem.message }];
}, { delay: 600 });

const view = new EditorView({
  parent: document.getElementById("editor-host"),
  state: EditorState.create({
    doc: textarea.value,
    extensions: [
      lineNumbers(), undoHistory(), drawSelection(), highlightActiveLine(), bracketMatching(), closeBrackets(),
      StreamLanguage.define(sparql), syntaxHighlighting(defaultHighlightStyle),
      autocompletion({ override: [complete] }), sparqlLinter, lintGutter(),
      keymap.of([
        { key: "Mod-Enter", run: () => { run(); return true; } },
        ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap, ...searchKeymap, indentWithTab,
      ]),
      EditorView.updateListener.of((u) => { if (u.docChanged) textarea.value = u.state.doc.toString(); }),
      EditorView.contentAttributes.of({ "aria-label": T.editor_label, spellcheck: "false" }),
      EditorView.lineWrapping,
    ],
  }),
});
textarea.hidden = true;
window.lcgraphEditor = view; // for tests and for people at the console

function text() {
  return view.state.doc.toString();
}

function setText(value) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value } });
}

// --- the URL and history ------------------------------------------------------

function pageUrl(query) {
  const params = new URLSearchParams({ lang: data.lang, query });
  return `${location.pathname}?${params}`;
}

function remember(query) {
  let past = [];
  try { past = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]"); } catch (e) { past = []; }
  past = [{ query, at: new Date().toISOString() }, ...past.filter((h) => h.query !== query)].slice(0, HISTORY_SIZE);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(past));
  showHistory();
}

function showHistory() {
  const list = document.getElementById("history-list");
  let past = [];
  try { past = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]"); } catch (e) { past = []; }
  const locale = data.lang === "th" ? "th-TH-u-ca-buddhist" : "en-GB";
  const when = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  list.replaceChildren(...past.map((h) => el("li", {},
    el("button", { type: "button", class: "linklike", title: h.query, onclick: () => { setText(h.query); run(); } },
      h.query.replace(/^(\s*(PREFIX|#)[^\n]*\n)*/i, "").trim().slice(0, 80) || h.query.slice(0, 80)),
    " ", el("time", { class: "muted small", datetime: h.at }, when.format(new Date(h.at))))));
  if (!past.length) list.append(el("li", { class: "muted" }, T.no_history));
}

// The language links keep the query being edited.
document.querySelectorAll(".lang a").forEach((a) => a.addEventListener("click", () => {
  const url = new URL(a.href, location.href);
  url.searchParams.set("query", text());
  a.href = url.toString();
}));

// --- running --------------------------------------------------------------------

function showError(message, line, column, detail) {
  errorBox.replaceChildren(el("p", {}, message));
  if (detail && detail !== message) {
    errorBox.append(el("details", {}, el("summary", {}, T.engine_said), el("pre", {}, detail)));
  }
  errorBox.hidden = false;
  resultsBox.replaceChildren();
  if (line) {
    const pos = positionOf(view.state.doc, line, column || 1);
    view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
    view.dispatch(setDiagnostics(view.state, [{ from: pos, to: Math.min(view.state.doc.length, pos + 1), severity: "error", message }]));
    view.focus();
  }
}

function readError(body) {
  try { const j = JSON.parse(body); return j.message || j.detail || body; } catch (e) { return body; }
}

async function run(options = {}) {
  const query = text();
  if (controller) controller.abort();
  controller = new AbortController();
  errorBox.hidden = true;
  status.textContent = T.running;
  runButton.disabled = true;
  cancelButton.hidden = false;
  view_results.clear();
  if (!options.fromHistory) {
    const url = pageUrl(query);
    if (location.pathname + location.search !== url) history.pushState({ query }, "", url);
  }
  remember(query);
  const started = performance.now();
  try {
    const response = await fetch("/sparql", {
      method: "POST", signal: controller.signal,
      headers: { "Content-Type": "application/x-www-form-urlencoded",
                 Accept: "application/sparql-results+json, text/turtle;q=0.9" },
      body: new URLSearchParams({ query }),
    });
    const body = await response.text();
    const elapsed = Math.round(performance.now() - started);
    if (!response.ok) {
      const problem = response.status === 400 ? await checkRemotely(query) : null;
      if (problem && !problem.ok) showError(problem.message, problem.line, problem.column, problem.detail);
      else showError(`${T.refused} ${readError(body)}`);
      status.textContent = `${elapsed} ms`;
      return;
    }
    const type = response.headers.get("content-type") || "";
    if (type.includes("sparql-results+json")) {
      const json = JSON.parse(body);
      await view_results.show(json, declaredPrefixes(query));
      const n = json.results ? json.results.bindings.length : null;
      status.textContent = (n === null ? "" : `${n.toLocaleString(data.lang === "th" ? "th-TH" : "en-GB")} ${T.rows} · `) + `${elapsed} ms`;
    } else {
      resultsBox.replaceChildren(el("pre", { class: "rdf" }, body));
      status.textContent = `${elapsed} ms`;
    }
    const box = resultsBox.getBoundingClientRect();
    if (box.top > window.innerHeight * 0.6) resultsBox.scrollIntoView({ block: "start", behavior: "smooth" });
  } catch (e) {
    if (e.name === "AbortError") status.textContent = T.cancelled;
    else showError(String(e));
  } finally {
    runButton.disabled = false;
    cancelButton.hidden = true;
    controller = null;
  }
}

cancelButton.addEventListener("click", () => { if (controller) controller.abort(); });
document.getElementById("query-form").addEventListener("submit", (e) => { e.preventDefault(); run(); });
window.addEventListener("popstate", (e) => {
  const query = (e.state && e.state.query) || new URLSearchParams(location.search).get("query");
  if (query) { setText(query); run({ fromHistory: true }); }
});

// --- downloads, examples --------------------------------------------------------

function endpoint(format) {
  return "/sparql?" + new URLSearchParams({ query: text(), format }).toString();
}
document.getElementById("dl-csv").addEventListener("click", (e) => {
  e.preventDefault();
  downloadWithBom(endpoint("csv"), "lcgraph-results.csv").catch((err) => showError(`${T.refused} ${err.message}`));
});
document.getElementById("dl-json").addEventListener("click", (e) => { e.currentTarget.href = endpoint("json"); });
document.querySelectorAll("[data-example]").forEach((b) => b.addEventListener("click", () => {
  setText(data.examples[Number(b.dataset.example)].sparql);
  run();
}));

showHistory();
if (data.autorun) {
  history.replaceState({ query: text() }, "", pageUrl(text()));
  run({ fromHistory: true });
}
