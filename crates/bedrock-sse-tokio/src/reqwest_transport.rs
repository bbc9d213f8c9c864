//! The ready-made transport over reqwest.

use std::pin::Pin;

use bedrock_sse_core::job::watch::{Request, TransportError};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{Stream, StreamExt};
use reqwest::header::{HeaderName, HeaderValue};

use crate::transport::{Response, Transport};

/// A [`Transport`] over a [`reqwest::Client`] (rustls, HTTP/1.1 and HTTP/2).
///
/// Cheap to clone; share one client between many watches so they share its
/// connection pool.
#[derive(Debug, Clone, Default)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with a default client: no timeouts (the watch keeps its
    /// own), no automatic decompression.
    pub fn new() -> Self {
        Self::default()
    }

    /// A transport over your own client (proxies, root certificates, ...).
    /// Do not give it a total request timeout: a stream legitimately lasts
    /// minutes.
    pub fn with_client(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

type Body = Pin<Box<dyn Stream<Item = Result<Bytes, TransportError>> + Send>>;

impl Transport for ReqwestTransport {
    type Body = Body;

    fn send(
        &self,
        request: &Request,
    ) -> BoxFuture<'static, Result<Response<Body>, TransportError>> {
        let mut builder = self.client.get(request.url());
        for header in request.headers() {
            let (Ok(name), Ok(mut value)) = (
                HeaderName::from_bytes(header.name().as_bytes()),
                HeaderValue::from_str(header.value()),
            ) else {
                // The core builds only valid names and printable values (a
                // key with control characters is refused when the
                // credentials are made), so this is a defensive path.
                return Box::pin(async { Err(TransportError::Other) });
            };
            value.set_sensitive(header.is_sensitive());
            builder = builder.header(name, value);
        }
        Box::pin(async move {
            let response = builder.send().await.map_err(|e| classify(&e))?;
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
                .collect();
            Ok(Response {
                status: response.status().as_u16(),
                headers,
                body: Box::pin(
                    response
                        .bytes_stream()
                        .map(|chunk| chunk.map_err(|e| classify(&e))),
                ) as Body,
            })
        })
    }
}

/// What kind of failure a reqwest error is, for the watch's retry decision.
fn classify(error: &reqwest::Error) -> TransportError {
    if error.is_timeout() {
        TransportError::Timeout
    } else if error.is_connect() {
        TransportError::Connect
    } else if error.is_body() || error.is_decode() {
        TransportError::Reset
    } else if error.is_request() {
        TransportError::Protocol
    } else {
        TransportError::Other
    }
}
