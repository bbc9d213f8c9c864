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
/// `results` and unknown fields are kept as raw JSON text. Decoding an event
/// without `results` or unknown fields therefore allocates nothing.
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
    pub(crate) fn fill_from_json(&mut self, json: &'a str) -> Result<(), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(json);
        Fill(self).deserialize(&mut de)?;
        de.end()
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

    #[test]
    fn owned_copy_is_equal() {
        let json = alloc::string::String::from(W1);
        let owned = JobData::from_json(&json).unwrap().into_owned();
        drop(json);
        assert_eq!(owned.message.as_deref(), Some("Processing sheet 3 of 12"));
    }
}
