//! The node engine, for legacy exception handling (`try`/`catch`/`rethrow`/
//! `delegate`), which wasmtime does not implement: `tests/js/engine.mjs`
//! runs the module in a node subprocess and only executes wasm; every
//! import call comes back here, to [`crate::host::on_import`], so the
//! protocol, its checks and the trace are the same code as for the other
//! engines. The messages are one JSON object per line (the file's header
//! lists them).
//!
//! `node` (20 or newer) must be on `PATH`; without it every run on this
//! engine fails saying so. node has no instruction fuel: a module that
//! loops forever hangs its test.
//!
//! One difference from the other engines: an import that fails (a
//! protocol violation, or a trap inside a host callback passed on) throws a
//! JS exception, which a wasm `catch_all` can catch, where wasmi and
//! wasmtime trap. A violation is still reported (the driver reads it from
//! the host state), and an original and its instrumented version always
//! run on the same engine.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value as Json, json};
use wasmparser::{AbstractHeapType, HeapType, ValType};

use crate::engine::{Instance, Machine};
use crate::host::{HostState, ImportInfo, on_import};
use crate::instrument::package_dir;
use crate::module_info::{Entity, ModuleInfo};
use crate::value::{Reference, Value};

/// A module instance in a node subprocess.
#[derive(Debug)]
struct NodeInstance {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    host: HostState,
    info: ModuleInfo,
    /// What the host does for each import, by import index.
    imports: Vec<Option<ImportInfo>>,
    /// The hang guard's fuel as set: node has no fuel, so none is used.
    fuel: u64,
}

/// Starts node, instantiates `wasm` and runs its start function (see
/// [`crate::engine::instantiate`]).
pub fn instantiate(
    wasm: &[u8],
    info: &ModuleInfo,
    host: HostState,
    save_memory: Option<&str>,
) -> Result<Box<dyn Instance>> {
    NodeInstance::start(wasm, info, host, save_memory)
        .map(|node| Box::new(node) as Box<dyn Instance>)
}

impl NodeInstance {
    fn start(
        wasm: &[u8],
        info: &ModuleInfo,
        host: HostState,
        save_memory: Option<&str>,
    ) -> Result<Self> {
        let script = package_dir().join("js").join("engine.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                anyhow!(
                    "cannot start `node` ({e}): modules with legacy exception handling run on \
                     node 20 or newer, which must be on PATH"
                )
            })?;
        let input = child.stdin.take().context("node's stdin")?;
        let output = BufReader::new(child.stdout.take().context("node's stdout")?);
        let imports = info
            .imports
            .iter()
            .map(|import| ImportInfo::of(import, &host))
            .collect::<Result<_>>()?;
        let mut node = Self {
            child,
            input,
            output,
            host,
            info: info.clone(),
            imports,
            fuel: 0,
        };
        let specs: Vec<Json> = info
            .imports
            .iter()
            .map(|i| import_spec(&i.module, &i.name, &i.entity))
            .collect();
        node.request(json!({
            "op": "instantiate",
            "wasm": hex(wasm),
            "imports": specs,
            "save_memory": save_memory,
        }))
        .context("instantiation failed")?;
        Ok(node)
    }

    fn send(&mut self, message: &Json) -> Result<()> {
        let mut line = message.to_string();
        line.push('\n');
        self.input
            .write_all(line.as_bytes())
            .and_then(|()| self.input.flush())
            .context("writing to node")
    }

    fn receive(&mut self) -> Result<Json> {
        let mut line = String::new();
        if self
            .output
            .read_line(&mut line)
            .context("reading from node")?
            == 0
        {
            bail!("node exited (see its output above)");
        }
        serde_json::from_str(&line).with_context(|| format!("node sent `{line}`"))
    }

    /// Sends a request that calls no import and returns its `ok` part.
    fn request(&mut self, message: Json) -> Result<Json> {
        self.send(&message)?;
        let mut reply = self.receive()?;
        match reply.get_mut("ok") {
            Some(ok) => Ok(ok.take()),
            None => bail!("node: {}", reply["error"].as_str().unwrap_or("a bad reply")),
        }
    }

    /// Serves the import call of `reply` (`{import, args}`): runs it on the
    /// host and answers node.
    fn serve_import(&mut self, reply: &Json) -> Result<()> {
        let index = reply["import"].as_u64().context("an import index")? as usize;
        let import = self
            .imports
            .get(index)
            .cloned()
            .flatten()
            .context("a function import")?;
        let Entity::Func(sig) = &self.info.imports[index].entity else {
            bail!("import {index} is not a function");
        };
        let args = values(&reply["args"], &sig.params)?;
        let answer = match on_import(self, &import, &args) {
            Ok(values) => {
                let values = values
                    .into_iter()
                    .map(to_json)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| anyhow!(e))?;
                json!({"op": "return", "values": values})
            }
            Err(message) => json!({"op": "fail", "message": message}),
        };
        self.send(&answer)
    }

    /// The type of exported global `name`.
    fn global_type(&self, name: &str) -> Option<ValType> {
        self.info
            .export_globals()
            .find(|(n, _)| *n == name)
            .map(|(_, g)| g.content_type)
    }
}

impl Drop for NodeInstance {
    fn drop(&mut self) {
        // The engine may be blocked inside an import whose answer never
        // comes (the run stopped on a protocol violation).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Machine for NodeInstance {
    fn host(&mut self) -> &mut HostState {
        &mut self.host
    }

    fn call(&mut self, name: &str, args: &[Value]) -> Result<Vec<Value>, String> {
        let sig = self
            .info
            .export_func(name)
            .cloned()
            .ok_or_else(|| format!("the module does not export `{name}`"))?;
        let args: Vec<Json> = args.iter().map(|v| to_json(*v)).collect::<Result<_, _>>()?;
        let message = json!({
            "op": "call",
            "name": name,
            "args": args,
            "params": sig.params.iter().map(|t| type_name(*t)).collect::<Vec<_>>(),
            "results": sig.results.iter().map(|t| type_name(*t)).collect::<Vec<_>>(),
        });
        let outcome = (|| -> Result<Result<Vec<Value>, String>> {
            self.send(&message)?;
            loop {
                let reply = self.receive()?;
                if reply.get("import").is_some() {
                    self.serve_import(&reply)?;
                } else if let Some(ok) = reply.get("ok") {
                    return Ok(Ok(values(ok, &sig.results)?));
                } else if let Some(trap) = reply.get("trap") {
                    return Ok(Err(trap.as_str().unwrap_or("a trap").to_string()));
                } else {
                    bail!("node: {}", reply["error"].as_str().unwrap_or("a bad reply"));
                }
            }
        })();
        outcome.unwrap_or_else(|e| Err(format!("{e:#}")))
    }

    fn memory(&mut self) -> Vec<u8> {
        let reply = self
            .request(json!({"op": "memory"}))
            .expect("node's memory");
        unhex(reply.as_str().unwrap_or_default())
    }

    fn write_memory(&mut self, at: u64, bytes: &[u8]) {
        self.request(json!({"op": "write", "at": at, "hex": hex(bytes)}))
            .expect("a write to node's memory");
    }

    fn global(&mut self, name: &str) -> Option<Value> {
        let ty = self.global_type(name)?;
        let reply = self
            .request(json!({"op": "global", "name": name, "type": type_name(ty)}))
            .ok()?;
        from_json(&reply).ok()
    }

    fn set_global(&mut self, name: &str, value: Value) -> Result<(), String> {
        let ty = self
            .global_type(name)
            .ok_or_else(|| format!("no exported global `{name}`"))?;
        let value = to_json(value)?;
        self.request(
            json!({"op": "set_global", "name": name, "type": type_name(ty), "value": value}),
        )
        .map(|_| ())
        .map_err(|e| format!("{e:#}"))
    }
}

impl Instance for NodeInstance {
    fn grow_memory(&mut self, pages: u64) -> Result<u64> {
        let old = self.request(json!({"op": "grow", "pages": pages}))?;
        old.as_u64().context("the old size of the memory")
    }

    fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.fuel = fuel;
        Ok(())
    }

    fn fuel(&mut self) -> u64 {
        self.fuel
    }
}

/// How `tests/js/engine.mjs` names a value type.
fn type_name(ty: ValType) -> &'static str {
    match ty {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        ValType::Ref(r) => match r.heap_type() {
            HeapType::Abstract {
                ty: AbstractHeapType::Extern,
                ..
            } => "externref",
            HeapType::Abstract {
                ty: AbstractHeapType::Func,
                ..
            } => "funcref",
            _ => "ref",
        },
    }
}

/// The description of an import the engine creates.
fn import_spec(module: &str, name: &str, entity: &Entity) -> Json {
    let names = |types: &[ValType]| types.iter().map(|t| type_name(*t)).collect::<Vec<_>>();
    let mut spec = match entity {
        Entity::Func(sig) => {
            json!({"kind": "func", "params": names(&sig.params), "results": names(&sig.results)})
        }
        Entity::Tag(sig) => json!({"kind": "tag", "params": names(&sig.params)}),
        Entity::Global(g) => {
            json!({"kind": "global", "type": type_name(g.content_type), "mutable": g.mutable})
        }
        Entity::Memory(m) => json!({"kind": "memory", "initial": m.initial, "maximum": m.maximum}),
        Entity::Table(t) => json!({
            "kind": "table",
            "element": type_name(ValType::Ref(t.element_type)),
            "initial": t.initial,
            "maximum": t.maximum,
        }),
    };
    spec["module"] = json!(module);
    spec["name"] = json!(name);
    spec
}

/// A value as the engine reads it (it converts by the type it is given).
fn to_json(value: Value) -> Result<Json, String> {
    Ok(match value {
        Value::I32(x) => json!({"i32": x}),
        Value::I64(x) => json!({"i64": x.to_string()}),
        Value::F32(x) => json!({"f32": x}),
        Value::F64(x) => json!({"f64": x.to_string()}),
        Value::V128(_) => return Err("v128 values cannot cross the JS boundary".into()),
        Value::Ref(Reference::Null) => json!({"ref": "null"}),
        Value::Ref(Reference::Host(n)) => json!({"ref": "host", "id": n}),
        Value::Ref(r) => return Err(format!("the harness cannot pass {r:?} to node")),
    })
}

/// A value the engine sent.
fn from_json(json: &Json) -> Result<Value> {
    let field = |name: &str| json.get(name);
    let number = |v: &Json| -> Result<i128> {
        match v {
            Json::Number(n) => n.as_i64().map(i128::from).context("an integer"),
            Json::String(s) => s.parse().context("an integer"),
            _ => bail!("not a number: {v}"),
        }
    };
    Ok(if let Some(x) = field("i32") {
        Value::I32(number(x)? as i32)
    } else if let Some(x) = field("i64") {
        Value::I64(number(x)? as i64)
    } else if let Some(x) = field("f32") {
        Value::F32(number(x)? as u32)
    } else if let Some(x) = field("f64") {
        Value::F64(number(x)? as u64)
    } else {
        Value::Ref(match field("ref").and_then(Json::as_str) {
            Some("null") => Reference::Null,
            Some("host") => Reference::Host(number(&json["id"])? as u32),
            Some("opaque") => Reference::Opaque,
            _ => bail!("not a value: {json}"),
        })
    })
}

/// The values of a JSON list, `types.len()` of them.
fn values(list: &Json, types: &[ValType]) -> Result<Vec<Value>> {
    let list = list.as_array().context("a list of values")?;
    if list.len() != types.len() {
        bail!("{} values where {} were expected", list.len(), types.len());
    }
    list.iter().map(from_json).collect()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            digit(pair[0]) << 4 | digit(pair[1])
        })
        .collect()
}
