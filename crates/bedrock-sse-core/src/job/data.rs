//! The JSON payload of a job event.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::progress::Progress;
use super::raw::{CowStr, RawJson, own};
use super::status::JobStatus;

/// The `data` of a `status`, `progress`, `completed`, `failed` or
/// `canceled` event: a JSON object whose fields are all optional.
///
/// Strings borrow from the event data unless they contain JSON escapes;
/// `results` and unknown fields are kept as raw JSON text, `results`
/// borrowed. Decoding an event without escapes or unknown fields therefore
/// allocates nothing, `results` included.
/// A field that is `null` counts as absent.
///
/// ```
/// use bedrock_sse_core::job::{JobData, JobStatus};
///
/// let data = JobData::from_json(
///     r#"{"job_id":"job_01JABCD123","type":"overlay.generate","status":"RUNNING","progress":0.42,"shard":7}"#,
/// ).unwrap();
/// assert_eq!(data.job_id.as_deref(), Some("job_01JABCD123"));
/// assert_eq!(data.job_type.as_deref(), Some("overlay.generate"));
/// assert_eq!(data.status, Some(JobStatus::Running));
/// assert_eq!(data.fraction(), Some(0.42));
/// assert_eq!(data.extra("shard").map(|raw| raw.get()), Some("7"));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct JobData<'a> {
    /// `job_id`: the job the event is about.
    pub job_id: Option<Cow<'a, str>>,
    /// `type`: the job type, an opaque string such as `overlay.generate`.
    pub job_type: Option<Cow<'a, str>>,
    /// `status`, in any documented spelling.
    pub status: Option<JobStatus>,
    /// `progress`, as a fraction or as counts.
    pub progress: Option<Progress>,
    /// `message`: a human-readable note, e.g. "Processing sheet 3 of 12".
    pub message: Option<Cow<'a, str>>,
    /// `timestamp`, as sent (the docs use ISO 8601 with `Z`).
    pub timestamp: Option<Cow<'a, str>>,
    /// `results` of a completed job, unparsed.
    pub results: Option<RawJson<'a>>,
    /// `error` of a failed job.
    pub error: Option<JobError<'a>>,
    /// Every other field, in the order received, unparsed.
    pub extras: Vec<(Cow<'a, str>, RawJson<'a>)>,
}

impl<'a> JobData<'a> {
    /// Parses an event's `data`. It must be a JSON object; each known field
    /// must have its documented type (or be `null`).
    pub fn from_json(json: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The progress as a 0..=1 fraction, if the event carries one.
    pub fn fraction(&self) -> Option<f64> {
        self.progress.as_ref().and_then(Progress::fraction)
    }

    /// An unknown field by name.
    pub fn extra(&self, name: &str) -> Option<&RawJson<'a>> {
        self.extras.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Copies every borrowed string, so the data outlives the event.
    pub fn into_owned(self) -> JobData<'static> {
        JobData {
            job_id: self.job_id.map(own),
            job_type: self.job_type.map(own),
            status: self.status,
            progress: self.progress,
            message: self.message.map(own),
            timestamp: self.timestamp.map(own),
            results: self.results.map(RawJson::into_owned),
            error: self.error.map(JobError::into_owned),
            extras: self
                .extras
                .into_iter()
                .map(|(k, v)| (own(k), v.into_owned()))
                .collect(),
        }
    }
}

fn opt_str<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Cow<'de, str>>, A::Error> {
    Ok(map.next_value::<Option<CowStr<'de>>>()?.map(|s| s.0))
}

impl<'de: 'a, 'a> Deserialize<'de> for JobData<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut data = JobData::default();
        Fill(&mut data).deserialize(deserializer)?;
        Ok(data)
    }
}

impl<'a> JobData<'a> {
    /// Parses `json` into `self`, which must be fresh (default). Writing in
    /// place spares the copies of a ~270-byte value on the way out, which
    /// were a fifth of the cost of typing a W1 event.
    ///
    /// The flat objects a job stream sends nearly every time (plain
    /// strings, numbers, `null`) are read by [`flat`] in one pass; anything
    /// else, and anything malformed, goes to serde_json, whose result is
    /// the authority.
    pub(crate) fn fill_from_json(&mut self, json: &'a str) -> Result<(), serde_json::Error> {
        if flat::fill(self, json).is_some() {
            return Ok(());
        }
        // `flat` may have set fields before it gave up.
        *self = JobData::default();
        let mut de = serde_json::Deserializer::from_str(json);
        Fill(self).deserialize(&mut de)?;
        de.end()
    }
}

/// A reader for the common shape of a job event's data: one JSON object
/// whose members are the documented string fields, `status`, a numeric
/// `progress` and `results`, with values that are strings without escapes,
/// numbers of at most 15 significant digits without exponent, or `null`
/// (and for `results`, any JSON value without escaped strings, kept as
/// its text).
///
/// It returns `None` as soon as it meets anything else (an escape, a
/// progress object, `error`, an unknown field, a malformed byte),
/// and the caller then hands the whole text to serde_json. So it never
/// decides anything serde_json would decide differently: on what it
/// accepts, it computes what serde_json computes (numbers included: a
/// significand below 2^53 divided by an exact power of ten, as serde_json
/// does), and it rejects nothing.
mod flat {
    use alloc::borrow::Cow;

    use super::{JobData, JobStatus, Progress, RawJson};

    /// Exact powers of ten: every one up to 1e22 is representable.
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// One JSON value of the kinds read here.
    enum Value<'a> {
        Str(&'a str),
        Number(f64),
        Null,
    }

    struct Reader<'a> {
        text: &'a str,
        at: usize,
    }

    pub(super) fn fill<'a>(data: &mut JobData<'a>, json: &'a str) -> Option<()> {
        let mut r = Reader { text: json, at: 0 };
        r.skip_ws();
        r.eat(b'{')?;
        r.skip_ws();
        if r.eat(b'}').is_none() {
            loop {
                let key = r.key()?;
                r.skip_ws();
                r.eat(b':')?;
                r.skip_ws();
                if let Key::Results = key {
                    // Kept as its text: only checked to be JSON, and found
                    // where it ends.
                    let start = r.at;
                    r.skip_value(0)?;
                    let raw = RawJson::borrowed(&json[start..r.at]);
                    data.results = (!raw.is_null()).then_some(raw);
                } else {
                    let value = r.value()?;
                    member(data, key, value)?;
                }
                r.skip_ws();
                match r.next()? {
                    b',' => r.skip_ws(),
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        r.skip_ws();
        (r.at == json.len()).then_some(())
    }

    /// The members this reader sets.
    #[derive(Clone, Copy)]
    enum Key {
        JobId,
        Type,
        Status,
        Progress,
        Message,
        Timestamp,
        Results,
    }

    /// Sets one member; `None` for a value this reader leaves to serde_json.
    fn member<'a>(data: &mut JobData<'a>, key: Key, value: Value<'a>) -> Option<()> {
        let text = |value: Value<'a>| match value {
            Value::Str(text) => Some(Some(Cow::Borrowed(text))),
            Value::Null => Some(None),
            Value::Number(_) => None,
        };
        match key {
            Key::JobId => data.job_id = text(value)?,
            Key::Type => data.job_type = text(value)?,
            Key::Message => data.message = text(value)?,
            Key::Timestamp => data.timestamp = text(value)?,
            Key::Status => {
                data.status = match value {
                    Value::Str(status) => Some(JobStatus::parse(status)),
                    Value::Null => None,
                    Value::Number(_) => return None,
                }
            }
            Key::Progress => {
                data.progress = match value {
                    Value::Number(n) => Some(Progress::Fraction(n)),
                    Value::Null => None,
                    Value::Str(_) => return None,
                }
            }
            Key::Results => return None,
        }
        Some(())
    }

    /// The first quote, backslash or control character at or after
    /// `from`: eight bytes at a time, since this is most of the reading.
    fn special(bytes: &[u8], from: usize) -> Option<usize> {
        const ONES: u64 = u64::from_le_bytes([0x01; 8]);
        const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
        // The high bit of each byte that is zero, or below `n`: exact for
        // the lowest such byte (a false bit can only follow a true one).
        let below = |word: u64, n: u64| word.wrapping_sub(ONES * n) & !word & HIGH;
        let mut at = from;
        while let Some(word) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
            let found = below(word ^ (ONES * u64::from(b'"')), 1)
                | below(word ^ (ONES * u64::from(b'\\')), 1)
                | below(word, 0x20);
            if found != 0 {
                return Some(at + found.trailing_zeros() as usize / 8);
            }
            at += 8;
        }
        let rest = bytes.get(at..)?;
        let len = rest
            .iter()
            .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)?;
        Some(at + len)
    }

    impl<'a> Reader<'a> {
        fn peek(&self) -> Option<u8> {
            self.text.as_bytes().get(self.at).copied()
        }

        fn next(&mut self) -> Option<u8> {
            let byte = self.peek()?;
            self.at += 1;
            Some(byte)
        }

        fn eat(&mut self, byte: u8) -> Option<()> {
            (self.peek()? == byte).then(|| self.at += 1)
        }

        /// JSON whitespace, as serde_json skips it.
        fn skip_ws(&mut self) {
            while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
                self.at += 1;
            }
        }

        /// A member name this reader sets, quotes included: compared in
        /// place, so the names are not scanned for their end. Any other
        /// name (unknown, or escaped) is serde_json's.
        #[inline]
        fn key(&mut self) -> Option<Key> {
            let (key, len) = match self.text.as_bytes().get(self.at..)? {
                [b'"', b'j', b'o', b'b', b'_', b'i', b'd', b'"', ..] => (Key::JobId, 8),
                [b'"', b't', b'y', b'p', b'e', b'"', ..] => (Key::Type, 6),
                [b'"', b's', b't', b'a', b't', b'u', b's', b'"', ..] => (Key::Status, 8),
                [
                    b'"',
                    b'p',
                    b'r',
                    b'o',
                    b'g',
                    b'r',
                    b'e',
                    b's',
                    b's',
                    b'"',
                    ..,
                ] => (Key::Progress, 10),
                [b'"', b'm', b'e', b's', b's', b'a', b'g', b'e', b'"', ..] => (Key::Message, 9),
                [
                    b'"',
                    b't',
                    b'i',
                    b'm',
                    b'e',
                    b's',
                    b't',
                    b'a',
                    b'm',
                    b'p',
                    b'"',
                    ..,
                ] => (Key::Timestamp, 11),
                [b'"', b'r', b'e', b's', b'u', b'l', b't', b's', b'"', ..] => (Key::Results, 9),
                _ => return None,
            };
            self.at += len;
            Some(key)
        }

        /// A string without escapes or control characters.
        #[inline]
        fn string(&mut self) -> Option<&'a str> {
            self.eat(b'"')?;
            let start = self.at;
            let end = special(self.text.as_bytes(), start)?;
            if self.text.as_bytes()[end] != b'"' {
                return None;
            }
            self.at = end + 1;
            // Both ends are at ASCII bytes, so this cannot cut a character.
            self.text.get(start..end)
        }

        fn value(&mut self) -> Option<Value<'a>> {
            match self.peek()? {
                b'"' => self.string().map(Value::Str),
                b'n' => {
                    let rest = self.text.as_bytes().get(self.at..self.at + 4)?;
                    (rest == b"null").then(|| {
                        self.at += 4;
                        Value::Null
                    })
                }
                b'-' | b'0'..=b'9' => self.number().map(Value::Number),
                _ => None,
            }
        }

        /// Skips one JSON value of any kind, checking it as serde_json
        /// would; `None` for what this reader leaves to serde_json: escaped
        /// strings, nesting deeper than 32, anything malformed. (serde_json
        /// skips nested values with a stack it allocates per event.)
        fn skip_value(&mut self, depth: u32) -> Option<()> {
            match self.peek()? {
                b'"' => self.string().map(drop),
                b'-' | b'0'..=b'9' => self.skip_number(),
                b'{' | b'[' if depth < 32 => self.skip_nested(depth + 1),
                _ => ["null", "true", "false"].iter().find_map(|word| {
                    let end = self.at + word.len();
                    (self.text.as_bytes().get(self.at..end)? == word.as_bytes()).then(|| {
                        self.at = end;
                    })
                }),
            }
        }

        /// An object or array, from its opening bracket.
        fn skip_nested(&mut self, depth: u32) -> Option<()> {
            let close = if self.next()? == b'{' { b'}' } else { b']' };
            self.skip_ws();
            if self.eat(close).is_some() {
                return Some(());
            }
            loop {
                if close == b'}' {
                    self.string()?;
                    self.skip_ws();
                    self.eat(b':')?;
                    self.skip_ws();
                }
                self.skip_value(depth)?;
                self.skip_ws();
                match self.next()? {
                    b',' => self.skip_ws(),
                    byte if byte == close => return Some(()),
                    _ => return None,
                }
            }
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, the JSON grammar.
        fn skip_number(&mut self) -> Option<()> {
            self.eat(b'-');
            let first = self.peek()?;
            let mut ignored = 0;
            let whole = self.digits(&mut ignored);
            if whole == 0 || (whole > 1 && first == b'0') {
                return None;
            }
            if self.eat(b'.').is_some() && self.digits(&mut ignored) == 0 {
                return None;
            }
            if let Some(b'e' | b'E') = self.peek() {
                self.at += 1;
                if let Some(b'+' | b'-') = self.peek() {
                    self.at += 1;
                }
                if self.digits(&mut ignored) == 0 {
                    return None;
                }
            }
            Some(())
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?` with at most 15 digits in all,
        /// as serde_json computes it: an integer as `i64`/`u64` converted,
        /// a decimal as its significand divided by a power of ten.
        fn number(&mut self) -> Option<f64> {
            let negative = self.eat(b'-').is_some();
            let first = self.peek()?;
            let mut significand = 0;
            let whole = self.digits(&mut significand);
            if whole == 0 || (whole > 1 && first == b'0') {
                return None; // no digit, or a leading zero: serde_json's to report
            }
            let mut scale = 0;
            if self.eat(b'.').is_some() {
                scale = self.digits(&mut significand);
                if scale == 0 {
                    return None;
                }
            }
            // Too many digits, or an exponent: serde_json's to compute.
            if whole + scale > 15 || matches!(self.peek(), Some(b'e' | b'E')) {
                return None;
            }
            Some(match (scale, negative) {
                (0, false) => significand as f64,
                // serde_json reads a negative integer as an `i64`, except
                // `-0`, which it reads as the float -0.0; below 2^53 both
                // are exactly the negated significand.
                (0, true) => -(significand as f64),
                (scale, negative) => {
                    let value = significand as f64 / POW10[scale];
                    if negative { -value } else { value }
                }
            })
        }

        /// Reads a run of digits into `significand`, returning how many.
        /// Past 19 digits it wraps, but then the caller gives up anyway.
        fn digits(&mut self, significand: &mut u64) -> usize {
            let start = self.at;
            while let Some(byte @ b'0'..=b'9') = self.peek() {
                *significand = significand
                    .wrapping_mul(10)
                    .wrapping_add(u64::from(byte - b'0'));
                self.at += 1;
            }
            self.at - start
        }
    }
}

/// Deserializes a JSON object into an existing [`JobData`].
struct Fill<'p, 'a>(&'p mut JobData<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for Fill<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for Fill<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let data = self.0;
        while let Some(CowStr(key)) = map.next_key()? {
            // A repeated field: the last one wins, as in most parsers.
            match &*key {
                "job_id" => data.job_id = opt_str(&mut map)?,
                "type" => data.job_type = opt_str(&mut map)?,
                "status" => data.status = map.next_value()?,
                "progress" => data.progress = map.next_value()?,
                "message" => data.message = opt_str(&mut map)?,
                "timestamp" => data.timestamp = opt_str(&mut map)?,
                "results" => {
                    let raw: RawJson<'de> = map.next_value()?;
                    data.results = (!raw.is_null()).then_some(raw);
                }
                "error" => data.error = map.next_value()?,
                _ => data.extras.push((key, map.next_value()?)),
            }
        }
        Ok(())
    }
}

/// Why a job failed: the `error` of a `failed` event.
///
/// The docs show `{"code":"PROCESSING_ERROR","message":"..."}`; a bare
/// string is taken as the message. Other fields are kept in
/// [`extras`](Self::extras).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct JobError<'a> {
    /// Machine-readable code, e.g. `PROCESSING_ERROR`.
    pub code: Option<Cow<'a, str>>,
    /// Human-readable explanation.
    pub message: Option<Cow<'a, str>>,
    /// Every other field, unparsed.
    pub extras: Vec<(Cow<'a, str>, RawJson<'a>)>,
}

impl JobError<'_> {
    /// Copies every borrowed string.
    pub fn into_owned(self) -> JobError<'static> {
        JobError {
            code: self.code.map(own),
            message: self.message.map(own),
            extras: self
                .extras
                .into_iter()
                .map(|(k, v)| (own(k), v.into_owned()))
                .collect(),
        }
    }
}

impl fmt::Display for JobError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => write!(f, "{code}: {message}"),
            (Some(text), None) | (None, Some(text)) => f.write_str(text),
            (None, None) => f.write_str("unspecified job error"),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for JobError<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JobError<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error object or string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JobError {
                    message: Some(Cow::Borrowed(v)),
                    ..JobError::default()
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JobError {
                    message: Some(Cow::Owned(v.into())),
                    ..JobError::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut error = JobError::default();
                while let Some(CowStr(key)) = map.next_key()? {
                    match &*key {
                        "code" => error.code = opt_str(&mut map)?,
                        "message" => error.message = opt_str(&mut map)?,
                        _ => error.extras.push((key, map.next_value()?)),
                    }
                }
                Ok(error)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W1: &str = r#"{"job_id":"job_01JABCD123","type":"overlay.generate","status":"RUNNING","progress":0.42,"message":"Processing sheet 3 of 12"}"#;

    fn borrowed(c: &Option<Cow<'_, str>>) -> bool {
        matches!(c, Some(Cow::Borrowed(_)))
    }

    #[test]
    fn w1_borrows_everything() {
        let data = JobData::from_json(W1).unwrap();
        assert!(borrowed(&data.job_id) && borrowed(&data.job_type) && borrowed(&data.message));
        assert_eq!(data.status, Some(JobStatus::Running));
        assert_eq!(data.fraction(), Some(0.42));
        assert_eq!(data.extras.capacity(), 0);
    }

    #[test]
    fn every_documented_example() {
        let a = JobData::from_json(
            r#"{"job_id":"job_01JABCD123","status":"Queued","timestamp":"2024-01-15T10:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(a.timestamp.as_deref(), Some("2024-01-15T10:00:00Z"));
        let b = JobData::from_json(
            r#"{"job_id":"job_01JABCD123","message":"Processing sheet 6 of 12","progress":0.5}"#,
        )
        .unwrap();
        assert_eq!(b.status, None);
        assert_eq!(b.fraction(), Some(0.5));
        let c = JobData::from_json(
            r#"{"job_id":"job_01JABCD123","status":"Completed","results":{"overlay":{"score":0.9}},"timestamp":"t"}"#,
        )
        .unwrap();
        assert_eq!(c.results.unwrap().get(), r#"{"overlay":{"score":0.9}}"#);
        let d = JobData::from_json(
            r#"{"job_id":"j","status":"failed","error":{"code":"PROCESSING_ERROR","message":"Unable to process sheet","sheet":3}}"#,
        )
        .unwrap();
        let error = d.error.unwrap();
        assert_eq!(error.code.as_deref(), Some("PROCESSING_ERROR"));
        assert_eq!(error.extras.len(), 1);
        assert_eq!(
            alloc::format!("{error}"),
            "PROCESSING_ERROR: Unable to process sheet"
        );
    }

    #[test]
    fn unknown_fields_nulls_and_escapes() {
        let data = JobData::from_json(
            r#"{"message":"a\u00e9","results":null,"error":"boom","progress":{"completed":1,"total":4},"x":[1,{"y":2}],"status":null}"#,
        )
        .unwrap();
        assert!(matches!(data.message, Some(Cow::Owned(ref m)) if m == "aé"));
        assert!(data.results.is_none());
        assert_eq!(data.status, None);
        assert_eq!(
            data.error.as_ref().unwrap().message.as_deref(),
            Some("boom")
        );
        assert_eq!(data.fraction(), Some(0.25));
        assert_eq!(data.extra("x").unwrap().get(), r#"[1,{"y":2}]"#);
    }

    #[test]
    fn wrong_shapes_are_errors() {
        assert!(JobData::from_json("[1]").is_err());
        assert!(JobData::from_json(r#"{"status":3}"#).is_err());
        assert!(JobData::from_json(r#"{"job_id":"a""#).is_err());
        assert!(JobData::from_json(r#"{"results":{...}}"#).is_err());
    }

    /// What serde_json alone makes of `json`.
    fn by_serde(json: &str) -> Result<JobData<'_>, serde_json::Error> {
        let mut data = JobData::default();
        let mut de = serde_json::Deserializer::from_str(json);
        Fill(&mut data).deserialize(&mut de)?;
        de.end().map(|()| data)
    }

    fn progress_bits(data: &JobData<'_>) -> Option<u64> {
        match data.progress {
            Some(Progress::Fraction(f)) => Some(f.to_bits()),
            _ => None,
        }
    }

    /// JSON text pieces: well-formed members, and the near misses the flat
    /// reader must leave to serde_json.
    const PIECES: &[&str] = &[
        "{",
        "}",
        ",",
        ":",
        " ",
        "\n",
        "\t",
        "\"",
        "\"job_id\":",
        "\"type\":",
        "\"status\":",
        "\"progress\":",
        "\"message\":",
        "\"timestamp\":",
        "\"results\":",
        "\"error\":",
        "\"x\":",
        "\"job\\u005fid\":",
        "\"RUNNING\"",
        "\"Queued\"",
        "\"PAUSED\"",
        "\"a b\"",
        "\"\"",
        "\"\\n\"",
        "\"\u{e9}\"",
        "\"\u{1}\"",
        "null",
        "nul",
        "true",
        "0",
        "-0",
        "0.5",
        "-0.0",
        "0.4242",
        "1",
        "01",
        "-",
        "1.",
        ".5",
        "1e3",
        "1E-2",
        "12345678901234",
        "1234567890123456",
        "123456789012345678901234",
        "0.000000000000001",
        "-7",
        "1.5.3",
        "{\"completed\":1,\"total\":4}",
        "[1]",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// Whatever the flat reader accepts, serde_json accepts too, with
        /// the same result to the bit.
        #[test]
        fn the_flat_reader_agrees_with_serde_json(
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..24),
        ) {
            let json: alloc::string::String = pieces.concat();
            let mut flat = JobData::default();
            if flat::fill(&mut flat, &json).is_some() {
                let serde = by_serde(&json);
                proptest::prop_assert!(serde.is_ok(), "{json}: {serde:?}");
                let serde = serde.unwrap();
                proptest::prop_assert_eq!(progress_bits(&flat), progress_bits(&serde), "{}", json);
                proptest::prop_assert_eq!(flat, serde, "{}", json);
            }
        }

        /// Members in any order, spacing and value form, well formed.
        #[test]
        fn the_flat_reader_takes_what_job_streams_send(
            members in proptest::collection::vec((0usize..7, 0usize..8, proptest::bool::ANY), 0..8),
        ) {
            const KEYS: [&str; 7] = ["job_id", "type", "status", "message", "timestamp", "progress", "results"];
            const VALUES: [&str; 8] = ["\"RUNNING\"", "null", "\"x y\"", "0.25", "-0.0", "3", "-12", "0.1234567"];
            const RESULTS: [&str; 8] = [
                "null", "{}", "[]", "{\"overlay_id\":\"ovl_1\",\"score\":0.93}",
                "[1, -2.5e3, true, false, null, \"s\"]", "{\"a\":{\"b\":[{\"c\":[]}]}}", "\"done\"", "12",
            ];
            let body: alloc::vec::Vec<alloc::string::String> = members
                .iter()
                .map(|&(k, v, spaced)| {
                    let sep = if spaced { " : " } else { ":" };
                    let value = if KEYS[k] == "results" { RESULTS[v] } else { VALUES[v] };
                    alloc::format!("\"{}\"{sep}{}", KEYS[k], value)
                })
                .collect();
            let json = alloc::format!("{{{}}}", body.join(", "));
            let mut flat = JobData::default();
            let taken = flat::fill(&mut flat, &json).is_some();
            let serde = by_serde(&json);
            // Strings for `progress` or numbers for strings are type errors:
            // those are serde_json's to report.
            proptest::prop_assert_eq!(taken, serde.is_ok(), "{}", json);
            if let Ok(serde) = serde {
                proptest::prop_assert_eq!(progress_bits(&flat), progress_bits(&serde), "{}", json);
                proptest::prop_assert_eq!(flat, serde, "{}", json);
            }
        }
    }

    /// Found by the `typed` fuzz target: the flat reader made `-0` a
    /// positive zero, where serde_json keeps the sign.
    #[test]
    fn negative_zero_keeps_its_sign_as_in_serde_json() {
        for json in [
            r#"{"progress":-0}"#,
            r#"{"progress":-0.0}"#,
            r#"{"progress":-7}"#,
        ] {
            let mut flat = JobData::default();
            assert!(flat::fill(&mut flat, json).is_some(), "{json}");
            let serde = by_serde(json).unwrap();
            assert_eq!(progress_bits(&flat), progress_bits(&serde), "{json}");
        }
        let mut flat = JobData::default();
        flat::fill(&mut flat, r#"{"progress":-0}"#).unwrap();
        assert!(flat.fraction().is_some_and(|f| f == 0.0));
        assert_eq!(progress_bits(&flat), Some((-0.0f64).to_bits()));
    }

    #[test]
    fn owned_copy_is_equal() {
        let json = alloc::string::String::from(W1);
        let owned = JobData::from_json(&json).unwrap().into_owned();
        drop(json);
        assert_eq!(owned.message.as_deref(), Some("Processing sheet 3 of 12"));
    }
}
