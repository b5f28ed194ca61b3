//! What the caller asks of the metering pass.

use super::costs::Costs;

/// Options of the metering pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuelOptions {
    /// Instruction costs.
    pub costs: Costs,
    /// Import the fuel global from `env` instead of defining and exporting it.
    pub import_fuel: bool,
    /// A guest function (export or name-section name, type `[] -> []`) to
    /// call when fuel runs out, instead of the `rewind.out_of_fuel` import.
    pub handler: Option<String>,
    /// Lay small loop bodies out up to this many times so that one check
    /// covers that many iterations (see [`super::unroll`]); 1 turns it off.
    pub unroll: u32,
}

impl Default for FuelOptions {
    fn default() -> Self {
        FuelOptions {
            costs: Costs::default(),
            import_fuel: false,
            handler: None,
            unroll: DEFAULT_UNROLL,
        }
    }
}

/// How many iterations of a small loop one check covers by default.
pub const DEFAULT_UNROLL: u32 = 4;
