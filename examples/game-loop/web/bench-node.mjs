// bench-node.mjs: bench.mjs under Node.js, for the modules that
// `rewind demo --web DIR` writes (the same ones bench.html loads):
//
//   cargo run --release -p rewind-cli -- demo --web site
//   node examples/game-loop/web/bench-node.mjs site [ROUNDS]
//
// Prints the table: Rewind's instrumented module driven by rewind.mjs, and
// the same guest under JSPI when this Node.js has it (Node.js 20 does not:
// it then says so).

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { supported } from "./jspi.mjs";
import { engines, measure, table } from "./bench.mjs";

const [dir, rounds = "7"] = process.argv.slice(2);
if (!dir || !(Number(rounds) > 0)) {
  console.error("usage: node bench-node.mjs SITE_DIR [ROUNDS]   (SITE_DIR from `rewind demo --web SITE_DIR`)");
  process.exit(2);
}
const compile = async (file) => WebAssembly.compile(await readFile(join(dir, file)));
const [instrumented, plain] = await Promise.all([compile("game_loop.async.wasm"), compile("game_loop.wasm")]);
console.log(table(await measure(engines(instrumented, plain), { rounds: Number(rounds) })));
if (!supported()) {
  console.log(`\nNode.js ${process.version} has no JSPI (WebAssembly.Suspending): Rewind alone.`);
}
