//! What the watch logs over the blocking adapter: every decision, at TRACE
//! level for every target (ureq's included), and never a key.

use std::time::Duration;

use bedrock_sse_blocking::{JobWatch, Outcome, UreqTransport, WatchConfig};
use bedrock_sse_core::watch::WatchError;
use bedrock_sse_sim::{JobScript, Simulator};
use bedrock_sse_testkit::CapturedLogs;

const KEY: &str = "sk_trace_secret_0123456789";

/// One test, so that the process-wide subscriber (the body reader threads
/// log too) sees only this test's watches.
#[test]
fn whole_watches_at_trace_level_never_log_the_key() {
    let captured = CapturedLogs::default();
    tracing::subscriber::set_global_default(captured.trace_subscriber())
        .expect("the only subscriber");
    let sim = Simulator::builder()
        .key(KEY)
        .job(JobScript::overlay("job_t", 2, Duration::from_millis(10)))
        .start_blocking()
        .expect("the simulator starts");
    let watch = |key: &str, x_api_key: bool| {
        let builder = WatchConfig::builder("job_t")
            .and_then(|b| b.base_url(sim.base_url()))
            .expect("a config")
            .timeout(Duration::from_secs(30));
        let builder = if x_api_key {
            builder.api_key(key)
        } else {
            builder.bearer(key)
        };
        JobWatch::new(UreqTransport::new(), builder.expect("a key").build()).run(|_| {})
    };
    for x_api_key in [false, true] {
        let outcome = watch(KEY, x_api_key);
        assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
    }
    let refused = watch("sk_trace_wrong_key_98765", false);
    assert!(
        matches!(refused, Outcome::Failed(WatchError::Unauthorized { .. })),
        "{refused:?}"
    );
    let log = captured.text();
    assert!(
        !log.contains("sk_trace"),
        "a key leaked into the log:\n{log}"
    );
    for needle in [
        "watch{job_id=job_t}",
        "connecting",
        "status=200",
        "status=401",
        "watch over",
    ] {
        assert!(log.contains(needle), "no {needle:?} in:\n{log}");
    }
}
