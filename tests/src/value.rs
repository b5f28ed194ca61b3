//! Values that can be compared across stores and engines: the trace of the
//! original run and the trace of the instrumented run live in different
//! stores (and, for some modules, in another engine than wasmi), so traces
//! hold plain numbers (floats by bit pattern, so NaNs compare) and
//! references by what the harness can tell about them (see [`Reference`]).
//!
//! Types are `wasmparser`'s: the one description of value types every
//! engine's module agrees with.

use std::fmt;

use wasmparser::{AbstractHeapType, HeapType, ValType};

/// A WebAssembly value, comparable by bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Value {
    /// `i32`
    I32(i32),
    /// `i64`
    I64(i64),
    /// `f32`, by bit pattern.
    F32(u32),
    /// `f64`, by bit pattern.
    F64(u64),
    /// `v128`, little-endian lanes.
    V128(u128),
    /// A reference of any type.
    Ref(Reference),
}

/// A reference as the harness sees it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reference {
    /// `ref.null` of any type.
    Null,
    /// An `externref` to host object number `n`: the harness makes these
    /// (arguments, import results) and recognises them when they come back.
    Host(u32),
    /// An `i31ref`, by value.
    I31(i32),
    /// Any other non-null reference (a function, a GC object, an exception,
    /// an `externref` the harness did not make): only its existence is
    /// comparable across stores.
    Opaque,
}

impl Value {
    /// An `f32` value.
    pub fn f32(x: f32) -> Self {
        Self::F32(x.to_bits())
    }

    /// An `f64` value.
    pub fn f64(x: f64) -> Self {
        Self::F64(x.to_bits())
    }

    /// A `v128` from four `i32` lanes, lane 0 first.
    pub fn i32x4(lanes: [i32; 4]) -> Self {
        let mut bits = 0u128;
        for (i, lane) in lanes.iter().enumerate() {
            bits |= u128::from(*lane as u32) << (32 * i);
        }
        Self::V128(bits)
    }

    /// Host object `n` as an `externref`.
    pub fn host(n: u32) -> Self {
        Self::Ref(Reference::Host(n))
    }

    /// A null reference.
    pub const NULL: Value = Value::Ref(Reference::Null);

    /// The zero (or null) value of `ty`: what a suspending import returns
    /// while the stack unwinds, and the argument the fuzzers pass. A
    /// non-nullable reference type has no zero; its `Null` fails where it is
    /// handed to the engine.
    pub fn zero(ty: ValType) -> Self {
        match ty {
            ValType::I32 => Self::I32(0),
            ValType::I64 => Self::I64(0),
            ValType::F32 => Self::F32(0),
            ValType::F64 => Self::F64(0),
            ValType::V128 => Self::V128(0),
            ValType::Ref(_) => Self::NULL,
        }
    }
}

/// Whether `ty` is a type of `externref` values (where host objects live).
pub fn is_extern(ty: ValType) -> bool {
    matches!(
        ty,
        ValType::Ref(r) if matches!(
            r.heap_type(),
            HeapType::Abstract { ty: AbstractHeapType::Extern, .. }
        )
    )
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::I32(x) => write!(f, "i32:{x}"),
            Self::I64(x) => write!(f, "i64:{x}"),
            Self::F32(x) => write!(f, "f32:{}({x:#x})", f32::from_bits(*x)),
            Self::F64(x) => write!(f, "f64:{}({x:#x})", f64::from_bits(*x)),
            Self::V128(x) => write!(f, "v128:{x:#034x}"),
            Self::Ref(r) => write!(f, "{r:?}"),
        }
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => write!(f, "ref:null"),
            Self::Host(n) => write!(f, "ref:host#{n}"),
            Self::I31(x) => write!(f, "ref:i31:{x}"),
            Self::Opaque => write!(f, "ref:opaque"),
        }
    }
}
