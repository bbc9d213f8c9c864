//! The display for people, shared by `watch` and `demo`: one line per
//! event (time, kind, a text progress bar), then a summary of the outcome.

use std::io::{self, Write};

use bedrock_sse_core::job::{JobData, JobEnd, JobEvent, OwnedJobEvent};
use bedrock_sse_core::watch::{Outcome, WatchEvent};
use serde_json::Value;

use crate::watch::describe_failure;

/// One thing the watch reported, as a line (without its end).
pub(crate) fn event_text(event: &WatchEvent) -> Option<String> {
    Some(match event {
        WatchEvent::Job { event: job, .. } => line(job),
        WatchEvent::Malformed(problem) => format!("  (skipped an unreadable event: {problem})"),
        WatchEvent::Decode(problem) => format!("  (dropped an event: {problem})"),
        WatchEvent::Reconnecting {
            delay,
            failures,
            cause,
        } => match cause {
            None => "  (the server rotated the connection; reconnecting)".to_owned(),
            Some(cause) => format!(
                "  (connection failed: {}; attempt {} in {})",
                describe_failure(cause),
                failures + 1,
                humantime::format_duration(to_millis(*delay))
            ),
        },
        _ => return None,
    })
}

/// `delay` rounded to the millisecond, for display.
pub(crate) fn to_millis(delay: std::time::Duration) -> std::time::Duration {
    let ms = (delay.as_micros() + 500) / 1000;
    std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
}

/// Prints how the watch ended.
pub(crate) fn outcome(out: &mut impl Write, outcome: &Outcome) -> io::Result<()> {
    match outcome {
        Outcome::Finished { end, event } => results(out, *end, event),
        Outcome::Stopped => writeln!(out, "\nThe server asked us to stop watching (204)."),
        Outcome::Failed(error) => {
            writeln!(out, "\nThe watch failed: {error}")?;
            if let Some(problem) = error.api_error() {
                if let Some(code) = &problem.code {
                    writeln!(out, "  code:       {code}")?;
                }
            }
            if let Some(id) = error.request_id() {
                writeln!(out, "  request id: {id}")?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// One event as a line: time, kind, and what it says.
fn line(event: &OwnedJobEvent) -> String {
    let data = event.data();
    let time = data
        .and_then(|d| d.timestamp.as_deref())
        .and_then(|t| t.get(11..19))
        .unwrap_or("--:--:--");
    let status = data
        .and_then(|d| d.status.as_ref())
        .map_or("?", |s| s.as_str());
    match event {
        JobEvent::Progress(data) => {
            let fraction = data.fraction().unwrap_or(0.0).clamp(0.0, 1.0);
            let filled = (fraction * 24.0).round() as usize;
            format!(
                "{time}  progress   [{}{}] {:>3.0}%  {}",
                "#".repeat(filled),
                "-".repeat(24 - filled),
                fraction * 100.0,
                data.message.as_deref().unwrap_or("")
            )
        }
        JobEvent::Failed(data) => {
            let (code, message) = error_text(data);
            format!("{time}  failed     {status}: {code}: {message}")
        }
        JobEvent::Other { event, .. } => {
            format!("{time}  {event:<10} (an event this client does not know)")
        }
        _ => format!("{time}  {:<10} {status}", event.name()),
    }
}

pub(crate) fn error_text<'a>(data: &'a JobData<'_>) -> (&'a str, &'a str) {
    let error = data.error.as_ref();
    (
        error.and_then(|e| e.code.as_deref()).unwrap_or("UNKNOWN"),
        error
            .and_then(|e| e.message.as_deref())
            .unwrap_or("no message"),
    )
}

fn results(out: &mut impl Write, end: JobEnd, last: &OwnedJobEvent) -> io::Result<()> {
    // A `status` event with a terminal status ends a job as well as the
    // named terminal events do.
    let Some(data) = last.data() else {
        return writeln!(out, "\nJob ended: {}", last.name());
    };
    match end {
        JobEnd::Failed => {
            let (code, message) = error_text(data);
            writeln!(out, "\nJob failed: {code}: {message}")
        }
        JobEnd::Canceled => writeln!(out, "\nJob canceled."),
        JobEnd::Completed => {
            writeln!(out, "\nJob completed.")?;
            let Some(raw) = data.results.as_ref() else {
                return Ok(());
            };
            let results: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
            let overlay = results["overlay_uri"].as_str();
            if let Some(uri) = overlay {
                writeln!(out, "  overlay: {uri}")?;
            }
            if let Some(score) = results["score"].as_f64() {
                writeln!(out, "  score:   {score:.2}")?;
            }
            if let Some(changes) = results["changes"].as_array() {
                writeln!(out, "  changes: {}", changes.len())?;
                for change in changes {
                    let mark = match change["kind"].as_str() {
                        Some("added") => "+",
                        Some("removed") => "-",
                        _ => "~",
                    };
                    writeln!(
                        out,
                        "    {mark} {:<6} {}",
                        change["sheet"].as_str().unwrap_or(""),
                        change["description"].as_str().unwrap_or("")
                    )?;
                }
            }
            if overlay.is_none() {
                // Results of a job type this display does not know: as sent.
                let pretty =
                    serde_json::to_string_pretty(&results).unwrap_or_else(|_| raw.get().to_owned());
                writeln!(out, "  results: {pretty}")?;
            }
            Ok(())
        }
    }
}
