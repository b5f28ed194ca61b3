// bench.mjs: what suspending costs, for each engine that runs the game-loop
// guest, measured side by side in one run (bench.html in a browser,
// bench-node.mjs under Node.js).
//
// * Round trip: `yield_loop(n)` yields n times from two calls deep and does
//   nothing else; every `rewind.yield_to_host` returns the same resolved
//   Promise, which the engine awaits before resuming. Time per yield, in ns.
// * Frame: `run_frames(seed, n)`, the game for n frames, with the same
//   import: update, render to text, present (a no-op here) and one round
//   trip. Time per frame, in µs.
//
// The engines are Rewind's (the instrumented module, rewind.mjs) and, where
// the engine has it, JSPI's (the module as built, jspi.mjs). Each engine
// gets one instance, as a page would, warmed up before the
// first round. In every round each engine measures both; the engines take
// turns, the order alternating between rounds so that neither always runs
// first. The result is each engine's median over the rounds, with the
// fastest and slowest round.

/**
 * An engine: how to instantiate the game-loop guest with some imports.
 *
 * @typedef {object} Engine
 * @property {string} name
 * @property {(imports: WebAssembly.Imports) => Promise<{exports: Record<string, any>}>} instantiate
 */

/**
 * @typedef {object} Spread
 * @property {number} median
 * @property {number} min
 * @property {number} max
 */

/**
 * @typedef {object} Result
 * @property {string} name
 * @property {Spread} roundTripNs Nanoseconds per suspend+resume.
 * @property {Spread} frameUs Microseconds per frame.
 */

/**
 * @typedef {object} Sizes
 * @property {number} [rounds] Rounds (default 7).
 * @property {number} [yields] Yields measured per round (default 200000).
 * @property {number} [frames] Frames measured per round (default 5000).
 */

import * as rewind from "./rewind.mjs";
import * as jspi from "./jspi.mjs";

const RESOLVED = Promise.resolve();
/** The game's world: a random soup, busier than the classic pattern. */
const SEED = 1;

/**
 * The engines for the game loop's two builds: Rewind's, and JSPI's where
 * `jspi.supported()`.
 *
 * @param {WebAssembly.Module} instrumented `game_loop.async.wasm`
 * @param {WebAssembly.Module} plain `game_loop.wasm`
 * @returns {Engine[]}
 */
export function engines(instrumented, plain) {
  const all = [{ name: "Rewind (Asyncify)", instantiate: (imports) => rewind.instantiate(instrumented, imports) }];
  if (jspi.supported()) {
    all.push({ name: "JSPI", instantiate: (imports) => jspi.instantiate(plain, imports, ["rewind.yield_to_host"]) });
  }
  return all;
}

/**
 * Measures every engine.
 *
 * @param {Engine[]} engines
 * @param {Sizes} [sizes]
 * @returns {Promise<Result[]>}
 */
export async function measure(engines, { rounds = 7, yields = 200000, frames = 5000 } = {}) {
  const imports = { env: { present() {} }, rewind: { yield_to_host: () => RESOLVED } };
  const guests = [];
  for (const engine of engines) {
    const guest = await engine.instantiate(imports);
    await guest.exports.yield_loop(Math.min(yields, 20000));
    await guest.exports.run_frames(SEED, Math.min(frames, 500));
    guests.push(guest);
  }
  const samples = engines.map(() => ({ roundTripNs: [], frameUs: [] }));
  for (let round = 0; round < rounds; round++) {
    const order = engines.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const { yield_loop, run_frames } = guests[i].exports;
      samples[i].roundTripNs.push((await time(() => yield_loop(yields)) * 1e6) / yields);
      samples[i].frameUs.push((await time(() => run_frames(SEED, frames)) * 1e3) / frames);
    }
  }
  return engines.map(({ name }, i) => ({
    name,
    roundTripNs: spread(samples[i].roundTripNs),
    frameUs: spread(samples[i].frameUs),
  }));
}

/** Milliseconds that `run()` takes to settle. @param {() => Promise<unknown>} run */
async function time(run) {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** @param {number[]} values @returns {Spread} */
function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[sorted.length >> 1], min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * The results as a text table, with each engine's ratio to the first.
 *
 * @param {Result[]} results
 * @returns {string}
 */
export function table(results) {
  const [first] = results;
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = [`${"".padEnd(width)}  round trip (ns, median [min-max])   frame (µs, median [min-max])`];
  for (const r of results) {
    const ratio = (mine, theirs) => (r === first ? "" : `  ${(mine / theirs).toFixed(2)}x`);
    const trip = `${format(r.roundTripNs, 0)}${ratio(r.roundTripNs.median, first.roundTripNs.median)}`;
    const frame = `${format(r.frameUs, 2)}${ratio(r.frameUs.median, first.frameUs.median)}`;
    lines.push(`${r.name.padEnd(width)}  ${trip.padEnd(34)}  ${frame}`);
  }
  return lines.join("\n");
}

/** @param {Spread} s @param {number} digits */
function format(s, digits) {
  return `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}-${s.max.toFixed(digits)}]`;
}
