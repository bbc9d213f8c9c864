//! What the watch logs: every decision, at TRACE level too, and never a key.

use std::time::Duration;

use bedrock_sse_core::watch::{Outcome, WatchConfig, WatchError};
use bedrock_sse_sim::{JobScript, Simulator};
use bedrock_sse_testkit::CapturedLogs;
use bedrock_sse_tokio::{HyperTransport, JobWatch, ReqwestTransport, Transport};

const KEY: &str = "sk_trace_secret_0123456789";

/// Runs `watch` over the transport `make` makes, on a current-thread
/// runtime with a TRACE subscriber for every target (the HTTP client's
/// included); returns the outcome and everything logged.
fn traced<T: Transport>(
    make: fn() -> T,
    config: WatchConfig,
    sim_builder: bedrock_sse_sim::SimulatorBuilder,
) -> (Outcome, String) {
    let captured = CapturedLogs::default();
    let subscriber = captured.trace_subscriber();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let outcome = tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let sim = sim_builder.start().await.expect("the simulator starts");
            let config = WatchConfig::builder(config.job_id().as_str())
                .and_then(|b| b.base_url(sim.base_url()))
                .expect("a config")
                .credentials(config.credentials().cloned())
                .build();
            let outcome = tokio::time::timeout(
                Duration::from_secs(30),
                JobWatch::new(make(), config).run(|_| {}),
            )
            .await
            .expect("the watch ends");
            sim.shutdown().await.expect("clean shutdown");
            outcome
        })
    });
    let log = captured.text();
    (outcome, log)
}

fn job() -> JobScript {
    JobScript::overlay("job_t", 2, Duration::from_millis(10))
}

#[test]
fn a_whole_watch_at_trace_level_never_logs_the_key() {
    a_whole_watch_never_logs_the_key(ReqwestTransport::new);
    a_whole_watch_never_logs_the_key(HyperTransport::new);
}

fn a_whole_watch_never_logs_the_key<T: Transport>(make: fn() -> T) {
    for header in ["bearer", "x-api-key"] {
        let builder = WatchConfig::builder("job_t").expect("a job id");
        let config = match header {
            "bearer" => builder.bearer(KEY),
            _ => builder.api_key(KEY),
        }
        .expect("a key")
        .build();
        let (outcome, log) = traced(make, config, Simulator::builder().key(KEY).job(job()));
        assert!(matches!(outcome, Outcome::Finished { .. }), "{outcome:?}");
        assert!(!log.contains(KEY), "the key leaked into the log:\n{log}");
        assert!(!log.contains("sk_trace"), "part of the key leaked:\n{log}");
        // The decisions are there, inside the watch's span.
        for needle in [
            "watch{job_id=job_t}",
            "connecting",
            "response",
            "status=200",
            "watch over",
        ] {
            assert!(log.contains(needle), "no {needle:?} in:\n{log}");
        }
    }
}

#[test]
fn a_refused_key_is_logged_as_refused_and_not_shown() {
    a_refused_key_is_not_shown(ReqwestTransport::new);
    a_refused_key_is_not_shown(HyperTransport::new);
}

fn a_refused_key_is_not_shown<T: Transport>(make: fn() -> T) {
    let config = WatchConfig::builder("job_t")
        .and_then(|b| b.bearer(KEY))
        .expect("a config")
        .build();
    let (outcome, log) = traced(
        make,
        config,
        Simulator::builder().key("sk_the_right_one").job(job()),
    );
    assert!(
        matches!(outcome, Outcome::Failed(WatchError::Unauthorized { .. })),
        "{outcome:?}"
    );
    assert!(!log.contains(KEY), "the key leaked into the log:\n{log}");
    assert!(log.contains("status=401"), "{log}");
    assert!(log.contains("watch failed"), "{log}");
}
