//! The scenarios that check what a watch leaves behind when it gives a
//! connection up or is dropped: the connection closed (the server sees
//! it), and the process's threads and sockets back to where they were.
//!
//! They count the whole process's [`Resources`], so they run one after the
//! other in a test binary of their own: [`cleanup_scenarios!`](crate::cleanup_scenarios!).

use std::time::{Duration, Instant};

use bedrock_sse_core::watch::{Failure, WatchError};

use crate::scenarios::{LATE, closed_at_its_deadline, started_stream};
use crate::{FarServer, RawAnswer, RawServer, Resources, Runner, TestSim, ms};

/// How long the process may take to let go of a closed connection's
/// threads and sockets.
const SETTLE: Duration = Duration::from_secs(2);

/// Starts `server`'s first connection with a whole, short stream, run to
/// its end, so that whatever an adapter starts once per process (a
/// reactor thread, an executor's pool) is running before the baseline is
/// taken; then the baseline, with the server idle.
fn warm_up(runner: &dyn Runner, server: &RawServer, job_id: &str) -> Resources {
    let run = runner.run(TestSim::test_config(&server.base_url(), job_id).build());
    assert_eq!(run.job_ids(), ["1", "2"], "the warm-up completes: {run:#?}");
    assert!(server.wait_idle(SETTLE), "the warm-up's connection ended");
    Resources::now()
}

/// A watch dropped after its first two events, while the server holds the
/// stream open and silent: the server sees the connection closed at once,
/// and the process's threads and sockets come back to their baseline (an
/// async runner also checks that no task of the watch is left).
pub fn a_watch_dropped_mid_stream_closes_its_connection(runner: &dyn Runner) {
    let server = RawServer::start(|n| {
        let body = if n == 0 {
            FarServer::job_stream("job_drop")
        } else {
            started_stream("job_drop", 2)
        };
        if n == 0 {
            RawAnswer::Close { body }
        } else {
            RawAnswer::Quiet { body }
        }
    });
    let baseline = warm_up(runner, &server, "job_drop");
    let config = TestSim::test_config(&server.base_url(), "job_drop").build();
    let mut checked = false;
    let events = runner.run_then_drop(config, 2, &mut || {
        let dropped = Instant::now();
        let connections = server.wait_closed(2, LATE);
        let closed = connections
            .get(1)
            .and_then(|c| c.closed)
            .unwrap_or_else(|| panic!("the dropped watch's connection is open: {connections:#?}"));
        assert!(
            closed.saturating_duration_since(dropped) <= LATE,
            "closed late: {connections:#?}"
        );
        if let Err(seen) = Resources::settle(baseline, SETTLE) {
            panic!("left behind: {seen:?}, baseline {baseline:?}");
        }
        checked = true;
    });
    assert!(checked, "the runner calls back after the drop");
    assert_eq!(events.len(), 2, "{events:#?}");
}

/// Three connections that each send an event and fall silent, the socket
/// held open, with a 300 ms idle timeout and 300 to 600 ms between
/// attempts: each is closed by the client about 300 ms after it went
/// quiet, the process is back to its baseline of threads and sockets after
/// each, and the third failure in a row ends the watch.
pub fn silent_connections_are_each_closed_after_the_idle_timeout(runner: &dyn Runner) {
    let server = RawServer::start(|n| {
        if n == 0 {
            RawAnswer::Close {
                body: FarServer::job_stream("job_quiet"),
            }
        } else {
            RawAnswer::Quiet {
                body: started_stream("job_quiet", 1),
            }
        }
    });
    let baseline = warm_up(runner, &server, "job_quiet");
    server.probe_after_close(baseline);
    let idle = ms(300);
    let mut backoff = bedrock_sse_core::watch::BackoffPolicy::default();
    backoff.initial = ms(600);
    backoff.max = ms(600);
    let config = TestSim::test_config(&server.base_url(), "job_quiet")
        .idle_timeout(idle)
        .expect("a timeout")
        .backoff(backoff)
        // A replay open for 300 ms is not progress: the failures add up.
        .min_rotation_uptime(Duration::from_secs(10))
        .max_failures(Some(3));
    let run = runner.run(config.build());
    let WatchError::RetriesExhausted {
        failures: 3,
        last: Failure::IdleTimeout,
    } = run.error()
    else {
        panic!("{run:#?}")
    };
    assert_eq!(run.job_ids(), ["1"], "the replays are suppressed: {run:#?}");
    let connections = server.wait_closed(4, LATE);
    assert_eq!(connections.len(), 4, "{connections:#?}");
    for (n, connection) in connections.iter().enumerate().skip(1) {
        let what = format!("silent connection {n}");
        let quiet = connection
            .answered
            .unwrap_or_else(|| panic!("{what} answered: {connection:#?}"));
        closed_at_its_deadline(connection, quiet, idle, &what);
        assert_eq!(
            connection.leftover, None,
            "{what}: left behind, baseline {baseline:?}"
        );
    }
    if let Err(seen) = Resources::settle(baseline, SETTLE) {
        panic!("left behind at the end: {seen:?}, baseline {baseline:?}");
    }
}
