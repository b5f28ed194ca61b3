//! Small helpers over walrus's instruction tree shared by the phases.

use walrus::ir::{Const, IfElse, Instr, InstrLocId, InstrSeqId, InstrSeqType, LegacyCatch, Value};
use walrus::{FunctionId, LocalFunction, Module};

/// The nested sequences an instruction owns, in order.
pub(crate) fn children(instr: &Instr) -> Vec<InstrSeqId> {
    match instr {
        Instr::Block(b) => vec![b.seq],
        Instr::Loop(l) => vec![l.seq],
        Instr::IfElse(i) => vec![i.consequent, i.alternative],
        Instr::TryTable(t) => vec![t.seq],
        Instr::Try(t) => {
            let mut seqs = vec![t.seq];
            for c in &t.catches {
                match c {
                    LegacyCatch::Catch { handler, .. } | LegacyCatch::CatchAll { handler } => {
                        seqs.push(*handler)
                    }
                    LegacyCatch::Delegate { .. } => {}
                }
            }
            seqs
        }
        _ => Vec::new(),
    }
}

/// Calls `f` on every instruction of `func` from sequence `root` down,
/// nested ones included.
pub(crate) fn for_each_instr(func: &LocalFunction, root: InstrSeqId, mut f: impl FnMut(&Instr)) {
    let mut pending = vec![root];
    while let Some(seq) = pending.pop() {
        for (instr, _) in &func.block(seq).instrs {
            f(instr);
            pending.extend(children(instr));
        }
    }
}

/// The name used for a function in messages: its name-section name, or
/// `func[INDEX]`.
pub(crate) fn function_name(module: &Module, id: FunctionId) -> String {
    match &module.funcs.get(id).name {
        Some(name) => name.clone(),
        None => format!("func[{}]", id.index()),
    }
}

/// Generated instructions, ready to splice into a sequence.
pub(crate) type Code = Vec<(Instr, InstrLocId)>;

/// An instruction with no source location.
pub(crate) fn at(instr: Instr) -> (Instr, InstrLocId) {
    (instr, InstrLocId::default())
}

/// `i32.const v`.
pub(crate) fn i32_const(v: i32) -> Instr {
    Instr::Const(Const {
        value: Value::I32(v),
    })
}

/// `test; if { body }`, with fresh sequences for both arms.
pub(crate) fn if_then(func: &mut LocalFunction, test: Code, body: Code) -> Code {
    let builder = func.builder_mut();
    let consequent = builder.dangling_instr_seq(InstrSeqType::Simple(None)).id();
    let alternative = builder.dangling_instr_seq(InstrSeqType::Simple(None)).id();
    func.block_mut(consequent).instrs = body;
    let mut code = test;
    code.push(at(Instr::IfElse(IfElse {
        consequent,
        alternative,
    })));
    code
}

/// Makes every branch below `root` that targets `from` target `to`.
pub(crate) fn retarget(
    func: &mut LocalFunction,
    root: InstrSeqId,
    from: InstrSeqId,
    to: InstrSeqId,
) {
    let swap = |id: &mut InstrSeqId| {
        if *id == from {
            *id = to;
        }
    };
    let mut pending = vec![root];
    while let Some(seq) = pending.pop() {
        for (instr, _) in func.block_mut(seq).instrs.iter_mut() {
            match instr {
                Instr::Br(b) => swap(&mut b.block),
                Instr::BrIf(b) => swap(&mut b.block),
                Instr::BrOnNull(b) => swap(&mut b.block),
                Instr::BrOnNonNull(b) => swap(&mut b.block),
                Instr::BrOnCast(b) => swap(&mut b.block),
                Instr::BrOnCastFail(b) => swap(&mut b.block),
                Instr::BrTable(t) => {
                    swap(&mut t.default);
                    t.blocks.iter_mut().for_each(swap);
                }
                _ => {}
            }
            pending.extend(children(instr));
        }
    }
}
