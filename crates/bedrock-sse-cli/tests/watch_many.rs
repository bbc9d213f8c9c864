//! `bedrock-sse watch` with several jobs, as scripts and people use it: the
//! JSON Lines of many jobs, `--jobs-from`, the exit code of several,
//! Ctrl-C, a closed pipe, and the display on a terminal or not.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};

use bedrock_sse_sim::JobScript;
use bedrock_sse_testkit::{KEY, TestSim, ms, quick_job};
use serde_json::{Value, json};

fn bin(sim: &TestSim, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bedrock-sse"));
    command
        .arg("watch")
        .args(args)
        .args(["--base-url", &sim.base_url(), "--idle-timeout", "2s"])
        .env("BEDROCK_API_KEY", KEY)
        .env_remove("RUST_LOG");
    command
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

fn failing(id: &str) -> JobScript {
    JobScript::new(id, "overlay.generate")
        .running(ms(10))
        .failed(ms(10), "PROCESSING_ERROR", "Sheet 5 is missing")
}

fn canceled(id: &str) -> JobScript {
    JobScript::new(id, "overlay.generate")
        .running(ms(10))
        .canceled(ms(10))
}

/// A job that runs for `seconds`, an event every 200 ms.
fn slow(id: &str, seconds: u64) -> JobScript {
    let mut job = JobScript::new(id, "overlay.generate").running(ms(10));
    let steps = seconds * 5;
    for n in 1..=steps {
        job = job.progress(ms(200), n as f64 / steps as f64, format!("step {n}"));
    }
    job.completed(ms(10), json!({"n": 1}))
}

#[test]
fn several_jobs_give_json_lines_that_name_their_job_then_a_summary() {
    let sim = TestSim::with_jobs([quick_job("job_a"), failing("job_b"), canceled("job_c")]);
    let output = bin(&sim, &["job_a", "job_b", "job_c", "--json"])
        .output()
        .expect("runs");
    // The most severe end: a failed job (4) before a canceled one (5).
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let lines = lines(&output.stdout);
    for line in &lines[..lines.len() - 1] {
        assert!(
            line["job_id"].is_string(),
            "every line names its job: {line}"
        );
    }
    let outcomes: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l.get("outcome").is_some())
        .map(|l| {
            (
                l["job_id"].as_str().unwrap(),
                l["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(outcomes.len(), 3, "one outcome per job: {outcomes:?}");
    for want in [
        ("job_a", "completed"),
        ("job_b", "failed"),
        ("job_c", "canceled"),
    ] {
        assert!(outcomes.contains(&want), "{want:?} in {outcomes:?}");
    }
    assert_eq!(
        lines.last().unwrap(),
        &json!({"summary": {"jobs": 3, "completed": 1, "failed": 1, "canceled": 1,
                            "stopped": 0, "error": 0, "interrupted": 0},
                "exit_code": 4})
    );
}

#[test]
fn every_job_completed_exits_0_and_ids_come_from_a_file_or_stdin() {
    let sim = TestSim::with_jobs([quick_job("job_a"), quick_job("job_b"), quick_job("job_c")]);
    let list = std::env::temp_dir().join(format!("bedrock-sse-jobs-{}.txt", std::process::id()));
    std::fs::write(&list, "# three jobs\njob_b\n\njob_c\njob_a\n").expect("a temp file");
    let output = bin(&sim, &["job_a", "--json"])
        .arg("--jobs-from")
        .arg(&list)
        .output()
        .expect("runs");
    std::fs::remove_file(&list).ok();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let summary = lines(&output.stdout).pop().unwrap();
    assert_eq!(
        summary["summary"]["jobs"],
        json!(3),
        "job_a once: {summary}"
    );
    assert_eq!(summary["summary"]["completed"], json!(3));

    let mut child = bin(&sim, &["--json", "--jobs-from", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"job_a\njob_b\n")
        .unwrap();
    let output = child.wait_with_output().expect("ends");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        lines(&output.stdout).pop().unwrap()["summary"]["jobs"],
        json!(2)
    );

    let none = bin(&sim, &["--json"]).output().expect("runs");
    assert_eq!(none.status.code(), Some(2), "no job is a usage error");
}

#[test]
fn resume_from_with_several_jobs_is_a_usage_error() {
    let sim = TestSim::with_jobs([quick_job("job_a")]);
    let output = bin(&sim, &["job_a", "job_b", "--resume-from", "3"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--resume-from"));
}

/// Sends SIGINT to `child` once it has printed `lines` lines; returns
/// everything it printed and its exit code.
fn interrupt_after(mut child: Child, lines: usize) -> (String, Option<i32>) {
    let stdout = child.stdout.take().expect("piped");
    let mut reader = BufReader::new(stdout);
    let mut seen = String::new();
    for _ in 0..lines {
        reader.read_line(&mut seen).expect("a line");
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).expect("the rest");
    let code = child.wait().expect("ends").code();
    (seen + &rest, code)
}

#[test]
fn ctrl_c_ends_every_job_with_where_to_resume_it() {
    let sim = TestSim::with_jobs([slow("job_slow", 30), quick_job("job_quick")]);
    let child = bin(&sim, &["job_slow", "job_quick", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("runs");
    // job_quick's 5 events and outcome, and a few of job_slow's.
    let (out, code) = interrupt_after(child, 10);
    assert_eq!(code, Some(130), "{out}");
    let lines = lines(out.as_bytes());
    let slow = lines
        .iter()
        .find(|l| l["outcome"] == json!("interrupted"))
        .unwrap_or_else(|| panic!("an interrupted outcome in {out}"));
    assert_eq!(slow["job_id"], json!("job_slow"));
    assert_eq!(slow["exit_code"], json!(130));
    let last_shown = lines
        .iter()
        .rfind(|l| l["job_id"] == json!("job_slow") && l.get("event").is_some())
        .expect("job_slow showed events");
    assert_eq!(
        slow["last_event_id"], last_shown["id"],
        "resume after the last shown event"
    );
    assert_eq!(lines.last().unwrap()["summary"]["interrupted"], json!(1));
    assert_eq!(lines.last().unwrap()["exit_code"], json!(130));
}

#[test]
fn ctrl_c_on_one_job_prints_the_command_to_resume() {
    let sim = TestSim::with_jobs([slow("job_slow", 30)]);
    let child = bin(&sim, &["job_slow"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("runs");
    let (out, code) = interrupt_after(child, 4);
    assert_eq!(code, Some(130), "{out}");
    assert!(
        out.contains("Resume with: bedrock-sse watch job_slow --resume-from "),
        "{out}"
    );
}

#[test]
fn a_closed_stdout_is_an_output_error_not_success() {
    let sim = TestSim::with_jobs([slow("job_slow", 3)]);
    let mut child = bin(&sim, &["job_slow", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    // `| head -2`: read two lines, then close the pipe.
    let mut reader = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    for _ in 0..2 {
        reader.read_line(&mut line).expect("a line");
    }
    drop(reader);
    let output: Output = child.wait_with_output().expect("ends");
    assert_eq!(output.status.code(), Some(3), "{output:?}");
}

#[test]
fn off_a_terminal_several_jobs_are_plain_lines_prefixed_by_their_job() {
    let sim = TestSim::with_jobs([quick_job("job_a"), failing("job_bb")]);
    let output = bin(&sim, &["job_a", "job_bb"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains('\u{1b}'),
        "no terminal codes off a terminal: {text:?}"
    );
    for line in text.lines().take_while(|l| !l.is_empty()) {
        assert!(
            line.starts_with("job_a  ") || line.starts_with("job_bb  "),
            "{line:?}"
        );
    }
    assert!(text.contains("job_a   completed"), "{text}");
    assert!(
        text.contains("job_bb  failed: PROCESSING_ERROR: Sheet 5 is missing"),
        "{text}"
    );
    assert!(text.contains("JOB     OUTCOME"), "{text}");
    assert!(text.contains("1 of 2 jobs completed."), "{text}");
}

#[test]
fn on_a_terminal_each_job_gets_a_live_bar_then_a_summary() {
    // util-linux's `script` gives the command a pseudo-terminal.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("`script` (util-linux) is not installed: the terminal display is not tested");
        return;
    }
    let sim = TestSim::with_jobs([slow("job_a", 1), quick_job("job_b")]);
    let command = format!(
        "{} watch job_a job_b --base-url {} --idle-timeout 2s",
        env!("CARGO_BIN_EXE_bedrock-sse"),
        sim.base_url()
    );
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("BEDROCK_API_KEY", KEY)
        .env("COLUMNS", "120")
        .output()
        .expect("script runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(
        screen.contains('\u{1b}'),
        "drawn with terminal codes: {screen:?}"
    );
    assert!(screen.contains("] "), "a bar: {screen:?}");
    assert!(screen.contains("%"), "a percentage: {screen:?}");
    assert!(
        screen.contains("job_a  completed"),
        "a finished job collapses: {screen:?}"
    );
    assert!(screen.contains("2 of 2 jobs completed."), "{screen:?}");
}
