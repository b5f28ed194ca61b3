// life.mjs: the game loop of examples/game-loop on a <canvas>. The guest's
// `run(seed)` is `loop { update(); render_to_text(); present(); yield_to_host(); }`;
// here `env.present` draws the frame's text as cells and
// `rewind.yield_to_host` returns a Promise of the next animation frame, so
// the guest suspends once per frame and `requestAnimationFrame` paces it.
// Which engine suspends it is the caller's choice: `rewind.mjs` (an
// instrumented module) or `jspi.mjs` (the same guest, not instrumented).
//
// Drawing: one square of `CELL` pixels per cell, live cells light on a dark
// background, so that each cell's colour can be read back from the canvas.

/** Side of one cell on the canvas, in pixels. */
export const CELL = 12;
const LIVE_COLOR = "#f2c14e";
const DEAD_COLOR = "#1d2330";

/**
 * @typedef {object} Frame
 * @property {number} number Frames drawn so far, this one included.
 * @property {string} status The guest's status line (`generation N  alive M`).
 * @property {number} time `performance.now()` when it was drawn.
 */

/**
 * Runs the game on `canvas` until `frames` frames are drawn (then it stays
 * suspended), or for ever.
 *
 * @param {object} game
 * @param {(module: WebAssembly.Module, imports: WebAssembly.Imports) =>
 *   Promise<{exports: Record<string, any>}>} game.instantiate `rewind.mjs`'s
 *   or `jspi.mjs`'s, with their options bound.
 * @param {WebAssembly.Module} game.module
 * @param {HTMLCanvasElement} game.canvas
 * @param {number} game.seed 0 for the classic pattern, else a random soup.
 * @param {number} game.frames How many frames to draw (`Infinity`: no end).
 * @param {(frame: Frame) => void} game.onFrame Called after each frame is drawn.
 * @returns {Promise<void>} Rejects if the game fails; never resolves
 *   otherwise (the loop does not end).
 */
export async function play({ instantiate, module, canvas, seed, frames, onFrame }) {
  const context = canvas.getContext("2d");
  const decoder = new TextDecoder();
  let drawn = 0;
  /** @type {{exports: Record<string, any>}} */
  let guest;
  const imports = {
    env: {
      present(ptr, len) {
        // A fresh view: memory may have grown since the last frame.
        const bytes = new Uint8Array(guest.exports.memory.buffer, ptr >>> 0, len >>> 0);
        const [status, ...rows] = decoder.decode(bytes).trimEnd().split("\n");
        draw(canvas, context, rows);
        drawn += 1;
        onFrame({ number: drawn, status, time: performance.now() });
      },
    },
    rewind: {
      yield_to_host: () => (drawn < frames ? nextAnimationFrame() : new Promise(() => {})),
    },
  };
  guest = await instantiate(module, imports);
  await guest.exports.run(seed);
}

/** A Promise of the next animation frame. */
function nextAnimationFrame() {
  return new Promise((resolve) => requestAnimationFrame(resolve));
}

/**
 * Draws the grid: `rows` of `#` (live) and `.` (dead).
 *
 * @param {HTMLCanvasElement} canvas
 * @param {CanvasRenderingContext2D} context
 * @param {string[]} rows
 */
function draw(canvas, context, rows) {
  const width = rows[0].length * CELL;
  const height = rows.length * CELL;
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  context.fillStyle = DEAD_COLOR;
  context.fillRect(0, 0, width, height);
  context.fillStyle = LIVE_COLOR;
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) {
      if (row[x] === "#") {
        context.fillRect(x * CELL + 1, y * CELL + 1, CELL - 2, CELL - 2);
      }
    }
  });
}
