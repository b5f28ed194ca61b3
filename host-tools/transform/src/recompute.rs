//! Values that cross a piece boundary without a local of their own.
//!
//! Between the pieces of a rewritten sequence (see `flow.rs`) the operand
//! stack is empty, so every value still needed after a suspending
//! instruction is normally spilled to a fresh local, which the frame then
//! saves. A value whose computation can simply be repeated where it is
//! used needs neither: the code that pushed it is taken out before the
//! boundary and its [`Source`] pushes it again after. That is the same work
//! in normal state, and while rewinding it recomputes the value from the
//! restored locals.
//!
//! A source is a small postfix expression of at most [`MAX_ATOMS`] atoms:
//! `local.get`s, constants, and integer operations that cannot trap and
//! always give the same result (comparisons, `eqz`, `add`, `sub`, `mul`,
//! bitwise operations, shifts and rotations, bit counts, `wrap` and
//! `extend`). Loads are never recomputed
//! (memory may change in between), nor float operations (NaN bits are not
//! fixed), nor anything that traps. A `local.tee` counts as a `local.get`
//! of its local: it becomes a `local.set` and the value is read back.
//!
//! What keeps the recomputed value equal to the original is the caller's
//! part: it forgets an [`Origin`] as soon as code writes one of the locals
//! it reads, and spills instead of recomputing across an instruction that
//! writes one.

use walrus::LocalId;
use walrus::ir::{BinaryOp, Binop, Const, Instr, LocalGet, LocalSet, UnaryOp, Unop, Value};

use crate::ir::{Code, at};

/// The most atoms a recomputed expression may have: enough for
/// `eqz(or(eq(a, b), c))`, and a bound on the code moved per value.
pub(crate) const MAX_ATOMS: usize = 7;

/// One element of a postfix expression.
#[derive(Debug, Clone, Copy)]
enum Atom {
    Local(LocalId),
    Const(Value),
    Unary(UnaryOp),
    Binary(BinaryOp),
}

impl Atom {
    fn instr(self) -> Instr {
        match self {
            Atom::Local(local) => Instr::LocalGet(LocalGet { local }),
            Atom::Const(value) => Instr::Const(Const { value }),
            Atom::Unary(op) => Instr::Unop(Unop { op }),
            Atom::Binary(op) => Instr::Binop(Binop { op }),
        }
    }
}

/// How to push a value again: a local, a constant, or a small pure
/// expression of them, in postfix order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source {
    atoms: [Atom; MAX_ATOMS],
    len: usize,
}

impl Source {
    fn one(atom: Atom) -> Source {
        Source {
            atoms: [atom; MAX_ATOMS],
            len: 1,
        }
    }

    /// The value of `local`.
    pub(crate) fn local(local: LocalId) -> Source {
        Source::one(Atom::Local(local))
    }

    fn atoms(&self) -> &[Atom] {
        &self.atoms[..self.len]
    }

    /// The code that pushes the value.
    pub(crate) fn code(&self) -> Code {
        self.atoms().iter().map(|a| at(a.instr())).collect()
    }

    /// The locals the value is computed from.
    pub(crate) fn locals(&self) -> impl Iterator<Item = LocalId> + '_ {
        self.atoms().iter().filter_map(|a| match a {
            Atom::Local(l) => Some(*l),
            _ => None,
        })
    }
}

/// What taking a value's code out of the segment does to one instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edit {
    /// Delete it (it only computed the value).
    Delete,
    /// A `local.tee` becomes a `local.set`: the local keeps being written,
    /// the value is read back from it later.
    TeeToSet,
}

/// How a value on the operand stack was computed, when that code can be
/// taken out and the value pushed again from its [`Source`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    source: Source,
    /// For each atom, the index in the segment's code of the instruction
    /// that computed it and what to do with that instruction.
    edits: [(usize, Edit); MAX_ATOMS],
}

impl Origin {
    fn one(index: usize, atom: Atom, edit: Edit) -> Origin {
        Origin {
            source: Source::one(atom),
            edits: [(index, edit); MAX_ATOMS],
        }
    }

    /// Pushed by the `local.get` or constant at `index`.
    pub(crate) fn pushed(index: usize, instr: &Instr) -> Option<Origin> {
        let atom = match instr {
            Instr::LocalGet(l) => Atom::Local(l.local),
            Instr::Const(c) => Atom::Const(c.value),
            _ => return None,
        };
        Some(Origin::one(index, atom, Edit::Delete))
    }

    /// Left on the stack by the `local.tee` of `local` at `index`.
    pub(crate) fn teed(index: usize, local: LocalId) -> Origin {
        Origin::one(index, Atom::Local(local), Edit::TeeToSet)
    }

    /// The result of the operation at `index` (`instr`) applied to values
    /// of these origins, if it is recomputable and small enough.
    pub(crate) fn operation(index: usize, instr: &Instr, operands: &[Origin]) -> Option<Origin> {
        let atom = match (instr, operands.len()) {
            (Instr::Unop(u), 1) if recomputable_unary(u.op) => Atom::Unary(u.op),
            (Instr::Binop(b), 2) if recomputable_binary(b.op) => Atom::Binary(b.op),
            _ => return None,
        };
        let len = operands.iter().map(|o| o.source.len).sum::<usize>() + 1;
        if len > MAX_ATOMS {
            return None;
        }
        let mut origin = Origin::one(index, atom, Edit::Delete);
        let mut n = 0;
        for operand in operands {
            let k = operand.source.len;
            origin.source.atoms[n..n + k].copy_from_slice(operand.source.atoms());
            origin.edits[n..n + k].copy_from_slice(&operand.edits[..k]);
            n += k;
        }
        origin.source.atoms[n] = atom;
        origin.edits[n] = (index, Edit::Delete);
        origin.source.len = len;
        Some(origin)
    }

    /// How to push the value again.
    pub(crate) fn source(&self) -> Source {
        self.source
    }

    /// The locals the value is computed from.
    pub(crate) fn locals(&self) -> impl Iterator<Item = LocalId> + '_ {
        self.source.locals()
    }

    /// Whether the value is computed from `local`.
    pub(crate) fn reads(&self, local: LocalId) -> bool {
        self.locals().any(|l| l == local)
    }

    /// The instructions to change when the value's code is taken out.
    pub(crate) fn edits(&self) -> &[(usize, Edit)] {
        &self.edits[..self.source.len]
    }
}

/// Applies `edit` to `instr`.
pub(crate) fn apply(edit: Edit, instr: Instr) -> Option<Instr> {
    match (edit, instr) {
        (Edit::Delete, _) => None,
        (Edit::TeeToSet, Instr::LocalTee(t)) => Some(Instr::LocalSet(LocalSet { local: t.local })),
        (Edit::TeeToSet, other) => Some(other),
    }
}

/// Integer unary operations that cannot trap and give the same result
/// every time.
fn recomputable_unary(op: UnaryOp) -> bool {
    use UnaryOp::*;
    matches!(
        op,
        I32Eqz
            | I64Eqz
            | I32Clz
            | I32Ctz
            | I32Popcnt
            | I64Clz
            | I64Ctz
            | I64Popcnt
            | I32WrapI64
            | I64ExtendSI32
            | I64ExtendUI32
            | I32Extend8S
            | I32Extend16S
            | I64Extend8S
            | I64Extend16S
            | I64Extend32S
    )
}

/// Integer binary operations that cannot trap and give the same result
/// every time.
fn recomputable_binary(op: BinaryOp) -> bool {
    use BinaryOp::*;
    matches!(
        op,
        I32Eq
            | I32Ne
            | I32LtS
            | I32LtU
            | I32GtS
            | I32GtU
            | I32LeS
            | I32LeU
            | I32GeS
            | I32GeU
            | I64Eq
            | I64Ne
            | I64LtS
            | I64LtU
            | I64GtS
            | I64GtU
            | I64LeS
            | I64LeU
            | I64GeS
            | I64GeU
            | I32Add
            | I32Sub
            | I32Mul
            | I32And
            | I32Or
            | I32Xor
            | I32Shl
            | I32ShrS
            | I32ShrU
            | I32Rotl
            | I32Rotr
            | I64Add
            | I64Sub
            | I64Mul
            | I64And
            | I64Or
            | I64Xor
            | I64Shl
            | I64ShrS
            | I64ShrU
            | I64Rotl
            | I64Rotr
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use walrus::ValType;
    use walrus::ir::LocalTee;

    fn binop(op: BinaryOp) -> Instr {
        Instr::Binop(Binop { op })
    }

    #[test]
    fn expressions_grow_up_to_seven_atoms_with_their_edits() {
        let mut module = walrus::Module::default();
        let a = module.locals.add(ValType::I32);
        let b = module.locals.add(ValType::I32);
        let get = |local| Instr::LocalGet(LocalGet { local });
        let leaf_a = Origin::pushed(0, &get(a)).unwrap();
        let teed_b = Origin::teed(1, b);
        // a + b: three atoms, the tee kept as a set.
        let sum = Origin::operation(2, &binop(BinaryOp::I32Add), &[leaf_a, teed_b]).unwrap();
        assert_eq!(
            sum.edits(),
            [(0, Edit::Delete), (1, Edit::TeeToSet), (2, Edit::Delete)]
        );
        assert_eq!(sum.locals().collect::<Vec<_>>(), [a, b]);
        assert!(sum.reads(b));
        // (a + b) < (a + b): seven atoms, still recomputed.
        let lt = Origin::operation(3, &binop(BinaryOp::I32LtU), &[sum, sum]).unwrap();
        assert_eq!(lt.source().code().len(), MAX_ATOMS);
        // One more operation would make nine.
        let leaf = Origin::pushed(4, &get(a)).unwrap();
        assert!(Origin::operation(5, &binop(BinaryOp::I32Add), &[lt, leaf]).is_none());
        // Trapping and float operations are never recomputed.
        assert!(Origin::operation(6, &binop(BinaryOp::I32DivU), &[leaf_a, leaf_a]).is_none());
        assert!(Origin::operation(7, &binop(BinaryOp::F32Add), &[leaf_a, leaf_a]).is_none());
    }

    #[test]
    fn a_tee_taken_out_becomes_a_set() {
        let mut module = walrus::Module::default();
        let local = module.locals.add(ValType::I32);
        let tee = Instr::LocalTee(LocalTee { local });
        assert!(matches!(
            apply(Edit::TeeToSet, tee),
            Some(Instr::LocalSet(LocalSet { local: l })) if l == local
        ));
        assert!(apply(Edit::Delete, Instr::LocalGet(LocalGet { local })).is_none());
    }
}
