// jspi.mjs: runs a module that is *not* instrumented with JavaScript
// Promise Integration, the engine's own stack switching: the imports named
// as suspending become `WebAssembly.Suspending` functions (when one returns
// a Promise, the engine suspends the whole wasm stack until it settles) and
// every function export is wrapped with `WebAssembly.promising`. The result
// has the shape of `rewind.mjs`'s `instantiate`, so a page can run the same
// guest either way.
//
//   import { instantiate, supported } from "./jspi.mjs";
//   if (supported()) {
//     const guest = await instantiate(module, imports, ["env.sleep"]);
//     await guest.exports.main();
//   }
//
// JSPI is on by default in Chromium 137 and later; Node.js 20 and Firefox
// and Safari without a flag do not have it.

/** Whether this engine has JSPI (`WebAssembly.Suspending` and `WebAssembly.promising`). */
export function supported() {
  return typeof WebAssembly.Suspending === "function" && typeof WebAssembly.promising === "function";
}

/**
 * Instantiates `module` with `imports`, the `suspending` ones wrapped with
 * `WebAssembly.Suspending`.
 *
 * @param {WebAssembly.Module} module A module that is not instrumented.
 * @param {WebAssembly.Imports} imports
 * @param {string[]} suspending The imports that may return a Promise, as
 *   `module.name`.
 * @returns {Promise<{instance: WebAssembly.Instance, exports: Record<string, any>}>}
 *   `exports`: each function returns a Promise of its result.
 */
export async function instantiate(module, imports, suspending) {
  if (!supported()) {
    throw new Error("jspi: this engine has no WebAssembly.Suspending / WebAssembly.promising");
  }
  const wrapped = {};
  for (const [name, fields] of Object.entries(imports)) {
    wrapped[name] = { ...fields };
  }
  for (const full of suspending) {
    const dot = full.indexOf(".");
    const [name, field] = [full.slice(0, dot), full.slice(dot + 1)];
    const fn = imports[name]?.[field];
    if (typeof fn !== "function") {
      throw new Error(`jspi: no function import ${full} to make suspending`);
    }
    wrapped[name][field] = new WebAssembly.Suspending(fn);
  }
  const instance = await WebAssembly.instantiate(module, wrapped);
  const exports = {};
  for (const [name, value] of Object.entries(instance.exports)) {
    exports[name] = typeof value === "function" ? WebAssembly.promising(value) : value;
  }
  return { instance, exports: Object.freeze(exports) };
}
