//! `SSL_CERT_FILE` and the proxy variables with the hyper transport.
//!
//! The environment is process-global, so these tests live in a binary of
//! their own and run one at a time: each takes `ENV`, sets the variables
//! before any server of its own starts, and clears them at the end.

use std::sync::Mutex;

use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::Outcome;
use bedrock_sse_futures::{HyperTransport, JobWatch, TlsError};
use bedrock_sse_testkit::{TestSim, quick_job};
use bedrock_sse_tls::testing::{ForwardProxy, ServerCert, TestPki, TlsFront};

static ENV: Mutex<()> = Mutex::new(());

const JOB: &str = "job_env";

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
        // SAFETY: the tests of this binary take `ENV` first, and set the
        // environment only while no thread of theirs is running.
        unsafe { std::env::remove_var(name) };
    }
    for (name, value) in vars {
        // SAFETY: as above.
        unsafe { std::env::set_var(name, value) };
    }
}

/// Runs a watch of the quick job at `base_url` to its outcome, under smol.
fn watch(transport: HyperTransport, base_url: &str) -> Outcome {
    let config = TestSim::test_config(base_url, JOB)
        .bearer(bedrock_sse_testkit::KEY)
        .expect("a key")
        .build();
    smol::block_on(JobWatch::with_seed(transport, config, 7).run(|_| {}))
}

#[test]
fn ssl_cert_file_is_trusted_by_new_and_by_the_builder() {
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    let path = ca.path().to_str().expect("a UTF-8 temp path").to_owned();
    with_env(&[("SSL_CERT_FILE", &path)], || {
        let sim = TestSim::with_jobs([quick_job(JOB)]);
        let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
            .expect("the TLS front starts");

        let outcome = watch(HyperTransport::new(), &front.base_url());
        assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
        let transport = HyperTransport::builder().build().expect("a transport");
        let outcome = watch(transport, &front.base_url());
        assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
    });
}

#[test]
fn an_unusable_ssl_cert_file_is_an_error_of_the_builder() {
    with_env(&[("SSL_CERT_FILE", "/nonexistent/bundle.pem")], || {
        let error = HyperTransport::builder().build().unwrap_err();
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
        // `new()` cannot fail: it leaves the file out.
        let _ = HyperTransport::new();
    });
}

#[test]
fn https_goes_through_the_https_proxy_tunnel() {
    let proxy = ForwardProxy::start().expect("the proxy starts");
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    with_env(&[("HTTPS_PROXY", &proxy.url())], || {
        let sim = TestSim::with_jobs([quick_job(JOB)]);
        let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
            .expect("the TLS front starts");
        let transport = HyperTransport::builder()
            .add_ca_file(ca.path())
            .expect("a valid CA file")
            .build()
            .expect("a transport");

        let outcome = watch(transport, &front.base_url());

        assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
        let expected = format!("CONNECT {} HTTP/1.1", front.addr());
        assert!(
            proxy.requests().contains(&expected),
            "{:?}",
            proxy.requests()
        );
    });
}

#[test]
fn plain_http_goes_through_the_http_proxy() {
    let proxy = ForwardProxy::start().expect("the proxy starts");
    with_env(&[("http_proxy", &proxy.url())], || {
        let sim = TestSim::with_jobs([quick_job(JOB)]);

        let outcome = watch(HyperTransport::new(), &sim.base_url());

        assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
        let requests = proxy.requests();
        let expected = format!("GET {}/jobs/", sim.base_url());
        assert!(
            requests.iter().any(|line| line.starts_with(&expected)),
            "{requests:?}"
        );
        assert_eq!(sim.request_log().total(), requests.len() as u64);
    });
}

#[test]
fn no_proxy_bypasses_the_proxies() {
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
            let sim = TestSim::with_jobs([quick_job(JOB)]);
            let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
                .expect("the TLS front starts");
            let transport = HyperTransport::builder()
                .add_ca_file(ca.path())
                .expect("a valid CA file")
                .build()
                .expect("a transport");

            let outcome = watch(transport.clone(), &front.base_url());
            assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
            let outcome = watch(transport, &sim.base_url());
            assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");

            assert_eq!(proxy.requests(), Vec::<String>::new());
        },
    );
}
