// The node engine of the Rewind test harness (`tests/src/engine/node.rs`).
//
// Runs one module for a Rust driver that talks to it over stdin/stdout,
// one JSON object per line. All protocol logic (which imports suspend,
// unwinding and rewinding, the checks, the trace) stays on the Rust side;
// this file only executes wasm: it instantiates the module, calls exports,
// reads and writes the save memory and exported globals, and forwards every
// import call to the driver, serving the driver's requests (nested calls
// into the module, memory access) until the driver answers the import.
//
// Requests ({"op": ...}) and their replies ({"ok": ...} or {"error": ...}):
//   instantiate {wasm: hex, imports: [...], save_memory}  -> ok: true
//   call {name, args, params, results}  -> ok: [values] | trap: name
//       while it runs: {import: index, args} is sent; the driver serves
//       requests, then answers {op: "return", values} or {op: "fail", message}
//   memory -> ok: hex          write {at, hex} -> ok: true
//   grow {pages} -> ok: old    global {name, type} -> ok: value | null
//   set_global {name, type, value} -> ok: true
//
// Values: {i32: n}, {i64: "n"}, {f32: bits}, {f64: "bits"}, {ref: "null"},
// {ref: "host", id: n} (host object n, an externref), {ref: "opaque"}.
// Types: "i32", "i64", "f32", "f64", "v128", "externref", "funcref", "ref".

import fs from "node:fs";

let pending = Buffer.alloc(0);

function readLine() {
  for (;;) {
    const end = pending.indexOf(10);
    if (end >= 0) {
      const line = pending.subarray(0, end).toString("utf8");
      pending = pending.subarray(end + 1);
      return line;
    }
    const chunk = Buffer.alloc(1 << 16);
    let n;
    try {
      n = fs.readSync(0, chunk, 0, chunk.length, null);
    } catch (e) {
      if (e.code === "EAGAIN") continue;
      throw e;
    }
    if (n === 0) return null;
    pending = Buffer.concat([pending, chunk.subarray(0, n)]);
  }
}

function send(message) {
  const line = Buffer.from(JSON.stringify(message) + "\n", "utf8");
  let off = 0;
  while (off < line.length) {
    try {
      off += fs.writeSync(1, line, off);
    } catch (e) {
      if (e.code !== "EAGAIN") throw e;
    }
  }
}

// Host objects by number, and back, so that identity survives round trips.
const hostObjects = new Map();
const hostNumbers = new Map();

function hostObject(id) {
  if (!hostObjects.has(id)) {
    const object = { hostObject: id };
    hostObjects.set(id, object);
    hostNumbers.set(object, id);
  }
  return hostObjects.get(id);
}

const scratch = new DataView(new ArrayBuffer(8));

function toJs(value, type) {
  switch (type) {
    case "i32":
      return value.i32;
    case "i64":
      return BigInt(value.i64);
    case "f32":
      scratch.setUint32(0, value.f32, true);
      return scratch.getFloat32(0, true);
    case "f64":
      scratch.setBigUint64(0, BigInt(value.f64), true);
      return scratch.getFloat64(0, true);
    default:
      if (value.ref === "null") return null;
      if (value.ref === "host") return hostObject(value.id);
      throw new Error(`the harness cannot pass ${JSON.stringify(value)} as ${type}`);
  }
}

function fromJs(x, type) {
  switch (type) {
    case "i32":
      return { i32: x | 0 };
    case "i64":
      return { i64: BigInt.asIntN(64, x).toString() };
    case "f32":
      scratch.setFloat32(0, x, true);
      return { f32: scratch.getUint32(0, true) };
    case "f64":
      scratch.setFloat64(0, x, true);
      return { f64: scratch.getBigUint64(0, true).toString() };
    case "v128":
      throw new Error("v128 values cannot cross the JS boundary");
    default:
      if (x === null) return { ref: "null" };
      if (hostNumbers.has(x)) return { ref: "host", id: hostNumbers.get(x) };
      return { ref: "opaque" };
  }
}

function toResults(values, types) {
  const js = values.map((v, i) => toJs(v, types[i]));
  return js.length === 0 ? undefined : js.length === 1 ? js[0] : js;
}

function fromResults(result, types) {
  const list = types.length === 1 ? [result] : types.length === 0 ? [] : [...result];
  return list.map((x, i) => fromJs(x, types[i]));
}

// The trap names wasmi uses, by V8's messages.
const TRAPS = [
  ["unreachable", "UnreachableCodeReached"],
  ["memory access out of bounds", "MemoryOutOfBounds"],
  ["table index is out of bounds", "TableOutOfBounds"],
  ["divide by zero", "IntegerDivisionByZero"],
  ["remainder by zero", "IntegerDivisionByZero"],
  ["divide result unrepresentable", "IntegerOverflow"],
  ["float unrepresentable in integer range", "BadConversionToInteger"],
  ["null function or function signature mismatch", "BadSignature"],
  ["Maximum call stack size exceeded", "StackOverflow"],
];

function describe(e) {
  if (e instanceof HostFailure) return e.message;
  if (e instanceof WebAssembly.Exception) return "UncaughtException";
  const message = String(e && e.message);
  for (const [text, name] of TRAPS) {
    if (message.includes(text)) return name;
  }
  return String(e);
}

class HostFailure extends Error {}

let instance = null;
let saveMemory = null;

function makeImport(spec, index) {
  switch (spec.kind) {
    case "func":
      return (...args) => {
        send({ import: index, args: args.map((a, i) => fromJs(a, spec.params[i])) });
        const answer = serve(true);
        if (answer.op === "fail") throw new HostFailure(answer.message);
        return toResults(answer.values, spec.results);
      };
    case "global":
      return new WebAssembly.Global(
        { value: spec.type === "funcref" ? "anyfunc" : spec.type, mutable: spec.mutable },
        spec.type === "i64" ? 0n : spec.type.endsWith("ref") ? null : 0,
      );
    case "memory":
      return new WebAssembly.Memory({ initial: spec.initial, maximum: spec.maximum ?? undefined });
    case "table":
      return new WebAssembly.Table({
        element: spec.element === "funcref" ? "anyfunc" : spec.element,
        initial: spec.initial,
        maximum: spec.maximum ?? undefined,
      });
    case "tag":
      return new WebAssembly.Tag({ parameters: spec.params });
    default:
      throw new Error(`unknown import kind ${spec.kind}`);
  }
}

function memoryBytes() {
  return saveMemory === null ? new Uint8Array(0) : new Uint8Array(saveMemory.buffer);
}

function handle(request) {
  switch (request.op) {
    case "instantiate": {
      const module = new WebAssembly.Module(Buffer.from(request.wasm, "hex"));
      const imports = {};
      request.imports.forEach((spec, index) => {
        imports[spec.module] ??= {};
        imports[spec.module][spec.name] = makeImport(spec, index);
      });
      instance = new WebAssembly.Instance(module, imports);
      saveMemory = request.save_memory === null ? null : instance.exports[request.save_memory];
      return { ok: true };
    }
    case "call": {
      const args = request.args.map((v, i) => toJs(v, request.params[i]));
      let result;
      try {
        result = instance.exports[request.name](...args);
      } catch (e) {
        return { trap: describe(e) };
      }
      return { ok: fromResults(result, request.results) };
    }
    case "memory":
      return { ok: Buffer.from(memoryBytes()).toString("hex") };
    case "write":
      memoryBytes().set(Buffer.from(request.hex, "hex"), request.at);
      return { ok: true };
    case "grow":
      return { ok: saveMemory.grow(request.pages) };
    case "global": {
      const global = instance.exports[request.name];
      if (!(global instanceof WebAssembly.Global)) return { ok: null };
      return { ok: fromJs(global.value, request.type) };
    }
    case "set_global":
      instance.exports[request.name].value = toJs(request.value, request.type);
      return { ok: true };
    default:
      throw new Error(`unknown request ${request.op}`);
  }
}

// Serves requests until the input ends or, inside an import (`inImport`),
// until the driver answers the import; returns that answer.
function serve(inImport) {
  for (;;) {
    const line = readLine();
    if (line === null) process.exit(0);
    const request = JSON.parse(line);
    if (request.op === "return" || request.op === "fail") {
      if (inImport) return request;
      throw new Error(`${request.op} outside an import`);
    }
    let reply;
    try {
      reply = handle(request);
    } catch (e) {
      reply = { error: String(e && e.stack ? e.stack : e) };
    }
    send(reply);
  }
}

serve(false);
