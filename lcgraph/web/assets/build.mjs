// Builds the web UI's browser assets at `make` time (never committed):
// the query page's script with CodeMirror 6 bundled in by esbuild, and local
// copies of Swagger UI and ReDoc for /docs and /redoc, so every page works
// offline. Output: lcgraph/web/static/build/.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static", "build");
const require = createRequire(import.meta.url);
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { query: join(here, "query.mjs"), results: join(here, "results.mjs") },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outdir: out,
  legalComments: "linked",
  logLevel: "warning",
});

const copies = [
  ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui.css", "swagger-ui.css"],
  ["redoc/bundles/redoc.standalone.js", "redoc.standalone.js"],
];
for (const [from, to] of copies) copyFileSync(require.resolve(from), join(out, to));
console.log(`web assets built in ${out}`);
