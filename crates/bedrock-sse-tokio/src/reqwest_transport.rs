//! The ready-made transport over reqwest.

use std::pin::Pin;

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{TransportError, TransportErrorKind};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{Stream, StreamExt};
use reqwest::header::{HeaderName, HeaderValue};

use crate::transport::{Response, Transport};

/// A [`Transport`] over a [`reqwest::Client`] (rustls, HTTP/1.1 and HTTP/2).
///
/// Cheap to clone; share one client between many watches so they share its
/// connection pool.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl Default for ReqwestTransport {
    fn default() -> Self {
        let client = reqwest::Client::builder()
            // Redirects are the watch's decision: it follows them only
            // within the base URL's origin, so credentials never leave it.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        ReqwestTransport { client }
    }
}

impl ReqwestTransport {
    /// A transport with its own client: no redirects followed (the watch
    /// decides them), no timeouts (the watch keeps its own), no automatic
    /// decompression.
    pub fn new() -> Self {
        Self::default()
    }

    /// A transport over your own client. Build it with
    /// `.redirect(reqwest::redirect::Policy::none())`, so that redirects
    /// reach the watch, which refuses to send credentials to another origin;
    /// and with no total request timeout: a stream legitimately lasts
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
                let error = TransportError::new(
                    TransportErrorKind::Other,
                    format!("cannot send the {} header", header.name()),
                );
                return Box::pin(async { Err(error) });
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

/// A reqwest error as the watch takes it: its kind, and its words with
/// their sources (the OS error included).
fn classify(error: &reqwest::Error) -> TransportError {
    let kind = if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_body() || error.is_decode() {
        TransportErrorKind::Reset
    } else if error.is_request() {
        TransportErrorKind::Protocol
    } else {
        TransportErrorKind::Other
    };
    TransportError::from_error(kind, error)
}
