//! [`TaskId`]: the name of a scheduler task, a slot index and the slot's
//! generation.

use core::fmt;

/// Identifies a task of a [`Scheduler`](crate::sched::Scheduler). Ids are
/// not reused: a finished task's slot gets a new generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    /// The slot the task occupies.
    pub(crate) index: u16,
    /// How many tasks occupied the slot before this one (wrapping).
    pub(crate) generation: u16,
}

impl TaskId {
    /// The slot the task occupies (`0..N`).
    pub fn index(self) -> usize {
        usize::from(self.index)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.index)?;
        if self.generation != 0 {
            write!(f, " (generation {})", self.generation)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn task_ids_display() {
        let id = TaskId {
            index: 3,
            generation: 0,
        };
        assert_eq!(std::format!("{id}"), "task 3");
        let id = TaskId {
            index: 3,
            generation: 2,
        };
        assert_eq!(std::format!("{id}"), "task 3 (generation 2)");
    }
}
