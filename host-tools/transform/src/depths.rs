//! `rethrow` and `delegate` name their targets by relative depth, which
//! every block the rewrite wraps around code would silently change. While a
//! function is rewritten they name their targets absolutely instead: each
//! one's depth field holds a key into [`Depths`], which maps it to the
//! target's sequence; once the rewrite is done, the depths are computed
//! again from the final nesting.
//!
//! A `rethrow` is resolved from inside the sequence it sits in; a
//! `delegate` from the context around its `try` (its own label does not
//! count). Both walks use an explicit stack.

use walrus::LocalFunction;
use walrus::ir::{Instr, InstrSeqId, LegacyCatch};

use crate::ir::children;

/// The targets of a function's `rethrow`s and `delegate`s while it is
/// rewritten.
#[derive(Debug, Default)]
pub(crate) struct Depths {
    targets: Vec<InstrSeqId>,
}

/// One `rethrow` or `delegate` found in a walk.
enum Site<'a> {
    Rethrow(&'a mut u32),
    Delegate(&'a mut u32),
}

impl Site<'_> {
    fn depth(&mut self) -> &mut u32 {
        match self {
            Site::Rethrow(d) | Site::Delegate(d) => d,
        }
    }
}

/// The labels around a point, as a chain of parent links shared by every
/// sequence below it (copying the list per sequence would be quadratic in
/// the nesting depth).
struct Labels {
    /// Each node: a label and the index of the one around it.
    nodes: Vec<(InstrSeqId, Option<usize>)>,
}

impl Labels {
    /// The label `depth` levels out from `node`.
    fn up(&self, node: usize, depth: u32) -> Option<InstrSeqId> {
        let mut at = node;
        for _ in 0..depth {
            at = self.nodes[at].1?;
        }
        Some(self.nodes[at].0)
    }

    /// How many levels out from `node` the label `target` is.
    fn distance(&self, node: usize, target: InstrSeqId) -> Option<u32> {
        let (mut at, mut depth) = (Some(node), 0);
        while let Some(i) = at {
            if self.nodes[i].0 == target {
                return Some(depth);
            }
            at = self.nodes[i].1;
            depth += 1;
        }
        None
    }
}

/// Calls `f` with every `rethrow` and `delegate` depth field under `root`
/// and the node of the innermost label around it (for a `delegate`, the
/// label around its `try`).
fn walk(func: &mut LocalFunction, root: InstrSeqId, mut f: impl FnMut(Site, &Labels, usize)) {
    let mut labels = Labels {
        nodes: vec![(root, None)],
    };
    let mut pending = vec![(root, 0)];
    while let Some((seq, node)) = pending.pop() {
        for (instr, _) in func.block_mut(seq).instrs.iter_mut() {
            match instr {
                Instr::Rethrow(r) => f(Site::Rethrow(&mut r.relative_depth), &labels, node),
                Instr::Try(t) => {
                    for c in t.catches.iter_mut() {
                        if let LegacyCatch::Delegate { relative_depth } = c {
                            f(Site::Delegate(relative_depth), &labels, node);
                        }
                    }
                }
                _ => {}
            }
            for child in children(instr) {
                labels.nodes.push((child, Some(node)));
                pending.push((child, labels.nodes.len() - 1));
            }
        }
    }
}

impl Depths {
    /// Replaces every relative depth under `root` by a key naming its
    /// target. Returns `None` when the function has neither instruction.
    pub fn absolutize(func: &mut LocalFunction, root: InstrSeqId) -> Option<Depths> {
        let mut depths = Depths::default();
        walk(func, root, |mut site, labels, node| {
            let depth = site.depth();
            let target = labels
                .up(node, *depth)
                .expect("validation keeps depths within the labels around them");
            *depth = depths.targets.len() as u32;
            depths.targets.push(target);
        });
        (!depths.targets.is_empty()).then_some(depths)
    }

    /// Makes targets that were `from` be `to` (the function body moved).
    pub fn retarget(&mut self, from: InstrSeqId, to: InstrSeqId) {
        for t in self.targets.iter_mut().filter(|t| **t == from) {
            *t = to;
        }
    }

    /// Puts relative depths back, from the nesting under `root`. Returns
    /// `false` if some target no longer encloses its `rethrow` or
    /// `delegate` (a bug of the rewrite).
    pub fn relativize(&self, func: &mut LocalFunction, root: InstrSeqId) -> bool {
        let mut all = true;
        walk(func, root, |mut site, labels, node| {
            let depth = site.depth();
            let target = self.targets[*depth as usize];
            match labels.distance(node, target) {
                Some(d) => *depth = d,
                None => all = false,
            }
        });
        all
    }

    /// Whether a `rethrow` or `delegate` under `root` targets `seq`.
    pub fn targeted_under(
        &self,
        func: &mut LocalFunction,
        root: InstrSeqId,
        seq: InstrSeqId,
    ) -> bool {
        let mut found = false;
        walk(func, root, |mut site, _, _| {
            found |= self.targets[*site.depth() as usize] == seq;
        });
        found
    }
}
