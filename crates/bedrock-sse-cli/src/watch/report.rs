//! How each job's watch ended, as the command reports it, and the exit
//! code of several.

use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::{Outcome, WatchError};

use crate::Exit;

/// One job's end, for every output form.
#[derive(Debug)]
pub(crate) struct JobReport {
    pub(crate) job_id: String,
    /// `None` when the watch was interrupted (Ctrl-C).
    pub(crate) outcome: Option<Outcome>,
    /// The id of the last event shown, where a later watch can resume
    /// (`--resume-from`); `None` if no event carried one.
    pub(crate) last_event_id: Option<String>,
}

impl JobReport {
    /// `completed`, `failed`, `canceled`, `stopped`, `error` or
    /// `interrupted`: the `outcome` of the JSON lines.
    pub(crate) fn kind(&self) -> &'static str {
        match &self.outcome {
            Some(Outcome::Finished { end, .. }) => end.as_str(),
            Some(Outcome::Stopped) => "stopped",
            Some(_) => "error",
            None => "interrupted",
        }
    }

    /// The exit code this job alone would give.
    pub(crate) fn exit(&self) -> Exit {
        match &self.outcome {
            Some(outcome) => exit_code(outcome),
            None => Exit::Interrupted,
        }
    }
}

/// The exit code of an outcome: a public contract (README.md).
pub(crate) fn exit_code(outcome: &Outcome) -> Exit {
    match outcome {
        Outcome::Finished { end, .. } => match end {
            JobEnd::Completed => Exit::Success,
            JobEnd::Failed => Exit::JobFailed,
            JobEnd::Canceled => Exit::JobCanceled,
        },
        Outcome::Stopped => Exit::Stopped,
        Outcome::Failed(error) => match error {
            WatchError::Unauthorized { .. } => Exit::Unauthorized,
            WatchError::JobNotFound { .. } => Exit::NotFound,
            WatchError::DeadlineExceeded => Exit::Deadline,
            _ => Exit::Stream,
        },
        _ => Exit::Stream,
    }
}

/// The exit code of several jobs: 0 only if every job completed, else the
/// code of the most severe end, in this order (a public contract, in the
/// README): interrupted (130), credentials refused (7), no such job (8),
/// the watch failed (1), `--timeout` (9), job failed (4), job canceled (5),
/// told to stop (6).
pub(crate) fn overall(reports: &[JobReport]) -> Exit {
    const ORDER: [Exit; 9] = [
        Exit::Interrupted,
        Exit::Unauthorized,
        Exit::NotFound,
        Exit::Stream,
        Exit::Deadline,
        Exit::JobFailed,
        Exit::JobCanceled,
        Exit::Stopped,
        Exit::Success,
    ];
    reports
        .iter()
        .map(JobReport::exit)
        .min_by_key(|exit| ORDER.iter().position(|e| e == exit).unwrap_or(0))
        .unwrap_or(Exit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(outcome: Option<Outcome>) -> JobReport {
        JobReport {
            job_id: "j".into(),
            outcome,
            last_event_id: None,
        }
    }

    #[test]
    fn the_most_severe_end_wins() {
        let stopped = || report(Some(Outcome::Stopped));
        let refused = || {
            report(Some(Outcome::Failed(WatchError::TooManyRedirects {
                max: 5,
            })))
        };
        let deadline = || report(Some(Outcome::Failed(WatchError::DeadlineExceeded)));
        assert_eq!(overall(&[]), Exit::Success);
        assert_eq!(overall(&[stopped()]), Exit::Stopped);
        assert_eq!(overall(&[stopped(), deadline()]), Exit::Deadline);
        assert_eq!(overall(&[deadline(), refused(), stopped()]), Exit::Stream);
        assert_eq!(overall(&[refused(), report(None)]), Exit::Interrupted);
    }
}
