//! The displays for people: plain lines (a pipe, a log file), or live
//! progress bars on a terminal.

use std::collections::HashMap;
use std::io::{self, Write};
use std::time::Duration;

use bedrock_sse_core::job::JobEvent;
use bedrock_sse_core::watch::{Outcome, WatchEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Reporter;
use super::report::JobReport;
use crate::display;

/// One line per event. With several jobs each line starts with its job's
/// id, each job ends with a line of its own, and a table closes the output.
pub(crate) struct Plain<W> {
    out: W,
    /// The width job ids are padded to; `None` for a single job (lines as
    /// they always were, the outcome in full).
    prefix: Option<usize>,
}

impl<W: Write> Plain<W> {
    pub(crate) fn new(out: W, jobs: &[String]) -> Self {
        let prefix = (jobs.len() > 1).then(|| jobs.iter().map(String::len).max().unwrap_or(0));
        Plain { out, prefix }
    }
}

impl<W: Write> Reporter for Plain<W> {
    fn event(&mut self, job: &str, event: &WatchEvent) -> io::Result<()> {
        let Some(text) = display::event_text(event) else {
            return Ok(());
        };
        match self.prefix {
            Some(width) => writeln!(self.out, "{job:<width$}  {text}")?,
            None => writeln!(self.out, "{text}")?,
        }
        self.out.flush()
    }

    fn outcome(&mut self, report: &JobReport) -> io::Result<()> {
        if let Some(width) = self.prefix {
            writeln!(self.out, "{:<width$}  {}", report.job_id, short(report))?;
            return self.out.flush();
        }
        single_outcome(&mut self.out, report)
    }

    fn summary(&mut self, reports: &[JobReport]) -> io::Result<()> {
        if self.prefix.is_some() {
            table(&mut self.out, reports)?;
        }
        self.out.flush()
    }
}

/// A live bar per job on the terminal; a finished job collapses to one line
/// saying how it ended; a table closes the output.
pub(crate) struct Live {
    multi: MultiProgress,
    bars: HashMap<String, ProgressBar>,
    width: usize,
    single: bool,
}

impl Live {
    pub(crate) fn new(jobs: &[String]) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
        let width = jobs.iter().map(String::len).max().unwrap_or(0);
        let running = ProgressStyle::with_template(&format!(
            "{{prefix:<{width}}}  [{{bar:24}}] {{pos:>3}}%  {{msg}}  ({{elapsed}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("#>-");
        let bars = jobs
            .iter()
            .map(|job| {
                let bar = multi.add(ProgressBar::new(100));
                bar.set_style(running.clone());
                bar.set_prefix(job.clone());
                bar.set_message("connecting");
                bar.enable_steady_tick(Duration::from_millis(200));
                (job.clone(), bar)
            })
            .collect();
        Live {
            multi,
            bars,
            width,
            single: jobs.len() == 1,
        }
    }
}

impl Reporter for Live {
    fn event(&mut self, job: &str, event: &WatchEvent) -> io::Result<()> {
        let Some(bar) = self.bars.get(job) else {
            return Ok(());
        };
        match event {
            WatchEvent::Job { event, .. } => {
                let data = event.data();
                if let Some(fraction) = data.and_then(|d| d.fraction()) {
                    bar.set_position((fraction.clamp(0.0, 1.0) * 100.0).round() as u64);
                }
                let status = event.status().map(|s| s.as_str().to_owned());
                let message = data.and_then(|d| d.message.as_deref());
                bar.set_message(match (&**event, message, status) {
                    (JobEvent::Progress(_), Some(message), _) => message.to_owned(),
                    (_, _, Some(status)) => status,
                    _ => event.name().to_owned(),
                });
            }
            WatchEvent::Reconnecting { cause: None, .. } => bar.set_message("reconnecting"),
            WatchEvent::Reconnecting { .. } => {
                if let Some(text) = display::event_text(event) {
                    bar.set_message(text.trim().to_owned());
                }
            }
            _ => {
                if let Some(text) = display::event_text(event) {
                    self.multi.println(format!("{job}  {}", text.trim()))?;
                }
            }
        }
        Ok(())
    }

    fn outcome(&mut self, report: &JobReport) -> io::Result<()> {
        let Some(bar) = self.bars.get(&report.job_id) else {
            return Ok(());
        };
        // The bar gives way to one line that stays above the live ones.
        bar.finish_and_clear();
        let elapsed = humantime::format_duration(Duration::from_secs(bar.elapsed().as_secs()));
        let width = self.width;
        self.multi.println(format!(
            "{:<width$}  {}  ({elapsed})",
            report.job_id,
            short(report)
        ))?;
        if self.single {
            let mut out = Vec::new();
            single_outcome(&mut out, report)?;
            self.multi.suspend(|| io::stdout().write_all(&out))?;
        }
        Ok(())
    }

    fn summary(&mut self, reports: &[JobReport]) -> io::Result<()> {
        if self.single {
            return Ok(());
        }
        let mut out = Vec::new();
        table(&mut out, reports)?;
        self.multi.suspend(|| {
            let mut stdout = io::stdout();
            stdout.write_all(&out)?;
            stdout.flush()
        })
    }
}

/// How a job ended, in a few words.
fn short(report: &JobReport) -> String {
    match &report.outcome {
        Some(Outcome::Finished { event, .. }) => match report.kind() {
            "failed" => match event.data() {
                Some(data) => {
                    let (code, message) = display::error_text(data);
                    format!("failed: {code}: {message}")
                }
                None => "failed".to_owned(),
            },
            kind => kind.to_owned(),
        },
        Some(Outcome::Stopped) => "stopped (the server answered 204)".to_owned(),
        Some(Outcome::Failed(error)) => format!("error: {error}"),
        Some(_) => "error".to_owned(),
        None => match &report.last_event_id {
            Some(id) => format!("interrupted after event {id}"),
            None => "interrupted".to_owned(),
        },
    }
}

/// A single job's ending, in full: the results or the error, and the way to
/// resume after an interruption.
fn single_outcome(out: &mut impl Write, report: &JobReport) -> io::Result<()> {
    match &report.outcome {
        // A failed watch is an error message: stderr, like every other.
        Some(outcome @ Outcome::Failed(_)) => display::outcome(&mut io::stderr().lock(), outcome),
        Some(outcome) => display::outcome(out, outcome),
        None => {
            writeln!(out, "\nInterrupted.")?;
            if let Some(id) = &report.last_event_id {
                writeln!(
                    out,
                    "Resume with: bedrock-sse watch {} --resume-from {id}",
                    report.job_id
                )?;
            }
            out.flush()
        }
    }
}

/// The closing table of several jobs.
fn table(out: &mut impl Write, reports: &[JobReport]) -> io::Result<()> {
    let width = reports
        .iter()
        .map(|r| r.job_id.len())
        .max()
        .unwrap_or(3)
        .max(3);
    writeln!(out, "\n{:<width$}  {:<11}  LAST EVENT", "JOB", "OUTCOME")?;
    for report in reports {
        writeln!(
            out,
            "{:<width$}  {:<11}  {}",
            report.job_id,
            report.kind(),
            report.last_event_id.as_deref().unwrap_or("-")
        )?;
    }
    let completed = reports.iter().filter(|r| r.kind() == "completed").count();
    writeln!(out, "{completed} of {} jobs completed.", reports.len())
}
