//! The per-event cost of each runtime adapter, end to end: 2,002 events
//! (queued, running, 2,000 progress events) of one job followed from
//! `bedrock-sse-sim` over loopback, connection set-up, HTTP, decoding,
//! typing and the watch's bookkeeping included. Every run opens a new
//! watch, reads the events and drops the watch (which closes its
//! connection). The events are all in the past when the run connects (the
//! job's end is hours away), so the simulator writes them as fast as the
//! client reads: no heartbeats, no waiting.
//!
//! ```text
//! cargo bench -p bedrock-sse-benches --bench adapters
//! ```
//!
//! Criterion reports each adapter's time per run and events per second;
//! the bench then prints one table of nanoseconds per event (over every
//! run, criterion's warm-up included). The simulator
//! shares the machine with the client, so the numbers are the pair's, not
//! the client's alone.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bedrock_sse_core::watch::{WatchConfig, WatchEvent};
use bedrock_sse_sim::{BlockingSim, JobScript, JobStart, Simulator};
use criterion::{Criterion, Throughput};
use serde_json::json;

const KEY: &str = "sk_bench_adapters";
const JOB: &str = "job_bench_adapters";
const PROGRESS_EVENTS: u32 = 2_000;
/// Queued, running, the progress events.
const EVENTS: u64 = PROGRESS_EVENTS as u64 + 2;

fn simulator() -> BlockingSim {
    let tick = Duration::from_millis(1);
    let mut job = JobScript::new(JOB, "overlay.generate").running(tick);
    for sheet in 1..=PROGRESS_EVENTS {
        job = job.progress(
            tick,
            f64::from(sheet) / f64::from(PROGRESS_EVENTS),
            format!("Processing sheet {sheet} of {PROGRESS_EVENTS}"),
        );
    }
    // Never reached in a bench run: 1,000 hours, 1 hour at the speed below.
    let job = job
        .completed(Duration::from_secs(3_600_000), json!({}))
        .start(JobStart::Launch);
    let sim = Simulator::builder()
        .key(KEY)
        .job(job)
        // The 2 s of progress pass in 2 ms.
        .speed(1_000.0)
        // None in a run.
        .heartbeat(Duration::from_secs(3_600))
        // Hundreds of runs a second: no budget.
        .rate_limit(None)
        .start_blocking()
        .expect("the simulator starts");
    // Let every progress event fall due.
    std::thread::sleep(Duration::from_millis(100));
    sim
}

fn config(base_url: &str) -> WatchConfig {
    WatchConfig::builder(JOB)
        .and_then(|b| b.base_url(base_url))
        .and_then(|b| b.bearer(KEY))
        .expect("a valid config")
        .build()
}

/// Checks that a run got a job event, not a reconnection or a warning.
fn check(event: Option<WatchEvent>) {
    assert!(matches!(event, Some(WatchEvent::Job { .. })), "{event:?}");
}

/// Nanoseconds and events of each adapter, summed over criterion's runs.
static PER_EVENT: Mutex<BTreeMap<&str, (u128, u64)>> = Mutex::new(BTreeMap::new());

/// Times `iters` runs of `run_once` and keeps the per-event figure.
fn timed(name: &'static str, iters: u64, mut run_once: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        run_once();
    }
    let elapsed = start.elapsed();
    if let Ok(mut table) = PER_EVENT.lock() {
        let entry = table.entry(name).or_default();
        entry.0 += elapsed.as_nanos();
        entry.1 += iters * EVENTS;
    }
    elapsed
}

fn adapters(c: &mut Criterion) {
    let sim = simulator();
    let base_url = sim.base_url();
    let mut group = c.benchmark_group("adapters");
    group.throughput(Throughput::Elements(EVENTS));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let reqwest = bedrock_sse_tokio::ReqwestTransport::new();
    group.bench_function("tokio (reqwest)", |b| {
        b.iter_custom(|iters| {
            timed("tokio (reqwest)", iters, || {
                runtime.block_on(async {
                    // tokio's timer must be made inside the runtime.
                    let mut watch = bedrock_sse_tokio::JobWatch::with_seed(
                        reqwest.clone(),
                        config(&base_url),
                        1,
                    );
                    for _ in 0..EVENTS {
                        check(watch.next_event().await);
                    }
                });
            })
        });
    });

    let tokio_hyper = bedrock_sse_tokio::HyperTransport::new().no_proxy();
    group.bench_function("tokio (hyper)", |b| {
        b.iter_custom(|iters| {
            timed("tokio (hyper)", iters, || {
                runtime.block_on(async {
                    let mut watch = bedrock_sse_tokio::JobWatch::with_seed(
                        tokio_hyper.clone(),
                        config(&base_url),
                        1,
                    );
                    for _ in 0..EVENTS {
                        check(watch.next_event().await);
                    }
                });
            })
        });
    });

    let ureq = bedrock_sse_blocking::UreqTransport::new();
    group.bench_function("blocking (ureq)", |b| {
        b.iter_custom(|iters| {
            timed("blocking (ureq)", iters, || {
                let mut watch =
                    bedrock_sse_blocking::JobWatch::with_seed(ureq.clone(), config(&base_url), 1);
                for _ in 0..EVENTS {
                    check(watch.next());
                }
            })
        });
    });

    let hyper = bedrock_sse_futures::HyperTransport::new().no_proxy();
    group.bench_function("futures (hyper, async-io)", |b| {
        b.iter_custom(|iters| {
            timed("futures (hyper, async-io)", iters, || {
                async_io::block_on(async {
                    let mut watch = bedrock_sse_futures::JobWatch::with_seed(
                        hyper.clone(),
                        config(&base_url),
                        1,
                    );
                    for _ in 0..EVENTS {
                        check(watch.next_event().await);
                    }
                });
            })
        });
    });
    group.finish();

    println!("\nper event, {EVENTS} events a run, connection set-up included:");
    println!("| adapter | ns/event |");
    println!("|---|---:|");
    if let Ok(table) = PER_EVENT.lock() {
        for (name, (nanos, events)) in table.iter() {
            println!("| {name} | {} |", nanos / u128::from((*events).max(1)));
        }
    }
}

fn config_criterion() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
        .configure_from_args()
}

fn main() {
    let mut criterion = config_criterion();
    adapters(&mut criterion);
    criterion.final_summary();
}
