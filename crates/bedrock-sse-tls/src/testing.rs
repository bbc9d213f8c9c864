//! Test fixtures for TLS and proxies on 127.0.0.1 (feature `testing`):
//! a throwaway certificate authority, a TLS front that terminates TLS for
//! a local plain-HTTP server (the simulator, say), and a forwarding proxy
//! that speaks `CONNECT` and absolute-form requests.
//!
//! Each server runs on a thread of its own with its own tokio runtime, so
//! the fixtures serve blocking and async tests alike; dropping one stops
//! it.
//!
//! ```
//! use bedrock_sse_tls::testing::{ServerCert, TestPki, TlsFront};
//!
//! let pki = TestPki::new()?;
//! let upstream = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let front = TlsFront::start(pki.server(ServerCert::Valid)?, upstream.local_addr()?)?;
//! assert!(front.base_url().starts_with("https://127.0.0.1:"));
//! assert_eq!(front.connections(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A certificate authority made for one test, and server certificates it
/// signs.
pub struct TestPki {
    ca: rcgen::Certificate,
    key: KeyPair,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

/// Which server certificate [`TestPki::server`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerCert {
    /// Valid now, for `localhost` and `127.0.0.1`.
    Valid,
    /// For `localhost` and `127.0.0.1`, but expired in 2021.
    Expired,
    /// Valid now, but only for `other.invalid`: a name mismatch.
    WrongName,
}

/// A server's certificate chain and private key.
#[derive(Debug)]
pub struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl TestPki {
    /// A new CA, "bedrock-sse test CA", with a fresh key.
    pub fn new() -> Result<Self, rcgen::Error> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "bedrock-sse test CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = params.self_signed(&key)?;
        Ok(TestPki { ca, key })
    }

    /// The CA's certificate, PEM-encoded.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// Writes the CA's certificate to a new PEM file in the temporary
    /// directory, removed when the returned value is dropped.
    pub fn write_ca_file(&self) -> io::Result<TempFile> {
        TempFile::new("ca.pem", self.ca_pem().as_bytes())
    }

    /// A server certificate signed by this CA.
    pub fn server(&self, which: ServerCert) -> Result<ServerIdentity, rcgen::Error> {
        let names = match which {
            ServerCert::Valid | ServerCert::Expired => {
                vec!["localhost".to_owned(), "127.0.0.1".to_owned()]
            }
            ServerCert::WrongName => vec!["other.invalid".to_owned()],
        };
        let mut params = CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "bedrock-sse test server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        if which == ServerCert::Expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.ca, &self.key)?;
        Ok(ServerIdentity {
            chain: vec![cert.der().clone(), self.ca.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }
}

/// A file in the temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
}

impl TempFile {
    /// Writes `contents` to a new file whose name ends with `name`.
    pub fn new(name: &str, contents: &[u8]) -> io::Result<Self> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "bedrock-sse-{}-{}-{name}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, contents)?;
        Ok(TempFile { path })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A server on a thread with its own runtime, stopped on drop.
#[derive(Debug)]
struct Background {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Binds 127.0.0.1:0 and serves each accepted connection with `serve`.
    fn start<F, Fut>(serve: F) -> io::Result<Self>
    where
        F: Fn(TcpStream) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, mut stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("bedrock-sse-tls-fixture".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else {
                        return;
                    };
                    loop {
                        tokio::select! {
                            _ = &mut stopped => break,
                            accepted = listener.accept() => {
                                if let Ok((stream, _)) = accepted {
                                    tokio::spawn(serve(stream));
                                }
                            }
                        }
                    }
                });
            })?;
        Ok(Background {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Terminates TLS on 127.0.0.1 and passes the bytes to a plain TCP
/// server (`upstream`), counting connections and handshakes.
#[derive(Debug)]
pub struct TlsFront {
    server: Background,
    connections: Arc<AtomicUsize>,
    handshakes: Arc<AtomicUsize>,
}

impl TlsFront {
    /// Starts a front presenting `identity`, for `upstream`.
    pub fn start(identity: ServerIdentity, upstream: SocketAddr) -> io::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth()
                    .with_single_cert(identity.chain, identity.key)
            })
            .map_err(io::Error::other)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let connections = Arc::new(AtomicUsize::new(0));
        let handshakes = Arc::new(AtomicUsize::new(0));
        let (counted, shaken) = (connections.clone(), handshakes.clone());
        let server = Background::start(move |stream| {
            counted.fetch_add(1, Ordering::SeqCst);
            let (acceptor, shaken) = (acceptor.clone(), shaken.clone());
            async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                shaken.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut plain) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            }
        })?;
        Ok(TlsFront {
            server,
            connections,
            handshakes,
        })
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("https://{}", self.server.addr)
    }

    /// `https://localhost:PORT`.
    pub fn localhost_url(&self) -> String {
        format!("https://localhost:{}", self.server.addr.port())
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// TLS handshakes completed so far.
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

/// A forwarding HTTP proxy on 127.0.0.1: `CONNECT host:port` opens a
/// tunnel (answered `200`), and an absolute-form request (`GET
/// http://host:port/path`) is passed on in origin form. It records each
/// request line it receives.
#[derive(Debug)]
pub struct ForwardProxy {
    server: Background,
    requests: Arc<Mutex<Vec<String>>>,
}

/// The most a request head may take.
const MAX_HEAD: usize = 64 * 1024;

impl ForwardProxy {
    /// Starts the proxy.
    pub fn start() -> io::Result<Self> {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        let server = Background::start(move |stream| proxy(stream, log.clone()))?;
        Ok(ForwardProxy { server, requests })
    }

    /// `http://127.0.0.1:PORT`, for `HTTPS_PROXY` and `HTTP_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// The request lines received so far, e.g.
    /// `CONNECT 127.0.0.1:4433 HTTP/1.1`.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .map(|log| log.clone())
            .unwrap_or_default()
    }
}

async fn proxy(mut client: TcpStream, log: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let end = loop {
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if head.len() > MAX_HEAD {
            return;
        }
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let line = text.lines().next().unwrap_or_default().to_owned();
    if let Ok(mut log) = log.lock() {
        log.push(line.clone());
    }
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "CONNECT" {
        let Ok(mut server) = TcpStream::connect(target).await else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
            return;
        };
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
        if server.write_all(&head[end..]).await.is_ok() {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }
        return;
    }
    // Absolute form: http://host:port/path -> /path, to host:port.
    let Some(rest) = target.strip_prefix("http://") else {
        let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        return;
    };
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let Ok(mut server) = TcpStream::connect(authority.as_str()).await else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    let rewritten = text.replacen(target, path, 1);
    if server.write_all(rewritten.as_bytes()).await.is_ok()
        && server.write_all(&head[end..]).await.is_ok()
    {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}
