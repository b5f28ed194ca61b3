//! When a suspending import suspends: the policies every execution test runs
//! under. A policy is consulted once per logical call of a suspending import
//! made directly by the top-level export call (never inside a host callback,
//! whose host frame could not be unwound).
//!
//! Also the budgets a host grants a fuel-metered module ([`FuelSchedule`]),
//! and the small seeded generator the fuzzers use ([`Rng`]).

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

/// SplitMix64: a small deterministic generator (fuzz case parameters, fuel
/// budgets).
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// The budgets a host grants a module metered by `rewind_transform::meter`:
/// one before every export call and one each time the module runs out of
/// fuel (see [`crate::driver::RunConfig::fuel`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FuelSchedule {
    /// Every slice gets this budget (at least 1; above `i64::MAX` means
    /// `i64::MAX`).
    Fixed(u64),
    /// Seeded random budgets: half of them tiny (`1..=5`), the others in
    /// `1..=max`.
    Random {
        /// Generator seed.
        seed: u64,
        /// Largest budget.
        max: u64,
    },
}

impl FuelSchedule {
    /// A budget no call exhausts: every call runs in one slice.
    pub const HUGE: FuelSchedule = FuelSchedule::Fixed(i64::MAX as u64);

    /// A fresh sequence of budgets for one run.
    pub fn budgets(&self) -> Budgets {
        let seed = match self {
            FuelSchedule::Random { seed, .. } => *seed,
            FuelSchedule::Fixed(_) => 0,
        };
        Budgets {
            schedule: self.clone(),
            rng: Rng(seed ^ 0xf0e1_d2c3_b4a5_9687),
        }
    }
}

/// The running state of a [`FuelSchedule`].
#[derive(Clone, Debug)]
pub struct Budgets {
    schedule: FuelSchedule,
    rng: Rng,
}

impl Budgets {
    /// The next budget, in `1..=i64::MAX`.
    pub fn grant(&mut self) -> i64 {
        let budget = match self.schedule {
            FuelSchedule::Fixed(n) => n,
            FuelSchedule::Random { max, .. } => {
                let max = if self.rng.below(2) == 0 { 5 } else { max };
                1 + self.rng.below(max.max(1))
            }
        };
        i64::try_from(budget).unwrap_or(i64::MAX).max(1)
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

    #[test]
    fn fuel_budgets_are_seeded_positive_and_mixed() {
        let grants = |s: &FuelSchedule| {
            let mut b = s.budgets();
            (0..200).map(|_| b.grant()).collect::<Vec<_>>()
        };
        let s = FuelSchedule::Random { seed: 3, max: 1000 };
        let a = grants(&s);
        assert_eq!(a, grants(&s));
        assert!(a.iter().all(|b| (1..=1000).contains(b)));
        assert!(a.iter().filter(|b| **b <= 5).count() > 50);
        assert!(a.iter().any(|b| *b > 100));
        assert_eq!(grants(&FuelSchedule::Fixed(0))[0], 1);
        assert_eq!(grants(&FuelSchedule::HUGE)[0], i64::MAX);
        assert_eq!(grants(&FuelSchedule::Fixed(u64::MAX))[0], i64::MAX);
    }
}
