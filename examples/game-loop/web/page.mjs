// page.mjs: the script of index.html. Compiles both builds of the game
// loop and plays each on its own canvas (life.mjs): the instrumented one
// with rewind.mjs, the plain one with JSPI when the browser has it. Shows
// each game's status line and frames per second, and counts the frames
// drawn in document.body.dataset (`frames` for Rewind, `jspiFrames` for
// JSPI), which tests read.

import * as rewind from "./rewind.mjs";
import * as jspi from "./jspi.mjs";
import { play } from "./life.mjs";

const params = new URLSearchParams(location.search);
const seed = Number(params.get("seed") ?? 0) >>> 0;
const frames = params.has("frames") ? Number(params.get("frames")) : Infinity;

const games = [
  {
    id: "rewind",
    module: "game_loop.async.wasm",
    counter: "frames",
    available: true,
    instantiate: (module, imports) => rewind.instantiate(module, imports),
  },
  {
    id: "jspi",
    module: "game_loop.wasm",
    counter: "jspiFrames",
    available: jspi.supported(),
    instantiate: (module, imports) => jspi.instantiate(module, imports, ["rewind.yield_to_host"]),
  },
];

for (const game of games) {
  start(game);
}

/** Plays one game in its figure, reporting failures there and on the console. */
async function start({ id, module, counter, available, instantiate }) {
  const figure = document.getElementById(id);
  const status = figure.querySelector(".status");
  const fps = figure.querySelector(".fps");
  if (!available) {
    status.textContent = "This browser has no JSPI (WebAssembly.Suspending).";
    return;
  }
  let second = { start: performance.now(), frames: 0 };
  try {
    await play({
      instantiate,
      module: await WebAssembly.compileStreaming(fetch(module)),
      canvas: figure.querySelector("canvas"),
      seed,
      frames,
      onFrame(frame) {
        document.body.dataset[counter] = String(frame.number);
        status.textContent = `frame ${frame.number} · ${frame.status}`;
        second.frames += 1;
        const elapsed = frame.time - second.start;
        if (elapsed >= 1000) {
          fps.textContent = `${((second.frames * 1000) / elapsed).toFixed(1)} frames per second`;
          second = { start: frame.time, frames: 0 };
        }
      },
    });
  } catch (error) {
    status.textContent = `failed: ${error.message}`;
    console.error(error);
  }
}
