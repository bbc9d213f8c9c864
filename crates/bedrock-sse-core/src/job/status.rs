//! The job's lifecycle status.

use alloc::string::String;
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// Where a job is in its life.
///
/// The Bedrock docs spell statuses several ways (`Queued`, `QUEUED`,
/// `queued`, `PENDING`; `Started`, `RUNNING`; `Canceled`, `Cancelled`...).
/// Every documented spelling is accepted, compared without regard to ASCII
/// case; anything else is kept verbatim in [`Unknown`](Self::Unknown), never
/// an error.
///
/// ```
/// use bedrock_sse_core::job::JobStatus;
///
/// assert_eq!(JobStatus::parse("RUNNING"), JobStatus::Running);
/// assert_eq!(JobStatus::parse("Started"), JobStatus::Running);
/// assert_eq!(JobStatus::parse("Cancelled"), JobStatus::Canceled);
/// assert!(JobStatus::parse("COMPLETED").is_terminal());
/// assert_eq!(JobStatus::parse("PAUSED"), JobStatus::Unknown("PAUSED".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting to run (`Queued`, `QUEUED`, `queued`, `PENDING`).
    Queued,
    /// Running (`Started`, `started`, `RUNNING`, `Running`).
    Running,
    /// Finished successfully; results are available (`Completed`, `COMPLETED`).
    Completed,
    /// Finished with an error (`Failed`, `FAILED`).
    Failed,
    /// Canceled before finishing (`Canceled`, `CANCELED`, `Cancelled`).
    Canceled,
    /// A value this version does not know, exactly as received. Not terminal:
    /// the watch goes on until a known terminal status or event.
    Unknown(String),
}

/// The accepted spellings, matched case-insensitively.
const SPELLINGS: &[(&str, JobStatus)] = &[
    ("queued", JobStatus::Queued),
    ("pending", JobStatus::Queued),
    ("started", JobStatus::Running),
    ("running", JobStatus::Running),
    ("completed", JobStatus::Completed),
    ("failed", JobStatus::Failed),
    ("canceled", JobStatus::Canceled),
    ("cancelled", JobStatus::Canceled),
];

impl JobStatus {
    /// Reads a status string. Never fails: unknown values become
    /// [`Unknown`](Self::Unknown). Allocates only for unknown values.
    pub fn parse(value: &str) -> JobStatus {
        // The spellings the docs show, matched exactly first: this is on the
        // path of every event, and exact matches compile to a few compares.
        match value {
            "RUNNING" | "Running" | "Started" | "started" | "running" => return JobStatus::Running,
            "Queued" | "QUEUED" | "queued" | "PENDING" => return JobStatus::Queued,
            "Completed" | "COMPLETED" | "completed" => return JobStatus::Completed,
            "Failed" | "FAILED" | "failed" => return JobStatus::Failed,
            "Canceled" | "CANCELED" | "canceled" | "Cancelled" => return JobStatus::Canceled,
            _ => {}
        }
        SPELLINGS
            .iter()
            .find(|(spelling, _)| spelling.eq_ignore_ascii_case(value))
            .map_or_else(|| JobStatus::Unknown(value.into()), |(_, s)| s.clone())
    }

    /// Whether the job has reached its end: completed, failed or canceled.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Canceled
        )
    }

    /// The canonical (Title case) name, or the unknown value as received.
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Queued => "Queued",
            JobStatus::Running => "Started",
            JobStatus::Completed => "Completed",
            JobStatus::Failed => "Failed",
            JobStatus::Canceled => "Canceled",
            JobStatus::Unknown(value) => value,
        }
    }

    /// The position in the lifecycle (queued < running < terminal), or `None`
    /// for unknown values, which cannot be ordered.
    pub fn rank(&self) -> Option<u8> {
        match self {
            JobStatus::Queued => Some(0),
            JobStatus::Running => Some(1),
            JobStatus::Completed | JobStatus::Failed | JobStatus::Canceled => Some(2),
            JobStatus::Unknown(_) => None,
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = JobStatus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a job status string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JobStatus, E> {
                Ok(JobStatus::parse(v))
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_spelling() {
        for s in ["Queued", "QUEUED", "queued", "PENDING"] {
            assert_eq!(JobStatus::parse(s), JobStatus::Queued, "{s}");
        }
        for s in ["Started", "RUNNING", "Running", "started"] {
            assert_eq!(JobStatus::parse(s), JobStatus::Running, "{s}");
        }
        for s in ["Completed", "COMPLETED"] {
            assert_eq!(JobStatus::parse(s), JobStatus::Completed, "{s}");
        }
        for s in ["Failed", "FAILED"] {
            assert_eq!(JobStatus::parse(s), JobStatus::Failed, "{s}");
        }
        for s in ["Canceled", "CANCELED", "Cancelled"] {
            assert_eq!(JobStatus::parse(s), JobStatus::Canceled, "{s}");
        }
    }

    #[test]
    fn terminal_and_unknown() {
        assert!(!JobStatus::Queued.is_terminal());
        assert!(!JobStatus::Running.is_terminal());
        assert!(JobStatus::Failed.is_terminal());
        let unknown = JobStatus::parse("Paused");
        assert!(!unknown.is_terminal());
        assert_eq!(unknown.as_str(), "Paused");
        assert_eq!(unknown.rank(), None);
        assert_eq!(JobStatus::parse(""), JobStatus::Unknown(String::new()));
    }

    #[test]
    fn deserializes_from_json() {
        let s: JobStatus = serde_json::from_str(r#""RUNNING""#).unwrap();
        assert_eq!(s, JobStatus::Running);
        assert!(serde_json::from_str::<JobStatus>("3").is_err());
    }
}
