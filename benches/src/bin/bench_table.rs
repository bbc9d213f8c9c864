//! Prints the results of one `cargo bench -p bedrock-sse-benches` run as
//! Markdown tables: per workload, each decoder's median time divided by the
//! `memchr2` floor's median time in the same run (lower is better).
//!
//! ```text
//! cargo run -p bedrock-sse-benches --release --bin bench-table [CRITERION_DIR]
//! ```
//!
//! The directory defaults to `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`,
//! else the workspace's `target/criterion`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The columns, in order; any other decoder found is appended after them.
const ORDER: &[&str] = &[
    "floor",
    "bedrock-sse",
    "sse-stream",
    "sse-core",
    "sse-parse",
    "sseer",
    "sse-codec",
    "async-sse",
    "eventsource-stream",
];
const RAW_GROUPS: &[&str] = &["W1", "W2", "W3", "W4", "W5"];
const TYPED_GROUP: &str = "typed-W1";
const LINEAR_GROUP: &str = "linear";

/// One benchmark's result: median nanoseconds per iteration and bytes per iteration.
#[derive(Debug, Clone, Copy)]
struct Measure {
    median_ns: f64,
    bytes: Option<u64>,
}

impl Measure {
    fn mb_per_s(self) -> Option<f64> {
        self.bytes.map(|b| b as f64 / self.median_ns * 1e3)
    }
}

fn criterion_dir() -> PathBuf {
    if let Some(dir) = std::env::args_os().nth(1) {
        return dir.into();
    }
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion")
}

fn read_json(path: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

fn measure(bench_dir: &Path) -> Option<Measure> {
    let estimates = read_json(&bench_dir.join("new/estimates.json"))?;
    let median_ns = estimates["median"]["point_estimate"].as_f64()?;
    let bytes = read_json(&bench_dir.join("new/benchmark.json"))
        .and_then(|b| b["throughput"]["Bytes"].as_u64());
    Some(Measure { median_ns, bytes })
}

/// Every benchmark of a group, by function name, in column order.
fn group(dir: &Path, name: &str) -> Vec<(String, Measure)> {
    let mut found = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir.join(name)) else {
        return Vec::new();
    };
    for entry in entries.flatten() {
        let function = entry.file_name().to_string_lossy().into_owned();
        if let Some(m) = measure(&entry.path()) {
            found.insert(function, m);
        }
    }
    let rank = |f: &str| ORDER.iter().position(|o| *o == f).unwrap_or(ORDER.len());
    let mut out: Vec<_> = found.into_iter().collect();
    out.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then(a.0.cmp(&b.0)));
    out
}

fn main() -> ExitCode {
    let dir = criterion_dir();
    let notes = std::fs::read_to_string(dir.join("conformance.txt")).unwrap_or_default();
    let disagrees = |group: &str, function: &str| {
        notes
            .lines()
            .any(|l| l.starts_with(&format!("{group} {function}:")))
    };

    let groups: Vec<_> = RAW_GROUPS.iter().map(|g| (*g, group(&dir, g))).collect();
    if groups.iter().all(|(_, g)| g.is_empty()) {
        eprintln!(
            "no criterion results under {}: run `cargo bench -p bedrock-sse-benches --bench decode` first",
            dir.display()
        );
        return ExitCode::FAILURE;
    }

    let mut columns: Vec<String> = Vec::new();
    for (_, g) in &groups {
        for (f, _) in g {
            if f != "floor" && !columns.contains(f) {
                columns.push(f.clone());
            }
        }
    }

    println!("Raw decode: median time / memchr2 floor median time, same run (lower is better)\n");
    print!("| workload | floor MB/s |");
    for c in &columns {
        print!(" {c} |");
    }
    println!();
    print!("|---|---:|");
    for _ in &columns {
        print!("---:|");
    }
    println!();
    for (name, g) in &groups {
        let Some(floor) = g.iter().find(|(f, _)| f == "floor").map(|(_, m)| *m) else {
            continue;
        };
        let mb = floor.mb_per_s().map_or("?".into(), |v| format!("{v:.0}"));
        print!("| {name} | {mb} |");
        for c in &columns {
            match g.iter().find(|(f, _)| f == c) {
                Some((_, m)) => {
                    let mark = if disagrees(name, c) { "*" } else { "" };
                    print!(" {:.2}{mark} |", m.median_ns / floor.median_ns);
                }
                None => print!(" – |"),
            }
        }
        println!();
    }
    if !notes.trim().is_empty() {
        println!("\n\\* output differs from the workload's expected events:");
        for line in notes.lines() {
            println!("  - {line}");
        }
    }

    let typed = group(&dir, TYPED_GROUP);
    if let Some(floor) = typed.iter().find(|(f, _)| f == "floor").map(|(_, m)| *m) {
        println!("\nTyped pipeline on W1 (bytes in, job events out)\n");
        println!("| pipeline | t/floor | ns per event (200k events) |");
        println!("|---|---:|---:|");
        for (f, m) in typed.iter().filter(|(f, _)| f != "floor") {
            println!(
                "| {f} | {:.2} | {:.0} |",
                m.median_ns / floor.median_ns,
                m.median_ns / 200_000.0
            );
        }
        let ours = typed.iter().find(|(f, _)| f.starts_with("bedrock-sse"));
        let best_peer = typed
            .iter()
            .filter(|(f, _)| f != "floor" && !f.starts_with("bedrock-sse"))
            .min_by(|a, b| a.1.median_ns.total_cmp(&b.1.median_ns));
        if let (Some((_, ours)), Some((peer, best))) = (ours, best_peer) {
            println!(
                "\nbedrock-sse typed is {:.2}x faster than the fastest peer pipeline ({peer}).",
                best.median_ns / ours.median_ns
            );
        }
    }

    let linear = group(&dir, LINEAR_GROUP);
    if !linear.is_empty() {
        println!("\nLinear time: one long data line (1 MiB unless named)\n");
        println!("| chunks | ns per byte | MB/s |");
        println!("|---|---:|---:|");
        let per_byte = |m: &Measure| m.bytes.map(|b| m.median_ns / b as f64);
        for (f, m) in &linear {
            let pb = per_byte(m).map_or("?".into(), |v| format!("{v:.3}"));
            let mb = m.mb_per_s().map_or("?".into(), |v| format!("{v:.0}"));
            println!("| {f} | {pb} | {mb} |");
        }
        let find = |name: &str| linear.iter().find(|(f, _)| f == name).map(|(_, m)| *m);
        if let (Some(one), Some(big)) = (find("1B-chunks"), find("8KiB-chunks")) {
            println!(
                "\n1-byte chunks cost {:.1}x as much per byte as 8 KiB chunks.",
                one.median_ns / big.median_ns
            );
        }
        if let (Some(long), Some(short)) = (find("1B-chunks"), find("1B-chunks-64KiB-line")) {
            if let (Some(l), Some(s)) = (per_byte(&long), per_byte(&short)) {
                println!(
                    "Under 1-byte chunks a 1 MiB line costs {:.2}x as much per byte as a 64 KiB line (1.00 = linear).",
                    l / s
                );
            }
        }
    }
    ExitCode::SUCCESS
}
