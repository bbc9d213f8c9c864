//! `bedrock-sse watch` as a script uses it: a real process against the
//! simulator on 127.0.0.1, JSON Lines on stdout, the exit code as a verdict.

use std::process::{Command, Output};
use std::time::Duration;

use bedrock_sse_sim::{Faults, JobScript, ServerErrors};
use bedrock_sse_testkit::{KEY, TestSim, ms, quick_job};
use serde_json::{Value, json};

/// A simulator on a runtime of its own, for a test that runs the binary.
struct Sim(TestSim);

impl Sim {
    fn start(jobs: impl IntoIterator<Item = JobScript>) -> Sim {
        Sim(TestSim::with_jobs(jobs))
    }

    fn url(&self) -> String {
        self.0.base_url()
    }

    /// Runs `bedrock-sse watch JOB --json --base-url <sim> ARGS...`.
    fn watch(&self, job: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_bedrock-sse"))
            .args(["watch", job, "--json", "--base-url", &self.url()])
            .args(["--idle-timeout", "2s"])
            .args(args)
            .env("BEDROCK_API_KEY", KEY)
            .output()
            .expect("the binary runs")
    }
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

#[test]
fn a_completed_job_prints_every_event_then_the_outcome() {
    let sim = Sim::start([quick_job("job_ok")]);
    let output = sim.watch("job_ok", &[]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines = lines(&output);
    let first = &lines[0];
    // Every key, in the documented order.
    let keys: Vec<&str> = first
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    let raw = String::from_utf8_lossy(&output.stdout);
    assert!(raw.starts_with("{\"event\":\"status\",\"id\":\"1\",\"job_id\":\"job_ok\",\"type\":\"overlay.generate\",\"status\":\"queued\",\"progress\":null,\"message\":null,\"timestamp\":"), "{raw}");
    assert_eq!(keys.len(), 10);
    let events: Vec<(&str, &str, &str)> = lines[..lines.len() - 1]
        .iter()
        .map(|l| {
            (
                l["event"].as_str().unwrap(),
                l["id"].as_str().unwrap(),
                l["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("status", "1", "queued"),
            ("status", "2", "running"),
            ("progress", "3", "running"),
            ("progress", "4", "running"),
            ("completed", "5", "completed"),
        ]
    );
    assert_eq!(lines[2]["progress"], json!(0.5));
    assert_eq!(lines[2]["message"], json!("Processing sheet 1 of 2"));
    assert_eq!(
        lines[4]["results"]["overlay_uri"],
        json!("https://files.example/ovl.pdf")
    );
    assert_eq!(
        lines.last().unwrap(),
        &json!({"outcome": "completed", "exit_code": 0, "error": null, "job_id": "job_ok", "last_event_id": "5"})
    );
    assert!(
        raw.ends_with("{\"outcome\":\"completed\",\"exit_code\":0,\"error\":null,\"job_id\":\"job_ok\",\"last_event_id\":\"5\"}\n"),
        "the documented key order: {raw}"
    );
}

#[test]
fn a_failed_job_exits_4_with_its_error() {
    let job = JobScript::new("job_fail", "overlay.generate")
        .running(ms(10))
        .failed(ms(10), "PROCESSING_ERROR", "Sheet 5 is missing");
    let sim = Sim::start([job]);
    let output = sim.watch("job_fail", &[]);
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let lines = lines(&output);
    let failed = &lines[lines.len() - 2];
    assert_eq!(failed["event"], json!("failed"));
    assert_eq!(
        failed["error"],
        json!({"code": "PROCESSING_ERROR", "message": "Sheet 5 is missing"})
    );
    assert_eq!(lines.last().unwrap()["outcome"], json!("failed"));
    assert_eq!(lines.last().unwrap()["exit_code"], json!(4));
}

#[test]
fn a_canceled_job_exits_5() {
    let job = JobScript::new("job_cancel", "overlay.generate")
        .running(ms(10))
        .canceled(ms(10));
    let sim = Sim::start([job]);
    let output = sim.watch("job_cancel", &[]);
    assert_eq!(output.status.code(), Some(5), "{output:?}");
    assert_eq!(lines(&output).last().unwrap()["outcome"], json!("canceled"));
}

#[test]
fn a_refused_key_exits_7_and_is_never_printed() {
    let sim = Sim::start([quick_job("job_ok")]);
    let output = Command::new(env!("CARGO_BIN_EXE_bedrock-sse"))
        .args([
            "watch",
            "job_ok",
            "--json",
            "--base-url",
            &sim.url(),
            "--x-api-key",
        ])
        .env("BEDROCK_API_KEY", "sk_wrong_and_secret")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(7), "{output:?}");
    let last = lines(&output).pop().unwrap();
    assert_eq!(last["outcome"], json!("error"));
    assert_eq!(last["error"]["code"], json!("UNAUTHORIZED"));
    assert_eq!(last["error"]["retryable"], json!(false));
    assert!(last["error"]["request_id"].is_string());
    let everything = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!everything.contains("sk_wrong_and_secret"), "{everything}");
}

#[test]
fn an_unknown_job_exits_8() {
    let sim = Sim::start([quick_job("job_ok")]);
    let output = sim.watch("job_missing", &[]);
    assert_eq!(output.status.code(), Some(8), "{output:?}");
    assert_eq!(
        lines(&output).last().unwrap()["error"]["code"],
        json!("NOT_FOUND")
    );
}

#[test]
fn the_timeout_exits_9() {
    let job = JobScript::new("job_slow", "overlay.generate")
        .running(ms(10))
        .completed(Duration::from_secs(3600), json!({}));
    let sim = Sim::start([job]);
    let output = sim.watch("job_slow", &["--timeout", "300ms"]);
    assert_eq!(output.status.code(), Some(9), "{output:?}");
    let lines = lines(&output);
    assert_eq!(lines[0]["status"], json!("queued"));
    assert_eq!(lines.last().unwrap()["outcome"], json!("error"));
}

#[test]
fn exhausted_retries_exit_1_after_reporting_each_one() {
    let mut job = quick_job("job_down");
    job.faults = Faults {
        server_errors: Some(ServerErrors::unavailable(100)),
        ..Faults::default()
    };
    let sim = Sim::start([job]);
    let output = sim.watch("job_down", &["--max-failures", "2"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let lines = lines(&output);
    assert_eq!(lines[0]["reconnecting"]["failures"], json!(1));
    assert_eq!(lines[0]["reconnecting"]["cause"], json!("status 503"));
    let last = lines.last().unwrap();
    assert_eq!(last["outcome"], json!("error"));
    assert_eq!(last["error"]["retryable"], json!(true));
}

#[test]
fn bad_settings_exit_2_before_any_request() {
    let output = Command::new(env!("CARGO_BIN_EXE_bedrock-sse"))
        .args(["watch", "job_ok", "--base-url", "ftp://example.com"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("--base-url"));
}

#[test]
fn the_human_display_ends_with_the_results() {
    let sim = Sim::start([quick_job("job_ok")]);
    let output = Command::new(env!("CARGO_BIN_EXE_bedrock-sse"))
        .args(["watch", "job_ok", "--base-url", &sim.url()])
        .env("BEDROCK_API_KEY", KEY)
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("status     Queued"), "{stdout}");
    assert!(stdout.contains(" 50%  Processing sheet 1 of 2"), "{stdout}");
    assert!(
        stdout.contains("Job completed.\n  overlay: https://files.example/ovl.pdf"),
        "{stdout}"
    );
}

#[test]
fn each_event_carries_its_own_id_even_when_they_arrive_together() {
    // Every step at once: the whole history reaches the client in one burst.
    let job = JobScript::new("job_burst", "overlay.generate")
        .running(Duration::ZERO)
        .progress(Duration::ZERO, 0.25, "Processing sheet 1 of 4")
        .progress(Duration::ZERO, 0.5, "Processing sheet 2 of 4")
        .progress(Duration::ZERO, 0.75, "Processing sheet 3 of 4")
        .completed(ms(50), json!({}));
    let sim = Sim::start([job]);
    let output = sim.watch("job_burst", &[]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let ids: Vec<String> = lines(&output)
        .iter()
        .filter_map(|l| l["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6"]);
}

#[test]
fn plain_http_off_the_machine_is_refused_unless_allowed() {
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_bedrock-sse"))
            .args(["watch", "job_ok", "--json", "--timeout", "300ms"])
            .args(["--base-url", "http://192.0.2.1:9"])
            .args(extra)
            .env("BEDROCK_API_KEY", "sk_plaintext_secret")
            .output()
            .expect("the binary runs")
    };
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--base-url") && stderr.contains("--allow-http"),
        "{stderr}"
    );
    assert!(refused.stdout.is_empty(), "nothing was attempted");

    // With the opt-in the watch runs: it then fails to reach the address
    // (documentation range, nothing listens), never as bad usage.
    let allowed = run(&["--allow-http", "--max-failures", "1"]);
    assert!(matches!(allowed.status.code(), Some(1 | 9)), "{allowed:?}");
    let everything = format!("{allowed:?}{refused:?}");
    assert!(!everything.contains("sk_plaintext_secret"));
}
