// host.mjs: the instrumented game loop under Node.js, driven by
// web/rewind.mjs (Binaryen's Asyncify protocol over the WebAssembly API;
// no npm packages).
//
//   cargo run --release -p rewind-cli -- demo --emit-wasm game_loop.wasm
//   node examples/game-loop/host.mjs game_loop.wasm [FRAMES [SEED]]
//
// Prints each frame after a `=== frame N ===` line, exactly like
// `rewind demo --raw --frames FRAMES --seed SEED`. The guest's
// `rewind.yield_to_host` returns a resolved Promise for every frame but the
// last, so the guest suspends and resumes once per frame; after the last
// the Promise never settles and the process ends with the game suspended.

import { readFile } from "node:fs/promises";
import { instantiate } from "./web/rewind.mjs";

const [path, framesArg = "5", seedArg = "0"] = process.argv.slice(2);
const frames = Number.parseInt(framesArg, 10);
const seed = Number.parseInt(seedArg, 10);
if (!path || !(frames > 0) || !(seed >= 0)) {
  console.error("usage: node host.mjs MODULE [FRAMES [SEED]]");
  process.exit(2);
}

const decoder = new TextDecoder();
let shown = 0;
/** @type {import("./web/rewind.mjs").AsyncInstance} */
let guest;
guest = await instantiate(await WebAssembly.compile(await readFile(path)), {
  env: {
    present(ptr, len) {
      // A fresh view every time: memory may have grown since the last one.
      const text = decoder.decode(new Uint8Array(guest.exports.memory.buffer, ptr >>> 0, len >>> 0));
      shown += 1;
      process.stdout.write(`=== frame ${shown} ===\n${text}`);
    },
  },
  rewind: {
    yield_to_host: () => (shown < frames ? Promise.resolve() : new Promise(() => {})),
  },
});
guest.exports.run(seed).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
