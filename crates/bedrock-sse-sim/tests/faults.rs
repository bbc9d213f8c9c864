//! Each injected fault, per job and per connection, as a client sees it.

mod common;

use bedrock_sse_sim::{Faults, Newline, RunningSim, ServerErrors, Simulator};
use common::*;

async fn start(faults: Faults) -> RunningSim {
    Simulator::builder()
        .key(KEY)
        .heartbeat(HOUR)
        .job(quick_job("job_q").faults(faults))
        .job(long_job("job_l"))
        .start()
        .await
        .expect("the simulator starts")
}

/// What the same job streams without faults, decoded.
async fn clean_events() -> Vec<(String, String, serde_json::Value)> {
    let sim = start(Faults::default()).await;
    let body = read_body(send(get(&sim, "job_q")).await).await;
    sim.shutdown().await.unwrap();
    comparable(&body.bytes)
}

/// Events with their timestamps dropped, which differ between runs.
fn comparable(bytes: &[u8]) -> Vec<(String, String, serde_json::Value)> {
    decode(bytes)
        .iter()
        .map(|event| {
            let mut data = json(event);
            data.as_object_mut().unwrap().remove("timestamp");
            (event.id.clone(), event.event_type.clone(), data)
        })
        .collect()
}

#[tokio::test]
async fn drop_after_bytes_aborts_the_connection_at_that_byte() {
    let sim = start(Faults {
        drop_after_bytes: Some(50),
        ..Faults::default()
    })
    .await;
    let body = read_body(send(get(&sim, "job_q")).await).await;
    assert!(body.aborted, "an abort, not a clean end");
    assert_eq!(body.bytes.len(), 50);
    assert!(body.text().starts_with("id: 1\nevent: status\ndata: {"));
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn drop_after_events_aborts_right_after_that_many_events() {
    let sim = start(Faults {
        drop_after_events: Some(2),
        ..Faults::default()
    })
    .await;
    let body = read_body(send(get(&sim, "job_q")).await).await;
    assert!(body.aborted);
    let events = decode(&body.bytes);
    assert_eq!(
        events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["1", "2"]
    );
    assert!(
        body.text().ends_with("}\n\n"),
        "nothing after the second event"
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_stall_sends_nothing_yet_keeps_the_socket_open_until_shutdown() {
    let sim = Simulator::builder()
        .key(KEY)
        .heartbeat(ms(20))
        .max_connection(ms(50))
        .job(long_job("job_l").faults(Faults {
            stall_after_events: Some(1),
            ..Faults::default()
        }))
        .start()
        .await
        .unwrap();
    let mut response = send(get(&sim, "job_l")).await;
    assert_eq!(response.status(), 200);
    let mut bytes = Vec::new();
    read_until(&mut response, &mut bytes, |b| count(b, b"\n\n") >= 1).await;
    assert_eq!(decode(&bytes).len(), 1);
    // Neither the heartbeat (20 ms) nor the cap (50 ms) breaks a stall.
    let quiet = tokio::time::timeout(ms(300), response.chunk()).await;
    assert!(quiet.is_err(), "the stalled stream sent {quiet:?}");
    let reader = tokio::spawn(read_body(response));
    sim.shutdown().await.unwrap();
    let rest = reader.await.unwrap();
    assert!(rest.bytes.is_empty());
}

#[tokio::test]
async fn one_byte_writes_carry_the_same_stream() {
    let clean = clean_events().await;
    let sim = start(Faults {
        byte_at_a_time: true,
        ..Faults::default()
    })
    .await;
    let body = read_body(send(get(&sim, "job_q")).await).await;
    assert!(!body.aborted);
    assert!(
        body.chunks > body.bytes.len() / 4,
        "{} chunks for {} bytes: the writes were not split",
        body.chunks,
        body.bytes.len()
    );
    assert_eq!(comparable(&body.bytes), clean);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn crlf_cr_and_a_bom_change_the_bytes_but_not_the_events() {
    let clean = clean_events().await;
    for (newline, bom) in [
        (Newline::CrLf, false),
        (Newline::Cr, false),
        (Newline::Lf, true),
        (Newline::CrLf, true),
    ] {
        let sim = start(Faults {
            newline,
            bom,
            ..Faults::default()
        })
        .await;
        let body = read_body(send(get(&sim, "job_q")).await).await;
        assert_eq!(
            body.bytes.starts_with(b"\xEF\xBB\xBF"),
            bom,
            "{newline:?} {bom}"
        );
        let lf = count(&body.bytes, b"\n");
        let cr = count(&body.bytes, b"\r");
        let crlf = count(&body.bytes, b"\r\n");
        match newline {
            Newline::CrLf => assert!(crlf > 0 && crlf == lf && crlf == cr),
            Newline::Cr => assert!(cr > 0 && lf == 0),
            Newline::Lf => assert!(lf > 0 && cr == 0),
        }
        assert_eq!(comparable(&body.bytes), clean, "{newline:?} {bom}");
        sim.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_malformed_event_keeps_its_id_and_type_and_the_stream_goes_on() {
    let sim = start(Faults {
        malformed_event: Some(2),
        ..Faults::default()
    })
    .await;
    let body = read_body(send(get(&sim, "job_q")).await).await;
    let events = decode(&body.bytes);
    assert_eq!(events.len(), 5);
    assert_eq!(
        (events[2].id.as_str(), events[2].event_type.as_str()),
        ("3", "progress")
    );
    assert!(serde_json::from_str::<serde_json::Value>(&events[2].data).is_err());
    assert!(events[2].data.starts_with("{\"job_id\":\"job_q\""));
    for (index, event) in events.iter().enumerate().filter(|(i, _)| *i != 2) {
        assert!(
            serde_json::from_str::<serde_json::Value>(&event.data).is_ok(),
            "event {index}"
        );
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_wrong_content_type_is_a_200_html_page() {
    let sim = start(Faults {
        wrong_content_type: true,
        ..Faults::default()
    })
    .await;
    let response = send(get(&sim, "job_q")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .starts_with("<!doctype html>")
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn server_errors_answer_the_first_attempts_then_the_stream_works() {
    let sim = start(Faults {
        server_errors: Some(ServerErrors::unavailable(2)),
        ..Faults::default()
    })
    .await;
    for _ in 0..2 {
        let response = send(get(&sim, "job_q")).await;
        assert_eq!(response.status(), 503);
        assert_eq!(
            header(&response, "content-type"),
            Some("application/problem+json")
        );
        let body: serde_json::Value =
            serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(body["code"], "SERVICE_UNAVAILABLE");
    }
    let third = send(get(&sim, "job_q")).await;
    assert_eq!(third.status(), 200);
    assert_eq!(
        decode(&read_body(third).await.bytes)
            .last()
            .unwrap()
            .event_type,
        "completed"
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn other_5xx_statuses_use_internal_error() {
    let sim = start(Faults {
        server_errors: Some(ServerErrors {
            attempts: 1,
            status: 502,
        }),
        ..Faults::default()
    })
    .await;
    let response = send(get(&sim, "job_q")).await;
    assert_eq!(response.status(), 502);
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["code"], "INTERNAL_ERROR");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn injected_faults_apply_to_one_connection_each_in_order() {
    let sim = start(Faults::default()).await;
    sim.inject(
        "job_l",
        Faults {
            server_errors: Some(ServerErrors::unavailable(1)),
            ..Faults::default()
        },
    )
    .unwrap();
    sim.inject(
        "job_l",
        Faults {
            drop_after_events: Some(1),
            newline: Newline::CrLf,
            ..Faults::default()
        },
    )
    .unwrap();
    assert!(sim.inject("job_nope", Faults::default()).is_err());

    assert_eq!(send(get(&sim, "job_l")).await.status(), 503);
    let dropped = read_body(send(get(&sim, "job_l")).await).await;
    assert!(dropped.aborted);
    assert_eq!(decode(&dropped.bytes).len(), 1);
    assert!(dropped.text().ends_with("\r\n\r\n"));

    // Then the job's own (no) faults again.
    let mut normal = send(get(&sim, "job_l")).await;
    let mut bytes = Vec::new();
    read_until(&mut normal, &mut bytes, |b| count(b, b"\n\n") >= 3).await;
    assert_eq!(count(&bytes, b"\r"), 0);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn faults_combine() {
    let sim = start(Faults {
        byte_at_a_time: true,
        newline: Newline::CrLf,
        bom: true,
        drop_after_bytes: Some(120),
        ..Faults::default()
    })
    .await;
    let body = read_body(send(get(&sim, "job_q")).await).await;
    assert!(body.aborted);
    assert_eq!(body.bytes.len(), 120);
    assert!(
        body.bytes
            .starts_with(b"\xEF\xBB\xBFid: 1\r\nevent: status\r\n")
    );
    sim.shutdown().await.unwrap();
}
