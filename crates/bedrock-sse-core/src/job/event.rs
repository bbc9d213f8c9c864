//! Typed job events, decoded from SSE events.

use alloc::borrow::Cow;
use alloc::string::String;

use super::data::JobData;
use super::raw::own;
use super::status::JobStatus;
use crate::sse;

/// One event of a job stream, typed.
///
/// Borrows from the [`sse::Event`] it was decoded from; use
/// [`into_owned`](Self::into_owned) (giving an [`OwnedJobEvent`]) to keep it
/// past the next decoder call.
///
/// ```
/// use bedrock_sse_core::job::{JobEvent, JobStatus, Parsed};
/// use bedrock_sse_core::sse::Event;
///
/// let sse = Event { event_type: "status", data: r#"{"job_id":"job_1","status":"RUNNING"}"#, id: "" };
/// let Ok(Parsed::Event(event)) = JobEvent::from_sse(&sse) else { panic!() };
/// assert_eq!(event.status(), Some(&JobStatus::Running));
/// assert!(!event.is_terminal());
///
/// let ping = Event { event_type: "heartbeat", data: "", id: "" };
/// assert!(matches!(JobEvent::from_sse(&ping), Ok(Parsed::KeepAlive)));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum JobEvent<'a> {
    /// `status`: the job's status changed.
    Status(JobData<'a>),
    /// `progress`: how far a long-running job has got.
    Progress(JobData<'a>),
    /// `completed`: the job finished; `results` when the server sends them.
    Completed(JobData<'a>),
    /// `failed`: the job errored; usually with `error`.
    Failed(JobData<'a>),
    /// `canceled` (or `cancelled`): the job was canceled.
    Canceled(JobData<'a>),
    /// An event name this version does not know, with its data untouched.
    Other {
        /// The SSE event type.
        event: Cow<'a, str>,
        /// The SSE data, unparsed.
        data: Cow<'a, str>,
    },
}

/// A [`JobEvent`] that owns its strings.
pub type OwnedJobEvent = JobEvent<'static>;

/// What an SSE event means to a job stream.
#[derive(Debug, Clone, PartialEq)]
// Boxing the event would cost an allocation per event, the thing typed
// decoding is built to avoid; a keep-alive is rare and short-lived.
#[allow(clippy::large_enum_variant)]
pub enum Parsed<'a> {
    /// A job event.
    Event(JobEvent<'a>),
    /// A `heartbeat` or `ping` event: proof of life, nothing to deliver.
    KeepAlive,
}

/// The documented event kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// `status`.
    Status,
    /// `progress`.
    Progress,
    /// `completed`.
    Completed,
    /// `failed`.
    Failed,
    /// `canceled`.
    Canceled,
}

impl EventKind {
    /// Recognises an SSE event type, ignoring ASCII case; `cancelled` is
    /// accepted for `canceled`.
    pub fn from_event_type(name: &str) -> Option<EventKind> {
        const NAMES: &[(&str, EventKind)] = &[
            ("status", EventKind::Status),
            ("progress", EventKind::Progress),
            ("completed", EventKind::Completed),
            ("failed", EventKind::Failed),
            ("canceled", EventKind::Canceled),
            ("cancelled", EventKind::Canceled),
        ];
        match name {
            "status" => return Some(EventKind::Status),
            "progress" => return Some(EventKind::Progress),
            "completed" => return Some(EventKind::Completed),
            "failed" => return Some(EventKind::Failed),
            "canceled" => return Some(EventKind::Canceled),
            _ => {}
        }
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, kind)| kind)
    }

    /// The documented event name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Status => "status",
            EventKind::Progress => "progress",
            EventKind::Completed => "completed",
            EventKind::Failed => "failed",
            EventKind::Canceled => "canceled",
        }
    }
}

fn is_keep_alive(name: &str) -> bool {
    name.eq_ignore_ascii_case("heartbeat") || name.eq_ignore_ascii_case("ping")
}

/// An event of a known kind whose data could not be read. The stream goes
/// on; this event is skipped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedEvent {
    /// The data is not a JSON object of the documented shape.
    #[error("`{}` event (id {id:?}) has unreadable data: {source}", kind.as_str())]
    Json {
        /// The event's kind.
        kind: EventKind,
        /// The stream's last-event-ID at the event.
        id: String,
        /// What serde_json found, with line and column.
        source: serde_json::Error,
    },
    /// A `status` event without a `status` field means nothing.
    #[error("`status` event (id {id:?}) has no `status` field")]
    MissingStatus {
        /// The stream's last-event-ID at the event.
        id: String,
    },
}

impl<'a> JobEvent<'a> {
    /// Types one SSE event. This is the whole typed-decoding step: a
    /// benchmark of "raw vs typed" should time the decoder alone against the
    /// decoder plus this call.
    ///
    /// Known kinds need a JSON object as data; `heartbeat` and `ping` are
    /// keep-alives whatever their data; any other name (including the
    /// default `message`) becomes [`Other`](Self::Other). Allocates nothing
    /// unless the data has escaped strings, unknown fields or an unknown
    /// status value (`results` are borrowed as raw JSON).
    pub fn from_sse(event: &sse::Event<'a>) -> Result<Parsed<'a>, MalformedEvent> {
        let Some(kind) = EventKind::from_event_type(event.event_type) else {
            if is_keep_alive(event.event_type) {
                return Ok(Parsed::KeepAlive);
            }
            return Ok(Parsed::Event(JobEvent::Other {
                event: Cow::Borrowed(event.event_type),
                data: Cow::Borrowed(event.data),
            }));
        };
        // Built where it is returned and filled in place: moving a
        // finished ~270-byte value out through the layers was a fifth of
        // the cost of the whole step.
        let mut parsed = Ok(Parsed::Event(match kind {
            EventKind::Status => JobEvent::Status(JobData::default()),
            EventKind::Progress => JobEvent::Progress(JobData::default()),
            EventKind::Completed => JobEvent::Completed(JobData::default()),
            EventKind::Failed => JobEvent::Failed(JobData::default()),
            EventKind::Canceled => JobEvent::Canceled(JobData::default()),
        }));
        let Ok(Parsed::Event(
            JobEvent::Status(data)
            | JobEvent::Progress(data)
            | JobEvent::Completed(data)
            | JobEvent::Failed(data)
            | JobEvent::Canceled(data),
        )) = &mut parsed
        else {
            return parsed;
        };
        if let Err(source) = data.fill_from_json(event.data) {
            parsed = Err(MalformedEvent::Json {
                kind,
                id: event.id.into(),
                source,
            });
        } else if kind == EventKind::Status && data.status.is_none() {
            parsed = Err(MalformedEvent::MissingStatus {
                id: event.id.into(),
            });
        }
        parsed
    }

    /// The kind, or `None` for [`Other`](Self::Other).
    pub fn kind(&self) -> Option<EventKind> {
        Some(match self {
            JobEvent::Status(_) => EventKind::Status,
            JobEvent::Progress(_) => EventKind::Progress,
            JobEvent::Completed(_) => EventKind::Completed,
            JobEvent::Failed(_) => EventKind::Failed,
            JobEvent::Canceled(_) => EventKind::Canceled,
            JobEvent::Other { .. } => return None,
        })
    }

    /// The SSE event name.
    pub fn name(&self) -> &str {
        match self {
            JobEvent::Other { event, .. } => event,
            _ => self.kind().map_or("", EventKind::as_str),
        }
    }

    /// The typed data, or `None` for [`Other`](Self::Other).
    pub fn data(&self) -> Option<&JobData<'a>> {
        match self {
            JobEvent::Status(d)
            | JobEvent::Progress(d)
            | JobEvent::Completed(d)
            | JobEvent::Failed(d)
            | JobEvent::Canceled(d) => Some(d),
            JobEvent::Other { .. } => None,
        }
    }

    /// The `status` field, if the event has one.
    pub fn status(&self) -> Option<&JobStatus> {
        self.data().and_then(|d| d.status.as_ref())
    }

    /// Whether this event ends the job: `completed`, `failed` or
    /// `canceled`, or a `status` event with a terminal status.
    pub fn is_terminal(&self) -> bool {
        match self {
            JobEvent::Completed(_) | JobEvent::Failed(_) | JobEvent::Canceled(_) => true,
            JobEvent::Status(d) => d.status.as_ref().is_some_and(JobStatus::is_terminal),
            JobEvent::Progress(_) | JobEvent::Other { .. } => false,
        }
    }

    /// Copies every borrowed string.
    pub fn into_owned(self) -> OwnedJobEvent {
        match self {
            JobEvent::Status(d) => JobEvent::Status(d.into_owned()),
            JobEvent::Progress(d) => JobEvent::Progress(d.into_owned()),
            JobEvent::Completed(d) => JobEvent::Completed(d.into_owned()),
            JobEvent::Failed(d) => JobEvent::Failed(d.into_owned()),
            JobEvent::Canceled(d) => JobEvent::Canceled(d.into_owned()),
            JobEvent::Other { event, data } => JobEvent::Other {
                event: own(event),
                data: own(data),
            },
        }
    }
}

/// Types one SSE event: [`JobEvent::from_sse`] as a free function.
pub fn parse_event<'a>(event: &sse::Event<'a>) -> Result<Parsed<'a>, MalformedEvent> {
    JobEvent::from_sse(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Progress;

    fn sse<'a>(event_type: &'a str, data: &'a str) -> sse::Event<'a> {
        sse::Event {
            event_type,
            data,
            id: "7",
        }
    }

    fn parse<'a>(event_type: &'a str, data: &'a str) -> JobEvent<'a> {
        match JobEvent::from_sse(&sse(event_type, data)) {
            Ok(Parsed::Event(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_kind() {
        let e = parse("status", r#"{"status":"Queued"}"#);
        assert_eq!(e.kind(), Some(EventKind::Status));
        assert_eq!(e.status(), Some(&JobStatus::Queued));
        let e = parse("progress", r#"{"progress":0.5}"#);
        assert_eq!(e.data().unwrap().progress, Some(Progress::Fraction(0.5)));
        assert!(!e.is_terminal());
        for (name, kind) in [
            ("completed", EventKind::Completed),
            ("failed", EventKind::Failed),
            ("canceled", EventKind::Canceled),
            ("Cancelled", EventKind::Canceled),
        ] {
            let e = parse(name, r#"{"job_id":"j"}"#);
            assert_eq!(e.kind(), Some(kind));
            assert!(e.is_terminal(), "{name}");
        }
        assert!(parse("status", r#"{"status":"COMPLETED"}"#).is_terminal());
        assert!(!parse("status", r#"{"status":"Archived"}"#).is_terminal());
    }

    #[test]
    fn other_and_keep_alive() {
        let e = parse("log", "not json");
        assert_eq!(e.name(), "log");
        assert!(e.data().is_none() && !e.is_terminal());
        assert!(matches!(parse("message", "{}"), JobEvent::Other { .. }));
        for name in ["heartbeat", "ping", "PING"] {
            assert_eq!(
                JobEvent::from_sse(&sse(name, "x")).unwrap(),
                Parsed::KeepAlive
            );
        }
    }

    #[test]
    fn malformed_is_a_typed_error() {
        let err = JobEvent::from_sse(&sse("completed", r#"{"results":{...}}"#)).unwrap_err();
        assert!(
            matches!(err, MalformedEvent::Json { kind: EventKind::Completed, ref id, .. } if id == "7")
        );
        assert!(alloc::format!("{err}").contains("`completed` event"));
        let err = JobEvent::from_sse(&sse("status", r#"{"job_id":"j"}"#)).unwrap_err();
        assert!(matches!(err, MalformedEvent::MissingStatus { .. }));
        assert!(JobEvent::from_sse(&sse("progress", "")).is_err());
    }

    #[test]
    fn owned_outlives_the_source() {
        let text = alloc::string::String::from(r#"{"message":"m"}"#);
        let owned = parse("progress", &text).into_owned();
        drop(text);
        assert_eq!(owned.data().unwrap().message.as_deref(), Some("m"));
        let other = parse("x", "y").into_owned();
        assert_eq!(other.name(), "x");
    }
}
