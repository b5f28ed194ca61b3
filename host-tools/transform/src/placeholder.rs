//! The values an unwinding function returns in place of its results.
//!
//! While unwinding, a function returns to its caller, which discards the
//! results at once (its own unwind check comes before anything reads
//! them); they only have to type-check. Numbers are zero and nullable
//! references null. A non-nullable reference needs a real value that costs
//! nothing to make: `ref.i31 0` for `any`, `eq` and `i31` (converted for
//! `extern`), an empty array, a struct of placeholder fields, or a
//! reference to a function of the right type (declared for `ref.func` when
//! it is not yet). Types with no such value (`exn`, the bottom types, a
//! function type no function has) are an error naming the function.

use std::collections::HashSet;

use walrus::ir::{
    ArrayNewFixed, Const, ExternConvertAny, Instr, RefFunc, RefI31, RefNull, StructNew, Value,
};
use walrus::{
    AbstractHeapType, ElementItems, ElementKind, FunctionId, HeapType, Module, TypeId, ValType,
};

use crate::error::{Error, Result};
use crate::ir::{Code, at};

/// How deep struct fields may nest in a placeholder.
const MAX_DEPTH: usize = 8;

/// The placeholders of one module: functions already declared for
/// `ref.func`.
#[derive(Debug, Default)]
pub(crate) struct Placeholders {
    declared: HashSet<FunctionId>,
}

impl Placeholders {
    /// Code pushing a placeholder for each of `results`, for `function`
    /// (named in errors). May declare a function in `module`.
    pub fn results(
        &mut self,
        module: &mut Module,
        results: &[ValType],
        function: &str,
    ) -> Result<Code> {
        let mut code = Vec::new();
        for ty in results {
            code.extend(self.value(module, *ty, function, 0)?);
        }
        Ok(code)
    }

    fn value(
        &mut self,
        module: &mut Module,
        ty: ValType,
        function: &str,
        depth: usize,
    ) -> Result<Code> {
        let number = |value| Ok(vec![at(Instr::Const(Const { value }))]);
        let r = match ty {
            ValType::I32 => return number(Value::I32(0)),
            ValType::I64 => return number(Value::I64(0)),
            ValType::F32 => return number(Value::F32(0.0)),
            ValType::F64 => return number(Value::F64(0.0)),
            ValType::V128 => return number(Value::V128(0)),
            ValType::Ref(r) if r.nullable => {
                return Ok(vec![at(Instr::RefNull(RefNull { ty: r }))]);
            }
            ValType::Ref(r) => r,
        };
        let none = || Error::Unsupported {
            function: function.to_string(),
            construct: format!(
                "a result of type `{ty}`, of which no value can be made up for the unwind,"
            ),
        };
        if depth > MAX_DEPTH {
            return Err(none());
        }
        let i31 = vec![
            at(Instr::Const(Const {
                value: Value::I32(0),
            })),
            at(Instr::RefI31(RefI31 {})),
        ];
        match r.heap_type {
            HeapType::Abstract(
                AbstractHeapType::Any | AbstractHeapType::Eq | AbstractHeapType::I31,
            ) => Ok(i31),
            HeapType::Abstract(AbstractHeapType::Extern) => {
                let mut code = i31;
                code.push(at(Instr::ExternConvertAny(ExternConvertAny {})));
                Ok(code)
            }
            HeapType::Abstract(AbstractHeapType::Func) => {
                let any = module
                    .funcs
                    .iter()
                    .next()
                    .map(|f| f.id())
                    .ok_or_else(none)?;
                Ok(self.reference(module, any))
            }
            HeapType::Abstract(AbstractHeapType::Array) => {
                let array = module.types.iter().find(|t| t.is_array()).map(|t| t.id());
                Ok(array_of(array.ok_or_else(none)?))
            }
            HeapType::Concrete(t) | HeapType::Exact(t) => {
                let def = module.types.get(t);
                if def.is_array() {
                    return Ok(array_of(t));
                }
                if let Some(s) = def.as_struct() {
                    let fields: Vec<ValType> =
                        s.fields.iter().map(|f| f.element_type.unpack()).collect();
                    let mut code = Vec::new();
                    for field in fields {
                        code.extend(self.value(module, field, function, depth + 1)?);
                    }
                    code.push(at(Instr::StructNew(StructNew { ty: t })));
                    return Ok(code);
                }
                let of_type = module
                    .funcs
                    .iter()
                    .find(|f| is_subtype(module, f.ty(), t))
                    .map(|f| f.id())
                    .ok_or_else(none)?;
                Ok(self.reference(module, of_type))
            }
            _ => Err(none()),
        }
    }

    /// `ref.func f`, declaring `f` for it.
    fn reference(&mut self, module: &mut Module, f: FunctionId) -> Code {
        if self.declared.insert(f) {
            module
                .elements
                .add(ElementKind::Declared, ElementItems::Functions(vec![f]));
        }
        vec![at(Instr::RefFunc(RefFunc { func: f }))]
    }
}

fn array_of(ty: TypeId) -> Code {
    vec![at(Instr::ArrayNewFixed(ArrayNewFixed { ty, len: 0 }))]
}

/// Whether the type `sub` is `sup` or declares it as a supertype, at any
/// distance.
fn is_subtype(module: &Module, sub: TypeId, sup: TypeId) -> bool {
    let mut at = Some(sub);
    let mut steps = 0;
    while let Some(t) = at {
        if t == sup {
            return true;
        }
        steps += 1;
        if steps > module.types.iter().count() {
            return false;
        }
        at = module.types.get(t).supertype;
    }
    false
}
