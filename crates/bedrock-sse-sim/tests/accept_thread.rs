//! The thread that accepts connections ends, and the listener closes, when
//! the simulator stops: by `shutdown`, by dropping it, and with its own
//! runtime. It counts the process's threads, so it is the only test of its
//! binary.
#![cfg(target_os = "linux")]

mod common;

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use bedrock_sse_sim::Simulator;
use common::*;

/// The accept thread's name, as `/proc` shows it.
const NAME: &str = "sim-accept";

/// How many threads of the process have that name.
fn accept_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .filter(|name| name.trim_end() == NAME)
        .count()
}

/// Waits (bounded) until `count` accept threads run (a new thread names
/// itself as it starts); the count last seen.
fn settle(count: usize) -> usize {
    let start = Instant::now();
    loop {
        let now = accept_threads();
        if now == count || start.elapsed() > Duration::from_secs(2) {
            return now;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn refused(addr: SocketAddr) -> bool {
    matches!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)),
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

#[test]
fn stopping_the_simulator_ends_its_accept_thread_and_closes_the_listener() {
    assert_eq!(accept_threads(), 0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // Shut down, with a stream open.
        let sim = Simulator::builder()
            .job(long_job("job_1"))
            .key(KEY)
            .start()
            .await
            .unwrap();
        assert_eq!(settle(1), 1, "the accept thread runs");
        let response = send(get(&sim, "job_1")).await;
        assert_eq!(response.status().as_u16(), 200);
        let addr = sim.addr();
        sim.shutdown().await.unwrap();
        assert_eq!(settle(0), 0, "the accept thread ended at shutdown");
        assert!(refused(addr), "the listener closed at shutdown");
        drop(response);

        // Dropped without a shutdown.
        let sim = Simulator::builder().start().await.unwrap();
        assert_eq!(settle(1), 1, "the accept thread runs");
        let addr = sim.addr();
        drop(sim);
        assert_eq!(settle(0), 0, "the accept thread ended at the drop");
        assert!(refused(addr), "the listener closed at the drop");
    });
    drop(runtime);

    // On a runtime of its own.
    let sim = Simulator::builder().start_blocking().unwrap();
    assert_eq!(settle(1), 1, "the accept thread runs");
    let addr = sim.addr();
    drop(sim);
    assert_eq!(settle(0), 0, "the accept thread ended with the BlockingSim");
    assert!(refused(addr), "the listener closed with the BlockingSim");
}
