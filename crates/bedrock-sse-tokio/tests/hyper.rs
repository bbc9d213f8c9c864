//! `HyperTransport` under the tokio driver: the kit's scenario table and
//! fault campaign over it, and what only it does: a response head larger than its read buffer
//! is asked for again with a larger buffer, which it then keeps.

mod runner;

use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::{Failure, Outcome, WatchConfig, WatchError};
use bedrock_sse_testkit::{FarServer, RawAnswer, RawServer, TestSim};
use bedrock_sse_tokio::{HyperTransport, JobWatch};
use runner::block_on;

bedrock_sse_testkit::scenarios!(runner::HYPER);
bedrock_sse_testkit::campaign!(runner::HYPER);

/// A server whose every answer is the whole stream of `job` with `headers`
/// added to its head.
fn server_with_headers(job: &'static str, headers: String) -> RawServer {
    RawServer::start(move |_| RawAnswer::CloseWithHeaders {
        headers: headers.clone(),
        body: FarServer::job_stream(job),
    })
}

fn config(server: &RawServer, job: &str) -> WatchConfig {
    TestSim::test_config(&server.base_url(), job).build()
}

fn watch(transport: &HyperTransport, config: WatchConfig) -> Outcome {
    block_on(JobWatch::with_seed(transport.clone(), config, 7).run(|_| {}))
}

#[test]
fn a_head_within_the_read_buffer_takes_one_connection() {
    let padding = format!("x-padding: {}\r\n", "p".repeat(1024));
    let server = server_with_headers("job_fits", padding);
    let transport = HyperTransport::new().no_proxy();
    let outcome = watch(&transport, config(&server, "job_fits"));
    assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
    assert_eq!(server.connections().len(), 1);
}

#[test]
fn a_head_over_the_read_buffer_is_asked_again_with_a_larger_one_then_kept() {
    let padding = format!("x-padding: {}\r\n", "p".repeat(6 * 1024));
    let server = server_with_headers("job_big_head", padding);
    let transport = HyperTransport::new().no_proxy();
    let outcome = watch(&transport, config(&server, "job_big_head"));
    assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
    assert_eq!(
        server.connections().len(),
        2,
        "once with the small buffer, once with the adaptive one"
    );
    // The transport (and its clones) now read with the adaptive buffer.
    let outcome = watch(&transport.clone(), config(&server, "job_big_head"));
    assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
    assert_eq!(server.connections().len(), 3, "one connection more");
}

#[test]
fn a_malformed_head_fails_after_two_tries_and_is_not_taken_for_a_large_one() {
    let server = server_with_headers("job_bad_head", "not a header line\r\n".to_owned());
    let transport = HyperTransport::new().no_proxy();
    let config = TestSim::test_config(&server.base_url(), "job_bad_head")
        .max_failures(Some(1))
        .build();
    let outcome = watch(&transport, config);
    let Outcome::Failed(WatchError::RetriesExhausted { last, .. }) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        matches!(last, Failure::Transport(error) if error.to_string().contains("parse")),
        "{last:?}"
    );
    // The one attempt asked twice; the buffer stayed small.
    assert_eq!(server.connections().len(), 2);
    assert!(format!("{transport:?}").contains("large_heads: false"));
}
