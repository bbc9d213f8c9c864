//! What an idle watch of the fleet costs the client's heap over HTTP/1.1,
//! by transport: `HyperTransport` must stay well under `ReqwestTransport`
//! (its exact 2 KiB read buffer and its connection driven without a task).
//! `fleet-bench` measures the same at scale (README, "Fleets at scale");
//! this pins it in CI. Alone in its binary: it installs a counting
//! allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use bedrock_sse_core::fleet::FleetConfig;
use bedrock_sse_core::job::{JobEnd, JobStatus};
use bedrock_sse_core::watch::WatchEvent;
use bedrock_sse_sim::JobScript;
use bedrock_sse_testkit::{TestSim, quick_job};
use bedrock_sse_tokio::{FleetEvent, FleetWatch, HyperTransport, ReqwestTransport, Transport};
use serde_json::json;

/// Counts the heap bytes allocated and not yet freed by each thread: the
/// client runs on the test's thread (a current-thread runtime), the
/// simulator on threads of its own, whose allocations stay out of it.
struct PerThread;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // `try_with`: a thread being torn down still frees memory.
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are ours; the bookkeeping touches a
// const-initialised thread-local, which never allocates.
unsafe impl GlobalAlloc for PerThread {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: `ptr` came from `System` through us, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: PerThread = PerThread;

const WATCHES: usize = 40;

fn live() -> isize {
    LIVE.with(Cell::get)
}

/// A job that sends its first events, then nothing for a minute.
fn idle_job(id: &str) -> JobScript {
    JobScript::new(id, "overlay.generate")
        .running(Duration::from_millis(1))
        .completed(Duration::from_secs(60), json!({}))
}

/// The heap the client's thread holds per idle watch of a fleet over
/// `transport`, after one warm-up watch has run to its end over it.
fn heap_per_idle_watch<T: Transport + Clone + Unpin>(
    sim: &TestSim,
    transport: T,
    prefix: &str,
) -> isize {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let warmup = format!("{prefix}_warmup");
        let mut fleet = FleetWatch::new(transport.clone(), FleetConfig::default());
        fleet.add(sim.config(&warmup).build());
        while let Some(report) = fleet.next().await {
            if let FleetEvent::Outcome { outcome, .. } = report {
                assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
            }
        }
        drop(fleet);

        let before = live();
        let mut fleet = FleetWatch::new(transport, FleetConfig::default());
        for n in 0..WATCHES {
            let config = sim
                .config(&format!("{prefix}_{n}"))
                .idle_timeout(Duration::from_secs(60))
                .expect("a valid idle timeout")
                .build();
            fleet.add(config);
        }
        // Idle once every watch has its running status: queued, then
        // running, on a connection that stays open.
        let mut running = 0;
        while running < WATCHES {
            let report = tokio::time::timeout(Duration::from_secs(20), fleet.next())
                .await
                .expect("every watch streams in time")
                .expect("the fleet runs");
            match report {
                FleetEvent::Event {
                    event: WatchEvent::Job { event, .. },
                    ..
                } if matches!(event.status(), Some(JobStatus::Running)) => running += 1,
                FleetEvent::Outcome {
                    job_id, outcome, ..
                } => {
                    panic!("{job_id} ended before its time: {outcome:?}")
                }
                _ => {}
            }
        }
        (live() - before) / WATCHES as isize
    })
}

#[test]
fn an_idle_http1_watch_costs_less_heap_over_hyper_than_over_reqwest() {
    let jobs = ["hyper", "reqwest"].into_iter().flat_map(|prefix| {
        (0..WATCHES)
            .map(move |n| idle_job(&format!("job_{prefix}_{n}")))
            .chain([quick_job(&format!("job_{prefix}_warmup"))])
    });
    let sim = TestSim::with_jobs(jobs);
    let hyper = heap_per_idle_watch(&sim, HyperTransport::new().no_proxy(), "job_hyper");
    let reqwest = heap_per_idle_watch(&sim, ReqwestTransport::new(), "job_reqwest");
    eprintln!("heap per idle watch: HyperTransport {hyper} B, ReqwestTransport {reqwest} B");
    assert!(
        hyper <= 24 * 1024,
        "HyperTransport: {hyper} B per idle watch"
    );
    assert!(
        reqwest - hyper >= 6 * 1024,
        "HyperTransport {hyper} B against ReqwestTransport {reqwest} B per idle watch"
    );
}
