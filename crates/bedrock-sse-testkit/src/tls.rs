//! The TLS scenarios every adapter's ready-made transport runs: a TLS
//! front on 127.0.0.1 (the fixtures of `bedrock-sse-tls`) in front of the
//! simulator, whose CA is made for the test: unknown, added with the
//! builder's `add_ca_file`, and certificates that are expired or for
//! another name. None of them changes the environment (each adapter's
//! `tls_env.rs` does, in a process of its own).

use std::path::Path;

use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::{Outcome, TransportErrorKind, WatchConfig, WatchError};
use bedrock_sse_tls::CaFileError;
use bedrock_sse_tls::testing::{ServerCert, TempFile, TestPki, TlsFront};

use crate::{KEY, TestSim, quick_job};

/// The job the TLS scenarios watch.
pub(crate) const JOB: &str = "job_tls";

/// An adapter's ready-made transport, as the TLS scenarios build and use
/// it.
pub trait TlsAdapter {
    /// The transport.
    type Transport: Clone;

    /// The transport from its builder, with `ca_files` added to its trust
    /// (and no proxy from the environment, where the adapter reads one);
    /// the builder's error for an unusable file.
    fn transport(&self, ca_files: &[&Path]) -> Result<Self::Transport, CaFileError>;

    /// Follows the watch `config` describes over `transport` to its
    /// outcome (blocking the test thread).
    fn watch(&self, transport: Self::Transport, config: WatchConfig) -> Outcome;
}

/// A watch of the quick job at `base_url` over `transport`.
pub(crate) fn watch<A: TlsAdapter>(
    adapter: &A,
    transport: A::Transport,
    base_url: &str,
) -> Outcome {
    let config = TestSim::test_config(base_url, JOB)
        .bearer(KEY)
        .expect("a key")
        .build();
    adapter.watch(transport, config)
}

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

/// A certificate from an unknown issuer ends the watch at once: one
/// connection, no handshake, no request reaches the server.
pub fn an_unknown_issuer_ends_the_watch_at_once<A: TlsAdapter>(adapter: &A) {
    let sim = TestSim::with_jobs([quick_job(JOB)]);
    let pki = TestPki::new().expect("a CA");
    let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
        .expect("the TLS front starts");
    let transport = adapter.transport(&[]).expect("a transport");

    let message = certificate_error(&watch(adapter, transport, &front.base_url()));

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

/// A CA file added to the builder is trusted, for the server's address
/// and for its name.
pub fn a_ca_file_added_to_the_builder_is_trusted<A: TlsAdapter>(adapter: &A) {
    let sim = TestSim::with_jobs([quick_job(JOB)]);
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
        .expect("the TLS front starts");
    let transport = adapter.transport(&[ca.path()]).expect("a valid CA file");

    let outcome = watch(adapter, transport.clone(), &front.base_url());
    assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
    let outcome = watch(adapter, transport, &front.localhost_url());
    assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
    assert!(front.handshakes() >= 2);
}

/// An expired certificate, or one for another name, is a certificate
/// error, not retried, even from a trusted CA.
pub fn an_expired_certificate_or_another_name_is_a_certificate_error<A: TlsAdapter>(adapter: &A) {
    let sim = TestSim::with_jobs([quick_job(JOB)]);
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    let transport = adapter.transport(&[ca.path()]).expect("a valid CA file");

    for (which, words) in [
        (ServerCert::Expired, "expired"),
        (ServerCert::WrongName, "not valid for name"),
    ] {
        let front = TlsFront::start(pki.server(which).expect("a cert"), sim.addr())
            .expect("the TLS front starts");
        let message = certificate_error(&watch(adapter, transport.clone(), &front.base_url()));
        assert!(message.contains(words), "{which:?}: {message}");
        assert_eq!(front.connections(), 1, "{which:?} is not retried");
    }
}

/// A CA file that cannot be read, or holds no certificate, is the
/// builder's typed error, naming the file.
pub fn a_bad_ca_file_is_a_typed_error_naming_it<A: TlsAdapter>(adapter: &A) {
    let missing = Path::new("/nonexistent/bedrock-ca.pem");
    let error = adapter.transport(&[missing]).err().expect("an error");
    assert!(matches!(error, CaFileError::Unreadable { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("cannot read the CA file /nonexistent/bedrock-ca.pem: "),
        "{error}"
    );

    let not_pem = TempFile::new("not.pem", b"just text\n").expect("a temp file");
    let error = adapter
        .transport(&[not_pem.path()])
        .err()
        .expect("an error");
    assert!(
        matches!(error, CaFileError::NoCertificate { .. }),
        "{error}"
    );
}
