//! `bedrock-sse watch` against a TLS server whose CA is made for the
//! test: rejected without it (exit 1, at once), trusted with `--cacert` or
//! `SSL_CERT_FILE`, and a bad `--cacert` is a usage error (exit 2).
//!
//! Each run sets the child's environment only, never this process's.

use std::process::{Command, Output};
use std::time::Duration;

use bedrock_sse_sim::{BlockingSim, JobScript, Simulator};
use bedrock_sse_tls::testing::{ServerCert, TestPki, TlsFront};
use serde_json::json;

const KEY: &str = "sk_cli_tls_secret";
const JOB: &str = "job_cli_tls";

const PROXY_VARIABLES: &[&str] = &[
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

fn sim() -> BlockingSim {
    Simulator::builder()
        .key(KEY)
        .job(
            JobScript::new(JOB, "overlay.generate")
                .running(Duration::from_millis(10))
                .completed(Duration::from_millis(10), json!({"ok": true})),
        )
        .start_blocking()
        .expect("the simulator starts")
}

/// Runs `bedrock-sse watch JOB --base-url URL ARGS...` with `env` set.
fn watch(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bedrock-sse"));
    command
        .args(["watch", JOB, "--base-url", url, "--idle-timeout", "2s"])
        .args(["--max-failures", "3", "--timeout", "30s"])
        .args(args)
        .env("BEDROCK_API_KEY", KEY);
    for name in PROXY_VARIABLES {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_unknown_ca_is_rejected_at_once_and_cacert_or_ssl_cert_file_trust_it() {
    let sim = sim();
    let pki = TestPki::new().expect("a CA");
    let ca = pki.write_ca_file().expect("the CA file");
    let ca_path = ca.path().to_str().expect("a UTF-8 temp path");
    let front = TlsFront::start(pki.server(ServerCert::Valid).expect("a cert"), sim.addr())
        .expect("the TLS front starts");
    let url = front.base_url();

    let rejected = watch(&url, &["--json"], &[]);
    assert_eq!(rejected.status.code(), Some(1), "{}", stderr(&rejected));
    let out = String::from_utf8_lossy(&rejected.stdout);
    assert!(out.contains("server certificate rejected"), "{out}");
    assert!(out.contains("UnknownIssuer"), "{out}");
    assert_eq!(
        front.connections(),
        1,
        "a rejected certificate is not retried"
    );

    let trusted = watch(&url, &["--cacert", ca_path], &[]);
    assert_eq!(trusted.status.code(), Some(0), "{}", stderr(&trusted));

    let trusted = watch(&url, &[], &[("SSL_CERT_FILE", ca_path)]);
    assert_eq!(trusted.status.code(), Some(0), "{}", stderr(&trusted));
    sim.shutdown().expect("the simulator stops");
}

#[test]
fn a_bad_cacert_is_a_usage_error_naming_the_file() {
    let output = watch(
        "https://127.0.0.1:9",
        &["--cacert", "/nonexistent/ca.pem"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.starts_with(
            "bedrock-sse watch: --cacert: cannot read the CA file /nonexistent/ca.pem: "
        ),
        "{message}"
    );

    let not_pem = bedrock_sse_tls::testing::TempFile::new("key.txt", b"not a certificate\n")
        .expect("a temp file");
    let path = not_pem.path().to_str().expect("a UTF-8 temp path");
    let output = watch("https://127.0.0.1:9", &["--cacert", path], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no certificate in the CA file"),
        "{}",
        stderr(&output)
    );

    let output = watch(
        "https://127.0.0.1:9",
        &[],
        &[("SSL_CERT_FILE", "/nonexistent/bundle.pem")],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("bedrock-sse watch: SSL_CERT_FILE: cannot read the CA file"),
        "{}",
        stderr(&output)
    );
}
