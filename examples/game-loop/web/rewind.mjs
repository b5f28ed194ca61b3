// rewind.mjs: runs a module instrumented by `rewind asyncify` (or by
// Binaryen's `wasm-opt --asyncify`) from JavaScript, with imports that
// return Promises. Works in browsers and in Node.js; no dependencies.
//
//   import { instantiate } from "./rewind.mjs";
//
//   const module = await WebAssembly.compileStreaming(fetch("game.async.wasm"));
//   let guest;
//   guest = await instantiate(module, {
//     env: {
//       // an async import: the guest's whole stack unwinds while it waits
//       sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
//       // an ordinary one: no Promise, no unwind
//       log: (ptr, len) => console.log(readText(guest.exports.memory, ptr, len)),
//     },
//   });
//   const result = await guest.exports.main(); // every function export returns a Promise
//
// The protocol is Binaryen's Asyncify protocol. When a wrapped import
// returns a Promise (any thenable), the driver starts an unwind into the
// call's save buffer and the import returns; the guest saves its stack and
// the export returns. The driver ends the unwind, awaits the Promise, starts
// a rewind and calls the same export again: the guest restores its stack up
// to the import, which is called a second time, ends the rewind and returns
// what the Promise resolved to.
//
// * Few crossings. The driver never asks the guest for its state (it knows
//   it), and leaves it "unwinding" while the call is suspended:
//   `asyncify_start_rewind` overrides it when the call resumes, and only
//   another call that enters first needs `asyncify_stop_unwind`. A round
//   trip is then the import's two calls, the export's return and its second
//   call, `asyncify_start_unwind`, `asyncify_start_rewind` and
//   `asyncify_stop_rewind` (calls: engines make them cheaper than setting
//   exported globals). Nothing is allocated per round trip but what `await`
//   needs.
// * Concurrent calls. Every call of an export has its own save buffer, so a
//   second call may start while the first is suspended, and they may resume
//   in any order. The first call runs on the module's own shadow stack; a
//   call that starts while another call is unfinished gets a stack of its
//   own, switched through the exported global `__stack_pointer` (Rust:
//   link with `--export=__stack_pointer`). Without that export such a call
//   is an error rather than a chance of corrupting the other call's frames.
// * Memory growth. Buffers and stacks are whole pages taken with
//   `memory.grow` when a call first needs them, and reused by later calls;
//   nothing here keeps a view of memory, and imports should not either (a
//   view made before a suspension may be detached after it: make a fresh
//   one in every call).
//
// Limits: 32-bit memories; an import that may suspend cannot have an i64
// result (during the unwind it returns `undefined`, which becomes 0 for the
// other types); a function export called through `exports` always returns
// a Promise: call `instance.exports` directly only from inside an import,
// for synchronous calls that never suspend (a `malloc`), as elsewhere the
// state may still be "unwinding"; without `__stack_pointer`, a call
// abandoned while suspended (its Promise rejected) leaves its frames on
// the module's stack.

/** `__asyncify_state` values. */
const UNWINDING = 1;
const REWINDING = 2;
/** Rewind's state after an unwind that did not fit in the save buffer. */
const OVERFLOWED = 3;
const PAGE = 65536;
/** Bytes of the save buffer's header `{ i32 stack_pos; i32 stack_end }`. */
const HEADER = 8;
const ASYNCIFY = ["start_unwind", "stop_unwind", "start_rewind", "stop_rewind", "get_state"];

/**
 * @typedef {object} Options
 * @property {number} [saveBuffer] Bytes of each call's save buffer, header
 *   included (default 65536): the frames of a suspended call must fit.
 * @property {number} [stackSize] Bytes of the shadow stack of a call that
 *   starts while another call is unfinished (default 65536).
 */

/**
 * An instance whose function exports may suspend.
 *
 * @typedef {object} AsyncInstance
 * @property {WebAssembly.Instance} instance The instance itself; its
 *   exports are the unwrapped functions.
 * @property {Record<string, any>} exports The exports: each function
 *   returns a Promise of its result, everything else is the instance's.
 */

/**
 * Memory the driver took for one call at a time: a save buffer, then a
 * shadow stack growing down from the end.
 *
 * @typedef {object} Slot
 * @property {number} buffer Address of the save buffer (its header first).
 * @property {number} stackTop Address just past the slot's shadow stack.
 */

/**
 * Instantiates `module` with `imports`, every function import wrapped so
 * that it may return a Promise.
 *
 * @param {WebAssembly.Module} module An instrumented module exporting its
 *   memory and the Asyncify functions.
 * @param {WebAssembly.Imports} imports
 * @param {Options} [options]
 * @returns {Promise<AsyncInstance>}
 */
export async function instantiate(module, imports, options = {}) {
  const saveBuffer = options.saveBuffer ?? PAGE;
  const stackSize = options.stackSize ?? PAGE;
  if (!(saveBuffer > HEADER && stackSize >= 0)) {
    throw new RangeError(`rewind: bad sizes: saveBuffer ${saveBuffer}, stackSize ${stackSize}`);
  }

  // What the running code needs, kept in variables rather than objects: the
  // save buffer of the call running now (0: none), the Promise an import
  // has just unwound for, whether the state is still "unwinding" after the
  // last unwind, and the value a rewind brings back to the import.
  let currentBuffer = 0;
  let pending;
  let unwound = false;
  let rewinding = false;
  let resumeValue;
  /** Whether a call that runs on the module's own stack is unfinished. */
  let mainStackBusy = false;
  /** @type {Slot[]} */
  const free = [];
  /** Slots whose header an abandoned call left dirty. */
  const dirty = new Set();

  const wrapped = {};
  for (const [module, fields] of Object.entries(imports)) {
    wrapped[module] = {};
    for (const [name, value] of Object.entries(fields)) {
      wrapped[module][name] = typeof value === "function" ? wrapImport(value, `${module}.${name}`) : value;
    }
  }
  const instance = await WebAssembly.instantiate(module, wrapped);
  const raw = instance.exports;
  if (!(raw.memory instanceof WebAssembly.Memory)) {
    throw new Error("rewind: the module exports no memory");
  }
  for (const name of ASYNCIFY) {
    if (typeof raw[`asyncify_${name}`] !== "function") {
      throw new Error(`rewind: the module is not instrumented: it does not export asyncify_${name}`);
    }
  }
  const memory = raw.memory;
  const startUnwind = raw.asyncify_start_unwind;
  const stopUnwind = raw.asyncify_stop_unwind;
  const startRewind = raw.asyncify_start_rewind;
  const stopRewind = raw.asyncify_stop_rewind;
  const getState = raw.asyncify_get_state;
  const stackPointer = raw.__stack_pointer instanceof WebAssembly.Global ? raw.__stack_pointer : null;

  const exports = {};
  for (const [name, value] of Object.entries(raw)) {
    exports[name] = typeof value === "function" && !name.startsWith("asyncify_")
      ? (...args) => call(name, value, args)
      : value;
  }
  return { instance, exports: Object.freeze(exports) };

  /**
   * An import that may return a Promise.
   *
   * @param {Function} fn @param {string} name
   */
  function wrapImport(fn, name) {
    return function () {
      if (rewinding) {
        // The rewind has reached the import again: it is over.
        rewinding = false;
        stopRewind();
        const value = resumeValue;
        resumeValue = undefined;
        return value;
      }
      const result = fn.apply(this, arguments);
      if (typeof result?.then !== "function") {
        return result;
      }
      if (currentBuffer === 0) {
        throw new Error(`rewind: import ${name} returned a Promise outside a call of an export`);
      }
      pending = result;
      startUnwind(currentBuffer);
      return undefined;
    };
  }

  /**
   * Runs `fn(...args)` to its end, suspending as often as its imports ask.
   *
   * @param {string} name @param {Function} fn @param {any[]} args
   */
  async function call(name, fn, args) {
    // The first unfinished call runs on the module's stack; any other (one
    // made from an import, or while a call is suspended) on its slot's.
    const own = mainStackBusy || currentBuffer !== 0;
    if (own && stackPointer === null) {
      throw new Error(
        `rewind: cannot call ${name} while another call is unfinished: the module does not export ` +
          "__stack_pointer, so the call cannot have a stack of its own (Rust: link with --export=__stack_pointer)",
      );
    }
    if (unwound) {
      unwound = false;
      stopUnwind();
    }
    const slot = acquire();
    const buffer = slot.buffer;
    const mainStackTop = own || stackPointer === null ? 0 : stackPointer.value;
    const enter = own ? onStack(slot.stackTop) : invoke;
    mainStackBusy = true;
    let done = false;
    try {
      for (;;) {
        const outerBuffer = currentBuffer;
        currentBuffer = buffer;
        let result;
        try {
          result = enter(fn, args);
        } finally {
          currentBuffer = outerBuffer;
        }
        if (pending === undefined) {
          done = true;
          return result;
        }
        unwound = true;
        const promise = pending;
        pending = undefined;
        resumeValue = await promise;
        // The rewind's state replaces whatever unwind was left.
        unwound = false;
        rewinding = true;
        startRewind(buffer);
      }
    } catch (error) {
      throw abandoned(name, error);
    } finally {
      if (!own) {
        mainStackBusy = false;
        if (!done && mainStackTop !== 0) {
          // Its frames are still on the module's stack.
          stackPointer.value = mainStackTop;
        }
      }
      if (!done) dirty.add(slot);
      free.push(slot);
    }
  }

  /**
   * `invoke` on a stack of its own, from `top` down: the stack pointer is
   * switched to it for each entry, and back when the guest returns.
   *
   * @param {number} top
   */
  function onStack(top) {
    let sp = top;
    return (fn, args) => {
      const outer = stackPointer.value;
      stackPointer.value = sp;
      try {
        return invoke(fn, args);
      } finally {
        sp = stackPointer.value;
        stackPointer.value = outer;
      }
    };
  }

  /**
   * A call failed (a trap, a throwing import, a rejected Promise): the state
   * goes back to normal so that the instance stays usable, and the error
   * says what happened.
   *
   * @param {string} name @param {unknown} error
   */
  function abandoned(name, error) {
    pending = undefined;
    rewinding = false;
    resumeValue = undefined;
    const state = getState();
    if (state === UNWINDING) stopUnwind();
    else if (state !== 0) stopRewind();
    if (unwound) {
      // A rejected Promise: the unwind itself went well.
      unwound = false;
      return error;
    }
    const why = {
      [UNWINDING]: "while unwinding",
      [REWINDING]: "while rewinding",
      [OVERFLOWED]: `because its stack did not fit in the save buffer of ${saveBuffer} bytes (pass a larger saveBuffer)`,
    }[state];
    return why === undefined ? error : new Error(`rewind: call of ${name} failed ${why}`, { cause: error });
  }

  /**
   * A slot for one call: a free one, or new pages. Its header is written
   * when the slot is new or an abandoned call left it dirty: every complete
   * rewind leaves `stack_pos` where it started.
   *
   * @returns {Slot}
   */
  function acquire() {
    let slot = free.pop();
    if (slot === undefined) {
      const pages = Math.ceil((saveBuffer + stackSize) / PAGE);
      const buffer = memory.grow(pages) * PAGE;
      // The stack ends at the end of the pages, 16-byte aligned.
      slot = { buffer, stackTop: buffer + pages * PAGE };
    } else if (!dirty.delete(slot)) {
      return slot;
    }
    const header = new Int32Array(memory.buffer, slot.buffer, 2);
    header[0] = slot.buffer + HEADER;
    header[1] = slot.buffer + saveBuffer;
    return slot;
  }
}

/**
 * `fn(...args)`, with the common argument counts spelled out: engines
 * inline a call into wasm when its argument count is fixed, not when it is
 * spread.
 *
 * @param {Function} fn @param {any[]} args
 */
function invoke(fn, args) {
  switch (args.length) {
    case 0:
      return fn();
    case 1:
      return fn(args[0]);
    case 2:
      return fn(args[0], args[1]);
    case 3:
      return fn(args[0], args[1], args[2]);
    default:
      return fn(...args);
  }
}
