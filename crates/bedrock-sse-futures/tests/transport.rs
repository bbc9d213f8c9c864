//! The ready-made transport's own duties, against small servers on
//! loopback: TLS (a trusted and a rejected certificate), proxies (absolute
//! form for http, a `CONNECT` tunnel for https, `NO_PROXY`).

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use bedrock_sse_core::api::BaseUrl;
use bedrock_sse_core::watch::{BackoffPolicy, Outcome, WatchConfig, WatchError};
use bedrock_sse_futures::rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use bedrock_sse_futures::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use bedrock_sse_futures::{HyperTransport, JobWatch, ProxyMatcher, TransportErrorKind};

const KEY: &str = "sk_test_transport";

/// A 204 ends a watch at once (`Outcome::Stopped`): the smallest answer
/// that proves a request got through.
const NO_CONTENT: &[u8] = b"HTTP/1.1 204 No Content\r\n\r\n";

/// Reads one request head, byte by byte.
fn read_head(socket: &mut impl Read) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).is_ok_and(|n| n == 1) {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A server for one connection: hands the request head to `heads` and
/// answers with `answer`.
fn plain_server(answer: &'static [u8]) -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let (tx, heads) = mpsc::channel();
    std::thread::spawn(move || {
        if let Ok((mut socket, _)) = listener.accept() {
            let _ = socket.set_read_timeout(Some(Duration::from_secs(20)));
            let _ = tx.send(read_head(&mut socket));
            let _ = socket.write_all(answer);
        }
    });
    (port, heads)
}

/// A self-signed certificate for `localhost`.
fn certificate() -> (CertificateDer<'static>, PrivatePkcs8KeyDer<'static>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    (
        certified.cert.der().clone(),
        PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()),
    )
}

/// A TLS server for one connection with `cert`: hands the request head to
/// `heads` (if the handshake succeeds) and answers 204.
fn tls_server(
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
) -> (u16, mpsc::Receiver<String>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key.into())
        .expect("a server config");
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let (tx, heads) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((socket, _)) = listener.accept() else {
            return;
        };
        let _ = socket.set_read_timeout(Some(Duration::from_secs(20)));
        let Ok(conn) = rustls::ServerConnection::new(Arc::new(config)) else {
            return;
        };
        let mut tls = rustls::StreamOwned::new(conn, socket);
        let head = read_head(&mut tls);
        if !head.is_empty() {
            let _ = tx.send(head);
            let _ = tls.write_all(NO_CONTENT);
            let _ = tls.flush();
        }
    });
    (port, heads)
}

/// A client configuration trusting only `cert`.
fn trusting(cert: CertificateDer<'static>) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    roots.add(cert).expect("a valid certificate");
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// Runs a watch of `job_a` at `base` to its end with one attempt at most.
fn watch(transport: HyperTransport, base: &str) -> Outcome {
    let mut backoff = BackoffPolicy::default();
    backoff.max_failures = Some(1);
    let config = WatchConfig::builder("job_a")
        // Plain http to a name that is not loopback: through a proxy.
        .and_then(|b| b.base_url(BaseUrl::parse_allowing_http(base)?))
        .and_then(|b| b.bearer(KEY))
        .expect("a config")
        .backoff(backoff)
        .timeout(Duration::from_secs(20))
        .build();
    smol::block_on(JobWatch::with_seed(transport, config, 1).run(|_| {}))
}

fn transport_error_kind(outcome: &Outcome) -> Option<TransportErrorKind> {
    match outcome {
        Outcome::Failed(WatchError::RetriesExhausted {
            last: bedrock_sse_core::watch::Failure::Transport(error),
            ..
        }) => Some(error.kind()),
        _ => None,
    }
}

#[test]
fn https_to_a_trusted_server_sends_the_request() {
    let (cert, key) = certificate();
    let (port, heads) = tls_server(cert.clone(), key);
    let transport = HyperTransport::new().no_proxy().tls_config(trusting(cert));
    let outcome = watch(transport, &format!("https://localhost:{port}"));
    assert!(matches!(outcome, Outcome::Stopped), "{outcome:?}");
    let head = heads
        .recv_timeout(Duration::from_secs(5))
        .expect("a request");
    assert!(
        head.starts_with("GET /jobs/job_a/stream HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.contains(&format!("host: localhost:{port}\r\n")),
        "{head}"
    );
    assert!(
        head.contains(&format!("authorization: Bearer {KEY}\r\n")),
        "{head}"
    );
}

#[test]
fn an_untrusted_certificate_is_rejected_as_such() {
    let (cert, key) = certificate();
    let (port, heads) = tls_server(cert, key);
    let outcome = watch(
        HyperTransport::new().no_proxy(),
        &format!("https://localhost:{port}"),
    );
    // The watch never retries a rejected certificate.
    let Outcome::Failed(WatchError::Certificate(error)) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(error.kind(), TransportErrorKind::Certificate, "{error}");
    assert!(heads.recv_timeout(Duration::from_millis(200)).is_err());
}

#[test]
fn http_through_a_proxy_is_sent_in_absolute_form_with_its_credentials() {
    let (proxy_port, heads) = plain_server(NO_CONTENT);
    let proxies = ProxyMatcher::builder()
        .http(format!("http://user:pass@127.0.0.1:{proxy_port}"))
        .build();
    let outcome = watch(
        HyperTransport::new().proxies(proxies),
        "http://origin.test:8080",
    );
    assert!(matches!(outcome, Outcome::Stopped), "{outcome:?}");
    let head = heads
        .recv_timeout(Duration::from_secs(5))
        .expect("a request");
    assert!(
        head.starts_with("GET http://origin.test:8080/jobs/job_a/stream HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("host: origin.test:8080\r\n"), "{head}");
    // user:pass, Basic-encoded.
    assert!(
        head.contains("proxy-authorization: Basic dXNlcjpwYXNz\r\n"),
        "{head}"
    );
}

#[test]
fn no_proxy_hosts_are_reached_directly() {
    let (port, heads) = plain_server(NO_CONTENT);
    let proxies = ProxyMatcher::builder()
        // Nothing listens there: using it would fail.
        .http("http://127.0.0.1:9")
        .no("127.0.0.1")
        .build();
    let outcome = watch(
        HyperTransport::new().proxies(proxies),
        &format!("http://127.0.0.1:{port}"),
    );
    assert!(matches!(outcome, Outcome::Stopped), "{outcome:?}");
    let head = heads
        .recv_timeout(Duration::from_secs(5))
        .expect("a request");
    assert!(
        head.starts_with("GET /jobs/job_a/stream HTTP/1.1\r\n"),
        "{head}"
    );
}

/// A proxy for one `CONNECT`: hands its head to `heads`, then either
/// refuses it (`refuse`) or opens the tunnel to the port asked for on
/// loopback and relays both ways.
fn connect_proxy(refuse: bool) -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let (tx, heads) = mpsc::channel();
    std::thread::spawn(move || -> io::Result<()> {
        let (mut client, _) = listener.accept()?;
        client.set_read_timeout(Some(Duration::from_secs(20)))?;
        let head = read_head(&mut client);
        let target_port: Option<u16> = head
            .split_whitespace()
            .nth(1)
            .and_then(|authority| authority.rsplit(':').next())
            .and_then(|p| p.parse().ok());
        let _ = tx.send(head);
        if refuse {
            client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")?;
            return Ok(());
        }
        let Some(target_port) = target_port else {
            return Ok(());
        };
        let mut server = TcpStream::connect(("127.0.0.1", target_port))?;
        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        let (mut client_in, mut server_out) = (client.try_clone()?, server.try_clone()?);
        std::thread::spawn(move || io::copy(&mut client_in, &mut server_out));
        io::copy(&mut server, &mut client)?;
        Ok(())
    });
    (port, heads)
}

#[test]
fn https_through_a_proxy_goes_through_a_tunnel() {
    let (cert, key) = certificate();
    let (port, server_heads) = tls_server(cert.clone(), key);
    let (proxy_port, proxy_heads) = connect_proxy(false);
    let proxies = ProxyMatcher::builder()
        .https(format!("http://user:pass@127.0.0.1:{proxy_port}"))
        .build();
    let transport = HyperTransport::new()
        .proxies(proxies)
        .tls_config(trusting(cert));
    let outcome = watch(transport, &format!("https://localhost:{port}"));
    assert!(matches!(outcome, Outcome::Stopped), "{outcome:?}");
    let connect = proxy_heads
        .recv_timeout(Duration::from_secs(5))
        .expect("a CONNECT");
    assert!(
        connect.starts_with(&format!("CONNECT localhost:{port} HTTP/1.1\r\n")),
        "{connect}"
    );
    assert!(
        connect.contains("proxy-authorization: Basic dXNlcjpwYXNz\r\n"),
        "{connect}"
    );
    // The credentials for the API travel inside the tunnel only.
    assert!(!connect.contains(KEY), "{connect}");
    let head = server_heads
        .recv_timeout(Duration::from_secs(5))
        .expect("the request, through the tunnel");
    assert!(
        head.starts_with("GET /jobs/job_a/stream HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(!head.contains("proxy-authorization"), "{head}");
}

#[test]
fn a_refused_tunnel_is_a_connect_failure() {
    let (proxy_port, heads) = connect_proxy(true);
    let proxies = ProxyMatcher::builder()
        .https(format!("http://127.0.0.1:{proxy_port}"))
        .build();
    let outcome = watch(
        HyperTransport::new().proxies(proxies),
        "https://origin.test",
    );
    assert_eq!(
        transport_error_kind(&outcome),
        Some(TransportErrorKind::Connect),
        "{outcome:?}"
    );
    assert!(
        format!("{outcome:?}").contains("403"),
        "the proxy's answer is quoted: {outcome:?}"
    );
    let head = heads
        .recv_timeout(Duration::from_secs(5))
        .expect("a CONNECT");
    assert!(
        head.starts_with("CONNECT origin.test:443 HTTP/1.1\r\n"),
        "{head}"
    );
}
