//! The ureq transport against a real TLS server on 127.0.0.1, whose CA
//! is made for the test: unknown, added with `add_ca_file`, and
//! certificates that are expired or for another name.
//!
//! No test here changes the environment (see `tls_env.rs` for those).

mod tls_support;

use bedrock_sse_blocking::{CaFileError, UreqTransport};
use bedrock_sse_blocking::{Outcome, TransportErrorKind};
use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::WatchError;
use bedrock_sse_tls::testing::{ServerCert, TestPki, TlsFront};
use tls_support::{sim, watch};

/// The certificate error a watch ended with, or a panic saying what it
/// ended with instead.
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
    let sim = sim();
    let pki = TestPki::new().expect("a CA");
    let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
        .expect("the TLS front starts");
    let transport = UreqTransport::builder().build().expect("a transport");

    let outcome = watch(transport, &front.base_url());

    let message = certificate_error(&outcome);
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
    sim.shutdown().expect("the simulator stops");
}

#[test]
fn a_ca_file_added_to_the_builder_is_trusted() {
    let sim = sim();
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
        .expect("the TLS front starts");
    let transport = UreqTransport::builder()
        .add_ca_file(ca.path())
        .expect("a valid CA file")
        .build()
        .expect("a transport");

    let outcome = watch(transport.clone(), &front.base_url());
    assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
    // By name as well as by address.
    let outcome = watch(transport, &front.localhost_url());
    assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
    assert!(front.handshakes() >= 2);
    sim.shutdown().expect("the simulator stops");
}

#[test]
fn an_expired_certificate_or_another_name_is_a_certificate_error() {
    let sim = sim();
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    let transport = UreqTransport::builder()
        .add_ca_file(ca.path())
        .expect("a valid CA file")
        .build()
        .expect("a transport");

    for (which, words) in [
        (ServerCert::Expired, "expired"),
        (ServerCert::WrongName, "not valid for name"),
    ] {
        let front = TlsFront::start(pki.server(which).expect("a cert"), sim.addr())
            .expect("the TLS front starts");
        let outcome = watch(transport.clone(), &front.base_url());
        let message = certificate_error(&outcome);
        assert!(message.contains(words), "{which:?}: {message}");
        assert_eq!(front.connections(), 1, "{which:?} is not retried");
    }
    sim.shutdown().expect("the simulator stops");
}

#[test]
fn a_bad_ca_file_is_a_typed_error_naming_it() {
    let error = UreqTransport::builder()
        .add_ca_file("/nonexistent/bedrock-ca.pem")
        .unwrap_err();
    assert!(matches!(error, CaFileError::Unreadable { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("cannot read the CA file /nonexistent/bedrock-ca.pem: "),
        "{error}"
    );

    let not_pem =
        bedrock_sse_tls::testing::TempFile::new("not.pem", b"just text\n").expect("a temp file");
    let error = UreqTransport::builder()
        .add_ca_file(not_pem.path())
        .unwrap_err();
    assert!(
        matches!(error, CaFileError::NoCertificate { .. }),
        "{error}"
    );
}
