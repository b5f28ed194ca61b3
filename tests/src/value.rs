//! Values that can be compared across stores: the trace of the original run
//! and the trace of the instrumented run live in different wasmi stores, so
//! traces hold plain numbers (floats by bit pattern, so NaNs compare) and
//! references only by null-ness.

use std::fmt;

use wasmi::{Nullable, Ref, Val, ValType};

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
    /// `funcref`; only null-ness is comparable across stores.
    FuncRef {
        /// Whether the reference is null.
        null: bool,
    },
    /// `externref`; only null-ness is comparable across stores.
    ExternRef {
        /// Whether the reference is null.
        null: bool,
    },
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

    /// Converts a wasmi value.
    pub fn from_val(val: &Val) -> Self {
        match val {
            Val::I32(x) => Self::I32(*x),
            Val::I64(x) => Self::I64(*x),
            Val::F32(x) => Self::F32(x.to_bits()),
            Val::F64(x) => Self::F64(x.to_bits()),
            Val::V128(x) => Self::V128(x.as_u128()),
            Val::FuncRef(r) => Self::FuncRef { null: r.is_null() },
            Val::ExternRef(r) => Self::ExternRef { null: r.is_null() },
        }
    }

    /// Converts to a wasmi value. Non-null references cannot be made up
    /// outside a store; they become null.
    pub fn to_val(self) -> Val {
        match self {
            Self::I32(x) => Val::I32(x),
            Self::I64(x) => Val::I64(x),
            Self::F32(x) => Val::F32(wasmi::F32::from_bits(x)),
            Self::F64(x) => Val::F64(wasmi::F64::from_bits(x)),
            Self::V128(x) => Val::V128(wasmi::V128::from(x)),
            Self::FuncRef { .. } => Val::FuncRef(Nullable::Null),
            Self::ExternRef { .. } => Val::ExternRef(Nullable::Null),
        }
    }

    /// The value type.
    pub fn ty(self) -> ValType {
        match self {
            Self::I32(_) => ValType::I32,
            Self::I64(_) => ValType::I64,
            Self::F32(_) => ValType::F32,
            Self::F64(_) => ValType::F64,
            Self::V128(_) => ValType::V128,
            Self::FuncRef { .. } => ValType::FuncRef,
            Self::ExternRef { .. } => ValType::ExternRef,
        }
    }
}

/// The zero (or null) value of a type, as a wasmi value: what a suspending
/// import returns while the stack unwinds.
pub fn zero(ty: ValType) -> Val {
    Val::default_for_ty(ty)
}

/// Converts a slice of wasmi values.
pub fn from_vals(vals: &[Val]) -> Vec<Value> {
    vals.iter().map(Value::from_val).collect()
}

/// The null reference of a table's element type (for stub tables).
pub fn null_ref(ty: wasmi::RefType) -> Ref {
    Ref::null(ty)
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::I32(x) => write!(f, "i32:{x}"),
            Self::I64(x) => write!(f, "i64:{x}"),
            Self::F32(x) => write!(f, "f32:{}({x:#x})", f32::from_bits(*x)),
            Self::F64(x) => write!(f, "f64:{}({x:#x})", f64::from_bits(*x)),
            Self::V128(x) => write!(f, "v128:{x:#034x}"),
            Self::FuncRef { null } => write!(f, "funcref{}", if *null { ":null" } else { "" }),
            Self::ExternRef { null } => write!(f, "externref{}", if *null { ":null" } else { "" }),
        }
    }
}
