// A JavaScript host for the instrumented game loop: the WebAssembly API and
// Binaryen's Asyncify protocol, nothing else (no npm packages).
//
//   cargo run --release -p rewind-cli -- demo --emit-wasm game_loop.wasm
//   node examples/game-loop/host.mjs game_loop.wasm [FRAMES]
//
// Prints each frame after a `=== frame N ===` line, exactly like
// `rewind demo --raw --frames FRAMES`.
//
// The protocol, as written for `wasm-opt --asyncify` output:
// * the guest calls `rewind.yield_to_host()`. In the normal state the host
//   fills the save buffer's header `{ stack_pos, stack_end }` and calls
//   `asyncify_start_unwind(buffer)`; the guest saves its stack into the
//   buffer and returns from `run()`, and the host calls
//   `asyncify_stop_unwind()`: one frame is done;
// * for the next frame the host calls `asyncify_start_rewind(buffer)` and
//   `run()` again; the guest restores its stack and calls `yield_to_host()`
//   once more, which, seeing state 2 (rewinding), calls
//   `asyncify_stop_rewind()` and returns into the game loop.

import { readFile } from "node:fs/promises";

const STATE_UNWINDING = 1;
const STATE_REWINDING = 2;
const PAGE = 65536;
/** One save buffer for the whole run, header included. */
const BUFFER_SIZE = PAGE;

const [path, framesArg = "5"] = process.argv.slice(2);
const frames = Number.parseInt(framesArg, 10);
if (!path || !(frames > 0)) {
  console.error("usage: node host.mjs MODULE [FRAMES]");
  process.exit(2);
}

let exports;
/** Address of the save buffer in guest memory. */
let buffer = 0;
/** The text of the last frame the guest presented. */
let frame = "";

const imports = {
  env: {
    present(ptr, len) {
      // A fresh view every time: memory may have grown since the last one.
      const bytes = new Uint8Array(exports.memory.buffer, ptr >>> 0, len >>> 0);
      frame = new TextDecoder().decode(bytes);
    },
  },
  rewind: {
    yield_to_host() {
      if (exports.asyncify_get_state() === STATE_REWINDING) {
        exports.asyncify_stop_rewind();
        return;
      }
      const header = new Int32Array(exports.memory.buffer, buffer, 2);
      header[0] = buffer + 8; // stack_pos: the save stack starts after the header
      header[1] = buffer + BUFFER_SIZE; // stack_end
      exports.asyncify_start_unwind(buffer);
    },
  },
};

const { instance } = await WebAssembly.instantiate(await readFile(path), imports);
exports = instance.exports;
// The buffer lives in pages of its own, grown once and reused every frame.
buffer = exports.memory.grow(BUFFER_SIZE / PAGE) * PAGE;

for (let n = 1; n <= frames; n++) {
  if (n > 1) {
    exports.asyncify_start_rewind(buffer);
  }
  exports.run();
  const state = exports.asyncify_get_state();
  if (state !== STATE_UNWINDING) {
    throw new Error(`run() returned in Asyncify state ${state} instead of yielding`);
  }
  exports.asyncify_stop_unwind();
  process.stdout.write(`=== frame ${n} ===\n${frame}`);
}
