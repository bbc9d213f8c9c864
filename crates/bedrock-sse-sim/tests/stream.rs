//! The event stream: byte-exact output, ids and resume, heartbeats, the cap,
//! terminal jobs, `retry`, cancel, shutdown and many concurrent streams.

mod common;

use std::time::Duration;

use bedrock_sse_sim::{Casing, JobScript, JobStart, RunningSim, Simulator};
use common::*;
use serde_json::json;

async fn start(jobs: impl IntoIterator<Item = JobScript>) -> RunningSim {
    let mut builder = Simulator::builder()
        .key(KEY)
        .heartbeat(HOUR)
        .wall_clock_origin(origin());
    for job in jobs {
        builder = builder.job(job);
    }
    builder.start().await.expect("the simulator starts")
}

const QUICK_STREAM: &str = "\
id: 1\nevent: status\ndata: {\"job_id\":\"job_q\",\"type\":\"overlay.generate\",\"status\":\"Queued\",\"timestamp\":\"T\"}\n\n\
id: 2\nevent: status\ndata: {\"job_id\":\"job_q\",\"type\":\"overlay.generate\",\"status\":\"Started\",\"timestamp\":\"T\"}\n\n\
id: 3\nevent: progress\ndata: {\"job_id\":\"job_q\",\"type\":\"overlay.generate\",\"status\":\"Started\",\"progress\":0.5,\"message\":\"Processing sheet 1 of 2\",\"timestamp\":\"T\"}\n\n\
id: 4\nevent: progress\ndata: {\"job_id\":\"job_q\",\"type\":\"overlay.generate\",\"status\":\"Started\",\"progress\":1.0,\"message\":\"Processing sheet 2 of 2\",\"timestamp\":\"T\"}\n\n\
id: 5\nevent: completed\ndata: {\"job_id\":\"job_q\",\"type\":\"overlay.generate\",\"status\":\"Completed\",\"results\":{\"changes\":[],\"overlay_uri\":\"https://files.example/ovl_1.pdf\",\"score\":0.9},\"timestamp\":\"T\"}\n\n";

#[tokio::test]
async fn a_job_streams_its_whole_life_byte_for_byte_then_closes() {
    let sim = start([quick_job("job_q")]).await;
    let body = read_body(send(get(&sim, "job_q")).await).await;
    assert!(!body.aborted, "closed cleanly after the terminal event");
    assert_eq!(mask_timestamps(body.text()), QUICK_STREAM);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn upper_casing_uses_the_api_reference_vocabulary() {
    let sim = start([quick_job("job_q").casing(Casing::Upper)]).await;
    let body = read_body(send(get(&sim, "job_q")).await).await;
    let statuses: Vec<_> = decode(&body.bytes)
        .iter()
        .map(|e| json(e)["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        ["QUEUED", "RUNNING", "RUNNING", "RUNNING", "COMPLETED"]
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn timestamps_count_from_the_job_start_at_the_speed_factor() {
    let job = JobScript::new("job_t", "overlay.generate")
        .start(JobStart::Launch)
        .running(Duration::from_secs(2))
        .failed(
            Duration::from_secs(88),
            "PROCESSING_ERROR",
            "Unable to process sheet - source image missing",
        );
    let sim = Simulator::builder()
        .key(KEY)
        .job(job)
        .speed(1_000_000.0)
        .wall_clock_origin(origin())
        .start()
        .await
        .unwrap();
    // 90 s at a millionfold speed is over by now: only the terminal event.
    let body = read_body(send(get(&sim, "job_t")).await).await;
    assert_eq!(
        body.text(),
        "id: 3\nevent: failed\ndata: {\"job_id\":\"job_t\",\"type\":\"overlay.generate\",\"status\":\"Failed\",\
         \"error\":{\"code\":\"PROCESSING_ERROR\",\"message\":\"Unable to process sheet - source image missing\"},\
         \"timestamp\":\"2026-01-15T10:00:00Z\"}\n\n"
    );
    sim.shutdown().await.unwrap();
}

/// Queued (1), running (2), two progress events (3, 4), completed (5): all
/// over at launch.
fn finished_job() -> JobScript {
    JobScript::new("job_done", "overlay.generate")
        .start(JobStart::Launch)
        .running(Duration::ZERO)
        .progress(Duration::ZERO, 0.5, "Processing sheet 1 of 2")
        .progress(Duration::ZERO, 1.0, "Processing sheet 2 of 2")
        .completed(Duration::ZERO, json!({"score": 0.5}))
}

#[tokio::test]
async fn a_job_already_over_gets_only_its_terminal_event_without_an_id() {
    let sim = start([finished_job()]).await;
    for last_event_id in [None, Some("garbage")] {
        let mut request = get(&sim, "job_done");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let body = read_body(send(request).await).await;
        let events = decode(&body.bytes);
        let got: Vec<_> = events
            .iter()
            .map(|e| (e.id.as_str(), e.event_type.as_str()))
            .collect();
        assert_eq!(got, [("5", "completed")], "{last_event_id:?}");
        assert!(!body.aborted);
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_resume_from_an_earlier_id_after_the_end_gets_every_event_after_it() {
    let sim = start([finished_job()]).await;
    for (last_event_id, expected) in [
        ("0", &["1", "2", "3", "4", "5"][..]),
        ("2", &["3", "4", "5"]),
        ("4", &["5"]),
    ] {
        let response = send(get(&sim, "job_done").header("Last-Event-ID", last_event_id)).await;
        assert_eq!(response.status(), 200);
        let body = read_body(response).await;
        let ids: Vec<_> = decode(&body.bytes).into_iter().map(|e| e.id).collect();
        assert_eq!(ids, expected, "after {last_event_id}");
        assert!(!body.aborted, "closed cleanly after the terminal event");
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_resume_at_or_past_the_terminal_event_gets_no_content() {
    let sim = start([finished_job(), long_job("job_l")]).await;
    for last_event_id in ["5", "6", "1000"] {
        let response = send(get(&sim, "job_done").header("Last-Event-ID", last_event_id)).await;
        assert_eq!(response.status(), 204, "after {last_event_id}");
        assert!(read_body(response).await.bytes.is_empty());
    }
    // A running job's stream is served whatever the id: its end is yet to
    // come (and a cancel may change its id).
    let running = send(get(&sim, "job_l").header("Last-Event-ID", "5")).await;
    assert_eq!(running.status(), 200);
    drop(running);
    let statuses: Vec<u16> = sim
        .request_log()
        .records()
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [204, 204, 204, 200]);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn last_event_id_resumes_after_that_event() {
    let sim = start([long_job("job_l")]).await;
    let mut first = send(get(&sim, "job_l")).await;
    let mut bytes = Vec::new();
    read_until(&mut first, &mut bytes, |b| count(b, b"\n\n") >= 3).await;
    let ids: Vec<_> = decode(&bytes).into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    drop(first);

    let mut resumed = send(get(&sim, "job_l").header("Last-Event-ID", "2")).await;
    let mut bytes = Vec::new();
    read_until(&mut resumed, &mut bytes, |b| count(b, b"\n\n") >= 1).await;
    let events = decode(&bytes);
    assert_eq!(events[0].id, "3", "only what came after event 2");
    assert_eq!(json(&events[0])["message"], "Processing sheet 3 of 12");

    // An id that is not one of ours replays the history.
    let mut fresh = send(get(&sim, "job_l").header("Last-Event-ID", "garbage")).await;
    let mut bytes = Vec::new();
    read_until(&mut fresh, &mut bytes, |b| count(b, b"\n\n") >= 1).await;
    assert_eq!(decode(&bytes)[0].id, "1");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn reconnections_see_the_same_ids_for_the_same_events() {
    let sim = start([quick_job("job_q")]).await;
    let first = read_body(send(get(&sim, "job_q")).await).await;
    let second = read_body(send(get(&sim, "job_q")).await).await;
    // The second connection comes after the end: just the terminal event,
    // identical to the first connection's last one.
    let first = decode(&first.bytes);
    let second = decode(&second.bytes);
    assert_eq!(second.len(), 1);
    assert_eq!(first.last(), second.last());
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn heartbeats_are_comments_at_the_configured_interval() {
    let sim = Simulator::builder()
        .key(KEY)
        .job(long_job("job_l"))
        .heartbeat(ms(40))
        .start()
        .await
        .unwrap();
    let mut response = send(get(&sim, "job_l")).await;
    let mut bytes = Vec::new();
    read_until(&mut response, &mut bytes, |b| {
        count(b, b": heartbeat\n\n") >= 2
    })
    .await;
    let text = mask_timestamps(std::str::from_utf8(&bytes).unwrap());
    assert!(
        text.ends_with("\"timestamp\":\"T\"}\n\n: heartbeat\n\n: heartbeat\n\n"),
        "{text}"
    );
    assert_eq!(decode(&bytes).len(), 3, "heartbeats dispatch no event");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_connection_cap_closes_a_running_job_cleanly_without_a_final_event() {
    let sim = Simulator::builder()
        .key(KEY)
        .job(long_job("job_l"))
        .heartbeat(HOUR)
        .max_connection(ms(150))
        .start()
        .await
        .unwrap();
    let body = read_body(send(get(&sim, "job_l")).await).await;
    assert!(!body.aborted, "a clean end, not an abort");
    let names: Vec<_> = decode(&body.bytes)
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(names, ["status", "status", "progress"]);
    // The job runs on: a reconnection picks up after the last id.
    let mut again = send(get(&sim, "job_l").header("Last-Event-ID", "3")).await;
    assert_eq!(again.status(), 200);
    assert!(
        tokio::time::timeout(PATIENCE, again.chunk())
            .await
            .unwrap()
            .unwrap()
            .is_none()
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn retry_is_sent_first_when_configured() {
    let sim = Simulator::builder()
        .key(KEY)
        .job(quick_job("job_q"))
        .retry(Some(ms(1500)))
        .start()
        .await
        .unwrap();
    let body = read_body(send(get(&sim, "job_q")).await).await;
    assert!(
        body.text()
            .starts_with("retry: 1500\n\nid: 1\nevent: status\n"),
        "{}",
        body.text()
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_cancel_reaches_open_streams_and_closes_them() {
    let sim = start([long_job("job_l")]).await;
    let mut response = send(get(&sim, "job_l")).await;
    let mut bytes = Vec::new();
    read_until(&mut response, &mut bytes, |b| count(b, b"\n\n") >= 3).await;
    assert_eq!(sim.cancel("job_l"), Ok(true));
    let rest = read_body(response).await;
    assert!(!rest.aborted);
    let events = decode(&rest.bytes);
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].id.as_str(), events[0].event_type.as_str()),
        ("4", "canceled")
    );
    assert_eq!(json(&events[0])["status"], "Canceled");
    assert_eq!(sim.cancel("job_l"), Ok(false), "already over");
    assert!(sim.cancel("job_nope").is_err());
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_ends_open_streams_cleanly() {
    let sim = start([long_job("job_l")]).await;
    let mut response = send(get(&sim, "job_l")).await;
    let mut bytes = Vec::new();
    read_until(&mut response, &mut bytes, |b| count(b, b"\n\n") >= 3).await;
    let reader = tokio::spawn(read_body(response));
    tokio::time::timeout(PATIENCE, sim.shutdown())
        .await
        .unwrap()
        .unwrap();
    let rest = reader.await.unwrap();
    assert!(!rest.aborted);
    assert!(rest.bytes.is_empty());
}

#[tokio::test]
async fn a_thousand_concurrent_streams_all_complete() {
    let sim = Simulator::builder()
        .key(KEY)
        .job(JobScript::overlay("job_many", 4, ms(20)))
        .rate_limit(None)
        .start()
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let streams: Vec<_> = (0..1000)
        .map(|_| {
            let request = client.get(sim.stream_url("job_many")).bearer_auth(KEY);
            tokio::spawn(async move { read_body(send(request).await).await })
        })
        .collect();
    for stream in streams {
        let body = stream.await.unwrap();
        assert!(!body.aborted);
        let events = decode(&body.bytes);
        assert_eq!(events.last().unwrap().event_type, "completed");
        assert_eq!(events.last().unwrap().id, "7");
    }
    assert_eq!(sim.request_log().total(), 1000);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_client_that_stops_reading_stalls_no_one_else() {
    use tokio::io::AsyncWriteExt;
    // Megabytes of results: far more than the socket buffers hold.
    let big = JobScript::new("job_big", "overlay.generate")
        .start(JobStart::Launch)
        .completed(Duration::ZERO, json!({"blob": "x".repeat(8 << 20)}));
    let sim = start([big, quick_job("job_q")]).await;
    let mut stuck = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    stuck
        .write_all(format!("GET /jobs/job_big/stream HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer {KEY}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    tokio::time::timeout(PATIENCE, sim.request_log().wait_for_len(1))
        .await
        .unwrap();
    for _ in 0..20 {
        let body = read_body(send(get(&sim, "job_q")).await).await;
        assert_eq!(decode(&body.bytes).last().unwrap().event_type, "completed");
    }
    drop(stuck);
    sim.shutdown().await.unwrap();
}
