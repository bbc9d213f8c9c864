//! How a request proves who it is.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::http::{InvalidHeaderValue, checked};

/// An API key and where to send it. Neither `Debug` nor `Display` ever
/// shows the key.
///
/// ```
/// use bedrock_sse_core::api::Credentials;
///
/// let creds = Credentials::bearer("sk_secret").unwrap();
/// assert_eq!(format!("{creds:?}"), "Credentials::Bearer(<redacted>)");
/// assert_eq!(creds.to_string(), "Bearer <redacted>");
/// let (name, value) = creds.header();
/// assert_eq!((name, value.as_str()), ("authorization", "Bearer sk_secret"));
///
/// assert!(Credentials::api_key("sk_\r\nX-Evil: 1").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Authorization: Bearer <key>` (preferred by the docs).
    Bearer(Secret),
    /// `X-API-Key: <key>`.
    ApiKey(Secret),
}

/// A key that is never printed. Compare and send it; do not log it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret that must be sendable as (part of) a header value.
    pub fn new(key: impl Into<String>) -> Result<Self, InvalidHeaderValue> {
        let key = key.into();
        checked("API key", &key)?;
        Ok(Secret(key))
    }

    /// The key itself, to put on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the text reads with every copy of the key replaced by
    /// `<redacted>`: for text the server sends back (an error body, a
    /// header), which may echo the key it refused.
    pub(crate) fn scrub(&self, text: Vec<u8>) -> Vec<u8> {
        let key = self.0.as_bytes();
        let mut found = memchr::memmem::find_iter(&text, key).peekable();
        if found.peek().is_none() {
            return text;
        }
        let mut clean = Vec::with_capacity(text.len());
        let mut from = 0;
        for at in found {
            // memmem's matches do not overlap.
            clean.extend_from_slice(&text[from..at]);
            clean.extend_from_slice(b"<redacted>");
            from = at + key.len();
        }
        clean.extend_from_slice(&text[from..]);
        clean
    }

    /// [`scrub`](Self::scrub) for a header value kept as text.
    pub(crate) fn scrub_text(&self, text: &mut Option<String>) {
        if let Some(value) = text.take() {
            // Replacing an ASCII key with ASCII keeps the text UTF-8.
            *text = String::from_utf8(self.scrub(value.into_bytes())).ok();
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Credentials {
    /// `Authorization: Bearer <key>`.
    pub fn bearer(key: impl Into<String>) -> Result<Self, InvalidHeaderValue> {
        let key = key.into();
        checked("API key", &key)?;
        Ok(Credentials::Bearer(Secret(key)))
    }

    /// `X-API-Key: <key>`.
    pub fn api_key(key: impl Into<String>) -> Result<Self, InvalidHeaderValue> {
        let key = key.into();
        checked("API key", &key)?;
        Ok(Credentials::ApiKey(Secret(key)))
    }

    /// The header to send: lower-case name and value (which contains the key:
    /// mark it sensitive in your HTTP client).
    pub fn header(&self) -> (&'static str, String) {
        match self {
            Credentials::Bearer(key) => ("authorization", alloc::format!("Bearer {}", key.0)),
            Credentials::ApiKey(key) => ("x-api-key", key.0.clone()),
        }
    }

    /// The key.
    pub fn secret(&self) -> &Secret {
        match self {
            Credentials::Bearer(key) | Credentials::ApiKey(key) => key,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credentials::Bearer(_) => "Credentials::Bearer(<redacted>)",
            Credentials::ApiKey(_) => "Credentials::ApiKey(<redacted>)",
        })
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credentials::Bearer(_) => "Bearer <redacted>",
            Credentials::ApiKey(_) => "X-API-Key <redacted>",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn never_shows_the_key() {
        for c in [
            Credentials::bearer("sk_zzz").unwrap(),
            Credentials::api_key("sk_zzz").unwrap(),
        ] {
            assert!(!format!("{c:?}{c}{:?}", c.secret()).contains("sk_zzz"));
            assert_eq!(c.secret().expose(), "sk_zzz");
        }
        assert_eq!(
            Credentials::api_key("k").unwrap().header(),
            ("x-api-key", "k".into())
        );
    }

    #[test]
    fn rejects_unsendable_keys_without_echoing_them() {
        let e = Credentials::bearer("sk_abc\n").unwrap_err();
        assert_eq!(
            e,
            InvalidHeaderValue::BadByte {
                what: "API key",
                index: 6
            }
        );
        assert!(!format!("{e}").contains("sk_abc"));
        assert_eq!(
            Credentials::bearer("").unwrap_err(),
            InvalidHeaderValue::Empty { what: "API key" }
        );
        assert!(Credentials::bearer("sk_é").is_err());
    }

    #[test]
    fn scrubs_every_echo_of_the_key() {
        let key = Secret::new("sk_aa").unwrap();
        let scrub = |text: &str| String::from_utf8(key.scrub(text.into())).unwrap();
        assert_eq!(scrub("no key here"), "no key here");
        assert_eq!(
            scrub("bad key 'sk_aa', sk_aasecond sk_aa"),
            "bad key '<redacted>', <redacted>second <redacted>"
        );
        assert_eq!(scrub("sk_sk_aa_aa"), "sk_<redacted>_aa");
        let mut header = Some(String::from("req sk_aa é"));
        key.scrub_text(&mut header);
        assert_eq!(header.as_deref(), Some("req <redacted> é"));
    }
}
