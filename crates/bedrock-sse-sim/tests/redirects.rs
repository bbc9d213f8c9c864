//! The redirect, `204` and `Content-Encoding` faults, as a client that
//! follows nothing on its own sees them.

mod common;

use bedrock_sse_sim::{Faults, Redirect, RedirectTo, RunningSim, Scenario, Simulator};
use common::*;

async fn start(faults: Faults) -> RunningSim {
    Simulator::builder()
        .key(KEY)
        .heartbeat(HOUR)
        .job(quick_job("job_q").faults(faults))
        .start()
        .await
        .expect("the simulator starts")
}

fn redirect(status: u16, to: RedirectTo) -> Faults {
    Faults {
        redirect: Some(Redirect::new(status, to)),
        ..Faults::default()
    }
}

/// A client that reports redirects instead of following them.
fn no_follow() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .expect("a reqwest client")
}

async fn fetch(url: &str) -> reqwest::Response {
    send(no_follow().get(url).bearer_auth(KEY)).await
}

fn location(response: &reqwest::Response) -> Option<String> {
    header(response, "location").map(str::to_owned)
}

#[tokio::test]
async fn each_redirect_status_is_sent_with_its_location() {
    for status in [301, 302, 303, 307, 308] {
        let sim = start(redirect(status, RedirectTo::SamePath)).await;
        let response = fetch(&sim.stream_url("job_q")).await;
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(
            location(&response).as_deref(),
            Some("/jobs/job_q/stream?redirected=1")
        );
        assert!(header(&response, "x-request-id").is_some());
        let log = sim.request_log().records();
        assert_eq!(log[0].status, status);
        sim.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_status_that_is_not_a_redirect_is_sent_as_307() {
    let sim = start(redirect(200, RedirectTo::SamePath)).await;
    let response = fetch(&sim.stream_url("job_q")).await;
    assert_eq!(response.status().as_u16(), 307);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn same_origin_targets_are_served_for_the_same_job() {
    for (to, expected) in [
        (RedirectTo::SamePath, "/jobs/job_q/stream?redirected=1"),
        (RedirectTo::OtherPath, "/moved/jobs/job_q/stream"),
    ] {
        let sim = start(redirect(307, to)).await;
        let response = fetch(&sim.stream_url("job_q")).await;
        assert_eq!(location(&response).as_deref(), Some(expected));
        // A job's redirect fault spares the request it redirected to.
        let followed = fetch(&format!("{}{expected}", sim.base_url())).await;
        assert_eq!(followed.status().as_u16(), 200);
        let body = read_body(followed).await;
        let events = decode(&body.bytes);
        assert_eq!(events.len(), 5, "{}", body.text());
        assert_eq!(events[4].event_type, "completed");
        sim.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn other_origin_targets_name_another_port_or_host() {
    let sim = start(Faults::default()).await;
    let own = sim.addr().port();
    for (to, expected) in [
        (
            RedirectTo::Port(9),
            "http://127.0.0.1:9/jobs/job_q/stream?redirected=1".to_owned(),
        ),
        (
            RedirectTo::Localhost { port: None },
            format!("http://localhost:{own}/jobs/job_q/stream?redirected=1"),
        ),
        (
            RedirectTo::Localhost { port: Some(9) },
            "http://localhost:9/jobs/job_q/stream?redirected=1".to_owned(),
        ),
        (
            RedirectTo::Location("http://[oops".into()),
            "http://[oops".to_owned(),
        ),
    ] {
        sim.inject("job_q", redirect(302, to)).unwrap();
        let response = fetch(&sim.stream_url("job_q")).await;
        assert_eq!(response.status().as_u16(), 302);
        assert_eq!(location(&response), Some(expected));
    }
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_missing_location_is_a_redirect_without_one() {
    let sim = start(redirect(308, RedirectTo::Missing)).await;
    let response = fetch(&sim.stream_url("job_q")).await;
    assert_eq!(response.status().as_u16(), 308);
    assert_eq!(location(&response), None);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn injected_redirects_chain_one_per_connection() {
    let sim = start(Faults::default()).await;
    for _ in 0..3 {
        sim.inject("job_q", redirect(307, RedirectTo::SamePath))
            .unwrap();
    }
    let url = format!("{}/jobs/job_q/stream?redirected=1", sim.base_url());
    for _ in 0..3 {
        // Even an already redirected request is redirected again.
        assert_eq!(fetch(&url).await.status().as_u16(), 307);
    }
    assert_eq!(fetch(&url).await.status().as_u16(), 200);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_followed_redirect_is_logged_with_what_the_client_sent() {
    let sim = start(redirect(307, RedirectTo::OtherPath)).await;
    let response = fetch(&sim.stream_url("job_q")).await;
    let target = format!("{}{}", sim.base_url(), location(&response).unwrap());
    let followed = send(
        no_follow()
            .get(target)
            .bearer_auth(KEY)
            .header("last-event-id", "2"),
    )
    .await;
    assert_eq!(followed.status().as_u16(), 200);
    let log = sim.request_log().records();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, 307);
    assert_eq!(log[1].path, "/moved/jobs/job_q/stream");
    assert_eq!(log[1].last_event_id.as_deref(), Some("2"));
    assert_eq!(log[1].header("authorization"), Some("Bearer <redacted>"));
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn no_content_answers_204() {
    let sim = start(Faults {
        no_content: true,
        ..Faults::default()
    })
    .await;
    let response = fetch(&sim.stream_url("job_q")).await;
    assert_eq!(response.status().as_u16(), 204);
    assert!(read_body(response).await.bytes.is_empty());
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_content_encoding_label_comes_on_the_stream() {
    let sim = start(Faults {
        content_encoding: Some("gzip".into()),
        ..Faults::default()
    })
    .await;
    let response = fetch(&sim.stream_url("job_q")).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "content-encoding"), Some("gzip"));
    assert_eq!(header(&response, "content-type"), Some("text/event-stream"));
    sim.shutdown().await.unwrap();
}

#[test]
fn scenario_files_set_the_new_faults() {
    let scenario = Scenario::from_toml_str(
        r#"
        [[jobs]]
        id = "job_r"
        faults = { redirect = { status = 308, to = { localhost = {} } }, no_content = true, content_encoding = "gzip" }
        steps = [{ event = "completed" }]

        [[jobs]]
        id = "job_p"
        faults = { redirect = { to = { port = 8080 } } }
        steps = [{ event = "completed" }]

        [[jobs]]
        id = "job_m"
        faults = { redirect = { to = "missing" } }
        steps = [{ event = "completed" }]
        "#,
    )
    .expect("a valid scenario");
    let faults: Vec<&Faults> = scenario.jobs.iter().map(|job| &job.faults).collect();
    assert_eq!(
        faults[0].redirect,
        Some(Redirect::new(308, RedirectTo::Localhost { port: None }))
    );
    assert!(faults[0].no_content);
    assert_eq!(faults[0].content_encoding.as_deref(), Some("gzip"));
    assert_eq!(
        faults[1].redirect,
        Some(Redirect::temporary(RedirectTo::Port(8080)))
    );
    assert_eq!(
        faults[2].redirect,
        Some(Redirect::temporary(RedirectTo::Missing))
    );
}
