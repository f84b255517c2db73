// A canned query's page: the form is plain HTML (it works without scripts,
// answering with the server's table); with scripts, the results come from the
// query's REST endpoint as JSON into the same paged, labelled table as the
// query page's.
import { ResultView, downloadWithBom } from "./table.mjs";

const data = JSON.parse(document.getElementById("page-data").textContent);
const form = document.getElementById("canned-form");
const box = document.getElementById("results");
const status = document.getElementById("status");
const errorBox = document.getElementById("error");
const table = new ResultView(box, { lang: data.lang, links: data.links, prefixes: data.prefixes, text: data.text });

function params() {
  const p = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (k !== "lang" && String(v).trim() !== "") p.set(k, v);
  return p;
}

async function run(push) {
  const p = params();
  errorBox.hidden = true;
  status.textContent = data.text.running;
  if (push) history.pushState(null, "", `${location.pathname}?${new URLSearchParams({ ...Object.fromEntries(p), lang: data.lang })}`);
  const started = performance.now();
  const r = await fetch(`${data.endpoint}?${p}`, { headers: { Accept: "application/sparql-results+json" } });
  const elapsed = Math.round(performance.now() - started);
  if (!r.ok) {
    let message = await r.text();
    try { message = JSON.parse(message).message || message; } catch (e) { /* plain text */ }
    errorBox.textContent = message;
    errorBox.hidden = false;
    box.replaceChildren();
    status.textContent = "";
    return;
  }
  const json = await r.json();
  await table.show(json);
  const n = json.results ? json.results.bindings.length : 0;
  status.textContent = `${n.toLocaleString(data.lang === "th" ? "th-TH" : "en-GB")} ${data.text.rows} · ${elapsed} ms`;
}

form.addEventListener("submit", (e) => { e.preventDefault(); run(true); });
document.getElementById("dl-csv").addEventListener("click", (e) => {
  e.preventDefault();
  const p = params();
  p.set("format", "csv");
  downloadWithBom(`${data.endpoint}?${p}`, `${data.name}.csv`);
});
window.addEventListener("popstate", () => {
  const p = new URLSearchParams(location.search);
  for (const input of form.querySelectorAll("input[name]")) if (input.name !== "lang") input.value = p.get(input.name) || input.defaultValue;
  run(false);
});
run(false);
