//! `rewind-host`: run Asyncify-instrumented modules under wasmi.
