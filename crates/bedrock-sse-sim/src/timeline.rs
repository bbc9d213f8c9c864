//! A job's script compiled into events at fixed offsets from the job's
//! start, with stable ids, so that what any connection sees follows from
//! the clock alone.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::Value;

use crate::scenario::{Casing, JobError, JobScript, Status, Step};

/// One event of a job's life.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Planned {
    /// Offset from the job's start, speed factor applied.
    pub(crate) at: Duration,
    /// The SSE `id`: 1 for the initial `Queued`, then one more per event.
    pub(crate) id: u64,
    /// The job's status once this event has happened.
    pub(crate) status: Status,
    pub(crate) kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Status,
    Progress {
        progress: f64,
        message: Option<String>,
    },
    Completed(Value),
    Failed(JobError),
    Canceled,
}

impl Planned {
    /// The SSE event type.
    pub(crate) fn event_name(&self) -> &'static str {
        match self.kind {
            Kind::Status => "status",
            Kind::Progress { .. } => "progress",
            Kind::Completed(_) => "completed",
            Kind::Failed(_) => "failed",
            Kind::Canceled => "canceled",
        }
    }

    pub(crate) fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }
}

/// The fixed parts of a job's events and the events themselves. The last
/// event is always the terminal one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Timeline {
    job_id: String,
    job_type: String,
    casing: Casing,
    events: Vec<Planned>,
}

#[derive(Serialize)]
struct Payload<'a> {
    job_id: &'a str,
    #[serde(rename = "type")]
    job_type: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a JobError>,
    timestamp: String,
}

pub(crate) fn scale(duration: Duration, speed: f64) -> Duration {
    Duration::try_from_secs_f64(duration.as_secs_f64() / speed).unwrap_or(Duration::MAX)
}

impl Timeline {
    /// Compiles a validated script.
    pub(crate) fn compile(script: &JobScript, speed: f64) -> Self {
        let mut at = Duration::ZERO;
        let mut status = Status::Queued;
        let mut events = vec![Planned {
            at,
            id: 1,
            status,
            kind: Kind::Status,
        }];
        for step in &script.steps {
            at = at.saturating_add(scale(step.after(), speed));
            let kind = match step {
                Step::Status { status: next, .. } => {
                    status = *next;
                    Kind::Status
                }
                Step::Progress {
                    progress, message, ..
                } => Kind::Progress {
                    progress: *progress,
                    message: message.clone(),
                },
                Step::Completed { results, .. } => {
                    status = Status::Completed;
                    Kind::Completed(results.clone())
                }
                Step::Failed { error, .. } => {
                    status = Status::Failed;
                    Kind::Failed(error.clone())
                }
                Step::Canceled { .. } => {
                    status = Status::Canceled;
                    Kind::Canceled
                }
            };
            let id = events.len() as u64 + 1;
            events.push(Planned {
                at,
                id,
                status,
                kind,
            });
        }
        Timeline {
            job_id: script.id.clone(),
            job_type: script.job_type.clone(),
            casing: script.casing,
            events,
        }
    }

    pub(crate) fn events(&self) -> &[Planned] {
        &self.events
    }

    /// The terminal event.
    pub(crate) fn terminal(&self) -> Option<&Planned> {
        self.events.last().filter(|e| e.is_terminal())
    }

    /// The terminal event if the job is over `elapsed` after its start.
    pub(crate) fn ended_by(&self, elapsed: Duration) -> Option<&Planned> {
        self.terminal().filter(|t| t.at <= elapsed)
    }

    /// This timeline cut short by a cancel at offset `at`: what happened up
    /// to then, then `canceled`. `None` if the job had already ended.
    pub(crate) fn canceled_at(&self, at: Duration) -> Option<Timeline> {
        if self.ended_by(at).is_some() {
            return None;
        }
        let mut events: Vec<Planned> = self
            .events
            .iter()
            .filter(|e| e.at <= at && !e.is_terminal())
            .cloned()
            .collect();
        events.push(Planned {
            at,
            id: events.len() as u64 + 1,
            status: Status::Canceled,
            kind: Kind::Canceled,
        });
        Some(Timeline {
            events,
            ..self.clone()
        })
    }

    /// The JSON `data` of `event`, for a job that started at `started`.
    pub(crate) fn render(&self, event: &Planned, started: SystemTime) -> String {
        let (progress, message, results, error) = match &event.kind {
            Kind::Status | Kind::Canceled => (None, None, None, None),
            Kind::Progress { progress, message } => {
                (Some(*progress), message.as_deref(), None, None)
            }
            Kind::Completed(results) => (None, None, Some(results).filter(|r| !r.is_null()), None),
            Kind::Failed(error) => (None, None, None, Some(error)),
        };
        let payload = Payload {
            job_id: &self.job_id,
            job_type: &self.job_type,
            status: event.status.wire(self.casing),
            progress,
            message,
            results,
            error,
            timestamp: humantime::format_rfc3339_seconds(started + event.at).to_string(),
        };
        // Serializing these plain fields cannot fail; an empty object is
        // still valid JSON should it ever.
        serde_json::to_string(&payload).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job() -> JobScript {
        JobScript::new("job_1", "overlay.generate")
            .running(Duration::from_secs(2))
            .progress(Duration::from_secs(1), 0.25, "Processing sheet 3 of 12")
            .completed(Duration::from_secs(4), json!({"score": 0.9}))
    }

    #[test]
    fn compiles_offsets_ids_and_statuses_at_speed() {
        let timeline = Timeline::compile(&job(), 2.0);
        let summary: Vec<_> = timeline
            .events()
            .iter()
            .map(|e| (e.at.as_millis(), e.id, e.event_name(), e.status))
            .collect();
        assert_eq!(
            summary,
            [
                (0, 1, "status", Status::Queued),
                (1000, 2, "status", Status::Running),
                (1500, 3, "progress", Status::Running),
                (3500, 4, "completed", Status::Completed),
            ]
        );
    }

    #[test]
    fn renders_the_documented_shapes() {
        let timeline = Timeline::compile(&job().casing(Casing::Upper), 1.0);
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_705_312_800);
        let events = timeline.events();
        assert_eq!(
            timeline.render(&events[0], start),
            r#"{"job_id":"job_1","type":"overlay.generate","status":"QUEUED","timestamp":"2024-01-15T10:00:00Z"}"#
        );
        assert_eq!(
            timeline.render(&events[2], start),
            r#"{"job_id":"job_1","type":"overlay.generate","status":"RUNNING","progress":0.25,"message":"Processing sheet 3 of 12","timestamp":"2024-01-15T10:00:03Z"}"#
        );
        assert_eq!(
            timeline.render(&events[3], start),
            r#"{"job_id":"job_1","type":"overlay.generate","status":"COMPLETED","results":{"score":0.9},"timestamp":"2024-01-15T10:00:07Z"}"#
        );
    }

    #[test]
    fn a_cancel_cuts_the_timeline_and_is_refused_after_the_end() {
        let timeline = Timeline::compile(&job(), 1.0);
        let canceled = timeline.canceled_at(Duration::from_millis(2500)).unwrap();
        let names: Vec<_> = canceled
            .events()
            .iter()
            .map(|e| (e.id, e.event_name()))
            .collect();
        assert_eq!(names, [(1, "status"), (2, "status"), (3, "canceled")]);
        assert_eq!(canceled.terminal().unwrap().at, Duration::from_millis(2500));
        assert!(timeline.canceled_at(Duration::from_secs(7)).is_none());
    }
}
