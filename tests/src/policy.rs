//! When a suspending import suspends: the policies every execution test runs
//! under. A policy is consulted once per logical call of a suspending import
//! made directly by the top-level export call (never inside a host callback,
//! whose host frame could not be unwound).

/// A suspension policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Never suspend: the instrumented module must behave like the original.
    Never,
    /// Suspend at every opportunity.
    Always,
    /// Suspend on every other opportunity: the 1st, 3rd, ... when `first`,
    /// else the 2nd, 4th, ...
    EveryOther {
        /// Whether the first opportunity suspends.
        first: bool,
    },
    /// Suspend with probability `percent`/100, from a seeded generator.
    Random {
        /// Generator seed.
        seed: u64,
        /// Probability of suspending, in percent.
        percent: u8,
    },
    /// Suspend exactly on the opportunities marked `true`; past the end of
    /// the script, never.
    Script(Vec<bool>),
}

impl Policy {
    /// The policies every execution test runs under.
    pub fn standard() -> Vec<Policy> {
        vec![
            Policy::Never,
            Policy::Always,
            Policy::EveryOther { first: true },
            Policy::EveryOther { first: false },
            Policy::Random {
                seed: 1,
                percent: 50,
            },
            Policy::Random {
                seed: 0x5eed,
                percent: 30,
            },
            Policy::Random {
                seed: 0xdead_beef,
                percent: 70,
            },
        ]
    }

    /// A fresh decider for one run.
    pub fn decider(&self) -> Decider {
        let rng = match self {
            Policy::Random { seed, .. } => seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            _ => 1,
        };
        Decider {
            policy: self.clone(),
            asked: 0,
            rng,
        }
    }
}

/// The running state of a [`Policy`].
#[derive(Clone, Debug)]
pub struct Decider {
    policy: Policy,
    asked: u64,
    rng: u64,
}

impl Decider {
    /// Whether the next opportunity suspends.
    pub fn decide(&mut self) -> bool {
        let n = self.asked;
        self.asked += 1;
        match &self.policy {
            Policy::Never => false,
            Policy::Always => true,
            Policy::EveryOther { first } => n.is_multiple_of(2) == *first,
            Policy::Random { percent, .. } => {
                // xorshift64*
                self.rng ^= self.rng >> 12;
                self.rng ^= self.rng << 25;
                self.rng ^= self.rng >> 27;
                let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
                r % 100 < u64::from(*percent)
            }
            Policy::Script(script) => usize::try_from(n)
                .ok()
                .and_then(|i| script.get(i))
                .copied()
                .unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(policy: &Policy, n: usize) -> Vec<bool> {
        let mut d = policy.decider();
        (0..n).map(|_| d.decide()).collect()
    }

    #[test]
    fn fixed_policies() {
        assert_eq!(first(&Policy::Never, 3), [false; 3]);
        assert_eq!(first(&Policy::Always, 3), [true; 3]);
        assert_eq!(
            first(&Policy::EveryOther { first: true }, 4),
            [true, false, true, false]
        );
        assert_eq!(
            first(&Policy::EveryOther { first: false }, 4),
            [false, true, false, true]
        );
        assert_eq!(
            first(&Policy::Script(vec![false, true]), 4),
            [false, true, false, false]
        );
    }

    #[test]
    fn random_is_seeded_and_mixed() {
        let p = Policy::Random {
            seed: 7,
            percent: 50,
        };
        let a = first(&p, 200);
        assert_eq!(a, first(&p, 200));
        let yes = a.iter().filter(|b| **b).count();
        assert!((50..150).contains(&yes), "{yes}");
        let other = Policy::Random {
            seed: 8,
            percent: 50,
        };
        assert_ne!(a, first(&other, 200));
    }
}
