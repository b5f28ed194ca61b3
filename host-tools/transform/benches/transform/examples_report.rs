//! The tables of the examples part, and the project's goals checked
//! against them.

use std::time::Duration;

use crate::binaryen::WasmOpt;
use crate::examples::Row;
use crate::table::{fmt_run_time, fmt_time, kib, print_table, ratio};

pub fn report(rows: &[Row], wasm_opt: Option<&WasmOpt>) {
    let dash = || "-".to_string();
    // Sizes.
    let mut size_rows = Vec::new();
    for r in rows {
        let ours = r.ours.as_ref().ok();
        let bin = r.bin.as_ref().and_then(|b| b.as_ref().ok());
        let ours_o = ours
            .and_then(|o| o.ours_o.as_ref())
            .and_then(|x| x.as_ref().ok().copied());
        size_rows.push(vec![
            r.module.clone(),
            r.set.to_string(),
            r.funcs.to_string(),
            ours.map_or_else(|| "ERR".into(), |o| o.instrumented.to_string()),
            bin.and_then(|b| b.instrumented)
                .map_or_else(dash, |n| n.to_string()),
            kib(r.orig),
            ours.map_or_else(dash, |o| ratio(o.size, r.orig)),
            bin.map_or_else(dash, |b| ratio(b.size, r.orig)),
            match (ours, bin) {
                (Some(o), Some(b)) => ratio(o.size, b.size),
                _ => dash(),
            },
            r.orig_o.map_or_else(dash, |n| ratio(n, r.orig)),
            ours_o.map_or_else(dash, |n| ratio(n, r.orig)),
            bin.map_or_else(dash, |b| ratio(b.size_o, r.orig)),
            match (ours_o, bin) {
                (Some(o), Some(b)) => ratio(o, b.size_o),
                _ => dash(),
            },
        ]);
    }
    print_table(
        "Sizes (bytes without custom sections; ratios to the original)",
        &[
            "module",
            "options",
            "funcs",
            "instr ours",
            "instr bin",
            "orig KiB",
            "ours/orig",
            "bin/orig",
            "ours/bin",
            "O/orig",
            "ours+O/orig",
            "bin+O/orig",
            "ours+O/bin+O",
        ],
        &size_rows,
    );

    let mut time_rows = Vec::new();
    for r in rows {
        let ours = r.ours.as_ref().ok();
        let bin = r.bin.as_ref().and_then(|b| b.as_ref().ok());
        time_rows.push(vec![
            r.module.clone(),
            r.set.to_string(),
            ours.map_or_else(dash, |o| o.call_sites.to_string()),
            ours.map_or_else(dash, |o| fmt_time(o.median)),
            ours.map_or_else(dash, |o| fmt_time(o.min)),
            bin.map_or_else(dash, |b| fmt_run_time(b.time, b.cached)),
            bin.map_or_else(dash, |b| fmt_run_time(b.time_o, b.cached)),
            match (ours, bin) {
                (Some(o), Some(b)) => {
                    format!("{:.4}", o.median.as_secs_f64() / b.time.as_secs_f64())
                }
                _ => dash(),
            },
            ours.map_or_else(dash, |o| match &o.valid {
                Ok(()) => "valid".into(),
                Err(e) => format!("INVALID: {e}"),
            }),
            ours.map_or_else(dash, |o| o.exec.clone()),
            bin.map_or_else(dash, |b| b.exec.clone()),
        ]);
    }
    print_table(
        "Time and checks (ours: median of N runs after one warm-up)",
        &[
            "module",
            "options",
            "call sites",
            "time ours",
            "min ours",
            "time bin",
            "time bin -O",
            "ours/bin",
            "ours valid",
            "exec ours",
            "exec bin -O",
        ],
        &time_rows,
    );

    let failures: Vec<&Row> = rows.iter().filter(|r| r.ours.is_err()).collect();
    for r in &failures {
        println!(
            "\nERROR: ours failed on {} [{}]: {}",
            r.module,
            r.set,
            r.ours.as_ref().err().unwrap()
        );
    }
    for r in rows {
        if let Some(Err(e)) = &r.bin {
            println!("note: Binaryen failed on {} [{}]: {e}", r.module, r.set);
        }
        if let Ok(o) = &r.ours
            && let Some(Err(e)) = &o.ours_o
        {
            println!(
                "note: wasm-opt -O on our output failed for {} [{}]: {e}",
                r.module, r.set
            );
        }
    }

    if let Some(w) = wasm_opt {
        println!(
            "\nnote: `time bin` is {}; `*` marks times read from the cache.",
            w.describe()
        );
    }

    // The project's goals.
    println!();
    for r in rows.iter().filter(|r| r.orig >= 1 << 20) {
        match &r.ours {
            Ok(o) => println!(
                "goal: {} ({} KiB) [{}] transformed in {} (median): {}",
                r.module,
                kib(r.orig),
                r.set,
                fmt_time(o.median),
                if o.median < Duration::from_secs(1) {
                    "MET (< 1 s)"
                } else {
                    "NOT MET (>= 1 s)"
                }
            ),
            Err(_) => println!("goal: {} [{}]: NOT MET (transform failed)", r.module, r.set),
        }
    }
    for r in rows {
        let (Ok(o), Some(Ok(b))) = (&r.ours, &r.bin) else {
            continue;
        };
        let ours_o = o.ours_o.as_ref().and_then(|x| x.as_ref().ok().copied());
        println!(
            "goal: {} [{}] size <= Binaryen: instrumented {} ({} vs {} bytes), after -O {}",
            r.module,
            r.set,
            if o.size <= b.size { "MET" } else { "NOT MET" },
            o.size,
            b.size,
            match ours_o {
                Some(n) => format!(
                    "{} ({n} vs {} bytes)",
                    if n <= b.size_o { "MET" } else { "NOT MET" },
                    b.size_o
                ),
                None => "-".into(),
            }
        );
    }
}
