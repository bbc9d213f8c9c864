//! The scenarios of `SSL_CERT_FILE` and the proxy variables, for each
//! adapter's ready-made transport ([`EnvAdapter`]).
//!
//! The environment is process-global: these run in a test binary of their
//! own ([`tls_env_scenarios!`](crate::tls_env_scenarios!)), one at a time,
//! each holding a lock while it sets the variables (before any server of
//! its own starts) and until it has cleared them.

use std::path::Path;
use std::sync::Mutex;

use bedrock_sse_core::job::JobEnd;
use bedrock_sse_tls::TlsError;
use bedrock_sse_tls::testing::{ForwardProxy, ServerCert, TestPki, TlsFront};

use crate::tls::{TlsAdapter, watch};
use crate::{TestSim, quick_job};

/// An adapter's ready-made transport as the environment configures it.
pub trait EnvAdapter: TlsAdapter {
    /// The transport's `new()`: the environment's trust and proxies, and
    /// never an error (an unusable `SSL_CERT_FILE` is left out).
    fn configured_by_env(&self) -> Self::Transport;

    /// The transport from its builder with `ca_files` added, and the
    /// environment's trust and proxies; the builder's error for an
    /// unusable `SSL_CERT_FILE`.
    fn built(&self, ca_files: &[&Path]) -> Result<Self::Transport, TlsError>;

    /// Whether the transport sends plain `http://` through an HTTP proxy
    /// with `CONNECT` (ureq always tunnels) rather than in absolute form.
    fn tunnels_plain_http(&self) -> bool;
}

static ENV: Mutex<()> = Mutex::new(());

/// Every variable the scenarios set or must not inherit.
const VARIABLES: &[&str] = &[
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// Runs `test` with exactly `vars` set among [`VARIABLES`].
fn with_env(vars: &[(&str, &str)], test: impl FnOnce()) {
    let _guard = ENV.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    set(vars);
    test();
    set(&[]);
}

fn set(vars: &[(&str, &str)]) {
    for name in VARIABLES {
        // SAFETY: the scenarios take `ENV` first, run in a binary of their
        // own, and set the environment only while no thread of theirs runs.
        unsafe { std::env::remove_var(name) };
    }
    for (name, value) in vars {
        // SAFETY: as above.
        unsafe { std::env::set_var(name, value) };
    }
}

/// `SSL_CERT_FILE` is trusted by `new()` and by the builder.
pub fn ssl_cert_file_is_trusted_by_new_and_by_the_builder<A: EnvAdapter>(adapter: &A) {
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    let path = ca.path().to_str().expect("a UTF-8 temp path").to_owned();
    with_env(&[("SSL_CERT_FILE", &path)], || {
        let sim = TestSim::with_jobs([quick_job(crate::tls::JOB)]);
        let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
            .expect("the TLS front starts");

        let outcome = watch(adapter, adapter.configured_by_env(), &front.base_url());
        assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
        let transport = adapter.built(&[]).expect("a transport");
        let outcome = watch(adapter, transport, &front.base_url());
        assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
    });
}

/// An unusable `SSL_CERT_FILE` is the builder's typed error naming the
/// variable; `new()` leaves it out.
pub fn an_unusable_ssl_cert_file_is_an_error_of_the_builder<A: EnvAdapter>(adapter: &A) {
    with_env(&[("SSL_CERT_FILE", "/nonexistent/bundle.pem")], || {
        let error = adapter.built(&[]).err().expect("an error");
        assert!(
            matches!(
                error,
                TlsError::Environment {
                    variable: "SSL_CERT_FILE",
                    ..
                }
            ),
            "{error}"
        );
        let _ = adapter.configured_by_env();
    });
}

/// `https://` goes through `HTTPS_PROXY` in a `CONNECT` tunnel.
pub fn https_goes_through_the_https_proxy_tunnel<A: EnvAdapter>(adapter: &A) {
    let proxy = ForwardProxy::start().expect("the proxy starts");
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    with_env(&[("HTTPS_PROXY", &proxy.url())], || {
        let sim = TestSim::with_jobs([quick_job(crate::tls::JOB)]);
        let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
            .expect("the TLS front starts");
        let transport = adapter.built(&[ca.path()]).expect("a transport");

        let outcome = watch(adapter, transport, &front.base_url());

        assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
        let expected = format!("CONNECT {} HTTP/1.1", front.addr());
        assert!(
            proxy.requests().contains(&expected),
            "{:?}",
            proxy.requests()
        );
    });
}

/// Plain `http://` goes through `http_proxy`: in absolute form, or in a
/// tunnel where the adapter always tunnels.
pub fn plain_http_goes_through_the_http_proxy<A: EnvAdapter>(adapter: &A) {
    let proxy = ForwardProxy::start().expect("the proxy starts");
    with_env(&[("http_proxy", &proxy.url())], || {
        let sim = TestSim::with_jobs([quick_job(crate::tls::JOB)]);

        let outcome = watch(adapter, adapter.configured_by_env(), &sim.base_url());

        assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
        let requests = proxy.requests();
        let expected = if adapter.tunnels_plain_http() {
            format!("CONNECT {} HTTP/1.1", sim.addr())
        } else {
            format!("GET {}/jobs/", sim.base_url())
        };
        assert!(
            requests.iter().any(|line| line.starts_with(&expected)),
            "{requests:?}"
        );
        assert_eq!(sim.request_log().total(), requests.len() as u64);
    });
}

/// `NO_PROXY` bypasses both proxies.
pub fn no_proxy_bypasses_the_proxies<A: EnvAdapter>(adapter: &A) {
    let proxy = ForwardProxy::start().expect("the proxy starts");
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    let url = proxy.url();
    with_env(
        &[
            ("HTTPS_PROXY", &url),
            ("HTTP_PROXY", &url),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ],
        || {
            let sim = TestSim::with_jobs([quick_job(crate::tls::JOB)]);
            let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
                .expect("the TLS front starts");
            let transport = adapter.built(&[ca.path()]).expect("a transport");

            let outcome = watch(adapter, transport.clone(), &front.base_url());
            assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
            let outcome = watch(adapter, transport, &sim.base_url());
            assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");

            assert_eq!(proxy.requests(), Vec::<String>::new());
        },
    );
}
