//! Borrowed-or-owned strings and raw JSON, the building blocks of the typed
//! events.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::value::RawValue;

/// A JSON value kept as its exact source text, unparsed.
///
/// Used for `results` and unknown fields: the core does not know their shape,
/// and parsing them only to copy them around would cost time and memory. Call
/// [`parse`](Self::parse) (or feed [`get`](Self::get) to any JSON parser)
/// when you need the contents.
///
/// Borrows from the event data when decoded from it; see
/// [`into_owned`](Self::into_owned) to keep it longer.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawJson<'a>(Cow<'a, str>);

impl<'a> RawJson<'a> {
    /// Checks that `text` is one JSON value and wraps it (surrounding
    /// whitespace is kept as given).
    pub fn new(text: &'a str) -> Result<Self, serde_json::Error> {
        let raw: &RawValue = serde_json::from_str(text)?;
        Ok(RawJson(Cow::Borrowed(raw.get())))
    }

    /// Wraps text already checked to be one JSON value.
    pub(crate) fn borrowed(text: &'a str) -> Self {
        RawJson(Cow::Borrowed(text))
    }

    /// The JSON text, exactly as the server sent it.
    pub fn get(&self) -> &str {
        &self.0
    }

    /// Parses the value into `T`.
    ///
    /// ```
    /// use bedrock_sse_core::job::RawJson;
    ///
    /// let raw = RawJson::new(r#"{"overlay_id":"ovl_1","score":0.93}"#).unwrap();
    /// let value: serde_json::Value = raw.parse().unwrap();
    /// assert_eq!(value["score"], 0.93);
    /// ```
    pub fn parse<T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    /// Copies the text so the value no longer borrows the event data.
    pub fn into_owned(self) -> RawJson<'static> {
        RawJson(Cow::Owned(self.0.into_owned()))
    }

    /// Whether the value is JSON `null`.
    pub fn is_null(&self) -> bool {
        &*self.0 == "null"
    }
}

impl fmt::Debug for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RawJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawJson<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only `serde_json`'s borrowing entry points (`from_str`,
        // `from_slice`) can hand out raw values; that is how the core decodes.
        <&'de RawValue>::deserialize(deserializer).map(|raw| RawJson(Cow::Borrowed(raw.get())))
    }
}

impl From<Box<RawValue>> for RawJson<'static> {
    fn from(raw: Box<RawValue>) -> Self {
        RawJson(Cow::Owned(String::from(raw.get())))
    }
}

/// A JSON string borrowed from the input when it has no escapes, owned
/// otherwise. (serde's own `Cow<str>` always copies.)
pub(crate) struct CowStr<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for CowStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.into())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// Copies a borrowed `Cow` into an owned one.
pub(crate) fn own(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_json_borrows_and_rejects_non_json() {
        let text = r#" {"a":[1,2]} "#;
        let raw = RawJson::new(text).unwrap();
        assert_eq!(raw.get(), r#"{"a":[1,2]}"#);
        assert!(text.as_bytes().as_ptr_range().contains(&raw.get().as_ptr()));
        assert!(RawJson::new("{...}").is_err());
        assert!(RawJson::new("null").unwrap().is_null());
        let owned = raw.clone().into_owned();
        assert_eq!(owned, raw);
    }

    #[test]
    fn cow_str_borrows_unless_escaped() {
        let CowStr(plain) = serde_json::from_str(r#""job_1""#).unwrap();
        assert!(matches!(plain, Cow::Borrowed("job_1")));
        let CowStr(escaped) = serde_json::from_str(r#""a\nb""#).unwrap();
        assert!(matches!(escaped, Cow::Owned(ref s) if s == "a\nb"));
    }
}
