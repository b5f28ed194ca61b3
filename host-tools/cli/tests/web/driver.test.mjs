// driver.test.mjs: examples/game-loop/web/rewind.mjs under Node.js's test
// runner, run by tests/web.rs, which prepares (in the directory named by
// REWIND_WEB_TEST):
//
// * site/: `rewind demo --web` (the instrumented game loop);
// * frames-SEED.txt: `rewind demo --raw --frames 40 --seed SEED`, SEED 0, 3, 5, 7 and 9;
// * sum.wasm: a small module with an import that returns values, some
//   synchronously, some through Promises, instrumented by `rewind asyncify`
//   (it has no shadow stack and does not export `__stack_pointer`).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { instantiate } from "../../../../examples/game-loop/web/rewind.mjs";

const dir = process.env.REWIND_WEB_TEST;

const compile = async (path) => WebAssembly.compile(await readFile(join(dir, path)));
const game = await compile("site/game_loop.async.wasm");

/** `rewind demo --raw` frames of `seed`, in order. */
async function expectedFrames(seed) {
  const text = await readFile(join(dir, `frames-${seed}.txt`), "utf8");
  return text.split(/^=== frame \d+ ===\n/m).slice(1);
}

/**
 * The game-loop guest with a yield that waits for the test: every
 * `yield_to_host` records the frame just presented for the call the test
 * says is running, and returns a Promise that only `step` resolves.
 */
async function gameHost() {
  const decoder = new TextDecoder();
  const frames = new Map();
  const waiting = new Map();
  /** Each call's Promise, and whether it has settled. */
  const calls = new Map();
  let running = null;
  let last = "";
  const guest = await instantiate(game, {
    env: {
      present(ptr, len) {
        last = decoder.decode(new Uint8Array(guest.exports.memory.buffer, ptr >>> 0, len >>> 0));
      },
    },
    rewind: {
      yield_to_host() {
        frames.set(running, [...(frames.get(running) ?? []), last]);
        return new Promise((resolve) => waiting.set(running, resolve));
      },
    },
  });
  return {
    guest,
    frames,
    /** Starts a call named `name`: it runs to its first yield at once. */
    start(name, call) {
      running = name;
      const entry = { promise: call(), settled: false };
      entry.promise.then(
        () => (entry.settled = true),
        () => (entry.settled = true),
      );
      calls.set(name, entry);
    },
    /** Resumes `name` and waits until it yields again or ends. */
    async step(name) {
      running = name;
      const resolve = waiting.get(name);
      waiting.delete(name);
      resolve();
      while (!waiting.has(name) && !calls.get(name).settled) {
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    /** The Promise of call `name`. */
    call: (name) => calls.get(name).promise,
  };
}

test("concurrent calls suspend and resume in any order, each on its own buffer and stack", async () => {
  const host = await gameHost();
  const { run, run_frames, yield_loop, memory } = host.guest.exports;
  // `a` runs on the module's stack; the others start while it is
  // suspended, on stacks of their own. `x` ends before `b`, which started
  // after it; then `c` and `d` start: on one shared stack, `d`'s frames
  // would be where `b`'s are. `y` yields without a frame on the stack.
  host.start("a", () => run(5));
  host.start("x", () => run_frames(3, 2));
  host.start("b", () => run(9));
  host.start("y", () => yield_loop(2));
  const steps = "a x b y a x c d c b d c a b c y d c b a d b a".split(" ");
  for (const name of steps) {
    if (!host.frames.has(name)) {
      // The memory grows while all the others are suspended.
      memory.grow(1);
      host.start(name, () => (name === "c" ? run_frames(7, 4) : run(3)));
    } else {
      await host.step(name);
    }
  }
  assert.equal(await host.call("x"), undefined);
  assert.equal(await host.call("y"), undefined);
  assert.equal(await host.call("c"), undefined);
  for (const [name, seed, count] of [["a", 5, 6], ["b", 9, 6], ["x", 3, 2], ["c", 7, 4], ["d", 3, 4]]) {
    const drawn = host.frames.get(name);
    assert.deepEqual(drawn, (await expectedFrames(seed)).slice(0, count), `frames of ${name}`);
  }
});

test("after a rejected Promise the same instance runs new calls", async () => {
  const stop = new Error("stop");
  let reject = true;
  const guest = await instantiate(game, {
    env: { present() {} },
    rewind: { yield_to_host: () => (reject ? Promise.reject(stop) : Promise.resolve()) },
  });
  await assert.rejects(guest.exports.yield_loop(5), (error) => error === stop);
  reject = false;
  await guest.exports.yield_loop(5);
  await guest.exports.run_frames(1, 5);
});

test("an import's value comes back to the guest, from a Promise or not", async () => {
  const guest = await instantiate(await compile("sum.wasm"), {
    env: { get: (i) => (i % 2 === 1 ? Promise.resolve(i * 10) : i * 10) },
  });
  assert.equal(await guest.exports.sum(5), 0 + 10 + 20 + 30 + 40);
  assert.equal(await guest.exports.sum(0), 0);
});

test("without __stack_pointer a second call cannot start while one is suspended", async () => {
  let release;
  const guest = await instantiate(await compile("sum.wasm"), {
    env: { get: (i) => new Promise((resolve) => (release = () => resolve(i))) },
  });
  const first = guest.exports.sum(2);
  await assert.rejects(guest.exports.sum(1), /cannot call sum while another call is unfinished.*__stack_pointer/);
  release();
  await new Promise((resolve) => setImmediate(resolve));
  release();
  assert.equal(await first, 0 + 1);
  // Once it has finished, the next call may start.
  const second = guest.exports.sum(1);
  await new Promise((resolve) => setImmediate(resolve));
  release();
  assert.equal(await second, 0);
});

test("a save buffer too small for the stack is an error that says so", async () => {
  const guest = await instantiate(
    game,
    { env: { present() {} }, rewind: { yield_to_host: () => Promise.resolve() } },
    { saveBuffer: 9 },
  );
  await assert.rejects(guest.exports.yield_loop(1), /did not fit in the save buffer of 9 bytes/);
  // The instance is usable again with calls that do not suspend.
  assert.equal(await guest.exports.yield_loop(0), undefined);
});
