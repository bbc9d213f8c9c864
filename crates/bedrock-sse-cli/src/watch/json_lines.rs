//! `--json`: JSON Lines, a public contract (README.md, "`bedrock-sse
//! watch`"). Every line is a typed struct or a fixed shape, keys in a fixed
//! order; every line carries the `job_id` being watched.

use std::io::{self, Write};

use bedrock_sse_core::job::{JobData, JobStatus, OwnedJobEvent};
use bedrock_sse_core::watch::WatchEvent;
use serde::Serialize;
use serde_json::value::RawValue;

use super::report::{JobReport, overall};
use super::{Reporter, describe_failure};
use crate::{Exit, json};

/// Writes one JSON object per line, flushing each.
pub(crate) struct JsonLines<W> {
    out: W,
    /// More than one job: a summary line closes the output.
    several: bool,
}

impl<W: Write> JsonLines<W> {
    pub(crate) fn new(out: W, several: bool) -> Self {
        JsonLines { out, several }
    }

    fn line(&mut self, value: &impl Serialize) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

/// The lower-case status name used in the JSON output.
fn status_name(status: &JobStatus) -> &str {
    match status {
        JobStatus::Queued => "queued",
        JobStatus::Running => "running",
        JobStatus::Completed => "completed",
        JobStatus::Failed => "failed",
        JobStatus::Canceled => "canceled",
        other => other.as_str(),
    }
}

/// A job event: every key always present, `null` when the event did not
/// say. Field order is part of the contract.
#[derive(Serialize)]
pub(super) struct EventLine<'a> {
    event: &'a str,
    id: &'a str,
    /// The event's own `job_id`, else the job being watched.
    job_id: &'a str,
    #[serde(rename = "type")]
    job_type: Option<&'a str>,
    status: Option<&'a str>,
    progress: Option<f64>,
    message: Option<&'a str>,
    timestamp: Option<&'a str>,
    results: Option<Box<RawValue>>,
    error: Option<ErrorLine<'a>>,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    code: Option<&'a str>,
    message: Option<&'a str>,
}

impl<'a> EventLine<'a> {
    pub(super) fn new(watched: &'a str, job: &'a OwnedJobEvent, id: &'a str) -> Self {
        let data = job.data();
        EventLine {
            event: job.name(),
            id,
            job_id: data.and_then(|d| d.job_id.as_deref()).unwrap_or(watched),
            job_type: data.and_then(|d| d.job_type.as_deref()),
            status: data.and_then(|d| d.status.as_ref()).map(status_name),
            progress: data.and_then(JobData::fraction),
            message: data.and_then(|d| d.message.as_deref()),
            timestamp: data.and_then(|d| d.timestamp.as_deref()),
            // One line whatever the server's formatting, numbers and
            // strings as sent. The core checked it is JSON; re-checking
            // costs little and keeps a bad value from corrupting the line.
            results: data
                .and_then(|d| d.results.as_ref())
                .and_then(|r| RawValue::from_string(json::compact(r.get())).ok()),
            error: data.and_then(|d| d.error.as_ref()).map(|e| ErrorLine {
                code: e.code.as_deref(),
                message: e.message.as_deref(),
            }),
        }
    }
}

#[derive(Serialize)]
struct Reconnecting<'a> {
    reconnecting: ReconnectingDetail,
    job_id: &'a str,
}

#[derive(Serialize)]
struct ReconnectingDetail {
    cause: Option<String>,
    delay_ms: u64,
    failures: u32,
}

#[derive(Serialize)]
struct Warning<'a> {
    message: String,
    warning: &'a str,
    job_id: &'a str,
}

/// A job's last line: how its watch ended.
#[derive(Serialize)]
struct OutcomeLine<'a> {
    /// `completed`, `failed`, `canceled`, `stopped`, `error` or
    /// `interrupted`.
    outcome: &'a str,
    exit_code: u8,
    error: Option<OutcomeError<'a>>,
    job_id: &'a str,
    /// Where a later watch can resume (`--resume-from`).
    last_event_id: Option<&'a str>,
}

#[derive(Serialize)]
struct OutcomeError<'a> {
    message: String,
    code: Option<&'a str>,
    request_id: Option<&'a str>,
    retryable: bool,
}

/// The very last line when several jobs were watched.
#[derive(Serialize)]
struct SummaryLine {
    summary: Counts,
    exit_code: u8,
}

#[derive(Serialize, Default)]
struct Counts {
    jobs: usize,
    completed: usize,
    failed: usize,
    canceled: usize,
    stopped: usize,
    error: usize,
    interrupted: usize,
}

impl<W: Write> Reporter for JsonLines<W> {
    fn event(&mut self, job: &str, event: &WatchEvent) -> io::Result<()> {
        match event {
            WatchEvent::Job { id, event } => self.line(&EventLine::new(job, event, id)),
            WatchEvent::Malformed(error) => self.line(&Warning {
                message: error.to_string(),
                warning: "malformed_event",
                job_id: job,
            }),
            WatchEvent::Decode(error) => self.line(&Warning {
                message: error.to_string(),
                warning: "event_dropped",
                job_id: job,
            }),
            WatchEvent::Reconnecting {
                delay,
                failures,
                cause,
            } => self.line(&Reconnecting {
                reconnecting: ReconnectingDetail {
                    cause: cause.as_ref().map(describe_failure),
                    delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    failures: *failures,
                },
                job_id: job,
            }),
            _ => Ok(()),
        }
    }

    fn outcome(&mut self, report: &JobReport) -> io::Result<()> {
        let error = report.outcome.as_ref().and_then(|o| o.error());
        self.line(&OutcomeLine {
            outcome: report.kind(),
            exit_code: report.exit() as u8,
            error: error.map(|error| OutcomeError {
                message: error.to_string(),
                code: error.api_error().and_then(|e| e.code.as_deref()),
                request_id: error.request_id(),
                retryable: error.is_retryable(),
            }),
            job_id: &report.job_id,
            last_event_id: report.last_event_id.as_deref(),
        })
    }

    fn summary(&mut self, reports: &[JobReport]) -> io::Result<()> {
        if !self.several {
            return Ok(());
        }
        let mut counts = Counts {
            jobs: reports.len(),
            ..Counts::default()
        };
        for report in reports {
            *match report.kind() {
                "completed" => &mut counts.completed,
                "failed" => &mut counts.failed,
                "canceled" => &mut counts.canceled,
                "stopped" => &mut counts.stopped,
                "interrupted" => &mut counts.interrupted,
                _ => &mut counts.error,
            } += 1;
        }
        let exit: Exit = overall(reports);
        self.line(&SummaryLine {
            summary: counts,
            exit_code: exit as u8,
        })
    }
}

#[cfg(test)]
mod tests {
    use bedrock_sse_core::job::{JobEvent, Parsed};
    use bedrock_sse_core::sse::{Decoder, Item};

    use super::EventLine;

    /// A terminal event whose JSON a server pretty-printed over many
    /// `data:` lines, typed by the core as the watch does.
    fn pretty_completed() -> bedrock_sse_core::job::OwnedJobEvent {
        let stream = "event: completed\n\
            data: {\n\
            data:   \"status\": \"Completed\",\n\
            data:   \"results\": {\n\
            data:     \"score\": 0.870,\n\
            data:     \"big\": 1e400,\n\
            data:     \"note\": \"two  spaces, a \\\"quote\\\" and\\nan escaped newline\",\n\
            data:     \"changes\": [ 1 , 2 ]\n\
            data:   },\n\
            data:   \"error\": { \"code\": \"X\",\n\
            data:              \"message\": \"m\" }\n\
            data: }\n\n";
        let mut decoder = Decoder::new();
        let mut typed = None;
        decoder.decode_each(stream.as_bytes(), |item| {
            if let Ok(Item::Event(sse)) = item {
                if let Ok(Parsed::Event(event)) = JobEvent::from_sse(&sse) {
                    typed = Some(event.into_owned());
                }
            }
        });
        typed.expect("the event types")
    }

    #[test]
    fn multi_line_json_becomes_one_line_with_values_as_sent() {
        let event = pretty_completed();
        let line =
            serde_json::to_string(&EventLine::new("job_1", &event, "9")).expect("serialises");
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.contains(
                r#""results":{"score":0.870,"big":1e400,"note":"two  spaces, a \"quote\" and\nan escaped newline","changes":[1,2]}"#
            ),
            "{line}"
        );
        assert!(
            line.contains(r#""error":{"code":"X","message":"m"}"#),
            "{line}"
        );
        // The event carried no job id: the line names the job watched.
        assert!(line.contains(r#""job_id":"job_1""#), "{line}");
    }
}
