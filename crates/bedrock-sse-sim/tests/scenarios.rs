//! Scenario files (TOML and JSON), their validation, and the built-in demo.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use bedrock_sse_sim::{
    Casing, InvalidJob, JobScript, JobStart, Newline, Scenario, ScenarioError, ServerErrors,
    Simulator, Step,
};
use common::*;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

#[test]
fn toml_scenarios_load_with_every_field() {
    let scenario = Scenario::load(data("overlay.toml")).unwrap();
    assert_eq!(scenario.speed, 10.0);
    let [overlay, failed, canceled] = &scenario.jobs[..] else {
        panic!("three jobs")
    };
    assert_eq!(overlay.job_type, "overlay.generate");
    assert_eq!(overlay.steps.len(), 5);
    assert_eq!(overlay.duration(), Duration::from_secs(4));
    assert!(
        matches!(&overlay.steps[1], Step::Progress { progress, message: Some(m), .. } if *progress == 0.25 && m == "Processing sheet 3 of 12")
    );
    assert_eq!(failed.casing, Casing::Upper);
    assert_eq!(failed.keys.as_deref(), Some(&["sk_team".to_owned()][..]));
    assert_eq!(failed.faults.newline, Newline::CrLf);
    assert!(failed.faults.bom);
    assert_eq!(canceled.start, JobStart::Launch);
    assert_eq!(canceled.job_type, "overlay.generate", "the default type");
}

#[test]
fn json_scenarios_load_too() {
    let scenario = Scenario::load(data("overlay.json")).unwrap();
    let job = &scenario.jobs[0];
    assert_eq!(job.faults.server_errors, Some(ServerErrors::unavailable(1)));
    assert_eq!(job.duration(), Duration::from_millis(2500));
}

#[test]
fn bad_files_say_what_is_wrong() {
    let missing = Scenario::load(data("nope.toml")).unwrap_err();
    assert!(matches!(missing, ScenarioError::Read { .. }));
    assert!(missing.to_string().contains("nope.toml"));
    assert!(matches!(
        Scenario::load(data("overlay.yaml")).unwrap_err(),
        ScenarioError::UnknownFormat { .. }
    ));
    let unknown_field =
        Scenario::from_toml_str("[[jobs]]\nid = \"j\"\ncolour = \"red\"\n").unwrap_err();
    assert!(
        unknown_field.to_string().contains("colour"),
        "{unknown_field}"
    );
    let bad_duration = Scenario::from_json_str(
        r#"{"jobs":[{"id":"j","steps":[{"event":"canceled","after":"soon"}]}]}"#,
    )
    .unwrap_err();
    assert!(bad_duration.to_string().contains("soon"), "{bad_duration}");
    assert!(matches!(
        Scenario::from_toml_str("speed = -1.0").unwrap_err(),
        ScenarioError::InvalidSpeed(_)
    ));
}

#[test]
fn scripts_are_validated() {
    let second = Duration::from_secs(1);
    let problem = |job: JobScript| job.validate().unwrap_err();
    assert_eq!(
        problem(JobScript::new("j", "t")),
        InvalidJob::NoTerminalStep
    );
    assert_eq!(
        problem(JobScript::new("j", "t").running(second)),
        InvalidJob::NoTerminalStep
    );
    assert_eq!(
        problem(JobScript::new("", "t").canceled(second)),
        InvalidJob::BadId
    );
    assert_eq!(
        problem(JobScript::new("a/b", "t").canceled(second)),
        InvalidJob::BadId
    );
    assert_eq!(
        problem(JobScript::new("j", "").canceled(second)),
        InvalidJob::EmptyType
    );
    assert_eq!(
        problem(JobScript::new("j", "t").canceled(second).running(second)),
        InvalidJob::StepAfterTerminal { index: 1 }
    );
    assert_eq!(
        problem(
            JobScript::new("j", "t")
                .progress(second, 1.5, "x")
                .canceled(second)
        ),
        InvalidJob::ProgressOutOfRange {
            index: 0,
            progress: 1.5
        }
    );
    assert_eq!(
        problem(
            JobScript::new("j", "t")
                .step(Step::Status {
                    after: second,
                    status: bedrock_sse_sim::Status::Completed
                })
                .canceled(second)
        ),
        InvalidJob::TerminalStatusStep { index: 0 }
    );
    assert_eq!(
        problem(
            JobScript::new("j", "t")
                .keys(Vec::<String>::new())
                .canceled(second)
        ),
        InvalidJob::NoKeys
    );
    let twice = Scenario::new([
        JobScript::new("j", "t").canceled(second),
        JobScript::new("j", "t").canceled(second),
    ]);
    assert!(matches!(
        twice.validate(),
        Err(ScenarioError::InvalidJob {
            problem: InvalidJob::DuplicateId,
            ..
        })
    ));
}

#[tokio::test]
async fn a_loaded_scenario_runs_with_its_keys_and_faults() {
    let sim = Simulator::builder()
        .scenario(Scenario::load(data("overlay.toml")).unwrap())
        .key(KEY)
        // Slow enough that the failing job (50 ms at this speed) is still
        // running when its stream opens, even on a loaded machine: it must
        // replay from `id: 1`, not be over already.
        .speed(10.0)
        .start()
        .await
        .unwrap();
    assert_eq!(
        sim.jobs(),
        [
            "job_01JTOMLOVERLAY",
            "job_01JTOMLFAILED",
            "job_01JTOMLCANCEL"
        ]
    );
    let overlay = read_body(send(get(&sim, "job_01JTOMLOVERLAY")).await).await;
    let events = decode(&overlay.bytes);
    assert_eq!(events.len(), 6);
    assert_eq!(json(&events[5])["results"]["score"], 0.91);

    // The job's own key is accepted by the simulator, and is the only one
    // allowed on it.
    assert_eq!(send(get(&sim, "job_01JTOMLFAILED")).await.status(), 403);
    let failed = send(
        client()
            .get(sim.stream_url("job_01JTOMLFAILED"))
            .bearer_auth("sk_team"),
    )
    .await;
    let body = read_body(failed).await;
    assert!(body.bytes.starts_with(b"\xEF\xBB\xBFid: 1\r\n"));
    let last = decode(&body.bytes).pop().unwrap();
    assert_eq!(last.event_type, "failed");
    assert_eq!(json(&last)["error"]["code"], "PROCESSING_ERROR");
    assert_eq!(json(&last)["status"], "FAILED");

    let canceled = read_body(send(get(&sim, "job_01JTOMLCANCEL")).await).await;
    assert_eq!(decode(&canceled.bytes).len(), 1);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_demo_scenario_runs_every_outcome() {
    let sim = Simulator::builder()
        .scenario(Scenario::demo())
        .speed(500.0)
        .rate_limit(None)
        .start()
        .await
        .unwrap();
    let mut outcomes = Vec::new();
    for job in sim.jobs().to_vec() {
        let request = client()
            .get(sim.stream_url(&job))
            .bearer_auth(bedrock_sse_sim::DEFAULT_KEY);
        let events = decode(&read_body(send(request).await).await.bytes);
        let last = events.last().unwrap();
        outcomes.push((
            job,
            events.len(),
            last.event_type.clone(),
            json(last)["status"].clone(),
        ));
    }
    let expect = |job: &str, count: usize, name: &str, status: &str| {
        (
            job.to_owned(),
            count,
            name.to_owned(),
            serde_json::Value::from(status),
        )
    };
    assert_eq!(
        outcomes,
        [
            expect("job_01JDEMOOVERLAY", 15, "completed", "Completed"),
            expect("job_01JDEMOUPPER", 15, "completed", "COMPLETED"),
            expect("job_01JDEMOFAILED", 4, "failed", "Failed"),
            expect("job_01JDEMOCANCEL", 4, "canceled", "Canceled"),
            expect("job_01JDEMODONE", 1, "completed", "Completed"),
        ]
    );
    sim.shutdown().await.unwrap();
}

#[test]
fn overlay_results_look_like_a_real_overlay() {
    let results = bedrock_sse_sim::overlay_results("job_01JABCD123", 12);
    assert_eq!(results["overlay_id"], "ovl_01JABCD123");
    assert!(
        results["overlay_uri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(results["score"].as_f64().unwrap() > 0.0);
    assert_eq!(results["changes"].as_array().unwrap().len(), 3);
}
