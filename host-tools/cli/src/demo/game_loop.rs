//! `rewind demo`: the game-loop example, frame by frame under rewind-host.
//!
//! The module is `examples/game-loop`, built for wasm32 and instrumented by
//! `build.rs` (see `built`). Its `run(seed)` export is
//! `loop { update(); render_to_text(); yield_to_host(); }`; each frame the
//! driver resumes the call (a rewind into the loop), the guest renders and
//! presents a frame through `env.present(ptr, len)` and yields, which
//! unwinds its whole stack back to the driver. With `--web DIR` the game
//! goes to the browser instead (`web`).

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rewind_host::wasmi::{Caller, Engine, FuncType, Val};
use rewind_host::{CallOutcome, HostData, Linker, Module};

use super::built::{GameLoop, GameLoopFacts};
use super::{emit, quiet_broken_pipe, read_guest, web};
use crate::cli::DemoArgs;

/// The last frame the guest presented, until the host shows it.
#[derive(Debug, Default)]
struct Screen {
    frame: Option<Vec<u8>>,
}

/// Runs `rewind demo` with `game`.
pub fn run(args: &DemoArgs, game: &GameLoop) -> Result<()> {
    match (&args.emit_wasm, &args.web) {
        (Some(path), _) => emit(path, game.wasm),
        (None, Some(dir)) => web::write(dir, game),
        (None, None) => quiet_broken_pipe(play(args, game)),
    }
}

/// Runs the frames, printing each; then the statistics.
fn play(args: &DemoArgs, game: &GameLoop) -> Result<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, game.wasm).context("failed to load the game loop")?;
    let mut linker = Linker::<Screen>::new(&engine);
    linker.func_wrap("env", "present", present)?;
    linker.func_yield("rewind", "yield_to_host", FuncType::new([], []))?;
    let mut instance = linker
        .instantiate(&module, Screen::default())
        .context("failed to instantiate the game loop")?;

    let mut out = std::io::stdout().lock();
    if !args.raw {
        writeln!(
            out,
            "Conway's Life from examples/game-loop: `loop {{ update(); render_to_text(); yield_to_host(); }}`,\n\
             instrumented at build time and run under wasmi; every frame the guest's stack\n\
             unwinds to the host and is rewound into the loop.\n"
        )?;
    }

    // Frame 1 includes wasmi's lazy compilation and placing the save
    // buffer: it is timed apart from the others.
    let mut times = Vec::new();
    let mut suspensions = 0u32;
    let start = Instant::now();
    // `run` takes an i32: the seed's bits, as the guest's u32 reads them.
    let seed = Val::I32(args.seed as i32);
    let mut outcome = instance.call_resumable("run", &[seed])?;
    times.push(start.elapsed());
    for n in 1..=args.frames {
        let call = match outcome {
            CallOutcome::Yielded(call) | CallOutcome::Suspended(call) => call,
            CallOutcome::Finished(_) => bail!("the game loop returned after {} frames", n - 1),
        };
        suspensions += 1;
        let frame = instance.data_mut().frame.take().unwrap_or_default();
        let frame = String::from_utf8_lossy(&frame);
        if args.raw {
            write!(out, "=== frame {n} ===\n{frame}")?;
        } else {
            show(&mut out, n, args.frames, &frame)?;
        }
        if n == args.frames {
            // Dropping the suspended call abandons the game.
            drop(call);
            break;
        }
        let start = Instant::now();
        outcome = instance.resume(call)?;
        times.push(start.elapsed());
    }

    if !args.raw {
        let stats = Stats {
            frames: args.frames,
            suspensions,
            times: &times,
            buffers: instance.buffers_placed(),
            buffer_size: instance.buffer_size(),
            module: &game.facts,
        };
        stats.print(&mut out)?;
    }
    out.flush()?;
    Ok(())
}

/// `env.present(ptr, len)`: keeps a copy of the frame for the host loop.
fn present(
    mut caller: Caller<'_, HostData<Screen>>,
    ptr: i32,
    len: i32,
) -> Result<(), rewind_host::wasmi::Error> {
    let frame = read_guest(&caller, ptr, len, "present")?;
    caller.data_mut().frame = Some(frame);
    Ok(())
}

/// One frame: a header with the guest's status line, then the grid.
fn show(out: &mut impl Write, n: u32, total: u32, frame: &str) -> std::io::Result<()> {
    let mut lines = frame.lines();
    let status = lines.next().unwrap_or_default();
    writeln!(out, "frame {n}/{total} · {status}")?;
    for line in lines {
        writeln!(out, "  {line}")?;
    }
    writeln!(out)
}

/// What `rewind demo` reports after the frames.
struct Stats<'a> {
    frames: u32,
    suspensions: u32,
    /// Time of each frame in the guest: the first call, then each resume.
    times: &'a [Duration],
    buffers: usize,
    buffer_size: u64,
    /// What instrumenting the module did.
    module: &'a GameLoopFacts,
}

impl Stats<'_> {
    fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        writeln!(out, "frames         {}", self.frames)?;
        writeln!(
            out,
            "suspensions    {} (one yield_to_host per frame; {} save buffer of {} KiB, placed once)",
            self.suspensions,
            self.buffers,
            self.buffer_size / 1024
        )?;
        let first = micros(self.times[0]);
        if let Some(rest) = self.times.get(1..).filter(|rest| !rest.is_empty()) {
            let mean = rest.iter().map(|&d| micros(d)).sum::<f64>() / rest.len() as f64;
            writeln!(
                out,
                "time per frame {mean:.1} µs: rewind, update, render, unwind under wasmi \
                 (frame 1: {first:.0} µs, with compilation)"
            )?;
        } else {
            writeln!(
                out,
                "time per frame {first:.1} µs (frame 1, with compilation)"
            )?;
        }
        writeln!(
            out,
            "module         {} → {} bytes instrumented, {} of {} functions touched",
            self.module.bytes_before,
            self.module.bytes_after,
            self.module.functions_instrumented,
            self.module.functions_total
        )
    }
}
