//! Which locals a nested instruction writes, answered without walking it.
//!
//! Every sequence of a function gets its pre-order number and the last
//! number inside it, so the sequences nested in one instruction form a
//! contiguous range; each local keeps the sorted numbers of the sequences
//! that set or tee it. "Does this `block` write `$x`?" is then a binary
//! search, whatever the nesting depth: asking it of every suspending block
//! of a deeply nested function stays linear overall.

use std::collections::HashMap;

use walrus::ir::{Instr, InstrSeqId};
use walrus::{LocalFunction, LocalId};

use crate::ir::children;

/// The local writes of a function's sequences, indexed for range queries.
#[derive(Debug, Default)]
pub(crate) struct LocalWrites {
    /// Pre-order number of each sequence, and the last number nested in it.
    range: HashMap<InstrSeqId, (u32, u32)>,
    /// For each written local, the sorted numbers of the sequences that
    /// write it directly.
    writers: HashMap<LocalId, Vec<u32>>,
}

impl LocalWrites {
    /// Indexes every sequence reachable from `root`.
    pub fn new(func: &LocalFunction, root: InstrSeqId) -> LocalWrites {
        let mut this = LocalWrites::default();
        // (sequence, whether its children have been numbered)
        let mut pending = vec![(root, false)];
        let mut next = 0u32;
        while let Some((seq, done)) = pending.pop() {
            if done {
                let last = next - 1;
                this.range.get_mut(&seq).expect("numbered on entry").1 = last;
                continue;
            }
            let number = next;
            next += 1;
            this.range.insert(seq, (number, number));
            pending.push((seq, true));
            for (instr, _) in func.block(seq).instrs.iter().rev() {
                if let Instr::LocalSet(l) = instr {
                    this.writers.entry(l.local).or_default().push(number);
                }
                if let Instr::LocalTee(l) = instr {
                    this.writers.entry(l.local).or_default().push(number);
                }
                for child in children(instr).rev() {
                    pending.push((child, false));
                }
            }
        }
        for numbers in this.writers.values_mut() {
            numbers.sort_unstable();
            numbers.dedup();
        }
        this
    }

    /// Whether a sequence nested in `instr`, at any depth, writes `local`.
    pub fn writes(&self, instr: &Instr, local: LocalId) -> bool {
        let Some(numbers) = self.writers.get(&local) else {
            return false;
        };
        children(instr).any(|seq| {
            let Some(&(first, last)) = self.range.get(&seq) else {
                return false;
            };
            let at = numbers.partition_point(|n| *n < first);
            numbers.get(at).is_some_and(|n| *n <= last)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use walrus::Module;

    #[test]
    fn nested_writes_are_found_and_siblings_are_not() {
        let wasm = wat::parse_str(
            r#"(module (func (local i32 i32)
                (block (block (local.set 0 (i32.const 1))))
                (block (drop (local.tee 1 (i32.const 2))))
                (block (nop))))"#,
        )
        .unwrap();
        let module = Module::from_buffer(&wasm).unwrap();
        let func = module.funcs.iter().next().unwrap().kind.unwrap_local();
        let entry = func.entry_block();
        let writes = LocalWrites::new(func, entry);
        let blocks: Vec<&Instr> = func.block(entry).instrs.iter().map(|(i, _)| i).collect();
        let locals: Vec<LocalId> = module.locals.iter().map(|l| l.id()).collect();
        assert!(writes.writes(blocks[0], locals[0]));
        assert!(!writes.writes(blocks[0], locals[1]));
        assert!(writes.writes(blocks[1], locals[1]));
        assert!(!writes.writes(blocks[1], locals[0]));
        assert!(!writes.writes(blocks[2], locals[0]));
    }
}
