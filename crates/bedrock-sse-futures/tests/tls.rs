//! The hyper transport against a TLS front on 127.0.0.1 (the shared
//! fixtures of `bedrock-sse-tls`) whose CA is made for the test: unknown,
//! added with `add_ca_file`, and certificates that are expired or for
//! another name. No test here changes the environment (see `tls_env.rs`).

use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::{Outcome, TransportErrorKind, WatchError};
use bedrock_sse_futures::{CaFileError, HyperTransport, JobWatch};
use bedrock_sse_testkit::{TestSim, quick_job};
use bedrock_sse_tls::testing::{ServerCert, TestPki, TlsFront};

const JOB: &str = "job_tls";

/// Runs a watch of the quick job at `base_url` to its outcome, under smol.
fn watch(transport: HyperTransport, base_url: &str) -> Outcome {
    let config = TestSim::test_config(base_url, JOB)
        .bearer(bedrock_sse_testkit::KEY)
        .expect("a key")
        .build();
    smol::block_on(JobWatch::with_seed(transport, config, 7).run(|_| {}))
}

/// The certificate error a watch ended with.
fn certificate_error(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Failed(WatchError::Certificate(error)) => {
            assert_eq!(error.kind(), TransportErrorKind::Certificate);
            error.to_string()
        }
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[test]
fn an_unknown_issuer_ends_the_watch_at_once() {
    let sim = TestSim::with_jobs([quick_job(JOB)]);
    let pki = TestPki::new().expect("a CA");
    let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
        .expect("the TLS front starts");
    let transport = HyperTransport::builder().build().expect("a transport");

    let message = certificate_error(&watch(transport.no_proxy(), &front.base_url()));

    assert!(
        message.starts_with("server certificate rejected: "),
        "{message}"
    );
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert_eq!(
        front.connections(),
        1,
        "a rejected certificate is not retried"
    );
    assert_eq!(front.handshakes(), 0);
    assert_eq!(sim.request_log().total(), 0);
}

#[test]
fn a_ca_file_added_to_the_builder_is_trusted() {
    let sim = TestSim::with_jobs([quick_job(JOB)]);
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
        .expect("the TLS front starts");
    let transport = HyperTransport::builder()
        .add_ca_file(ca.path())
        .expect("a valid CA file")
        .build()
        .expect("a transport")
        .no_proxy();

    let outcome = watch(transport.clone(), &front.base_url());
    assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
    // By name as well as by address.
    let outcome = watch(transport, &front.localhost_url());
    assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
    assert!(front.handshakes() >= 2);
}

#[test]
fn an_expired_certificate_or_another_name_is_a_certificate_error() {
    let sim = TestSim::with_jobs([quick_job(JOB)]);
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    let transport = HyperTransport::builder()
        .add_ca_file(ca.path())
        .expect("a valid CA file")
        .build()
        .expect("a transport")
        .no_proxy();
    for (which, words) in [
        (ServerCert::Expired, "expired"),
        (ServerCert::WrongName, "not valid for name"),
    ] {
        let front = TlsFront::start(pki.server(which).expect("a cert"), sim.addr())
            .expect("the TLS front starts");
        let message = certificate_error(&watch(transport.clone(), &front.base_url()));
        assert!(message.contains(words), "{which:?}: {message}");
        assert_eq!(front.connections(), 1, "{which:?} is not retried");
    }
}

#[test]
fn a_bad_ca_file_is_a_typed_error_naming_it() {
    let error = HyperTransport::builder()
        .add_ca_file("/nonexistent/bedrock-ca.pem")
        .unwrap_err();
    assert!(matches!(error, CaFileError::Unreadable { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("cannot read the CA file /nonexistent/bedrock-ca.pem: "),
        "{error}"
    );
}
