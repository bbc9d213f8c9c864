//! RFC 7807 problem responses, in Bedrock's shape.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The error codes the simulator answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    RateLimited,
    /// An injected 5xx, with its status.
    Server(StatusCode),
}

impl ErrorCode {
    pub(crate) fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Server(status) => status,
        }
    }

    fn code(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Server(StatusCode::SERVICE_UNAVAILABLE) => "SERVICE_UNAVAILABLE",
            ErrorCode::Server(_) => "INTERNAL_ERROR",
        }
    }

    fn page(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad-request",
            ErrorCode::Unauthorized => "authentication",
            ErrorCode::Forbidden => "authorization",
            ErrorCode::NotFound => "not-found",
            ErrorCode::RateLimited => "rate-limit",
            ErrorCode::Server(_) => "server-error",
        }
    }

    fn title(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "Bad Request",
            ErrorCode::Unauthorized => "Unauthorized",
            ErrorCode::Forbidden => "Access denied",
            ErrorCode::NotFound => "Not Found",
            ErrorCode::RateLimited => "Too many requests",
            ErrorCode::Server(status) => status.canonical_reason().unwrap_or("Server Error"),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    request_id: &'a str,
}

/// A problem+json response. The caller adds `X-Request-Id` and the other
/// common headers.
pub(crate) fn problem(code: ErrorCode, detail: &str, request_id: &str) -> Response {
    let body = Problem {
        kind: format!("https://docs.bedrock.cv/errors/{}", code.page()),
        title: code.title(),
        status: code.status().as_u16(),
        detail,
        code: code.code(),
        request_id,
    };
    let json = serde_json::to_string(&body).unwrap_or_else(|_| "{}".into());
    (
        code.status(),
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        )],
        json,
    )
        .into_response()
}
