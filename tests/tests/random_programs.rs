//! A seeded differential smoke run over generated programs
//! (`rewind_tests::program_gen`): every program runs original and instrumented
//! under every policy and option set. `REWIND_SEEDS=N` runs more seeds.

use rewind_tests::instrument::wat;
use rewind_tests::program_gen::Gen;
use rewind_tests::{Exec, Value::I32};

fn seeds() -> u64 {
    std::env::var("REWIND_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40)
}

#[test]
fn generated_programs_behave_the_same() {
    let mut suspended = 0;
    let n = seeds();
    for seed in 0..n {
        let text = Gen::program(seed, 3, 3);
        let wasm = wat(&text);
        let name = format!("generated program, seed {seed}:\n{text}\n");
        let result = std::panic::catch_unwind(|| {
            Exec::bytes(&name, wasm)
                .call("main", &[I32(seed as i32)])
                .call("main", &[I32(-(seed as i32))])
                .no_suspension_expected()
                .run()
        });
        match result {
            Ok(trace) => {
                if trace.args_of("env.sleep").len() + trace.args_of("env.sleep_i32").len() > 0 {
                    suspended += 1;
                }
            }
            Err(e) => std::panic::resume_unwind(e),
        }
    }
    assert!(
        suspended * 2 > n,
        "only {suspended} of {n} programs reached a suspending call"
    );
}
