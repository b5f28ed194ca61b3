//! The static cost of each instruction class, and cost files that override
//! them (one `NAME COST` per line, `#` starts a comment).

use std::collections::HashMap;

use walrus::ir::Instr;

use crate::error::{Error, Result};
use crate::ir::callee;

/// Static cost of each instruction class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Costs {
    table: HashMap<&'static str, u32>,
}

const CLASSES: [(&str, u32); 8] = [
    ("default", 1),
    ("local", 0),
    ("const", 0),
    ("call", 5),
    ("load", 1),
    ("store", 1),
    ("memory_grow", 100),
    ("bulk", 10),
];

impl Default for Costs {
    fn default() -> Self {
        Costs {
            table: CLASSES.iter().copied().collect(),
        }
    }
}

impl Costs {
    /// The default table with the entries of a cost file applied.
    pub fn parse(text: &str) -> Result<Costs> {
        let mut costs = Costs::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad =
                |why: &str| Error::Options(format!("cost file line {}: {why}: `{line}`", n + 1));
            let mut words = line.split_whitespace();
            let (Some(name), Some(cost), None) = (words.next(), words.next(), words.next()) else {
                return Err(bad("expected `NAME COST`"));
            };
            let class = CLASSES
                .iter()
                .map(|(c, _)| *c)
                .find(|c| *c == name)
                .ok_or_else(|| bad("unknown instruction class"))?;
            let cost = cost
                .parse::<u32>()
                .map_err(|_| bad("cost is not a non-negative integer"))?;
            costs.table.insert(class, cost);
        }
        Ok(costs)
    }

    /// Every instruction class with its cost, in the order of the cost
    /// table in the module doc of [`crate::fuel`].
    pub fn classes(&self) -> impl Iterator<Item = (&'static str, u32)> + '_ {
        CLASSES.iter().map(|(class, _)| (*class, self.table[class]))
    }

    /// The cost of one instruction.
    pub(crate) fn of(&self, instr: &Instr) -> u32 {
        let class = match instr {
            Instr::LocalGet(_) | Instr::LocalSet(_) | Instr::LocalTee(_) => "local",
            Instr::Const(_) => "const",
            _ if callee(instr).is_some() => "call",
            Instr::Load(_) | Instr::LoadSimd(_) => "load",
            Instr::Store(_) => "store",
            Instr::MemoryGrow(_) => "memory_grow",
            Instr::MemoryCopy(_)
            | Instr::MemoryFill(_)
            | Instr::MemoryInit(_)
            | Instr::TableCopy(_)
            | Instr::TableInit(_)
            | Instr::TableFill(_) => "bulk",
            _ => "default",
        };
        self.table[class]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_files_override_classes() {
        let costs = Costs::parse("# comment\ncall 7\n\nload 3 # trailing\n").unwrap();
        assert_eq!(costs.table["call"], 7);
        assert_eq!(costs.table["load"], 3);
        assert_eq!(costs.table["default"], 1);
    }

    #[test]
    fn classes_list_the_table_in_order() {
        let costs = Costs::parse("call 7").unwrap();
        let classes: Vec<(&str, u32)> = costs.classes().collect();
        assert_eq!(classes.len(), CLASSES.len());
        assert_eq!(classes[0], ("default", 1));
        assert!(classes.contains(&("call", 7)));
    }

    #[test]
    fn cost_files_reject_unknown_classes_and_bad_numbers() {
        assert!(Costs::parse("jump 3").is_err());
        assert!(Costs::parse("call -1").is_err());
        assert!(Costs::parse("call").is_err());
    }
}
