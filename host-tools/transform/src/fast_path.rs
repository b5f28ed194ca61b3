//! A second copy of an instrumented body for calls that start in normal
//! state (`Options::fast_path`).
//!
//! The instrumented body serves both normal execution and rewinding, so in
//! normal state it still pays for the rewind dispatches: a state read and
//! an untaken branch at the bottom of every ladder. With a fast path the
//! function
//! tests the state once on entry and runs, in normal state, a copy of the
//! body in which every state read is known to give `NORMAL` except the
//! unwind checks after suspending calls:
//!
//! ```text
//! block $unwind                           block $unwind
//!   if state == REWINDING { restore }       if state == NORMAL
//!   block $body ... end                       block $body' ... end   ;; guards folded
//!   return                                  else
//! end                                         if state == REWINDING { restore }
//! save frame                                  block $body ... end
//!                                           end
//!                                           return
//!                                         end
//!                                         save frame
//! ```
//!
//! Why the folding is right: the copy is entered in normal state, and only
//! a call can change the state. A call that may suspend is followed by its
//! unwind check, which is kept and leaves for `$unwind` when the callee
//! unwound; otherwise the callee returned normally (a rewind always ends
//! in normal state before the rewound call returns). Any other call cannot
//! change the state (that is what the analysis decided). Both copies use
//! the same locals and share the frame code, so an unwind from either
//! saves the same frame, and a rewind always takes the original body.
//!
//! The flow rewrite records each dispatch it adds ([`Guards`]): `state; if
//! { br_table ... }` disappears, and unwind checks (`br_if`s, not recorded)
//! stay. The price is code size: the body is there twice.

use std::collections::{HashMap, HashSet};

use walrus::ir::{Block, GlobalGet, IfElse, Instr, InstrSeqId, InstrSeqType, UnaryOp, Unop};
use walrus::{GlobalId, LocalFunction};

use crate::guards::{Guard, Guards};
use crate::ir::{Code, at, copy_code};

/// `if state == NORMAL { fast copy of body } else { slow }`, where `slow`
/// is the original code (the frame restore and the `body` block), of type
/// `ty` (the function's results), and `guards` are the `if`s the flow
/// rewrite added to `body`.
pub(crate) fn dispatch(
    func: &mut LocalFunction,
    state: GlobalId,
    ty: InstrSeqType,
    body: InstrSeqId,
    guards: &Guards,
    slow: Code,
) -> Code {
    let mut map = HashMap::new();
    let fast = copy_code(func, &[at(Instr::Block(Block { seq: body }))], &mut map);
    let copied_guards: HashMap<InstrSeqId, Guard> = map
        .iter()
        .filter_map(|(original, copy)| Some((*copy, guards.get(*original)?)))
        .collect();
    let empty: HashSet<InstrSeqId> = map
        .values()
        .copied()
        .filter(|s| func.block(*s).instrs.is_empty())
        .collect();
    let fold = Fold {
        guards: &copied_guards,
        empty: &empty,
    };
    let fast = fold.code(fast);
    for copy in map.into_values() {
        let code = std::mem::take(&mut func.block_mut(copy).instrs);
        func.block_mut(copy).instrs = fold.code(code);
    }
    let consequent = func.builder_mut().dangling_instr_seq(ty).id();
    let alternative = func.builder_mut().dangling_instr_seq(ty).id();
    func.block_mut(consequent).instrs = fast;
    func.block_mut(alternative).instrs = slow;
    vec![
        at(Instr::GlobalGet(GlobalGet { global: state })),
        at(Instr::Unop(Unop {
            op: UnaryOp::I32Eqz,
        })),
        at(Instr::IfElse(IfElse {
            consequent,
            alternative,
        })),
    ]
}

/// The folding of the copied guards for normal state.
struct Fold<'a> {
    /// The guards of the copy, by their copied `then` sequences.
    guards: &'a HashMap<InstrSeqId, Guard>,
    /// Copied sequences with no instructions.
    empty: &'a HashSet<InstrSeqId>,
}

impl Fold<'_> {
    /// `code` with its guards folded (see the module doc). An arm that is
    /// left alone and empty leaves nothing behind.
    fn code(&self, code: Code) -> Code {
        let mut out: Code = Vec::with_capacity(code.len());
        for (instr, loc) in code {
            let guard = match &instr {
                Instr::IfElse(branch) => self
                    .guards
                    .get(&branch.consequent)
                    .map(|g| (*g, branch.alternative)),
                _ => None,
            };
            let Some((guard, alternative)) = guard else {
                out.push((instr, loc));
                continue;
            };
            // A rewind dispatch: never entered in normal state.
            out.truncate(out.len() - guard.condition_len);
            if !self.empty.contains(&alternative) {
                out.push((Instr::Block(Block { seq: alternative }), loc));
            }
        }
        out
    }
}
