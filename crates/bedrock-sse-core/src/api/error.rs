//! The API's problem-JSON error body.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer as _, MapAccess, Visitor};

/// An error response of the Bedrock API: RFC 7807 problem details.
///
/// The docs spell the request id `request_id` and `requestId`; both are
/// accepted. Bodies that are not problem JSON (a proxy's HTML page, plain
/// text) are still turned into an `ApiError` by
/// [`from_response`](Self::from_response), with the text as `detail`.
///
/// ```
/// use bedrock_sse_core::api::ApiError;
///
/// let body = br#"{"type":"https://docs.bedrock.cv/errors/authentication","title":"Unauthorized",
///   "status":401,"detail":"Invalid or missing API key.","code":"UNAUTHORIZED","requestId":"req_1"}"#;
/// let error = ApiError::from_response(401, body);
/// assert_eq!(error.code.as_deref(), Some("UNAUTHORIZED"));
/// assert_eq!(error.request_id.as_deref(), Some("req_1"));
/// assert_eq!(error.to_string(), "401 Unauthorized: Invalid or missing API key. (code UNAUTHORIZED, request req_1)");
///
/// let html = ApiError::from_response(502, b"<h1>Bad Gateway</h1>");
/// assert_eq!(html.status, Some(502));
/// assert_eq!(html.detail.as_deref(), Some("<h1>Bad Gateway</h1>"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct ApiError {
    /// `type`: a URI naming the problem, e.g.
    /// `https://docs.bedrock.cv/errors/rate-limit`.
    #[serde(rename = "type", default)]
    pub problem_type: Option<String>,
    /// `title`: a short summary.
    #[serde(default)]
    pub title: Option<String>,
    /// `status`: the HTTP status (filled from the response when absent).
    #[serde(default)]
    pub status: Option<u16>,
    /// `detail`: what happened this time, for humans.
    #[serde(default)]
    pub detail: Option<String>,
    /// `code`: machine-readable, e.g. `UNAUTHORIZED`, `RATE_LIMITED`.
    #[serde(default)]
    pub code: Option<String>,
    /// `request_id` or `requestId` (or, failing both, the `X-Request-Id`
    /// header): quote it to support.
    #[serde(default, alias = "requestId")]
    pub request_id: Option<String>,
    /// `instance`: the URI of this occurrence.
    #[serde(default)]
    pub instance: Option<String>,
    /// `errors`: for validation failures, field path → messages.
    #[serde(default)]
    pub errors: BTreeMap<String, Vec<String>>,
}

impl ApiError {
    /// The most of a non-JSON body kept as `detail`.
    pub const MAX_TEXT_DETAIL: usize = 512;

    /// Parses a problem-JSON body, strictly: a JSON object whose
    /// documented fields have their documented types. (A JSON array, which
    /// a derived `Deserialize` would read field by field, is an error.)
    pub fn from_json(body: &[u8]) -> Result<ApiError, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let error = de.deserialize_map(ObjectOnly)?;
        de.end()?;
        Ok(error)
    }

    /// Reads an error response, whatever its body.
    ///
    /// A body that parses as a JSON object is read as problem details,
    /// whatever the response's content type says (the API labels them
    /// `application/json` or `application/problem+json`, and proxies
    /// mislabel); anything else becomes `detail`
    /// (lossy UTF-8, trimmed, cut at [`MAX_TEXT_DETAIL`](Self::MAX_TEXT_DETAIL)
    /// bytes), or nothing if empty. `status` defaults to the HTTP status.
    pub fn from_response(status: u16, body: &[u8]) -> ApiError {
        let mut error = Self::from_json(body).unwrap_or_else(|_| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let detail =
                (!text.is_empty()).then(|| String::from(truncate(text, Self::MAX_TEXT_DETAIL)));
            ApiError {
                detail,
                ..ApiError::default()
            }
        });
        error.status.get_or_insert(status);
        error
    }
}

/// Reads an [`ApiError`] from a JSON object, and from nothing else.
struct ObjectOnly;

impl<'de> Visitor<'de> for ObjectOnly {
    type Value = ApiError;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a problem-details object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ApiError, A::Error> {
        ApiError::deserialize(MapAccessDeserializer::new(map))
    }
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(status) = self.status {
            write!(f, "{status} ")?;
        }
        f.write_str(self.title.as_deref().unwrap_or("API error"))?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        match (&self.code, &self.request_id) {
            (Some(code), Some(id)) => write!(f, " (code {code}, request {id})")?,
            (Some(code), None) => write!(f, " (code {code})")?,
            (None, Some(id)) => write!(f, " (request {id})")?,
            (None, None) => {}
        }
        for (field, messages) in &self.errors {
            for message in messages {
                write!(f, "; {field}: {message}")?;
            }
        }
        Ok(())
    }
}

impl core::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn both_request_id_spellings_and_validation_errors() {
        let body = br#"{"type":"https://docs.bedrock.cv/errors/validation","title":"Validation error","status":400,"detail":"One or more request fields are invalid.","code":"VALIDATION_ERROR","requestId":"req_01JABCD123","errors":{"overlay_id":["Required field"]}}"#;
        let e = ApiError::from_json(body).unwrap();
        assert_eq!(e.request_id.as_deref(), Some("req_01JABCD123"));
        assert_eq!(e.errors["overlay_id"], ["Required field"]);
        assert!(e.to_string().ends_with("; overlay_id: Required field"));
        let e = ApiError::from_json(br#"{"request_id":"r","instance":"/projects"}"#).unwrap();
        assert_eq!(e.request_id.as_deref(), Some("r"));
        assert_eq!(e.instance.as_deref(), Some("/projects"));
    }

    #[test]
    fn tolerant_of_anything() {
        let e = ApiError::from_response(503, b"");
        assert_eq!((e.status, e.detail), (Some(503), None));
        let e = ApiError::from_response(500, b"\xff\xfeoops  ");
        assert_eq!(e.detail.as_deref(), Some("\u{fffd}\u{fffd}oops"));
        let long = alloc::vec![b'e'; 4000];
        let e = ApiError::from_response(500, &long);
        assert_eq!(e.detail.unwrap().len(), ApiError::MAX_TEXT_DETAIL);
        let e = ApiError::from_response(401, br#"{"title":"T","status":"x"}"#);
        assert_eq!(e.title, None, "a mistyped field makes the body text");
        assert_eq!(
            e.to_string(),
            r#"401 API error: {"title":"T","status":"x"}"#
        );
        assert_eq!(truncate("ééé", 3), "é");
    }

    /// Found by the `problem` fuzz target: a JSON array was read as
    /// problem details, positionally (`["t","T"]` gave type `t`, title
    /// `T`), and its text lost.
    #[test]
    fn an_array_is_not_problem_details() {
        assert!(ApiError::from_json(b"[]").is_err());
        let e = ApiError::from_response(500, br#"["t","T"]"#);
        assert_eq!((e.problem_type, e.title), (None, None));
        assert_eq!(e.detail.as_deref(), Some(r#"["t","T"]"#));
        let e = ApiError::from_response(500, b" []");
        assert_eq!(e.detail.as_deref(), Some("[]"));
        assert!(ApiError::from_json(br#" {"title":"T"} "#).is_ok());
        assert!(ApiError::from_json(br#"{"title":"T"} x"#).is_err());
    }
}
