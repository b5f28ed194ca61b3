//! The anchor of the round-trip bench: the least a host can do to drive
//! Binaryen's protocol under wasmi, with no bookkeeping at all — one save
//! buffer at a fixed address, no futures, no error context.
//!
//! The import, in the normal state, writes the buffer's header and starts
//! an unwind; while rewinding it stops the rewind. The driver calls the
//! export, and while it comes back unwinding, stops the unwind, starts a
//! rewind and calls it again. [`Control::Exports`] does each state change
//! through the ABI exports, as Binaryen's JavaScript glue does;
//! [`Control::Globals`] sets the exported `__asyncify_state` and
//! `__asyncify_data` globals directly (modules instrumented with
//! `--export-globals`).

use rewind_host::wasmi::{
    self, Caller, Engine, Global, Instance, Linker, Memory, Module, Store, TypedFunc, Val,
};

/// How the driver changes the Asyncify state.
#[derive(Clone, Copy, Debug)]
pub enum Control {
    /// Through the five ABI exports.
    Exports,
    /// Through the exported state and data globals.
    Globals,
}

/// The state-changing handles of one instance.
#[derive(Clone, Copy)]
enum Handles {
    Exports {
        start_unwind: TypedFunc<i32, ()>,
        stop_unwind: TypedFunc<(), ()>,
        start_rewind: TypedFunc<i32, ()>,
        stop_rewind: TypedFunc<(), ()>,
        get_state: TypedFunc<(), i32>,
    },
    Globals {
        state: Global,
        data: Global,
    },
}

/// What the import needs: the handles, the memory, the buffer.
#[derive(Clone, Copy)]
struct Abi {
    handles: Handles,
    memory: Memory,
    buffer: i32,
}

const UNWINDING: i32 = 1;
const REWINDING: i32 = 2;
/// Bytes of the save buffer, header included.
const BUFFER_SIZE: i32 = 4096;

impl Abi {
    fn state(&self, ctx: impl wasmi::AsContextMut) -> i32 {
        match self.handles {
            Handles::Exports { get_state, .. } => get_state.call(ctx, ()).unwrap(),
            Handles::Globals { state, .. } => state.get(ctx).i32().unwrap(),
        }
    }

    fn start(&self, mut ctx: impl wasmi::AsContextMut, state_after: i32) {
        match self.handles {
            Handles::Exports {
                start_unwind,
                start_rewind,
                ..
            } => {
                let f = if state_after == UNWINDING {
                    start_unwind
                } else {
                    start_rewind
                };
                f.call(ctx, self.buffer).unwrap();
            }
            Handles::Globals { state, data } => {
                data.set(&mut ctx, Val::I32(self.buffer)).unwrap();
                state.set(&mut ctx, Val::I32(state_after)).unwrap();
            }
        }
    }

    fn stop(&self, ctx: impl wasmi::AsContextMut, unwinding: bool) {
        match self.handles {
            Handles::Exports {
                stop_unwind,
                stop_rewind,
                ..
            } => {
                let f = if unwinding { stop_unwind } else { stop_rewind };
                f.call(ctx, ()).unwrap();
            }
            Handles::Globals { state, .. } => state.set(ctx, Val::I32(0)).unwrap(),
        }
    }
}

/// A driver of `wasm`'s export `run(n) -> i32`, whose import
/// `rewind.yield_to_host` suspends: `batch()` runs `run(batch)` to the end
/// and returns the number of suspensions.
pub fn driver(engine: &Engine, wasm: &[u8], control: Control, batch: i32) -> impl FnMut() -> u32 {
    let module = Module::new(engine, wasm).unwrap();
    let mut store = Store::new(engine, None::<Abi>);
    let mut linker = Linker::<Option<Abi>>::new(engine);
    linker
        .func_wrap(
            "rewind",
            "yield_to_host",
            |mut caller: Caller<'_, Option<Abi>>| {
                let abi = caller.data().unwrap();
                if abi.state(&mut caller) == REWINDING {
                    abi.stop(&mut caller, false);
                } else {
                    let header = [abi.buffer + 8, abi.buffer + BUFFER_SIZE];
                    let mut bytes = [0u8; 8];
                    bytes[..4].copy_from_slice(&header[0].to_le_bytes());
                    bytes[4..].copy_from_slice(&header[1].to_le_bytes());
                    abi.memory
                        .write(&mut caller, abi.buffer as usize, &bytes)
                        .unwrap();
                    abi.start(&mut caller, UNWINDING);
                }
            },
        )
        .unwrap();
    let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
    let abi = resolve(&mut store, &instance, control);
    *store.data_mut() = Some(abi);
    let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
    move || {
        let mut suspensions = 0;
        loop {
            let result = run.call(&mut store, batch).unwrap();
            if abi.state(&mut store) != UNWINDING {
                std::hint::black_box(result);
                return suspensions;
            }
            suspensions += 1;
            abi.stop(&mut store, true);
            abi.start(&mut store, REWINDING);
        }
    }
}

fn resolve(store: &mut Store<Option<Abi>>, instance: &Instance, control: Control) -> Abi {
    let handles = match control {
        Control::Exports => Handles::Exports {
            start_unwind: instance
                .get_typed_func(&*store, "asyncify_start_unwind")
                .unwrap(),
            stop_unwind: instance
                .get_typed_func(&*store, "asyncify_stop_unwind")
                .unwrap(),
            start_rewind: instance
                .get_typed_func(&*store, "asyncify_start_rewind")
                .unwrap(),
            stop_rewind: instance
                .get_typed_func(&*store, "asyncify_stop_rewind")
                .unwrap(),
            get_state: instance
                .get_typed_func(&*store, "asyncify_get_state")
                .unwrap(),
        },
        Control::Globals => Handles::Globals {
            state: instance.get_global(&*store, "__asyncify_state").unwrap(),
            data: instance.get_global(&*store, "__asyncify_data").unwrap(),
        },
    };
    let memory = instance.get_memory(&*store, "memory").unwrap();
    // The buffer: one page added at the end of memory.
    let pages = memory.grow(&mut *store, 1).unwrap();
    Abi {
        handles,
        memory,
        buffer: (pages * 65536) as i32,
    }
}
