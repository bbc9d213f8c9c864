//! Criterion benches: bedrock-sse's decoder against its peers on the five
//! workloads, the typed pipeline, and the linear-time check.
//!
//! Run them all (about 5 minutes on 2 cores), then print the table:
//!
//! ```text
//! cargo bench -p bedrock-sse-benches --bench decode
//! cargo run -p bedrock-sse-benches --release --bin bench-table
//! ```
//!
//! Before timing, every decoder's output on every workload is checked against
//! what the workload must yield; a decoder that disagrees is still timed, and
//! the disagreement is written to `criterion/conformance.txt` for the table.

mod drivers;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use bedrock_sse_benches::{Tally, Workload};
use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use drivers::{Driver, Input};

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
        .configure_from_args()
}

/// Where criterion writes its results, found the way criterion finds it.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // target/<profile>/deps/<this bench>
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(|t| t.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// Runs `driver` once outside timing and notes any disagreement with `expected`.
fn check(group: &str, driver: &Driver, input: &Input<'_>, expected: Tally, notes: &mut String) {
    // `BENCH_NO_CHECK=1` skips the checks, e.g. to profile one bench alone.
    if driver.name == "floor" || std::env::var_os("BENCH_NO_CHECK").is_some() {
        return;
    }
    let got = (driver.run)(input);
    if got != expected {
        let _ = writeln!(
            notes,
            "{group} {}: {} events / {} data bytes, expected {} / {}",
            driver.name, got.events, got.data_bytes, expected.events, expected.data_bytes
        );
    }
}

fn bench(group: &mut BenchmarkGroup<'_, WallTime>, driver: &Driver, input: &Input<'_>) {
    group.bench_function(driver.name, |b| b.iter(|| (driver.run)(input)));
}

fn raw(c: &mut Criterion, notes: &mut String) {
    let workloads: [fn() -> Workload; 5] = [
        bedrock_sse_benches::w1,
        bedrock_sse_benches::w2,
        bedrock_sse_benches::w3,
        bedrock_sse_benches::w4,
        bedrock_sse_benches::w5,
    ];
    for make in workloads {
        let workload = make();
        let input = Input::new(&workload.bytes, workload.chunk_vec());
        let mut group = c.benchmark_group(workload.name);
        group.throughput(Throughput::Bytes(workload.bytes.len() as u64));
        for driver in drivers::RAW {
            check(workload.name, driver, &input, workload.expected, notes);
            bench(&mut group, driver, &input);
        }
        group.finish();
    }
}

/// Bytes in, typed job events out, on W1.
fn typed(c: &mut Criterion, notes: &mut String) {
    let workload = bedrock_sse_benches::w1();
    let input = Input::new(&workload.bytes, workload.chunk_vec());
    let typed_drivers = [
        Driver {
            name: "floor",
            run: drivers::floor,
        },
        Driver {
            name: "bedrock-sse",
            run: drivers::typed::bedrock_sse_typed,
        },
        Driver {
            name: "sse-stream+serde_json",
            run: drivers::typed::sse_stream_serde,
        },
        Driver {
            name: "sse-core+serde_json",
            run: drivers::typed::sse_core_serde,
        },
    ];
    let mut group = c.benchmark_group("typed-W1");
    group.throughput(Throughput::Bytes(workload.bytes.len() as u64));
    for driver in &typed_drivers {
        check("typed-W1", driver, &input, workload.expected, notes);
        bench(&mut group, driver, &input);
    }
    group.finish();
}

/// One long data line fed 1 byte at a time and in 8 KiB chunks: the cost
/// per byte must stay within a constant factor, and must not grow with the
/// line's length (1 MiB against 64 KiB).
fn linear(c: &mut Criterion) {
    let mut group = c.benchmark_group("linear");
    for (name, len, size) in [
        ("8KiB-chunks", 1 << 20, 8 * 1024),
        ("1B-chunks", 1 << 20, 1),
        ("1B-chunks-64KiB-line", 64 << 10, 1),
    ] {
        let line = bedrock_sse_benches::long_line(len);
        let input = Input {
            slices: line.chunks(size).collect(),
            bytes: Vec::new(),
        };
        let expected = Tally {
            events: 1,
            data_bytes: len,
        };
        assert_eq!(drivers::bedrock_sse(&input), expected, "{name}");
        group.throughput(Throughput::Bytes(line.len() as u64));
        group.bench_function(name, |b| b.iter(|| drivers::bedrock_sse(&input)));
    }
    group.finish();
}

fn main() {
    let mut c = config();
    let mut notes = String::new();
    raw(&mut c, &mut notes);
    typed(&mut c, &mut notes);
    linear(&mut c);
    c.final_summary();

    let dir = criterion_dir();
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join("conformance.txt"), &notes);
    }
    if !notes.is_empty() {
        eprintln!("decoders that disagree with the workloads:\n{notes}");
    }
}
