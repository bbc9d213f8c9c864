//! [`FarServer`]: another origin, which records what reached it.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

/// One request as the far server received it. Unlike the simulator's log,
/// nothing is redacted: the point is to see what was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FarRequest {
    /// The HTTP method.
    pub method: String,
    /// The path and query, as requested.
    pub path: String,
    /// Every header in arrival order, names lower-cased, values lossily
    /// decoded as UTF-8.
    pub headers: Vec<(String, String)>,
}

impl FarRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Requests = Arc<Mutex<Vec<FarRequest>>>;

/// A tiny HTTP server on 127.0.0.1 (ephemeral port), on a runtime of its
/// own: it records every request it gets, whatever the path, and answers
/// each with `200 text/event-stream` and the same body. The target of
/// cross-origin redirects in the scenarios: it proves what did, and did
/// not, reach another origin. Dropping it stops it.
///
/// ```
/// use bedrock_sse_testkit::FarServer;
///
/// let far = FarServer::start(FarServer::job_stream("job_1"));
/// assert!(far.url("/x").starts_with("http://127.0.0.1:"));
/// assert!(far.requests().is_empty());
/// ```
#[derive(Debug)]
pub struct FarServer {
    addr: SocketAddr,
    requests: Requests,
    stop: Option<oneshot::Sender<()>>,
    /// Dropped last: it serves the server task.
    runtime: tokio::runtime::Runtime,
}

impl FarServer {
    /// Starts a server that answers every request with `body` as an event
    /// stream. Panics if it cannot (a test-support type: no runtime, no
    /// free port).
    pub fn start(body: impl Into<String>) -> FarServer {
        let body: Arc<str> = body.into().into();
        let requests = Requests::default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("far-server")
            .enable_all()
            .build()
            .expect("the far server's runtime starts");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(SocketAddr::from((
                Ipv4Addr::LOCALHOST,
                0,
            ))))
            .expect("the far server binds 127.0.0.1");
        let addr = listener.local_addr().expect("a bound address");
        let app = Router::new()
            .fallback(record)
            .with_state((requests.clone(), body));
        let (stop, stopped) = oneshot::channel::<()>();
        runtime.spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        FarServer {
            addr,
            requests,
            stop: Some(stop),
            runtime,
        }
    }

    /// A short, complete stream for `job_id`: `Queued` (id 1), then
    /// `completed` (id 2) with results `{"served_by":"far"}`.
    pub fn job_stream(job_id: &str) -> String {
        format!(
            "id: 1\nevent: status\ndata: {{\"job_id\":\"{job_id}\",\"type\":\"overlay.generate\",\
             \"status\":\"Queued\",\"timestamp\":\"2026-01-15T10:00:00Z\"}}\n\n\
             id: 2\nevent: completed\ndata: {{\"job_id\":\"{job_id}\",\"type\":\"overlay.generate\",\
             \"status\":\"Completed\",\"timestamp\":\"2026-01-15T10:00:01Z\",\
             \"results\":{{\"served_by\":\"far\"}}}}\n\n"
        )
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<FarRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }
}

impl Drop for FarServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The runtime's own drop then ends the server task.
        let _ = &self.runtime;
    }
}

async fn record(
    State((requests, body)): State<(Requests, Arc<str>)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = FarRequest {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), ToString::to_string),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    requests
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .push(request);
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        body.to_string(),
    )
        .into_response()
}
