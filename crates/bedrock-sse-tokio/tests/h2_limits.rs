//! What hyper does when a server's limit of concurrent HTTP/2 streams is
//! reached, and how the transport keeps watches from waiting behind it.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bedrock_sse_core::watch::WatchConfig;
use bedrock_sse_tokio::{ReqwestTransport, Transport};
use bytes::Bytes;
use http_body_util::StreamBody;
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// An h2c server allowing 2 concurrent streams per connection, each an
/// endless event stream (a comment every 50 ms); counts connections.
async fn server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let service = service_fn(|_request| async {
                    let ticks = futures_util::stream::unfold((), |()| async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Some((
                            Ok::<_, Infallible>(Frame::data(Bytes::from_static(b": tick\n\n"))),
                            (),
                        ))
                    });
                    let response = hyper::Response::builder()
                        .header("content-type", "text/event-stream")
                        .body(StreamBody::new(ticks))
                        .expect("a response");
                    Ok::<_, Infallible>(response)
                });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .max_concurrent_streams(2)
                    .serve_connection(TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    (url, connections)
}

/// Opens three streams at once; returns how many response heads came
/// within `wait`.
async fn three_streams(transport: &ReqwestTransport, url: &str, wait: Duration) -> usize {
    let request = |job: &str| {
        let config = WatchConfig::builder(job)
            .and_then(|b| b.base_url(url))
            .expect("a config")
            .build();
        bedrock_sse_core::watch::Watch::new(config, bedrock_sse_core::watch::Instant::ZERO, 1)
            .request()
    };
    let sends = ["j1", "j2", "j3"].map(|job| transport.send(&request(job)));
    let mut heads = 0;
    let mut held = Vec::new();
    for send in sends {
        if let Ok(Ok(response)) = tokio::time::timeout(wait, send).await {
            heads += 1;
            held.push(response); // keep the stream open
        }
    }
    heads
}

#[tokio::test]
async fn hyper_queues_a_stream_beyond_the_servers_limit_so_the_transport_opens_another_connection()
{
    // One client, as many streams as it likes: the third waits for a
    // stream slot on the one connection (hyper queues it), which for
    // event streams would be minutes.
    let (url, connections) = server().await;
    let one_client = ReqwestTransport::builder()
        .http2_prior_knowledge()
        .streams_per_connection(100)
        .build()
        .expect("a transport");
    let heads = three_streams(&one_client, &url, Duration::from_millis(700)).await;
    assert_eq!(heads, 2, "the third stream waits behind the limit");
    assert_eq!(connections.load(Ordering::Relaxed), 1);

    // At most 2 streams per connection: the third opens a connection of its
    // own and is answered at once.
    let (url, connections) = server().await;
    let spread = ReqwestTransport::builder()
        .http2_prior_knowledge()
        .streams_per_connection(2)
        .build()
        .expect("a transport");
    let heads = three_streams(&spread, &url, Duration::from_secs(5)).await;
    assert_eq!(heads, 3);
    assert_eq!(connections.load(Ordering::Relaxed), 2);
    assert_eq!(spread.connections(), 2);
}
