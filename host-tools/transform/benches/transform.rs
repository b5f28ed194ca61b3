//! Benchmark of the asyncify transform, side by side with Binaryen.
//!
//! Run: `cargo bench -p rewind-transform --bench transform`
//! (see `benches/README.md` for the environment variables and the columns).
//!
//! For every module (three hand-written `.wat` programs, a medium and a
//! big Rust module built here from `examples/big-module`) and every option
//! set, the bench
//!
//! 1. runs `rewind_transform::asyncify` several times and keeps the median
//!    wall time, the instrumented size and the report;
//! 2. checks the output validates (wasmparser) and runs it under wasmi with
//!    a host that really unwinds and rewinds at every suspending import,
//!    comparing return value and output with the uninstrumented module;
//! 3. if `wasm-opt` is found, runs `wasm-opt --asyncify` (with and without
//!    `-O`) with the same options in Binaryen's spelling, `wasm-opt -O` on
//!    the original and on our output, and runs Binaryen's output under the
//!    same host.
//!
//! It prints ratios (ours/original, Binaryen/original, ours/Binaryen), not
//! bare absolute numbers.

use std::collections::hash_map::DefaultHasher;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rewind_transform::{Options, abi};

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// Imports that really suspend in every benchmark module.
const SUSPENDING: [&str; 2] = ["env.read_input", "env.yield_now"];

/// Bytes of save stack the exec check gives the module.
const SAVE_STACK_PAGES: u64 = 16;

struct OptionSet {
    name: &'static str,
    ours: Options,
    /// Binaryen arguments that go after `--asyncify`.
    binaryen: Vec<String>,
    /// Whether execution with real suspensions is expected to be correct
    /// (not with `ignore-indirect` when a suspension is reached through a
    /// table).
    exec_expected: bool,
}

fn option_sets() -> Vec<OptionSet> {
    let precise: Vec<String> = SUSPENDING.iter().map(|s| s.to_string()).collect();
    let imports_arg = format!("--pass-arg=asyncify-imports@{}", precise.join(","));
    vec![
        OptionSet {
            name: "default",
            ours: Options::default(),
            binaryen: vec![],
            exec_expected: true,
        },
        OptionSet {
            name: "imports",
            ours: Options {
                imports: Some(precise.clone()),
                ..Options::default()
            },
            binaryen: vec![imports_arg.clone()],
            exec_expected: true,
        },
        OptionSet {
            name: "imports+ignore-indirect",
            ours: Options {
                imports: Some(precise),
                ignore_indirect: true,
                ..Options::default()
            },
            binaryen: vec![imports_arg, "--pass-arg=asyncify-ignore-indirect".into()],
            exec_expected: false,
        },
    ]
}

fn env_list(name: &str) -> Option<Vec<String>> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

// ---------------------------------------------------------------------------
// Modules
// ---------------------------------------------------------------------------

struct BenchModule {
    name: String,
    wasm: Vec<u8>,
    /// What `env.read_input` delivers.
    input: Vec<u8>,
    iters: usize,
}

/// Builds `examples/big-module` (the library and the `medium` example).
fn build_rust_modules(root: &Path) -> Result<(PathBuf, PathBuf), String> {
    let manifest = root.join("examples/big-module/Cargo.toml");
    let target = root.join("examples/big-module/target");
    let out = target.join("wasm32-unknown-unknown/release");
    let big = out.join("rewind_big_module.wasm");
    let medium = out.join("examples/medium.wasm");
    if env_flag("REWIND_BENCH_NO_BUILD") && big.exists() && medium.exists() {
        return Ok((big, medium));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("building {} ...", manifest.display());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-unknown-unknown",
            "--manifest-path",
        ])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .args(["--lib", "--example", "medium"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building {} failed ({status})", manifest.display()));
    }
    Ok((big, medium))
}

/// A deterministic stream of JSON documents for the Rust modules.
fn big_input() -> Vec<u8> {
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    const FIRST: [&str; 12] = [
        "ada",
        "Björn",
        "chen",
        "Dmitri",
        "élodie",
        "Fatima",
        "gus",
        "Hiro",
        "Ingrid",
        "josé",
        "Καλλιόπη",
        "Zoë",
    ];
    const LAST: [&str; 6] = ["Lovelace", "Borg", "Wei", "Ivanov", "Martin", "Núñez"];
    const DOMAINS: [&str; 4] = ["example.com", "mail.example.org", "über.example", "test.io"];
    const CITIES: [&str; 5] = ["Zürich", "Lisbon", "Αθήνα", "Kyoto", "Montréal"];

    let mut out = String::new();
    let config = r#"
title = "bench"
[owner]
name = "Rewind"
email = "owner@example.com"
[limits]
max_records = 400
yield_every = 8
[servers.alpha]
ip = "10.0.0.1"
port = 8080
roles = ["frontend", "cache"]
[servers.beta]
ip = "10.0.0.2"
roles = ["db"]
[[rules]]
name = "secrets"
pattern = "(?i)password=\\S+"
replacement = "password=***"
[[rules]]
name = "numbers"
pattern = "\\b\\d{6,}\\b"
replacement = "<n>"
"#;
    let _ = writeln!(
        out,
        "{}",
        serde_json_like_object(&[("kind", "\"config\"".into()), ("toml", json_str(config))])
    );

    for round in 0..3 {
        let mut records = Vec::new();
        for id in 0..150u64 {
            let first = FIRST[next(12) as usize];
            let last = LAST[next(6) as usize];
            let email = if next(5) == 0 {
                "null".to_string()
            } else {
                json_str(&format!(
                    "{}.{}@{}",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    DOMAINS[next(4) as usize]
                ))
            };
            let tags: Vec<String> = (0..next(4))
                .map(|_| json_str(&format!("t{}", next(12))))
                .collect();
            let location = if next(3) == 0 {
                "null".to_string()
            } else {
                format!(
                    r#"{{"lat":{}.{},"lon":{}.{},"city":{}}}"#,
                    next(90),
                    next(1000),
                    next(180),
                    next(1000),
                    json_str(CITIES[next(5) as usize])
                )
            };
            records.push(format!(
                r#"{{"id":{},"name":{},"email":{},"tags":[{}],"score":{}.{},"attributes":{{"rank":{},"big":123456789012345678901234567890.5,"note":{}}},"location":{}}}"#,
                round * 1000 + id,
                json_str(&format!("{first} {last}")),
                email,
                tags.join(","),
                next(100),
                next(100),
                next(10),
                json_str(&format!("password=hunter{} id 12345678 ok", next(100))),
                location
            ));
        }
        let sort = ["id", "name", "score", "distance"][round as usize % 4];
        let _ = writeln!(
            out,
            r#"{{"kind":"records","records":[{}],"filters":[{{"field":"name","pattern":"(?i)^[a-m\\p{{Greek}}]"}},{{"field":"tag","pattern":"^t1?[0-9]$","negate":false}}],"sort_by":"{sort}"}}"#,
            records.join(",")
        );
        let _ = writeln!(
            out,
            r#"{{"kind":"raw","value":{{"records":[{}],"meta":{{"round":{round},"nested":[[1,2,[3,{{"x":null,"y":true}}]],"password=abc"]}}}}}}"#,
            records[..20].join(",")
        );
        let mut text = String::new();
        for i in 0..120 {
            let _ = write!(
                text,
                "On 20{:02}-{:02}-{:02} Σωκράτης met José {i} times. ",
                next(30),
                1 + next(12),
                1 + next(28)
            );
        }
        let _ = writeln!(
            out,
            r#"{{"kind":"rewrite","pattern":"(?P<y>\\d{{4}})-(?P<m>\\d{{2}})-(?P<d>\\d{{2}})","replacement":"$d/$m/$y","text":{},"case_insensitive":true}}"#,
            json_str(&text)
        );
        let lines: Vec<String> = (0..200)
            .map(|i| {
                let kind = ["ERROR", "WARN", "info", "debug"][next(4) as usize];
                let extra = ["disk full", "λόγος", "network down", "ok"][next(4) as usize];
                json_str(&format!("{kind} {i}: {extra}"))
            })
            .collect();
        let _ = writeln!(
            out,
            r#"{{"kind":"classify","patterns":["^ERROR","^WARN","\\bdisk\\b","\\p{{Greek}}+","(?i)^info"],"lines":[{}]}}"#,
            lines.join(",")
        );
    }
    out.into_bytes()
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn serde_json_like_object(fields: &[(&str, String)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", json_str(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn load_modules(root: &Path) -> Vec<BenchModule> {
    let wanted = env_list("REWIND_BENCH_MODULES");
    let want = |name: &str| wanted.as_ref().is_none_or(|w| w.iter().any(|x| x == name));
    let iters = env_usize("REWIND_BENCH_ITERS");
    let mut modules = Vec::new();
    let wat_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/wat");
    for name in ["loop", "recursion", "indirect"] {
        if !want(name) {
            continue;
        }
        let path = wat_dir.join(format!("{name}.wat"));
        let wasm = wat::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        modules.push(BenchModule {
            name: name.into(),
            wasm,
            input: Vec::new(),
            iters: iters.unwrap_or(31),
        });
    }
    if want("medium") || want("big") {
        match build_rust_modules(root) {
            Ok((big, medium)) => {
                let input = big_input();
                for (name, path, n) in [("medium", medium, 11), ("big", big, 5)] {
                    if !want(name) {
                        continue;
                    }
                    match std::fs::read(&path) {
                        Ok(wasm) => modules.push(BenchModule {
                            name: name.into(),
                            wasm,
                            input: input.clone(),
                            iters: iters.unwrap_or(n),
                        }),
                        Err(e) => eprintln!("note: skipping `{name}`: {}: {e}", path.display()),
                    }
                }
            }
            Err(e) => eprintln!("note: skipping the Rust modules: {e}"),
        }
    }
    modules
}

// ---------------------------------------------------------------------------
// Binaryen
// ---------------------------------------------------------------------------

struct WasmOpt {
    path: PathBuf,
    version: String,
}

/// `WASM_OPT`, else `wasm-opt` on `PATH`, else
/// `$REWIND_TOOLS/node_modules/.bin/wasm-opt`.
fn find_wasm_opt() -> Option<WasmOpt> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("WASM_OPT") {
        candidates.push(p.into());
    }
    candidates.push("wasm-opt".into());
    if let Some(dir) = std::env::var_os("REWIND_TOOLS") {
        candidates.push(Path::new(&dir).join("node_modules/.bin/wasm-opt"));
    }
    candidates.into_iter().find_map(|path| {
        let out = Command::new(&path).arg("--version").output().ok()?;
        out.status.success().then(|| WasmOpt {
            version: String::from_utf8_lossy(&out.stdout).trim().to_string(),
            path,
        })
    })
}

/// One `wasm-opt` run (possibly from the cache).
struct OptRun {
    wasm: Vec<u8>,
    time: Duration,
    cached: bool,
}

fn hash_of(parts: &[&[u8]]) -> u64 {
    let mut h = DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

impl WasmOpt {
    /// Runs `wasm-opt IN ARGS -o OUT`. Results are cached under
    /// `target/rewind-bench/cache`, keyed by input, arguments and version:
    /// the JS build of Binaryen needs minutes on the big module.
    fn run(&self, cache: &Path, input: &[u8], args: &[String]) -> Result<OptRun, String> {
        let joined = args.join(" ");
        let key = hash_of(&[input, joined.as_bytes(), self.version.as_bytes()]);
        let out_path = cache.join(format!("{key:016x}.wasm"));
        let time_path = cache.join(format!("{key:016x}.time"));
        if !env_flag("REWIND_BENCH_NO_CACHE")
            && let (Ok(wasm), Ok(t)) = (
                std::fs::read(&out_path),
                std::fs::read_to_string(&time_path),
            )
            && let Ok(secs) = t.trim().parse::<f64>()
        {
            return Ok(OptRun {
                wasm,
                time: Duration::from_secs_f64(secs),
                cached: true,
            });
        }
        let in_path = cache.join(format!("{key:016x}.in.wasm"));
        std::fs::write(&in_path, input).map_err(|e| format!("{}: {e}", in_path.display()))?;
        let start = Instant::now();
        let out = Command::new(&self.path)
            .arg(&in_path)
            .args(args)
            .arg("-o")
            .arg(&out_path)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.path.display()))?;
        let time = start.elapsed();
        let _ = std::fs::remove_file(&in_path);
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .to_string();
            return Err(format!("wasm-opt {joined} failed: {first}"));
        }
        let wasm = std::fs::read(&out_path).map_err(|e| format!("{}: {e}", out_path.display()))?;
        let _ = std::fs::write(&time_path, format!("{}\n", time.as_secs_f64()));
        Ok(OptRun {
            wasm,
            time,
            cached: false,
        })
    }
}

// ---------------------------------------------------------------------------
// Module inspection
// ---------------------------------------------------------------------------

fn leb(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut result = 0u64;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        result |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(result);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// Size without custom sections (names, producers, target features):
/// Binaryen drops the name section unless `-g`, so sizes are compared
/// without any custom section.
fn code_size(wasm: &[u8]) -> usize {
    let mut pos = 8;
    let mut size = 8;
    while pos < wasm.len() {
        let start = pos;
        let id = wasm[pos];
        pos += 1;
        let Some(len) = leb(wasm, &mut pos) else {
            return wasm.len();
        };
        pos += len as usize;
        if id != 0 {
            size += pos - start;
        }
    }
    size
}

fn validate(wasm: &[u8]) -> Result<(), String> {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Counts the defined functions that read or write the asyncify state
/// global (the one `asyncify_get_state` returns), i.e. the instrumented
/// functions, excluding the five exported ABI functions. Works on output
/// of either tool before `-O` (inlining blurs the count afterwards).
fn count_instrumented(wasm: &[u8]) -> Option<usize> {
    use wasmparser::{ExternalKind, Operator, Parser, Payload, TypeRef};
    let mut imported_funcs = 0u32;
    let mut abi_funcs = Vec::new();
    let mut get_state = None;
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::ImportSection(reader) => {
                for imp in reader.into_imports() {
                    if matches!(imp.ok()?.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                        imported_funcs += 1;
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for exp in reader {
                    let exp = exp.ok()?;
                    if exp.kind == ExternalKind::Func && exp.name.starts_with("asyncify_") {
                        abi_funcs.push(exp.index);
                        if exp.name == abi::GET_STATE {
                            get_state = Some(exp.index);
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            _ => {}
        }
    }
    let globals_of = |body: &wasmparser::FunctionBody<'_>| -> Option<Vec<u32>> {
        let mut out = Vec::new();
        for op in body.get_operators_reader().ok()? {
            match op.ok()? {
                Operator::GlobalGet { global_index } | Operator::GlobalSet { global_index } => {
                    out.push(global_index);
                }
                _ => {}
            }
        }
        Some(out)
    };
    let state_idx = get_state?.checked_sub(imported_funcs)?;
    let state_global = *globals_of(bodies.get(state_idx as usize)?)?.first()?;
    let mut count = 0;
    for (i, body) in bodies.iter().enumerate() {
        if abi_funcs.contains(&(i as u32 + imported_funcs)) {
            continue;
        }
        if globals_of(body)?.contains(&state_global) {
            count += 1;
        }
    }
    Some(count)
}

// ---------------------------------------------------------------------------
// Execution under wasmi, with real unwinds and rewinds
// ---------------------------------------------------------------------------

#[derive(Debug, PartialEq, Eq)]
struct Trace {
    result: i32,
    output: Vec<u8>,
    logs: Vec<u8>,
}

struct Host {
    input: Vec<u8>,
    pos: usize,
    trace_output: Vec<u8>,
    logs: Vec<u8>,
    /// Suspend at every suspending import (instrumented modules).
    suspend: bool,
    data_ptr: u32,
    suspensions: u64,
}

type HostCaller<'a> = wasmi::Caller<'a, Host>;

fn export_call<P: wasmi::WasmParams, R: wasmi::WasmResults>(
    caller: &mut HostCaller<'_>,
    name: &str,
    args: P,
) -> Result<R, wasmi::Error> {
    let func = caller
        .get_export(name)
        .and_then(wasmi::Extern::into_func)
        .ok_or_else(|| wasmi::Error::new(format!("no export `{name}`")))?;
    func.typed::<P, R>(&*caller)?.call(&mut *caller, args)
}

fn memory_of(caller: &HostCaller<'_>) -> Result<wasmi::Memory, wasmi::Error> {
    caller
        .get_export("memory")
        .and_then(wasmi::Extern::into_memory)
        .ok_or_else(|| wasmi::Error::new("no exported memory"))
}

/// The suspend protocol of a suspending import. Returns `true` when the
/// import must do its work now (normal call, or the call that completes a
/// rewind), `false` when it just started an unwind.
fn suspend_point(caller: &mut HostCaller<'_>) -> Result<bool, wasmi::Error> {
    if !caller.data().suspend {
        return Ok(true);
    }
    let state: i32 = export_call(caller, abi::GET_STATE, ())?;
    match state {
        abi::STATE_REWINDING => {
            export_call::<(), ()>(caller, abi::STOP_REWIND, ())?;
            Ok(true)
        }
        abi::STATE_NORMAL => {
            let data = caller.data().data_ptr;
            let end = data + (SAVE_STACK_PAGES * 65536) as u32;
            let mut header = [0u8; 8];
            header[..4].copy_from_slice(&(data + 8).to_le_bytes());
            header[4..].copy_from_slice(&end.to_le_bytes());
            let memory = memory_of(caller)?;
            memory
                .write(&mut *caller, data as usize, &header)
                .map_err(|e| wasmi::Error::new(e.to_string()))?;
            export_call::<i32, ()>(caller, abi::START_UNWIND, data as i32)?;
            caller.data_mut().suspensions += 1;
            Ok(false)
        }
        other => Err(wasmi::Error::new(format!(
            "suspending import called in state {other}"
        ))),
    }
}

/// Runs the exported `run` to completion, driving unwinds and rewinds.
/// Returns the trace and the number of suspensions.
fn execute(wasm: &[u8], input: &[u8], instrumented: bool) -> Result<(Trace, u64), String> {
    use wasmi::{Caller, Config, Engine, Linker, Module, Store};
    let mut config = Config::default();
    config.consume_fuel(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wasm).map_err(|e| format!("compile: {e}"))?;
    let host = Host {
        input: input.to_vec(),
        pos: 0,
        trace_output: Vec::new(),
        logs: Vec::new(),
        suspend: instrumented,
        data_ptr: 0,
        suspensions: 0,
    };
    let mut store = Store::new(&engine, host);
    store.set_fuel(20_000_000_000).map_err(|e| e.to_string())?;
    let mut linker = <Linker<Host>>::new(&engine);
    let e = |e: wasmi::errors::LinkerError| e.to_string();
    linker
        .func_wrap(
            "env",
            "read_input",
            |mut caller: Caller<'_, Host>, buf: i32, len: i32| -> Result<i32, wasmi::Error> {
                if !suspend_point(&mut caller)? {
                    return Ok(0);
                }
                let host = caller.data();
                let n = (len as u32 as usize)
                    .min(host.input.len() - host.pos)
                    .min(1500);
                let chunk = host.input[host.pos..host.pos + n].to_vec();
                let memory = memory_of(&caller)?;
                memory
                    .write(&mut caller, buf as u32 as usize, &chunk)
                    .map_err(|e| wasmi::Error::new(e.to_string()))?;
                caller.data_mut().pos += n;
                Ok(n as i32)
            },
        )
        .map_err(e)?;
    linker
        .func_wrap(
            "env",
            "yield_now",
            |mut caller: Caller<'_, Host>| -> Result<(), wasmi::Error> {
                suspend_point(&mut caller).map(|_| ())
            },
        )
        .map_err(e)?;
    linker
        .func_wrap(
            "env",
            "write_output",
            |mut caller: Caller<'_, Host>, ptr: i32, len: i32| -> Result<(), wasmi::Error> {
                let memory = memory_of(&caller)?;
                let mut buf = vec![0; len as u32 as usize];
                memory
                    .read(&caller, ptr as u32 as usize, &mut buf)
                    .map_err(|e| wasmi::Error::new(e.to_string()))?;
                caller.data_mut().trace_output.extend_from_slice(&buf);
                Ok(())
            },
        )
        .map_err(e)?;
    linker
        .func_wrap(
            "env",
            "log",
            |mut caller: Caller<'_, Host>,
             level: i32,
             ptr: i32,
             len: i32|
             -> Result<(), wasmi::Error> {
                let memory = memory_of(&caller)?;
                let mut buf = vec![0; len as u32 as usize];
                memory
                    .read(&caller, ptr as u32 as usize, &mut buf)
                    .map_err(|e| wasmi::Error::new(e.to_string()))?;
                let logs = &mut caller.data_mut().logs;
                logs.extend_from_slice(format!("[{level}] ").as_bytes());
                logs.extend_from_slice(&buf);
                logs.push(b'\n');
                Ok(())
            },
        )
        .map_err(e)?;
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .map_err(|e| format!("instantiate: {e}"))?;
    let memory = instance
        .get_memory(&store, "memory")
        .ok_or("no exported memory")?;
    if instrumented {
        let pages = memory
            .grow(&mut store, SAVE_STACK_PAGES)
            .map_err(|e| e.to_string())?;
        store.data_mut().data_ptr = (pages * 65536) as u32;
    }
    let run = instance
        .get_typed_func::<(), i32>(&store, "run")
        .map_err(|e| e.to_string())?;
    let mut rounds = 0u64;
    let result = loop {
        let r = run.call(&mut store, ()).map_err(|e| format!("trap: {e}"))?;
        if !instrumented {
            break r;
        }
        let get_state = instance
            .get_typed_func::<(), i32>(&store, abi::GET_STATE)
            .map_err(|e| e.to_string())?;
        match get_state.call(&mut store, ()).map_err(|e| e.to_string())? {
            abi::STATE_NORMAL => break r,
            abi::STATE_UNWINDING => {}
            other => return Err(format!("`run` returned in state {other}")),
        }
        rounds += 1;
        if rounds > 10_000_000 {
            return Err("too many suspensions".into());
        }
        let stop = instance
            .get_typed_func::<(), ()>(&store, abi::STOP_UNWIND)
            .map_err(|e| e.to_string())?;
        stop.call(&mut store, ()).map_err(|e| e.to_string())?;
        let start = instance
            .get_typed_func::<i32, ()>(&store, abi::START_REWIND)
            .map_err(|e| e.to_string())?;
        let data = store.data().data_ptr as i32;
        start.call(&mut store, data).map_err(|e| e.to_string())?;
    };
    let host = store.into_data();
    let suspensions = host.suspensions;
    Ok((
        Trace {
            result,
            output: host.trace_output,
            logs: host.logs,
        },
        suspensions,
    ))
}

/// Runs `wasm` and compares it with the reference trace.
fn exec_check(wasm: &[u8], input: &[u8], reference: &Result<(Trace, u64), String>) -> String {
    let Ok((reference, _)) = reference else {
        return "no reference".into();
    };
    match execute(wasm, input, true) {
        Ok((trace, n)) if &trace == reference => format!("ok ({n} susp)"),
        Ok((trace, n)) => {
            if trace.result != reference.result {
                format!(
                    "DIFF: run() = {} not {} ({n} susp)",
                    trace.result, reference.result
                )
            } else {
                format!("DIFF: output differs ({n} susp)")
            }
        }
        Err(e) => format!("FAIL: {}", e.lines().next().unwrap_or("")),
    }
}

// ---------------------------------------------------------------------------
// Measurement and report
// ---------------------------------------------------------------------------

struct Row {
    module: String,
    set: &'static str,
    funcs: usize,
    orig: usize,
    ours: Result<OursResult, String>,
    bin: Option<Result<BinResult, String>>,
    /// `wasm-opt -O` on the original, for reference.
    orig_o: Option<usize>,
}

struct OursResult {
    instrumented: usize,
    call_sites: usize,
    size: usize,
    median: Duration,
    min: Duration,
    valid: Result<(), String>,
    exec: String,
    ours_o: Option<Result<usize, String>>,
}

struct BinResult {
    instrumented: Option<usize>,
    /// `--asyncify` without `-O`.
    size: usize,
    time: Duration,
    /// `--asyncify -O`.
    size_o: usize,
    time_o: Duration,
    cached: bool,
    exec: String,
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn measure_ours(
    m: &BenchModule,
    set: &OptionSet,
    out_dir: &Path,
    reference: &Result<(Trace, u64), String>,
) -> Result<(OursResult, Vec<u8>), String> {
    // One warm-up run, whose output is the one checked and kept.
    let first = rewind_transform::asyncify(&m.wasm, &set.ours).map_err(|e| {
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            let _ = write!(msg, ": {s}");
            src = s.source();
        }
        msg
    })?;
    let mut times = Vec::with_capacity(m.iters);
    for _ in 0..m.iters {
        let start = Instant::now();
        let out = rewind_transform::asyncify(&m.wasm, &set.ours).map_err(|e| e.to_string())?;
        times.push(start.elapsed());
        std::hint::black_box(out);
    }
    let min = *times.iter().min().expect("at least one iteration");
    let wasm = first.wasm;
    let _ = std::fs::write(
        out_dir.join(format!("{}.{}.ours.wasm", m.name, set.name)),
        &wasm,
    );
    let valid = validate(&wasm);
    let exec = if valid.is_ok() {
        exec_check(&wasm, &m.input, reference)
    } else {
        "invalid".into()
    };
    let exec = if set.exec_expected || exec.starts_with("ok") {
        exec
    } else {
        format!("{exec} (expected)")
    };
    Ok((
        OursResult {
            instrumented: first.report.functions_instrumented,
            call_sites: first.report.call_sites,
            size: code_size(&wasm),
            median: median(times),
            min,
            valid,
            exec,
            ours_o: None,
        },
        wasm,
    ))
}

fn ratio(a: usize, b: usize) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.3}", a as f64 / b as f64)
    }
}

fn fmt_time(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.001 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

fn kib(n: usize) -> String {
    format!("{:.1}", n as f64 / 1024.0)
}

fn print_table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    println!("\n{title}");
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(header.iter().map(|s| s.to_string()).collect());
    println!(
        "|{}|",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("|")
    );
    for row in rows {
        line(row.clone());
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects modules.
    let root = workspace_root();
    let out_dir = target_dir(&root).join("rewind-bench");
    let cache = out_dir.join("cache");
    std::fs::create_dir_all(&cache).expect("create target/rewind-bench/cache");

    let modules = load_modules(&root);
    let sets: Vec<OptionSet> = {
        let wanted = env_list("REWIND_BENCH_SETS");
        option_sets()
            .into_iter()
            .filter(|s| {
                wanted
                    .as_ref()
                    .is_none_or(|w| w.iter().any(|x| x == s.name))
            })
            .collect()
    };
    let wasm_opt = if env_flag("REWIND_BENCH_NO_BINARYEN") {
        None
    } else {
        find_wasm_opt()
    };
    match &wasm_opt {
        Some(w) => println!(
            "wasm-opt: {} ({}) — Binaryen results are cached in {}",
            w.path.display(),
            w.version,
            cache.display()
        ),
        None => println!(
            "note: wasm-opt not found (set WASM_OPT, put it on PATH, or set REWIND_TOOLS to a dir \
             with node_modules/.bin/wasm-opt); Binaryen columns are empty"
        ),
    }

    let mut rows = Vec::new();
    for m in &modules {
        eprintln!("== {} ({} bytes)", m.name, m.wasm.len());
        let reference = execute(&m.wasm, &m.input, false);
        match &reference {
            Ok((t, _)) => eprintln!(
                "   original: run() = {}, {} bytes in, {} bytes out, log: {}",
                t.result,
                m.input.len(),
                t.output.len(),
                String::from_utf8_lossy(&t.logs).trim().replace('\n', " / ")
            ),
            Err(e) => eprintln!("   the original module does not run: {e}"),
        }
        let funcs = count_defined_functions(&m.wasm);
        let orig_o = wasm_opt.as_ref().and_then(|w| {
            eprintln!("   wasm-opt -O (original) ...");
            w.run(&cache, &m.wasm, &["-O".into()])
                .ok()
                .map(|r| code_size(&r.wasm))
        });
        for set in &sets {
            eprintln!("   [{}] ours x{} ...", set.name, m.iters + 1);
            let ours = measure_ours(m, set, &out_dir, &reference);
            let (ours, bin) = match ours {
                Ok((mut ours, wasm)) => {
                    if let Some(w) = &wasm_opt {
                        eprintln!("   [{}] wasm-opt -O (ours) ...", set.name);
                        ours.ours_o = Some(
                            w.run(&cache, &wasm, &["-O".into()])
                                .map(|r| code_size(&r.wasm)),
                        );
                    }
                    (
                        Ok(ours),
                        wasm_opt
                            .as_ref()
                            .map(|w| measure_binaryen(w, &cache, m, set, &out_dir, &reference)),
                    )
                }
                Err(e) => {
                    eprintln!("   [{}] ours FAILED: {e}", set.name);
                    (
                        Err(e),
                        wasm_opt
                            .as_ref()
                            .map(|w| measure_binaryen(w, &cache, m, set, &out_dir, &reference)),
                    )
                }
            };
            rows.push(Row {
                module: m.name.clone(),
                set: set.name,
                funcs,
                orig: code_size(&m.wasm),
                ours,
                bin,
                orig_o,
            });
        }
    }
    report(&rows, wasm_opt.as_ref());
}

fn count_defined_functions(wasm: &[u8]) -> usize {
    use wasmparser::{Parser, Payload};
    Parser::new(0)
        .parse_all(wasm)
        .filter_map(Result::ok)
        .map(|p| match p {
            Payload::FunctionSection(r) => r.count() as usize,
            _ => 0,
        })
        .sum()
}

fn measure_binaryen(
    w: &WasmOpt,
    cache: &Path,
    m: &BenchModule,
    set: &OptionSet,
    out_dir: &Path,
    reference: &Result<(Trace, u64), String>,
) -> Result<BinResult, String> {
    let mut plain = vec!["--asyncify".to_string()];
    plain.extend(set.binaryen.iter().cloned());
    eprintln!("   [{}] wasm-opt {} ...", set.name, plain.join(" "));
    let a = w.run(cache, &m.wasm, &plain)?;
    let mut opt = plain.clone();
    opt.push("-O".into());
    eprintln!("   [{}] wasm-opt {} ...", set.name, opt.join(" "));
    let b = w.run(cache, &m.wasm, &opt)?;
    let _ = std::fs::write(
        out_dir.join(format!("{}.{}.binaryen-O.wasm", m.name, set.name)),
        &b.wasm,
    );
    let exec = match validate(&b.wasm) {
        Ok(()) => exec_check(&b.wasm, &m.input, reference),
        Err(e) => format!("invalid: {e}"),
    };
    let exec = if set.exec_expected || exec.starts_with("ok") {
        exec
    } else {
        format!("{exec} (expected)")
    };
    Ok(BinResult {
        instrumented: count_instrumented(&a.wasm),
        size: code_size(&a.wasm),
        time: a.time,
        size_o: code_size(&b.wasm),
        time_o: b.time,
        cached: a.cached || b.cached,
        exec,
    })
}

fn report(rows: &[Row], wasm_opt: Option<&WasmOpt>) {
    let dash = || "-".to_string();
    // Sizes.
    let mut size_rows = Vec::new();
    for r in rows {
        let ours = r.ours.as_ref().ok();
        let bin = r.bin.as_ref().and_then(|b| b.as_ref().ok());
        let ours_o = ours
            .and_then(|o| o.ours_o.as_ref())
            .and_then(|x| x.as_ref().ok().copied());
        size_rows.push(vec![
            r.module.clone(),
            r.set.to_string(),
            r.funcs.to_string(),
            ours.map_or_else(|| "ERR".into(), |o| o.instrumented.to_string()),
            bin.and_then(|b| b.instrumented)
                .map_or_else(dash, |n| n.to_string()),
            kib(r.orig),
            ours.map_or_else(dash, |o| ratio(o.size, r.orig)),
            bin.map_or_else(dash, |b| ratio(b.size, r.orig)),
            match (ours, bin) {
                (Some(o), Some(b)) => ratio(o.size, b.size),
                _ => dash(),
            },
            r.orig_o.map_or_else(dash, |n| ratio(n, r.orig)),
            ours_o.map_or_else(dash, |n| ratio(n, r.orig)),
            bin.map_or_else(dash, |b| ratio(b.size_o, r.orig)),
            match (ours_o, bin) {
                (Some(o), Some(b)) => ratio(o, b.size_o),
                _ => dash(),
            },
        ]);
    }
    print_table(
        "Sizes (bytes without custom sections; ratios to the original)",
        &[
            "module",
            "options",
            "funcs",
            "instr ours",
            "instr bin",
            "orig KiB",
            "ours/orig",
            "bin/orig",
            "ours/bin",
            "O/orig",
            "ours+O/orig",
            "bin+O/orig",
            "ours+O/bin+O",
        ],
        &size_rows,
    );

    let mut time_rows = Vec::new();
    for r in rows {
        let ours = r.ours.as_ref().ok();
        let bin = r.bin.as_ref().and_then(|b| b.as_ref().ok());
        time_rows.push(vec![
            r.module.clone(),
            r.set.to_string(),
            ours.map_or_else(dash, |o| o.call_sites.to_string()),
            ours.map_or_else(dash, |o| fmt_time(o.median)),
            ours.map_or_else(dash, |o| fmt_time(o.min)),
            bin.map_or_else(dash, |b| {
                format!("{}{}", fmt_time(b.time), if b.cached { "*" } else { "" })
            }),
            bin.map_or_else(dash, |b| {
                format!("{}{}", fmt_time(b.time_o), if b.cached { "*" } else { "" })
            }),
            match (ours, bin) {
                (Some(o), Some(b)) => {
                    format!("{:.4}", o.median.as_secs_f64() / b.time.as_secs_f64())
                }
                _ => dash(),
            },
            ours.map_or_else(dash, |o| match &o.valid {
                Ok(()) => "valid".into(),
                Err(e) => format!("INVALID: {e}"),
            }),
            ours.map_or_else(dash, |o| o.exec.clone()),
            bin.map_or_else(dash, |b| b.exec.clone()),
        ]);
    }
    print_table(
        "Time and checks (ours: median of N runs after one warm-up)",
        &[
            "module",
            "options",
            "call sites",
            "time ours",
            "min ours",
            "time bin",
            "time bin -O",
            "ours/bin",
            "ours valid",
            "exec ours",
            "exec bin -O",
        ],
        &time_rows,
    );

    let failures: Vec<&Row> = rows.iter().filter(|r| r.ours.is_err()).collect();
    for r in &failures {
        println!(
            "\nERROR: ours failed on {} [{}]: {}",
            r.module,
            r.set,
            r.ours.as_ref().err().unwrap()
        );
    }
    for r in rows {
        if let Some(Err(e)) = &r.bin {
            println!("note: Binaryen failed on {} [{}]: {e}", r.module, r.set);
        }
        if let Ok(o) = &r.ours
            && let Some(Err(e)) = &o.ours_o
        {
            println!(
                "note: wasm-opt -O on our output failed for {} [{}]: {e}",
                r.module, r.set
            );
        }
    }

    if let Some(w) = wasm_opt {
        println!(
            "\nnote: `time bin` is {} — {}; `*` marks times read from the cache.",
            w.path.display(),
            if w.path.to_string_lossy().contains("node_modules") {
                "a JavaScript build of Binaryen (npm `binaryen`), much slower than native wasm-opt: \
                 the time ratio is NOT a comparison with a native build"
            } else {
                "whatever build that is; compare times only against a native build"
            }
        );
    }

    // The project's goals.
    println!();
    for r in rows.iter().filter(|r| r.orig >= 1 << 20) {
        match &r.ours {
            Ok(o) => println!(
                "goal: {} ({} KiB) [{}] transformed in {} (median): {}",
                r.module,
                kib(r.orig),
                r.set,
                fmt_time(o.median),
                if o.median < Duration::from_secs(1) {
                    "MET (< 1 s)"
                } else {
                    "NOT MET (>= 1 s)"
                }
            ),
            Err(_) => println!("goal: {} [{}]: NOT MET (transform failed)", r.module, r.set),
        }
    }
    for r in rows {
        let (Ok(o), Some(Ok(b))) = (&r.ours, &r.bin) else {
            continue;
        };
        let ours_o = o.ours_o.as_ref().and_then(|x| x.as_ref().ok().copied());
        println!(
            "goal: {} [{}] size <= Binaryen: instrumented {} ({} vs {} bytes), after -O {}",
            r.module,
            r.set,
            if o.size <= b.size { "MET" } else { "NOT MET" },
            o.size,
            b.size,
            match ours_o {
                Some(n) => format!(
                    "{} ({n} vs {} bytes)",
                    if n <= b.size_o { "MET" } else { "NOT MET" },
                    b.size_o
                ),
                None => "-".into(),
            }
        );
    }
}
