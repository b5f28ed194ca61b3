//! Functions the transform leaves alone are copied from the input.
//!
//! walrus holds a parsed function as a tree of about 100 bytes an
//! instruction, so a large module's trees dominate the transform's memory
//! (PHP, 23 MB: about 0.8 GB). Once the analysis has said which functions
//! get no instrumentation, their trees are emptied: each keeps its type and
//! a body of `unreachable` (plus a `data.drop` of a segment it uses, so that
//! walrus still writes the data count section), and the memory goes to the
//! functions being rewritten. After emission their input bodies replace
//! those stand-ins, byte for byte but for indices: walrus orders functions
//! and types its own way, and the transform adds imports, globals and
//! tables, so every index is renumbered to the output's.
//!
//! The renumbering comes from walrus itself. [`InputIds`] records, while
//! walrus parses, which item each index of the input became; a custom
//! section added before emission ([`Capture`]) is handed, while walrus
//! emits, the index each item got; the splice removes that section.
//!
//! A copied body keeps exactly the input's instructions (walrus would have
//! dropped unreachable code and re-chosen encodings), and its local names
//! beyond the parameters are not carried into the output's name section.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use walrus::ir::{DataDrop, Instr, InstrLocId, Unreachable};
use walrus::{
    DataId, ElementId, FunctionId, FunctionKind, GlobalId, IdsToIndices, IndicesToIds, MemoryId,
    Module, TableId, TagId, TypeId,
};
use wasm_encoder::Encode;
use wasm_encoder::reencode::{self, Reencode};
use wasmparser::{FunctionBody, Parser, Payload};

use crate::encoded::{CODE_SECTION, Replace, leb128};
use crate::error::{Error, Result};
use crate::ir::{for_each_instr, sequences};

/// The name of the section that carries the output's indices out of
/// walrus's emission (never left in the output).
const CAPTURE_SECTION: &str = "rewind.renumbering";

/// Which walrus item each index of the input became, per index space.
#[derive(Debug, Default)]
pub(crate) struct InputIds {
    funcs: Vec<FunctionId>,
    types: Vec<TypeId>,
    globals: Vec<GlobalId>,
    tables: Vec<TableId>,
    memories: Vec<MemoryId>,
    elements: Vec<ElementId>,
    data: Vec<DataId>,
    tags: Vec<TagId>,
}

impl InputIds {
    /// Reads walrus's map from input indices to items (from `on_parse`).
    pub(crate) fn record(ids: &IndicesToIds) -> InputIds {
        InputIds {
            funcs: (0..).map_while(|i| ids.get_func(i).ok()).collect(),
            types: (0..).map_while(|i| ids.get_type(i).ok()).collect(),
            globals: (0..).map_while(|i| ids.get_global(i).ok()).collect(),
            tables: (0..).map_while(|i| ids.get_table(i).ok()).collect(),
            memories: (0..).map_while(|i| ids.get_memory(i).ok()).collect(),
            elements: (0..).map_while(|i| ids.get_element(i).ok()).collect(),
            data: (0..).map_while(|i| ids.get_data(i).ok()).collect(),
            tags: (0..).map_while(|i| ids.get_tag(i).ok()).collect(),
        }
    }
}

/// The input's function bodies, and the functions that will take theirs.
pub(crate) struct Untouched<'a> {
    ids: InputIds,
    /// The input's function bodies, in order.
    bodies: Vec<FunctionBody<'a>>,
    /// The input index of the first body (imported functions come first).
    first_defined: usize,
    /// Emptied functions, with the input index of the body each takes.
    emptied: Vec<(FunctionId, u32)>,
    /// Filled in by [`Capture`] while walrus emits.
    renumbering: Arc<Mutex<Option<Renumbering>>>,
}

impl<'a> Untouched<'a> {
    /// `input` is the binary walrus parsed, `ids` what it recorded.
    pub(crate) fn new(input: &'a [u8], ids: InputIds) -> Untouched<'a> {
        let mut bodies = Vec::new();
        for payload in Parser::new(0).parse_all(input) {
            match payload {
                Ok(Payload::CodeSectionEntry(body)) => bodies.push(body),
                Ok(_) => {}
                // walrus read it, so this does not happen; copy nothing.
                Err(_) => {
                    bodies.clear();
                    break;
                }
            }
        }
        let first_defined = ids
            .funcs
            .len()
            .checked_sub(bodies.len())
            .unwrap_or_else(|| {
                bodies.clear();
                0
            });
        Untouched {
            ids,
            bodies,
            first_defined,
            emptied: Vec::new(),
            renumbering: Arc::default(),
        }
    }

    /// Empties the trees of `functions` (defined functions the rest of the
    /// transform does not change), whose input bodies go to the output.
    /// Returns how many were emptied.
    pub(crate) fn empty(
        &mut self,
        module: &mut Module,
        functions: impl Iterator<Item = FunctionId>,
    ) -> usize {
        let input_index: HashMap<FunctionId, u32> = self.ids.funcs[self.first_defined..]
            .iter()
            .zip(self.first_defined as u32..)
            .map(|(&f, i)| (f, i))
            .collect();
        for id in functions {
            let Some(&index) = input_index.get(&id) else {
                continue;
            };
            let FunctionKind::Local(func) = &mut module.funcs.get_mut(id).kind else {
                continue;
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
            self.emptied.push((id, index));
        }
        self.emptied.len()
    }

    /// Adds the section that reads the output's indices while walrus
    /// emits, if any function was emptied.
    pub(crate) fn capture(&mut self, module: &mut Module) {
        if self.emptied.is_empty() {
            return;
        }
        module.customs.add(Capture {
            ids: std::mem::take(&mut self.ids),
            emptied: std::mem::take(&mut self.emptied),
            renumbering: Arc::clone(&self.renumbering),
        });
    }

    /// `wasm` (walrus's output) with the emptied functions' input bodies in
    /// place of their stand-ins, renumbered, and without the capture
    /// section.
    pub(crate) fn splice(&self, wasm: Vec<u8>) -> Result<Vec<u8>> {
        let Some(mut renumbering) = lock(&self.renumbering).take() else {
            return Ok(wasm);
        };
        self.spliced(&wasm, &mut renumbering)
    }

    fn spliced(&self, wasm: &[u8], renumbering: &mut Renumbering) -> Result<Vec<u8>> {
        let broken = |detail: String| Error::Copy {
            function: "(module)".into(),
            detail,
        };
        let mut code = None;
        let mut capture = None;
        let mut imported = 0u32;
        let mut position = 0u32;
        let mut section = Vec::with_capacity(wasm.len());
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(|e| broken(e.to_string()))? {
                Payload::ImportSection(imports) => {
                    for import in imports.into_imports() {
                        let import = import.map_err(|e| broken(e.to_string()))?;
                        if matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                            imported += 1;
                        }
                    }
                }
                Payload::CodeSectionStart { count, range, .. } => {
                    leb128(&mut section, u64::from(count));
                    code = Some(range);
                }
                Payload::CodeSectionEntry(body) => {
                    let index = imported + position;
                    position += 1;
                    match renumbering.bodies.get(&index) {
                        Some(&input) => self.copy_body(input, renumbering, &mut section)?,
                        None => {
                            let span = body.range();
                            leb128(&mut section, span.len() as u64);
                            section.extend_from_slice(&wasm[span]);
                        }
                    }
                }
                Payload::CustomSection(c) if c.name() == CAPTURE_SECTION => {
                    capture = Some(c.range());
                }
                _ => {}
            }
        }
        let (Some(code), Some(capture)) = (code, capture) else {
            return Err(broken(
                "the output lacks its code or capture section".into(),
            ));
        };
        crate::encoded::replace_sections(
            wasm,
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
        .ok_or_else(|| broken("a section header is malformed".into()))
    }

    /// Appends the input body of function `input`, renumbered, to `section`.
    fn copy_body(
        &self,
        input: u32,
        renumbering: &mut Renumbering,
        section: &mut Vec<u8>,
    ) -> Result<()> {
        let broken = |detail: String| Error::Copy {
            function: format!("func[{input}]"),
            detail,
        };
        let body = usize::try_from(input)
            .ok()
            .and_then(|i| i.checked_sub(self.first_defined))
            .and_then(|i| self.bodies.get(i))
            .ok_or_else(|| broken("no such body in the input".into()))?;
        let mut function = renumbering
            .new_function_with_parsed_locals(body)
            .map_err(|e| broken(e.to_string()))?;
        let mut reader = body
            .get_operators_reader()
            .map_err(|e| broken(e.to_string()))?;
        while !reader.eof() {
            let instr = renumbering
                .parse_instruction(&mut reader)
                .map_err(|e| broken(e.to_string()))?;
            function.instruction(&instr);
        }
        function.encode(section);
        Ok(())
    }
}

/// Where each input index went in the output, per index space, and which
/// output functions take an input body.
#[derive(Debug, Default)]
struct Renumbering {
    funcs: Vec<u32>,
    types: Vec<u32>,
    globals: Vec<u32>,
    tables: Vec<u32>,
    memories: Vec<u32>,
    elements: Vec<u32>,
    data: Vec<u32>,
    tags: Vec<u32>,
    /// Output function index to the input function index of its body.
    bodies: HashMap<u32, u32>,
}

fn renumber(map: &[u32], index: u32, space: &str) -> Result<u32, reencode::Error<String>> {
    map.get(index as usize).copied().ok_or_else(|| {
        reencode::Error::UserError(format!("{space} index {index} is not in the input"))
    })
}

impl Reencode for Renumbering {
    type Error = String;

    fn function_index(&mut self, i: u32) -> Result<u32, reencode::Error<String>> {
        renumber(&self.funcs, i, "function")
    }
    fn type_index(&mut self, i: u32) -> Result<u32, reencode::Error<String>> {
        renumber(&self.types, i, "type")
    }
    fn global_index(&mut self, i: u32) -> Result<u32, reencode::Error<String>> {
        renumber(&self.globals, i, "global")
    }
    fn table_index(&mut self, i: u32) -> Result<u32, reencode::Error<String>> {
        renumber(&self.tables, i, "table")
    }
    fn memory_index(&mut self, i: u32) -> Result<u32, reencode::Error<String>> {
        renumber(&self.memories, i, "memory")
    }
    fn element_index(&mut self, i: u32) -> Result<u32, reencode::Error<String>> {
        renumber(&self.elements, i, "element segment")
    }
    fn data_index(&mut self, i: u32) -> Result<u32, reencode::Error<String>> {
        renumber(&self.data, i, "data segment")
    }
    fn tag_index(&mut self, i: u32) -> Result<u32, reencode::Error<String>> {
        renumber(&self.tags, i, "tag")
    }
}

/// The custom section whose contents walrus asks for once every index of
/// the output is assigned: it records them, and contributes no bytes.
#[derive(Debug)]
struct Capture {
    ids: InputIds,
    emptied: Vec<(FunctionId, u32)>,
    renumbering: Arc<Mutex<Option<Renumbering>>>,
}

impl walrus::CustomSection for Capture {
    fn name(&self) -> &str {
        CAPTURE_SECTION
    }

    fn data(&self, out: &IdsToIndices) -> Cow<'_, [u8]> {
        // Every item of the input is emitted (walrus writes all it holds and
        // the transform removes none), so each has an index.
        let ids = &self.ids;
        let renumbering = Renumbering {
            funcs: ids.funcs.iter().map(|&f| out.get_func_index(f)).collect(),
            types: ids.types.iter().map(|&t| out.get_type_index(t)).collect(),
            globals: ids
                .globals
                .iter()
                .map(|&g| out.get_global_index(g))
                .collect(),
            tables: ids.tables.iter().map(|&t| out.get_table_index(t)).collect(),
            memories: ids
                .memories
                .iter()
                .map(|&m| out.get_memory_index(m))
                .collect(),
            elements: ids
                .elements
                .iter()
                .map(|&e| out.get_element_index(e))
                .collect(),
            data: ids.data.iter().map(|&d| out.get_data_index(d)).collect(),
            tags: ids.tags.iter().map(|&t| out.get_tag_index(t)).collect(),
            bodies: self
                .emptied
                .iter()
                .map(|&(f, input)| (out.get_func_index(f), input))
                .collect(),
        };
        *lock(&self.renumbering) = Some(renumbering);
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
        (func $sleeper (export "sleeper") (call $sleep))
        (func $runtime (export "runtime") (call $start_unwind (i32.const 0))))
    "#;

    fn run(wasm: &[u8], x: i32) -> i32 {
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
        let pure = instance.get_typed_func::<i32, i32>(&store, "pure").unwrap();
        pure.call(&mut store, x).unwrap()
    }

    #[test]
    fn a_copied_body_is_renumbered_into_the_output() {
        let input = wat::parse_str(MODULE).unwrap();
        let options = Options {
            imports: Some(vec!["env.sleep".into()]),
            record_unwinds: true,
            import_globals: true,
            ..Options::default()
        };
        let out = asyncify(&input, &options).unwrap();
        let pure = out
            .report
            .decisions
            .iter()
            .find(|d| d.function == "pure")
            .unwrap();
        assert!(!pure.instrumented);
        // x + 42 or x - 42, plus 5 + 1000, plus 7, plus 100.
        for x in [0, 1, 10, 11] {
            assert_eq!(run(&out.wasm, x), run(&input, x), "x = {x}");
        }
        assert_eq!(run(&out.wasm, 10), 10 + 42 + 1005 + 7 + 100);
        // No stand-in and no capture section is left.
        let printed = wasmprinter::print_bytes(&out.wasm).unwrap();
        assert!(!printed.contains(super::CAPTURE_SECTION), "{printed}");
        assert!(printed.contains("memory.init"), "{printed}");
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
