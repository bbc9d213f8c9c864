//! Scripted jobs: what each simulated job does and when, defined in code or
//! loaded from a JSON or TOML scenario file.
//!
//! A job is created `Queued` (always its first event, at offset zero) and
//! then follows its [`Step`]s, each `after` a delay measured from the step
//! before it, until exactly one terminal step (`completed`, `failed` or
//! `canceled`). Delays are divided by the speed factor.
//!
//! ```
//! use bedrock_sse_sim::Scenario;
//!
//! let scenario = Scenario::from_toml_str(r#"
//!     speed = 2.0
//!
//!     [[jobs]]
//!     id = "job_01JABCD123"
//!     type = "overlay.generate"
//!     casing = "upper"
//!     steps = [
//!         { event = "status", status = "running", after = "2s" },
//!         { event = "progress", progress = 0.25, message = "Processing sheet 3 of 12", after = "1s" },
//!         { event = "completed", results = { score = 0.93 }, after = "1s" },
//!     ]
//! "#)?;
//! assert_eq!(scenario.jobs[0].id, "job_01JABCD123");
//! # Ok::<(), bedrock_sse_sim::ScenarioError>(())
//! ```

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::faults::Faults;

/// A set of jobs and the speed at which their timelines run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// How much faster than scripted the timelines run: every delay is
    /// divided by it. `1.0` (the default) is real time.
    #[serde(default = "one")]
    pub speed: f64,
    /// The jobs, each reachable at `/jobs/{id}/stream`.
    #[serde(default)]
    pub jobs: Vec<JobScript>,
}

fn one() -> f64 {
    1.0
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            speed: 1.0,
            jobs: Vec::new(),
        }
    }
}

/// Which spelling of the status vocabulary a job writes in `data.status`.
///
/// The Bedrock docs disagree: the streaming guide writes title case with
/// `Started` for a running job, the API reference upper case with `RUNNING`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Casing {
    /// `Queued`, `Started`, `Completed`, `Failed`, `Canceled` (the guide).
    #[default]
    Title,
    /// `QUEUED`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELED` (the API reference).
    Upper,
}

/// When a job's clock starts.
///
/// Once started, a job moves along its timeline whether or not anyone is
/// watching, so every connection sees the same events with the same ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStart {
    /// At the first stream request that reaches the job (after auth):
    /// convenient for demos, where the job should not be over before anyone
    /// looks.
    #[default]
    FirstRequest,
    /// When the simulator starts.
    Launch,
}

/// The lifecycle phase of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Waiting to run.
    Queued,
    /// Running (`Started` / `RUNNING` on the wire).
    Running,
    /// Finished successfully.
    Completed,
    /// Finished with an error.
    Failed,
    /// Canceled before it finished.
    Canceled,
}

impl Status {
    /// The spelling of this status in `casing`.
    pub const fn wire(self, casing: Casing) -> &'static str {
        match (casing, self) {
            (Casing::Title, Status::Queued) => "Queued",
            (Casing::Title, Status::Running) => "Started",
            (Casing::Title, Status::Completed) => "Completed",
            (Casing::Title, Status::Failed) => "Failed",
            (Casing::Title, Status::Canceled) => "Canceled",
            (Casing::Upper, Status::Queued) => "QUEUED",
            (Casing::Upper, Status::Running) => "RUNNING",
            (Casing::Upper, Status::Completed) => "COMPLETED",
            (Casing::Upper, Status::Failed) => "FAILED",
            (Casing::Upper, Status::Canceled) => "CANCELED",
        }
    }

    /// Whether the job can change no more.
    pub const fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Failed | Status::Canceled)
    }
}

/// The `error` object of a failed job, as in Bedrock's failed-job webhook.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct JobError {
    /// Machine-readable, e.g. `PROCESSING_ERROR`.
    pub code: String,
    /// For humans.
    pub message: String,
}

/// One scripted change in a job's life, `after` the previous one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase", deny_unknown_fields)]
pub enum Step {
    /// A `status` event. Only non-terminal statuses: terminal ones have
    /// their own steps, which carry results or errors.
    Status {
        /// Delay since the previous step (a humantime string in files).
        #[serde(default, deserialize_with = "duration")]
        after: Duration,
        /// The new status.
        status: Status,
    },
    /// A `progress` event.
    Progress {
        /// Delay since the previous step.
        #[serde(default, deserialize_with = "duration")]
        after: Duration,
        /// Fraction done, from 0 to 1.
        progress: f64,
        /// What is being done, e.g. "Processing sheet 3 of 12".
        #[serde(default)]
        message: Option<String>,
    },
    /// The terminal `completed` event, carrying `results`.
    Completed {
        /// Delay since the previous step.
        #[serde(default, deserialize_with = "duration")]
        after: Duration,
        /// Any JSON; `null` leaves `results` out of the event.
        #[serde(default)]
        results: Value,
    },
    /// The terminal `failed` event, carrying `error`.
    Failed {
        /// Delay since the previous step.
        #[serde(default, deserialize_with = "duration")]
        after: Duration,
        /// What went wrong.
        error: JobError,
    },
    /// The terminal `canceled` event.
    Canceled {
        /// Delay since the previous step.
        #[serde(default, deserialize_with = "duration")]
        after: Duration,
    },
}

impl Step {
    /// The delay since the previous step.
    pub fn after(&self) -> Duration {
        match self {
            Step::Status { after, .. }
            | Step::Progress { after, .. }
            | Step::Completed { after, .. }
            | Step::Failed { after, .. }
            | Step::Canceled { after } => *after,
        }
    }

    /// Whether this step ends the job.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Step::Completed { .. } | Step::Failed { .. } | Step::Canceled { .. }
        )
    }
}

fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text).map_err(|error| {
        serde::de::Error::custom(format_args!(
            "`{text}` is not a duration such as \"1.5s\" or \"250ms\": {error}"
        ))
    })
}

/// One simulated job: its identity, wire casing, who may see it, its faults
/// and its timeline.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobScript {
    /// The job id, as in the URL path.
    pub id: String,
    /// The job type written in `data.type` (default `overlay.generate`).
    #[serde(rename = "type", default = "overlay_generate")]
    pub job_type: String,
    /// The wire casing of `data.status`.
    #[serde(default)]
    pub casing: Casing,
    /// When the job's clock starts.
    #[serde(default)]
    pub start: JobStart,
    /// The keys allowed to watch this job; `None` allows every configured
    /// key. A configured key not listed gets 403 `FORBIDDEN`.
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    /// Faults applied to every connection to this job.
    #[serde(default)]
    pub faults: Faults,
    /// The lifecycle after the implicit initial `Queued`.
    #[serde(default)]
    pub steps: Vec<Step>,
}

fn overlay_generate() -> String {
    "overlay.generate".into()
}

impl JobScript {
    /// A job with no steps yet, title casing, started by its first request.
    pub fn new(id: impl Into<String>, job_type: impl Into<String>) -> Self {
        JobScript {
            id: id.into(),
            job_type: job_type.into(),
            casing: Casing::default(),
            start: JobStart::default(),
            keys: None,
            faults: Faults::default(),
            steps: Vec::new(),
        }
    }

    /// A realistic `overlay.generate` job comparing `sheets` sheet pairs:
    /// queued for `tick`, started, one progress event per sheet `tick`
    /// apart ("Processing sheet 3 of 12"), then completed with
    /// [`overlay_results`].
    pub fn overlay(id: impl Into<String>, sheets: u32, tick: Duration) -> Self {
        let id = id.into();
        let sheets = sheets.max(1);
        let mut job = JobScript::new(id.clone(), "overlay.generate").running(tick);
        for sheet in 1..=sheets {
            // Three decimals, as a server would round for the wire.
            let fraction = (f64::from(sheet) * 1000.0 / f64::from(sheets)).round() / 1000.0;
            job = job.progress(
                tick,
                fraction,
                format!("Processing sheet {sheet} of {sheets}"),
            );
        }
        job.completed(tick, overlay_results(&id, sheets))
    }

    /// Sets the wire casing.
    pub fn casing(mut self, casing: Casing) -> Self {
        self.casing = casing;
        self
    }

    /// Sets when the job's clock starts.
    pub fn start(mut self, start: JobStart) -> Self {
        self.start = start;
        self
    }

    /// Restricts the job to these keys.
    pub fn keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.keys = Some(keys.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the faults applied to every connection to this job.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Appends a step.
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// Appends a `status: running` step.
    pub fn running(self, after: Duration) -> Self {
        self.step(Step::Status {
            after,
            status: Status::Running,
        })
    }

    /// Appends a progress step.
    pub fn progress(self, after: Duration, progress: f64, message: impl Into<String>) -> Self {
        self.step(Step::Progress {
            after,
            progress,
            message: Some(message.into()),
        })
    }

    /// Appends the terminal `completed` step.
    pub fn completed(self, after: Duration, results: Value) -> Self {
        self.step(Step::Completed { after, results })
    }

    /// Appends the terminal `failed` step.
    pub fn failed(
        self,
        after: Duration,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        self.step(Step::Failed {
            after,
            error: JobError {
                code: code.into(),
                message: message.into(),
            },
        })
    }

    /// Appends the terminal `canceled` step.
    pub fn canceled(self, after: Duration) -> Self {
        self.step(Step::Canceled { after })
    }

    /// The total scripted duration, before the speed factor.
    pub fn duration(&self) -> Duration {
        self.steps.iter().map(Step::after).sum()
    }

    /// Checks the script, returning the first problem found.
    pub fn validate(&self) -> Result<(), InvalidJob> {
        if self.id.is_empty()
            || self.id.contains(['/', '?', '#'])
            || self.id.chars().any(char::is_control)
        {
            return Err(InvalidJob::BadId);
        }
        if self.job_type.is_empty() {
            return Err(InvalidJob::EmptyType);
        }
        let Some(last) = self.steps.last() else {
            return Err(InvalidJob::NoTerminalStep);
        };
        for (index, step) in self.steps.iter().enumerate() {
            if step.is_terminal() && index + 1 != self.steps.len() {
                return Err(InvalidJob::StepAfterTerminal { index: index + 1 });
            }
            match step {
                Step::Status { status, .. } if status.is_terminal() => {
                    return Err(InvalidJob::TerminalStatusStep { index });
                }
                Step::Progress { progress, .. } if !(0.0..=1.0).contains(progress) => {
                    return Err(InvalidJob::ProgressOutOfRange {
                        index,
                        progress: *progress,
                    });
                }
                _ => {}
            }
        }
        if !last.is_terminal() {
            return Err(InvalidJob::NoTerminalStep);
        }
        if let Some(keys) = &self.keys {
            if keys.is_empty() {
                return Err(InvalidJob::NoKeys);
            }
        }
        Ok(())
    }
}

/// Realistic `results` for a finished `overlay.generate` job: the overlay's
/// id and uri, a similarity score and the detected changes.
pub fn overlay_results(job_id: &str, sheets: u32) -> Value {
    let overlay_id = format!("ovl_{}", job_id.strip_prefix("job_").unwrap_or(job_id));
    json!({
        "overlay_id": overlay_id,
        "overlay_uri": format!("https://files.bedrock.cv/overlays/{overlay_id}/overlay.pdf"),
        "sheets_compared": sheets,
        "score": 0.87,
        "changes": [
            {
                "id": "chg_01",
                "kind": "added",
                "sheet": "A-101",
                "description": "New door opening on grid line C-4",
                "bbox": [412, 288, 96, 40],
            },
            {
                "id": "chg_02",
                "kind": "removed",
                "sheet": "A-102",
                "description": "Partition wall removed between rooms 204 and 205",
                "bbox": [1020, 640, 310, 18],
            },
            {
                "id": "chg_03",
                "kind": "modified",
                "sheet": "S-201",
                "description": "Beam W12x26 resized to W14x30",
                "bbox": [233, 905, 148, 22],
            },
        ],
    })
}

impl Scenario {
    /// A scenario of these jobs at real speed.
    pub fn new(jobs: impl IntoIterator<Item = JobScript>) -> Self {
        Scenario {
            speed: 1.0,
            jobs: jobs.into_iter().collect(),
        }
    }

    /// The jobs `bedrock-sse serve` offers when given no scenario file:
    ///
    /// | id | what it does (at speed 1) |
    /// |---|---|
    /// | `job_01JDEMOOVERLAY` | `overlay.generate` over 12 sheets, title casing, completes after ~8 s |
    /// | `job_01JDEMOUPPER` | the same in upper casing (`QUEUED`/`RUNNING`/`COMPLETED`) |
    /// | `job_01JDEMOFAILED` | fails at sheet 5 with `PROCESSING_ERROR` |
    /// | `job_01JDEMOCANCEL` | is canceled after its first progress event |
    /// | `job_01JDEMODONE` | completed already when the simulator starts |
    ///
    /// Each but the last starts at its first request.
    pub fn demo() -> Self {
        let tick = Duration::from_millis(600);
        let failing = JobScript::new("job_01JDEMOFAILED", "overlay.generate")
            .running(tick)
            .progress(tick, 4.0 / 12.0, "Processing sheet 4 of 12")
            .failed(
                tick,
                "PROCESSING_ERROR",
                "Unable to process sheet 5 - source image missing",
            );
        let canceled = JobScript::new("job_01JDEMOCANCEL", "overlay.generate")
            .running(tick)
            .progress(tick, 1.0 / 12.0, "Processing sheet 1 of 12")
            .canceled(tick * 2);
        let mut done =
            JobScript::overlay("job_01JDEMODONE", 4, Duration::ZERO).start(JobStart::Launch);
        done.steps
            .retain(|step| !matches!(step, Step::Progress { .. }));
        Scenario::new([
            JobScript::overlay("job_01JDEMOOVERLAY", 12, tick),
            JobScript::overlay("job_01JDEMOUPPER", 12, tick).casing(Casing::Upper),
            failing,
            canceled,
            done,
        ])
    }

    /// Sets the speed factor.
    pub fn speed(mut self, speed: f64) -> Self {
        self.speed = speed;
        self
    }

    /// Parses a JSON scenario and validates it.
    pub fn from_json_str(text: &str) -> Result<Self, ScenarioError> {
        let scenario: Scenario = serde_json::from_str(text).map_err(ScenarioError::Json)?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Parses a TOML scenario and validates it.
    pub fn from_toml_str(text: &str) -> Result<Self, ScenarioError> {
        let scenario: Scenario =
            toml::from_str(text).map_err(|e| ScenarioError::Toml(Box::new(e)))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Reads a scenario file: TOML if its name ends in `.toml`, JSON if in
    /// `.json`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ScenarioError> {
        let path = path.as_ref();
        let parse = match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("toml") => Scenario::from_toml_str,
            Some(ext) if ext.eq_ignore_ascii_case("json") => Scenario::from_json_str,
            _ => {
                return Err(ScenarioError::UnknownFormat {
                    path: path.to_owned(),
                });
            }
        };
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.to_owned(),
            source,
        })?;
        parse(&text)
    }

    /// Checks the speed and every job, and that ids are unique.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        check_speed(self.speed)?;
        let mut seen = HashSet::new();
        for job in &self.jobs {
            job.validate()
                .map_err(|problem| ScenarioError::InvalidJob {
                    job: job.id.clone(),
                    problem,
                })?;
            if !seen.insert(job.id.as_str()) {
                return Err(ScenarioError::InvalidJob {
                    job: job.id.clone(),
                    problem: InvalidJob::DuplicateId,
                });
            }
        }
        Ok(())
    }
}

pub(crate) fn check_speed(speed: f64) -> Result<(), ScenarioError> {
    if speed.is_finite() && speed > 0.0 {
        Ok(())
    } else {
        Err(ScenarioError::InvalidSpeed(speed))
    }
}

/// A scenario that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file name does not say which format it is in.
    #[error("scenario file {} must end in .json or .toml", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The JSON is malformed or does not describe a scenario.
    #[error("invalid JSON scenario: {0}")]
    Json(serde_json::Error),
    /// The TOML is malformed or does not describe a scenario.
    #[error("invalid TOML scenario: {0}")]
    Toml(Box<toml::de::Error>),
    /// The speed factor is not a positive finite number.
    #[error("speed factor {0} must be a positive number (2.0 runs twice as fast)")]
    InvalidSpeed(f64),
    /// A job's script is unusable.
    #[error("job `{job}`: {problem}")]
    InvalidJob {
        /// The job's id.
        job: String,
        /// What is wrong with it.
        problem: InvalidJob,
    },
}

/// What is wrong with a [`JobScript`].
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidJob {
    /// The id is empty or holds a character that cannot sit in a URL path
    /// segment (`/`, `?`, `#`, a control character).
    #[error("the id must be non-empty, without '/', '?', '#' or control characters")]
    BadId,
    /// The type is empty.
    #[error("the job type must not be empty")]
    EmptyType,
    /// Two jobs share an id.
    #[error("another job has the same id")]
    DuplicateId,
    /// The script does not end in `completed`, `failed` or `canceled`.
    #[error("the last step must be completed, failed or canceled")]
    NoTerminalStep,
    /// A step follows the terminal one.
    #[error("step {index} comes after the terminal step; remove it")]
    StepAfterTerminal {
        /// Its position, from 0.
        index: usize,
    },
    /// A `status` step names a terminal status.
    #[error("step {index} is a terminal status; use a completed, failed or canceled step")]
    TerminalStatusStep {
        /// Its position, from 0.
        index: usize,
    },
    /// A progress value outside 0..=1.
    #[error("step {index} has progress {progress}, outside 0..=1")]
    ProgressOutOfRange {
        /// Its position, from 0.
        index: usize,
        /// The value.
        progress: f64,
    },
    /// `keys` is given but empty, so no one could watch the job.
    #[error("`keys` is empty; leave it out to allow every key")]
    NoKeys,
}

impl fmt::Display for Casing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Casing::Title => "title",
            Casing::Upper => "upper",
        })
    }
}
