//! How a job ended.

use core::fmt;

use super::{JobEvent, JobStatus};

/// How a job ended, as told by its terminal event: by the event's name
/// (`completed`, `failed`, `canceled`) or, for a `status` event, its
/// terminal status. A failed or canceled *job* is still a watch that
/// succeeded in following it.
///
/// ```
/// use bedrock_sse_core::job::{JobEnd, JobEvent, Parsed};
/// use bedrock_sse_core::sse::Event;
///
/// let sse = Event { event_type: "status", data: r#"{"status":"FAILED"}"#, id: "" };
/// let Ok(Parsed::Event(event)) = JobEvent::from_sse(&sse) else { panic!() };
/// assert_eq!(JobEnd::of(&event), Some(JobEnd::Failed));
/// assert_eq!(JobEnd::Failed.as_str(), "failed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobEnd {
    /// The job finished and its results are available.
    Completed,
    /// The job failed; its event carries the error.
    Failed,
    /// The job was canceled.
    Canceled,
}

impl JobEnd {
    /// How `event` ends the job, or `None` if it does not.
    pub fn of(event: &JobEvent<'_>) -> Option<JobEnd> {
        match event {
            JobEvent::Completed(_) => Some(JobEnd::Completed),
            JobEvent::Failed(_) => Some(JobEnd::Failed),
            JobEvent::Canceled(_) => Some(JobEnd::Canceled),
            JobEvent::Status(data) => match data.status.as_ref()? {
                JobStatus::Completed => Some(JobEnd::Completed),
                JobStatus::Failed => Some(JobEnd::Failed),
                JobStatus::Canceled => Some(JobEnd::Canceled),
                _ => None,
            },
            JobEvent::Progress(_) | JobEvent::Other { .. } => None,
        }
    }

    /// `"completed"`, `"failed"` or `"canceled"`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobEnd::Completed => "completed",
            JobEnd::Failed => "failed",
            JobEnd::Canceled => "canceled",
        }
    }
}

impl fmt::Display for JobEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
