//! Problem-JSON error bodies: [`ApiError`] against a plain
//! `serde_json::Value` reading of the same bytes.

use bedrock_sse_core::api::ApiError;
use serde_json::Value;

/// The first two bytes are the HTTP status (big-endian), the rest the
/// body. Asserts: no panic; a body read strictly as problem JSON is a JSON
/// object whose documented fields say what the `ApiError` says, and
/// [`ApiError::from_response`] gives that error with the status filled
/// in; any other body becomes only `detail`: its lossy, trimmed text, cut
/// at a character boundary within [`ApiError::MAX_TEXT_DETAIL`] bytes (or
/// nothing if empty); `Display` leads with the status.
pub(crate) fn check_problem(input: &[u8]) {
    let Some((status, body)) = input.split_first_chunk::<2>() else {
        return;
    };
    let status = u16::from_be_bytes(*status);
    let error = ApiError::from_response(status, body);
    match ApiError::from_json(body) {
        Ok(strict) => {
            // serde_json skips unknown fields without validating them (UTF-8,
            // surrogate escapes), where a `Value` must hold them: read
            // lossily then, and compare only what a `Value` can hold.
            let value = serde_json::from_slice::<Value>(body)
                .or_else(|_| serde_json::from_str(&String::from_utf8_lossy(body)));
            if let Ok(value) = value {
                agree(&strict, &value);
            }
            let mut expected = strict;
            expected.status.get_or_insert(status);
            assert_eq!(error, expected);
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            assert_eq!(error.status, Some(status));
            match error.detail.as_deref() {
                None => assert!(text.is_empty()),
                Some(detail) => {
                    assert!(text.starts_with(detail));
                    assert!(detail.len() <= ApiError::MAX_TEXT_DETAIL);
                    // Cut only where the next character would not fit.
                    let cut = text[detail.len()..].chars().next();
                    assert!(
                        cut.is_none_or(|c| detail.len() + c.len_utf8() > ApiError::MAX_TEXT_DETAIL)
                    );
                }
            }
            let mut only_detail = ApiError::default();
            only_detail.detail = error.detail.clone();
            only_detail.status = Some(status);
            assert_eq!(error, only_detail);
        }
    }
    let shown = error.to_string();
    if let Some(status) = error.status {
        assert!(shown.starts_with(&format!("{status} ")), "{shown}");
    }
}

/// The documented fields of `strict` say what a plain JSON reading of the
/// same body says.
fn agree(strict: &ApiError, value: &Value) {
    let object = value.as_object().expect("problem JSON is an object");
    let text = |name: &str| object.get(name).and_then(Value::as_str);
    assert_eq!(strict.problem_type.as_deref(), text("type"));
    assert_eq!(strict.title.as_deref(), text("title"));
    assert_eq!(strict.detail.as_deref(), text("detail"));
    assert_eq!(strict.code.as_deref(), text("code"));
    assert_eq!(strict.instance.as_deref(), text("instance"));
    assert_eq!(
        strict.request_id.as_deref(),
        text("request_id").or(text("requestId"))
    );
    assert_eq!(
        strict.status.map(u64::from),
        object.get("status").and_then(Value::as_u64)
    );
    let errors = object.get("errors").and_then(Value::as_object);
    assert_eq!(strict.errors.len(), errors.map_or(0, |e| e.len()));
    for (field, messages) in &strict.errors {
        let listed = errors.and_then(|e| e.get(field)).and_then(Value::as_array);
        let listed: Vec<_> = listed.into_iter().flatten().map(Value::as_str).collect();
        let messages: Vec<_> = messages.iter().map(|m| Some(m.as_str())).collect();
        assert_eq!(listed, messages, "errors of {field:?}");
    }
}
