//! Shared helpers for the integration tests of Rewind.
//!
//! * [`driver`]: a Binaryen-protocol driver — runs a module, suspends in
//!   imports, unwinds, rewinds, and records a [`trace::Trace`];
//! * [`engine`]: the engines it runs on (wasmi, wasmtime, node), which one a
//!   module gets, and the interface the driver uses for all of them;
//! * [`host`]: the imports it provides and the protocol checks inside them;
//! * [`module_info`]: a module's imports and exports, with their types;
//! * [`region`]: where the data structure and the save stack live;
//! * [`policy`]: when imports suspend, and fuel budgets;
//! * [`smith`]: random modules and case parameters for the fuzzers, and
//!   [`rejections`]: what they ask of the transform that it does not support;
//! * [`extreme`]: valid but extreme modules (deep nesting, many locals);
//! * [`differential`]: original-vs-instrumented execution tests;
//! * [`golden`] and [`options_header`]: golden text tests;
//! * [`instrument`]: loading programs, calling the transform, validating.

pub mod differential;
pub mod driver;
pub mod engine;
pub mod extreme;
pub mod golden;
pub mod host;
pub mod instrument;
pub mod module_info;
pub mod options_header;
pub mod policy;
pub mod program_gen;
pub mod region;
pub mod rejections;
pub mod smith;
pub mod trace;
pub mod value;

pub use differential::Exec;
pub use driver::{Call, RunConfig, run};
pub use engine::EngineKind;
pub use host::{FuelStats, Mode};
pub use policy::{FuelSchedule, Policy};
pub use trace::{Event, Outcome, Trace};
pub use value::Value;
