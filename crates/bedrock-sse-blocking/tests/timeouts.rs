//! What the driver hands a transport as its [`Timeouts`], and how it takes
//! a read that gave up: a test double, no socket.

use std::io::{self, Cursor, Read};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bedrock_sse_blocking::{
    JobWatch, Request, Response, Timeouts, Transport, TransportError, WatchConfig,
};
use bedrock_sse_core::watch::{Failure, Outcome, WatchError};
use bedrock_sse_testkit::{TestSim, ms};

/// Answers every request with one event, then a body whose every read
/// gives up at once (as if its read timeout had passed), and records the
/// timeouts it was given.
#[derive(Default)]
struct SilentAfterOne(Arc<Mutex<Vec<Timeouts>>>);

struct SilentBody(Cursor<&'static [u8]>);

impl Read for SilentBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(io::ErrorKind::TimedOut.into()),
            n => Ok(n),
        }
    }
}

impl Transport for SilentAfterOne {
    type Body = SilentBody;

    fn send(
        &self,
        _request: &Request,
        timeouts: Timeouts,
    ) -> Result<Response<SilentBody>, TransportError> {
        self.0.lock().expect("not poisoned").push(timeouts);
        Ok(Response {
            status: 200,
            headers: vec![("content-type".into(), b"text/event-stream".to_vec())],
            body: SilentBody(Cursor::new(
                b"id: 1\nevent: status\ndata: {\"job_id\":\"job_t\",\"status\":\"Queued\"}\n\n",
            )),
        })
    }
}

#[test]
fn the_transport_gets_the_watchs_deadlines_and_early_timeouts_wait_for_the_watchs_own() {
    let transport = SilentAfterOne::default();
    let seen = transport.0.clone();
    let idle = ms(60);
    let overall = Duration::from_secs(20);
    let config: WatchConfig = TestSim::test_config("http://127.0.0.1:9", "job_t")
        .idle_timeout(idle)
        .expect("a timeout")
        .head_timeout(ms(700))
        .expect("a timeout")
        .min_rotation_uptime(Duration::from_secs(10))
        .max_failures(Some(2))
        .timeout(overall)
        .build();
    let outcome = JobWatch::with_seed(transport, config, 1).run(drop);
    // Reads that give up before the idle deadline are read again; the
    // watch gives each connection up at its own idle deadline.
    let Outcome::Failed(WatchError::RetriesExhausted {
        failures: 2,
        last: Failure::IdleTimeout,
    }) = outcome
    else {
        panic!("{outcome:?}")
    };
    let seen = seen.lock().expect("not poisoned").clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for timeouts in &seen {
        assert!(
            timeouts.head <= ms(700) && timeouts.head > ms(600),
            "{seen:?}"
        );
        assert_eq!(timeouts.read, idle, "{seen:?}");
        let total = timeouts.total.expect("the overall deadline");
        assert!(total <= overall && total > overall - ms(2000), "{seen:?}");
    }
    assert!(
        seen[1].total < seen[0].total,
        "the time left shrinks: {seen:?}"
    );
}
