//! Function bodies held as bytes instead of walrus trees.
//!
//! walrus holds a parsed function as a tree of about 100 bytes an
//! instruction, so a large module's trees dominate the transform's memory
//! (PHP, 23 MB: about 0.8 GB). Two kinds of function give theirs up:
//!
//! * Functions the transform leaves alone: once the analysis has said
//!   which, their trees are emptied and their bodies are taken from the
//!   input.
//! * Instrumented functions, when the instrumented code reaches
//!   `Options::flush_after` instructions: the module is emitted once to
//!   encode them, and their trees are emptied (a *flush*). The memory they
//!   held goes to the functions instrumented next.
//!
//! An emptied function keeps its type and a stand-in body of `unreachable`
//! (plus a `data.drop` of a segment the body used, so that walrus still
//! writes the data count section). After the final emission the held
//! bodies replace the stand-ins, byte for byte but for indices: walrus
//! orders functions and types its own way, and the transform adds imports,
//! globals, tables and functions, so every index is renumbered from the
//! index space the body was encoded in (the input's, or a flush's) to the
//! output's.
//!
//! The renumbering comes from walrus itself. [`Ids`] lists the item behind
//! each index of one index space: the input's comes from walrus's parser
//! (`on_parse`); a flush's, and the output's, from custom sections that
//! walrus hands the indices of the emission it is writing ([`FlushCapture`],
//! [`Capture`]). The output's capture section is removed by the splice.
//!
//! A body copied from the input keeps exactly the input's instructions
//! (walrus would have dropped unreachable code and re-chosen encodings);
//! local names other than parameters' are not carried for held bodies.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard};

use walrus::ir::{DataDrop, Instr, InstrLocId, InstrSeqType, Unreachable};
use walrus::{
    DataId, ElementId, FunctionId, FunctionKind, GlobalId, IdsToIndices, IndicesToIds, MemoryId,
    Module, TableId, TagId, TypeId,
};
use wasm_encoder::Encode;
use wasm_encoder::reencode::{self, Reencode};
use wasmparser::{BinaryReader, FunctionBody, Parser, Payload};

use crate::encoded::{CODE_SECTION, Replace, leb128};
use crate::error::{Error, Result};
use crate::ir::{for_each_instr, sequences};

/// The name of the section that carries the output's indices out of
/// walrus's emission (never left in the output).
const CAPTURE_SECTION: &str = "rewind.renumbering";

/// Declares, for every index space (one row each: the field, walrus's id
/// type, its lookups by input index and by output index, the `Reencode`
/// method, the space's name in messages), [`Ids`], `Renumbering` and the
/// per-space code between them.
macro_rules! index_spaces {
    ($($field:ident: $id:ty, $parsed:ident, $emitted:ident, $method:ident, $what:literal;)*) => {
        /// The items of a module, per index space, in the order of one
        /// index space's indices.
        #[derive(Debug, Default, Clone)]
        pub(crate) struct Ids {
            $($field: Vec<$id>,)*
        }

        /// Where each index of one source went in the output, per index
        /// space.
        #[derive(Debug, Default)]
        struct Renumbering {
            $($field: Vec<u32>,)*
        }

        impl Ids {
            /// The input's: walrus's map from input indices to items (from
            /// `on_parse`).
            pub(crate) fn of_input(ids: &IndicesToIds) -> Ids {
                Ids {
                    $($field: (0..).map_while(|i| ids.$parsed(i).ok()).collect(),)*
                }
            }

            /// These items (all of a module's), ordered by the indices
            /// `out` gives them.
            fn ordered_by(&self, out: &IdsToIndices) -> Ids {
                Ids {
                    $($field: order(&self.$field, |x| out.$emitted(x)),)*
                }
            }

            /// Where each of these items went in the emission `out`
            /// describes.
            fn renumbering(&self, out: &IdsToIndices) -> Renumbering {
                Renumbering {
                    $($field: self.$field.iter().map(|&x| out.$emitted(x)).collect(),)*
                }
            }
        }

        impl Reencode for Renumbering {
            type Error = String;

            $(fn $method(&mut self, i: u32) -> Result<u32, reencode::Error<String>> {
                renumber(&self.$field, i, $what)
            })*
        }
    };
}

index_spaces! {
    funcs: FunctionId, get_func, get_func_index, function_index, "function";
    types: TypeId, get_type, get_type_index, type_index, "type";
    globals: GlobalId, get_global, get_global_index, global_index, "global";
    tables: TableId, get_table, get_table_index, table_index, "table";
    memories: MemoryId, get_memory, get_memory_index, memory_index, "memory";
    elements: ElementId, get_element, get_element_index, element_index, "element segment";
    data: DataId, get_data, get_data_index, data_index, "data segment";
    tags: TagId, get_tag, get_tag_index, tag_index, "tag";
}

impl Ids {
    /// Every item of `module` that walrus emits, in arena order.
    fn all(module: &Module) -> Ids {
        Ids {
            funcs: module.funcs.iter().map(|f| f.id()).collect(),
            types: emitted_types(module),
            globals: module.globals.iter().map(|g| g.id()).collect(),
            tables: module.tables.iter().map(|t| t.id()).collect(),
            memories: module.memories.iter().map(|m| m.id()).collect(),
            elements: module.elements.iter().map(|e| e.id()).collect(),
            data: module.data.iter().map(|d| d.id()).collect(),
            tags: module.tags.iter().map(|t| t.id).collect(),
        }
    }
}

/// `items` sorted by `index`.
fn order<T: Copy>(items: &[T], index: impl Fn(T) -> u32) -> Vec<T> {
    let mut by_index: Vec<(u32, T)> = items.iter().map(|&t| (index(t), t)).collect();
    by_index.sort_by_key(|&(i, _)| i);
    by_index.into_iter().map(|(_, t)| t).collect()
}

/// Where `index` of one space went (`map[index]`), or an error naming the
/// space.
fn renumber(map: &[u32], index: u32, space: &str) -> Result<u32, reencode::Error<String>> {
    map.get(index as usize).copied().ok_or_else(|| {
        reencode::Error::UserError(format!("{space} index {index} is not in its source"))
    })
}

/// The types walrus writes: those of its recursion groups, but for the
/// groups of function-entry types (the results of a function body as a
/// block type, internal to walrus), which are the types of the entry
/// blocks of functions with several results.
fn emitted_types(module: &Module) -> Vec<TypeId> {
    let entry: HashSet<TypeId> = module
        .funcs
        .iter_local()
        .filter_map(|(_, f)| match f.block(f.entry_block()).ty {
            InstrSeqType::MultiValue(t) => Some(t),
            InstrSeqType::Simple(_) => None,
        })
        .collect();
    module
        .types
        .rec_groups()
        .iter()
        .filter(|g| !g.types.iter().all(|t| entry.contains(t)))
        .flat_map(|g| g.types.iter().copied())
        .collect()
}

/// Bodies encoded in one index space: the input, or one flush.
struct Source<'a> {
    ids: Ids,
    bytes: Cow<'a, [u8]>,
}

/// A held body: which source, and where in its bytes.
#[derive(Debug, Clone)]
struct Held {
    source: usize,
    range: Range<usize>,
}

/// The bodies held as bytes, and the functions that will take them.
pub(crate) struct Bodies<'a> {
    sources: Vec<Source<'a>>,
    /// The input's function bodies, in order (in `sources[0]`).
    input_bodies: Vec<Range<usize>>,
    /// The input index of the first body (imported functions come first).
    first_defined: usize,
    /// The emptied functions and their bodies.
    held: Vec<(FunctionId, Held)>,
    /// Filled in by [`Capture`] while walrus emits.
    captured: Arc<Mutex<Option<Captured>>>,
}

impl<'a> Bodies<'a> {
    /// `input` is the binary walrus parsed, `ids` what its parser recorded.
    pub(crate) fn new(input: &'a [u8], ids: Ids) -> Bodies<'a> {
        let mut input_bodies = Vec::new();
        for payload in Parser::new(0).parse_all(input) {
            match payload {
                Ok(Payload::CodeSectionEntry(body)) => input_bodies.push(body.range()),
                Ok(_) => {}
                // walrus read it, so this does not happen; copy nothing.
                Err(_) => {
                    input_bodies.clear();
                    break;
                }
            }
        }
        let first_defined = ids
            .funcs
            .len()
            .checked_sub(input_bodies.len())
            .unwrap_or_else(|| {
                input_bodies.clear();
                0
            });
        Bodies {
            sources: vec![Source {
                ids,
                bytes: Cow::Borrowed(input),
            }],
            input_bodies,
            first_defined,
            held: Vec::new(),
            captured: Arc::default(),
        }
    }

    /// Empties the trees of `functions` (defined functions the rest of the
    /// transform does not change), whose input bodies go to the output.
    /// Returns how many were emptied.
    pub(crate) fn keep_input(
        &mut self,
        module: &mut Module,
        functions: impl Iterator<Item = FunctionId>,
    ) -> usize {
        let input = &self.sources[0].ids.funcs;
        let by_id: HashMap<FunctionId, usize> = input[self.first_defined..]
            .iter()
            .enumerate()
            .map(|(i, &f)| (f, i))
            .collect();
        let mut count = 0;
        for id in functions {
            let Some(&position) = by_id.get(&id) else {
                continue;
            };
            if empty(module, id) {
                let range = self.input_bodies[position].clone();
                self.held.push((id, Held { source: 0, range }));
                count += 1;
            }
        }
        count
    }

    /// Encodes `functions` (instrumented, and changed by no later step) by
    /// emitting the module, keeps their bodies and empties their trees.
    pub(crate) fn flush(&mut self, module: &mut Module, functions: &[FunctionId]) -> Result<()> {
        if functions.is_empty() {
            return Ok(());
        }
        let order = Arc::new(Mutex::new(None));
        // walrus takes the custom sections for the emission and does not
        // give them back: the module's own wait outside.
        let customs = std::mem::take(&mut module.customs);
        module.customs.add(FlushCapture {
            all: Ids::all(module),
            order: Arc::clone(&order),
        });
        let wasm = module.emit_wasm();
        module.customs = customs;
        let Some(ids) = lock(&order).take() else {
            return Err(broken("(module)", "the flush captured no indices".into()));
        };
        let position: HashMap<FunctionId, u32> =
            ids.funcs.iter().zip(0..).map(|(&f, i)| (f, i)).collect();
        let wanted: HashMap<u32, FunctionId> = functions
            .iter()
            .filter_map(|f| Some((*position.get(f)?, *f)))
            .collect();
        let mut bytes = Vec::new();
        let mut found = Vec::new();
        for_each_body(&wasm, |index, body| {
            if let Some(&f) = wanted.get(&index) {
                let span = body.range();
                let start = bytes.len();
                bytes.extend_from_slice(&wasm[span]);
                found.push((f, start..bytes.len()));
            }
        })?;
        let source = self.sources.len();
        self.sources.push(Source {
            ids,
            bytes: Cow::Owned(bytes),
        });
        for (f, range) in found {
            if empty(module, f) {
                self.held.push((f, Held { source, range }));
            }
        }
        Ok(())
    }

    /// Adds the section that reads the output's indices while walrus
    /// emits, if any function was emptied.
    pub(crate) fn capture(&mut self, module: &mut Module) {
        if self.held.is_empty() {
            return;
        }
        module.customs.add(Capture {
            sources: self.sources.iter().map(|s| s.ids.clone()).collect(),
            held: std::mem::take(&mut self.held),
            captured: Arc::clone(&self.captured),
        });
    }

    /// `wasm` (walrus's output) with the held bodies in place of their
    /// stand-ins, renumbered, and without the capture section.
    pub(crate) fn splice(&self, wasm: Vec<u8>) -> Result<Vec<u8>> {
        let Some(mut captured) = lock(&self.captured).take() else {
            return Ok(wasm);
        };
        let mut section = Vec::with_capacity(wasm.len());
        let mut code = None;
        let mut capture = None;
        for payload in Parser::new(0).parse_all(&wasm) {
            match payload.map_err(|e| broken("(module)", e.to_string()))? {
                Payload::CodeSectionStart { count, range, .. } => {
                    leb128(&mut section, u64::from(count));
                    code = Some(range);
                }
                Payload::CustomSection(c) if c.name() == CAPTURE_SECTION => {
                    capture = Some(c.range());
                }
                _ => {}
            }
        }
        for_each_body(&wasm, |index, body| match captured.bodies.get(&index) {
            Some(held) => {
                let held = held.clone();
                self.copy_body(
                    index,
                    &held,
                    &mut captured.renumberings[held.source],
                    &mut section,
                )
            }
            None => {
                let span = body.range();
                leb128(&mut section, span.len() as u64);
                section.extend_from_slice(&wasm[span]);
                Ok(())
            }
        })?
        .into_iter()
        .collect::<Result<()>>()?;
        let (Some(code), Some(capture)) = (code, capture) else {
            return Err(broken(
                "(module)",
                "the output lacks its code or capture section".into(),
            ));
        };
        crate::encoded::replace_sections(
            &wasm,
            vec![
                Replace {
                    contents: code,
                    with: Some((CODE_SECTION, section)),
                },
                Replace {
                    contents: capture,
                    with: None,
                },
            ],
        )
        .ok_or_else(|| broken("(module)", "a section header is malformed".into()))
    }

    /// Appends the held body of output function `index`, renumbered, to
    /// `section`.
    fn copy_body(
        &self,
        index: u32,
        held: &Held,
        renumbering: &mut Renumbering,
        section: &mut Vec<u8>,
    ) -> Result<()> {
        let function = format!("func[{index}]");
        let fail = |detail: String| broken(&function, detail);
        let bytes = self.sources[held.source]
            .bytes
            .get(held.range.clone())
            .ok_or_else(|| fail("the held body is out of range".into()))?;
        let body = FunctionBody::new(BinaryReader::new(bytes, held.range.start));
        let mut out = renumbering
            .new_function_with_parsed_locals(&body)
            .map_err(|e| fail(e.to_string()))?;
        let mut reader = body
            .get_operators_reader()
            .map_err(|e| fail(e.to_string()))?;
        while !reader.eof() {
            let instr = renumbering
                .parse_instruction(&mut reader)
                .map_err(|e| fail(e.to_string()))?;
            out.instruction(&instr);
        }
        out.encode(section);
        Ok(())
    }
}

/// Empties the tree of defined function `id`, leaving the stand-in;
/// `false` if it is not a defined function.
fn empty(module: &mut Module, id: FunctionId) -> bool {
    let FunctionKind::Local(func) = &mut module.funcs.get_mut(id).kind else {
        return false;
    };
    let mut data = None;
    for_each_instr(func, func.entry_block(), |i| match i {
        Instr::MemoryInit(m) => data = data.or(Some(m.data)),
        Instr::DataDrop(d) => data = data.or(Some(d.data)),
        _ => {}
    });
    for seq in sequences(func) {
        func.block_mut(seq).instrs = Vec::new();
    }
    let mut stand_in = vec![(Instr::Unreachable(Unreachable {}), InstrLocId::default())];
    if let Some(data) = data {
        stand_in.push((Instr::DataDrop(DataDrop { data }), InstrLocId::default()));
    }
    let entry = func.entry_block();
    func.block_mut(entry).instrs = stand_in;
    true
}

/// Calls `each(function index, body)` for every body of `wasm`'s code
/// section, and collects what it returns.
fn for_each_body<T>(
    wasm: &[u8],
    mut each: impl FnMut(u32, FunctionBody<'_>) -> T,
) -> Result<Vec<T>> {
    let mut imported = 0u32;
    let mut position = 0u32;
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| broken("(module)", e.to_string()))? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    let import = import.map_err(|e| broken("(module)", e.to_string()))?;
                    if matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                out.push(each(imported + position, body));
                position += 1;
            }
            _ => {}
        }
    }
    Ok(out)
}

fn broken(function: &str, detail: String) -> Error {
    Error::Copy {
        function: function.to_string(),
        detail,
    }
}

/// What the output's capture section recorded.
#[derive(Debug)]
struct Captured {
    /// Per source, where its indices went.
    renumberings: Vec<Renumbering>,
    /// The output function index of each held body.
    bodies: HashMap<u32, Held>,
}

/// The custom section whose contents walrus asks for once every index of
/// the output is assigned: it records them, and contributes no bytes.
#[derive(Debug)]
struct Capture {
    sources: Vec<Ids>,
    held: Vec<(FunctionId, Held)>,
    captured: Arc<Mutex<Option<Captured>>>,
}

impl walrus::CustomSection for Capture {
    fn name(&self) -> &str {
        CAPTURE_SECTION
    }

    fn data(&self, out: &IdsToIndices) -> Cow<'_, [u8]> {
        // Every item a source names is emitted (walrus writes all it holds
        // and the transform removes none), so each has an index.
        let captured = Captured {
            renumberings: self.sources.iter().map(|s| s.renumbering(out)).collect(),
            bodies: self
                .held
                .iter()
                .map(|(f, held)| (out.get_func_index(*f), held.clone()))
                .collect(),
        };
        *lock(&self.captured) = Some(captured);
        Cow::Borrowed(&[])
    }
}

/// The custom section of a flush's emission: it records the order of
/// every item in it, and contributes no bytes (the flush's output is only
/// read for bodies).
#[derive(Debug)]
struct FlushCapture {
    all: Ids,
    order: Arc<Mutex<Option<Ids>>>,
}

impl walrus::CustomSection for FlushCapture {
    fn name(&self) -> &str {
        CAPTURE_SECTION
    }

    fn data(&self, out: &IdsToIndices) -> Cow<'_, [u8]> {
        *lock(&self.order) = Some(self.all.ordered_by(out));
        Cow::Borrowed(&[])
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use wasmi::{Engine, Linker, Module, Store, Val};

    use crate::{Options, asyncify};

    /// `$pure` is left alone and reaches into every index space the
    /// transform moves: functions (the intrinsic import becomes a defined
    /// function, `--record-unwinds` adds an import, walrus reorders by
    /// size), types, globals (`--import-globals` puts the transform's
    /// before the module's own), tables, passive data and element
    /// segments, a declared `ref.func`.
    const MODULE: &str = r#"
      (module
        (import "asyncify" "start_unwind" (func $start_unwind (param i32)))
        (import "env" "sleep" (func $sleep))
        (import "env" "base" (global $base i32))
        (type $bin (func (param i32 i32) (result i32)))
        (memory 1)
        (table $t 4 funcref)
        (global $acc (mut i32) (i32.const 5))
        (data $d "\2a\00\00\00")
        (data (i32.const 64) "\07")
        (elem $fns func $add $sub)
        (elem declare func $sub)
        (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
        (func $sub (type $bin) (i32.sub (local.get 0) (local.get 1)))
        (func $pure (export "pure") (param $x i32) (result i32)
          (local $r i32)
          (table.init $t $fns (i32.const 0) (i32.const 0) (i32.const 2))
          (memory.init $d (i32.const 16) (i32.const 0) (i32.const 4))
          (global.set $acc (i32.add (global.get $acc) (global.get $base)))
          (local.set $r
            (call_indirect $t (type $bin)
              (local.get $x) (i32.load (i32.const 16)) (i32.and (local.get $x) (i32.const 1))))
          (local.set $r (i32.add (local.get $r) (global.get $acc)))
          (local.set $r (i32.add (local.get $r) (i32.load8_u (i32.const 64))))
          (if (ref.is_null (ref.func $sub)) (then unreachable))
          (i32.add (local.get $r) (call $add (i32.const 100) (i32.const 0))))
        (func $busy (export "busy") (param $x i32) (result i32)
          (local $r i32)
          (call $sleep)
          (table.init $t $fns (i32.const 0) (i32.const 0) (i32.const 2))
          (memory.init $d (i32.const 16) (i32.const 0) (i32.const 4))
          (global.set $acc (i32.add (global.get $acc) (global.get $base)))
          (local.set $r
            (call_indirect $t (type $bin)
              (local.get $x) (i32.load (i32.const 16)) (i32.and (local.get $x) (i32.const 1))))
          (call $sleep)
          (local.set $r (i32.add (local.get $r) (global.get $acc)))
          (if (ref.is_null (ref.func $sub)) (then unreachable))
          (i32.add (local.get $r) (call $add (i32.const 100) (i32.const 0))))
        (func $sleeper (export "sleeper") (call $sleep))
        (func $runtime (export "runtime") (call $start_unwind (i32.const 0))))
    "#;

    fn run(wasm: &[u8], export: &str, x: i32) -> i32 {
        let engine = Engine::default();
        let module = Module::new(&engine, wasm).unwrap();
        let mut store = Store::new(&engine, ());
        let mut linker = <Linker<()>>::new(&engine);
        linker.func_wrap("env", "sleep", || {}).unwrap();
        linker
            .func_wrap("asyncify", "start_unwind", |_: i32| {})
            .unwrap();
        linker.func_wrap("rewind", "unwound", |_: i32| {}).unwrap();
        let base = wasmi::Global::new(&mut store, Val::I32(1000), wasmi::Mutability::Const);
        linker.define("env", "base", base).unwrap();
        for name in [crate::abi::STATE_GLOBAL, crate::abi::DATA_GLOBAL] {
            let abi = wasmi::Global::new(&mut store, Val::I32(0), wasmi::Mutability::Var);
            linker.define("env", name, abi).unwrap();
        }
        let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
        let f = instance.get_typed_func::<i32, i32>(&store, export).unwrap();
        f.call(&mut store, x).unwrap()
    }

    /// Options that move every index space `MODULE` uses: an import added
    /// (`--record-unwinds`) and globals imported in front.
    fn moving_options() -> Options {
        Options {
            imports: Some(vec!["env.sleep".into()]),
            record_unwinds: true,
            import_globals: true,
            ..Options::default()
        }
    }

    /// `export` of `output` gives what it gives in `input`, for a few `x`.
    fn runs_alike(output: &[u8], input: &[u8], export: &str) {
        for x in [0, 1, 10, 11] {
            assert_eq!(run(output, export, x), run(input, export, x), "x = {x}");
        }
    }

    #[test]
    fn a_copied_body_is_renumbered_into_the_output() {
        let input = wat::parse_str(MODULE).unwrap();
        let out = asyncify(&input, &moving_options()).unwrap();
        let pure = out
            .report
            .decisions
            .iter()
            .find(|d| d.function == "pure")
            .unwrap();
        assert!(!pure.instrumented);
        // x + 42 or x - 42, plus 5 + 1000, plus 7, plus 100.
        runs_alike(&out.wasm, &input, "pure");
        assert_eq!(run(&out.wasm, "pure", 10), 10 + 42 + 1005 + 7 + 100);
        // No stand-in and no capture section is left.
        let printed = wasmprinter::print_bytes(&out.wasm).unwrap();
        assert!(!printed.contains(super::CAPTURE_SECTION), "{printed}");
        assert!(printed.contains("memory.init"), "{printed}");
    }

    /// `$busy` is instrumented and encoded early (a flush after every
    /// function), then renumbered from that encoding's index spaces into
    /// the output's, where the transform has added functions since.
    #[test]
    fn an_early_encoded_body_is_renumbered_into_the_output() {
        let input = wat::parse_str(MODULE).unwrap();
        let options = Options {
            flush_after: Some(0),
            ..moving_options()
        };
        let out = asyncify(&input, &options).unwrap();
        assert!(out.report.functions_flushed >= 1, "{:?}", out.report);
        let without = asyncify(
            &input,
            &Options {
                flush_after: None,
                ..options
            },
        )
        .unwrap();
        assert_eq!(without.report.functions_flushed, 0);
        // Each run starts from a fresh instance: `$acc` grows per call.
        runs_alike(&out.wasm, &input, "busy");
        runs_alike(&without.wasm, &input, "busy");
        assert_eq!(run(&out.wasm, "busy", 10), 10 + 42 + 1005 + 100);
    }

    /// A block type with the same results as its function: walrus keeps a
    /// separate, unwritten type for the function's entry, which the
    /// flush's index map must leave out.
    #[test]
    fn a_flushed_block_type_equal_to_the_results_is_renumbered() {
        let input = wat::parse_str(
            r#"(module
                 (import "env" "sleep" (func $sleep))
                 (memory 1)
                 (type $pair (func (result i32 i64)))
                 (func $g (export "g") (result i32 i64)
                   (call $sleep)
                   (block (type $pair) (i32.const 7) (i64.const 9)))
                 (func $h (export "h") (param i32) (result i32)
                   (call $sleep)
                   call $g
                   i64.const 1
                   i64.add
                   i32.wrap_i64
                   i32.add
                   local.get 0
                   i32.add)
                 (func $sleeper (export "sleeper") (call $sleep)))"#,
        )
        .unwrap();
        let options = Options {
            flush_after: Some(0),
            ..Options::default()
        };
        let out = asyncify(&input, &options).unwrap();
        assert!(out.report.functions_flushed >= 2, "{:?}", out.report);
        let engine = Engine::default();
        let module = Module::new(&engine, &out.wasm).unwrap();
        let mut store = Store::new(&engine, ());
        let mut linker = <Linker<()>>::new(&engine);
        linker.func_wrap("env", "sleep", || {}).unwrap();
        let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
        let h = instance.get_typed_func::<i32, i32>(&store, "h").unwrap();
        assert_eq!(h.call(&mut store, 5).unwrap(), 7 + 10 + 5);
    }

    #[test]
    fn only_the_data_count_needs_a_stand_in_that_uses_data() {
        // `$pure`'s `data.drop` of an active segment is the module's only
        // use of a data index: the output still needs its data count.
        let input = wat::parse_str(
            r#"(module
                 (import "env" "sleep" (func $sleep))
                 (memory 1)
                 (data (i32.const 0) "x")
                 (func $pure (export "pure") (param i32) (result i32) (data.drop 0) (local.get 0))
                 (func $sleeper (export "sleeper") (call $sleep)))"#,
        )
        .unwrap();
        let out = asyncify(&input, &Options::default()).unwrap();
        wasmparser::validate(&out.wasm).unwrap();
    }
}
