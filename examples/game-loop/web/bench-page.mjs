// bench-page.mjs: the script of bench.html. Compiles both builds of the
// game loop, measures them with bench.mjs (JSPI only where the browser has
// it), prints the table and keeps the results, as JSON, in
// document.body.dataset.results.

import { supported } from "./jspi.mjs";
import { engines, measure, table } from "./bench.mjs";

const output = document.getElementById("results");
try {
  const params = new URLSearchParams(location.search);
  const sizes = {};
  for (const name of ["rounds", "yields", "frames"]) {
    if (params.has(name)) sizes[name] = Number(params.get(name));
  }
  const [instrumented, plain] = await Promise.all(
    ["game_loop.async.wasm", "game_loop.wasm"].map((file) => WebAssembly.compileStreaming(fetch(file))),
  );
  const results = await measure(engines(instrumented, plain), sizes);
  const missing = supported() ? "" : "\n\nThis browser has no JSPI (WebAssembly.Suspending): Rewind alone.";
  output.textContent = `${table(results)}${missing}\n\n${navigator.userAgent}`;
  document.body.dataset.results = JSON.stringify(results);
} catch (error) {
  output.textContent = `failed: ${error.message}`;
  console.error(error);
}
