//! The HTTP surface: auth, versioning, errors, rate limits, the request log.

mod common;

use std::time::Duration;

use bedrock_sse_sim::{DEFAULT_KEY, RateLimit, RunningSim, Simulator};
use common::*;
use serde_json::Value;

async fn sim() -> RunningSim {
    Simulator::builder()
        .job(quick_job("job_open"))
        .job(quick_job("job_private").keys(["sk_other"]))
        .key(KEY)
        .start()
        .await
        .expect("the simulator starts")
}

/// Checks a problem response and returns its body.
async fn problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        header(&response, "content-type"),
        Some("application/problem+json")
    );
    let request_id = header(&response, "x-request-id")
        .expect("X-Request-Id")
        .to_owned();
    assert!(request_id.starts_with("req_"), "{request_id}");
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["code"], code);
    assert_eq!(body["request_id"], request_id.as_str());
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("https://docs.bedrock.cv/errors/")
    );
    assert!(!body["title"].as_str().unwrap().is_empty());
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

#[tokio::test]
async fn a_missing_malformed_or_wrong_key_gets_401() {
    let sim = sim().await;
    let url = sim.stream_url("job_open");
    let missing = problem(send(client().get(&url)).await, 401, "UNAUTHORIZED").await;
    assert_eq!(
        missing["type"],
        "https://docs.bedrock.cv/errors/authentication"
    );
    assert!(
        missing["detail"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer")
    );
    problem(
        send(client().get(&url).bearer_auth("sk_wrong")).await,
        401,
        "UNAUTHORIZED",
    )
    .await;
    problem(
        send(client().get(&url).header("authorization", "Basic abc")).await,
        401,
        "UNAUTHORIZED",
    )
    .await;
    problem(
        send(client().get(&url).header("x-api-key", "sk_wrong")).await,
        401,
        "UNAUTHORIZED",
    )
    .await;
    // No key identified: no rate-limit headers either.
    let response = send(client().get(&url)).await;
    assert_eq!(header(&response, "x-ratelimit-limit"), None);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn bearer_and_x_api_key_both_authenticate() {
    let sim = sim().await;
    let bearer = send(get(&sim, "job_open")).await;
    assert_eq!(bearer.status(), 200);
    assert_eq!(header(&bearer, "content-type"), Some("text/event-stream"));
    assert_eq!(header(&bearer, "cache-control"), Some("no-cache"));
    assert!(header(&bearer, "x-request-id").is_some());
    let header_key = send(
        client()
            .get(sim.stream_url("job_open"))
            .header("X-API-Key", KEY),
    )
    .await;
    assert_eq!(header_key.status(), 200);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_default_key_is_sk_demo() {
    let sim = Simulator::builder()
        .job(quick_job("job_1"))
        .start()
        .await
        .unwrap();
    let response = send(
        client()
            .get(sim.stream_url("job_1"))
            .bearer_auth(DEFAULT_KEY),
    )
    .await;
    assert_eq!(response.status(), 200);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_valid_key_not_allowed_on_the_job_gets_403() {
    let sim = sim().await;
    let body = problem(send(get(&sim, "job_private")).await, 403, "FORBIDDEN").await;
    assert_eq!(body["type"], "https://docs.bedrock.cv/errors/authorization");
    let allowed = send(
        client()
            .get(sim.stream_url("job_private"))
            .bearer_auth("sk_other"),
    )
    .await;
    assert_eq!(allowed.status(), 200);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_jobs_and_paths_get_404() {
    let sim = sim().await;
    let body = problem(send(get(&sim, "job_nope")).await, 404, "NOT_FOUND").await;
    assert!(body["detail"].as_str().unwrap().contains("job_nope"));
    let other = client()
        .get(format!("{}/jobs", sim.base_url()))
        .bearer_auth(KEY);
    problem(send(other).await, 404, "NOT_FOUND").await;
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn api_versions_default_echo_and_reject_unknown_ones() {
    let sim = Simulator::builder()
        .job(quick_job("job_1"))
        .key(KEY)
        .api_version("2025-06-01")
        .start()
        .await
        .unwrap();
    let default = send(get(&sim, "job_1")).await;
    assert_eq!(header(&default, "x-api-version"), Some("2026-01-01"));
    let older = send(get(&sim, "job_1").header("X-API-Version", "2025-06-01")).await;
    assert_eq!(older.status(), 200);
    assert_eq!(header(&older, "x-api-version"), Some("2025-06-01"));
    let body = problem(
        send(get(&sim, "job_1").header("X-API-Version", "99")).await,
        400,
        "BAD_REQUEST",
    )
    .await;
    assert_eq!(
        body["detail"],
        "Unsupported API version: 99. Supported versions: 2026-01-01, 2025-06-01."
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn every_response_to_a_key_carries_rate_limit_headers_and_429_when_spent() {
    let sim = Simulator::builder()
        .job(quick_job("job_1"))
        .key(KEY)
        .key("sk_second")
        .rate_limit(Some(RateLimit {
            capacity: 3,
            window: Duration::from_secs(3),
        }))
        .start()
        .await
        .unwrap();
    let mut remaining = Vec::new();
    for _ in 0..2 {
        let response = send(get(&sim, "job_1")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-limit"), Some("3"));
        remaining.push(
            header(&response, "x-ratelimit-remaining")
                .unwrap()
                .to_owned(),
        );
        let reset: u64 = header(&response, "x-ratelimit-reset")
            .unwrap()
            .parse()
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(
            reset >= now && reset <= now + 4,
            "reset {reset} is a Unix time within the window"
        );
    }
    // Error responses count and carry the headers too.
    let not_found = send(get(&sim, "job_nope")).await;
    assert_eq!(header(&not_found, "x-ratelimit-remaining"), Some("0"));
    assert_eq!(remaining, ["2", "1"]);

    let limited = send(get(&sim, "job_1")).await;
    let retry_after: u64 = header(&limited, "retry-after").unwrap().parse().unwrap();
    assert_eq!(retry_after, 1, "one token comes back every second");
    assert_eq!(header(&limited, "x-ratelimit-remaining"), Some("0"));
    let body = problem(limited, 429, "RATE_LIMITED").await;
    assert_eq!(body["type"], "https://docs.bedrock.cv/errors/rate-limit");
    assert_eq!(
        body["detail"],
        "Rate limit exceeded. Try again in 1 seconds."
    );

    // Another key has its own bucket.
    let other = send(
        client()
            .get(sim.stream_url("job_1"))
            .bearer_auth("sk_second"),
    )
    .await;
    assert_eq!(other.status(), 200);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn rate_limiting_can_be_turned_off() {
    let sim = Simulator::builder()
        .job(quick_job("job_1"))
        .key(KEY)
        .rate_limit(None)
        .start()
        .await
        .unwrap();
    let response = send(get(&sim, "job_1")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ratelimit-limit"), None);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_request_log_records_each_request_with_credentials_redacted() {
    let sim = sim().await;
    send(
        get(&sim, "job_open")
            .header("Last-Event-ID", "2")
            .header("X-API-Version", "2026-01-01"),
    )
    .await;
    send(
        client()
            .get(sim.stream_url("job_nope"))
            .header("x-api-key", KEY),
    )
    .await;
    send(client().get(sim.stream_url("job_open"))).await;
    let records = tokio::time::timeout(PATIENCE, sim.request_log().wait_for_len(3))
        .await
        .unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(
        records
            .iter()
            .map(|r| (r.seq, r.status))
            .collect::<Vec<_>>(),
        [(0, 200), (1, 404), (2, 401)]
    );
    let first = &records[0];
    assert_eq!(first.method, "GET");
    assert_eq!(first.path, "/jobs/job_open/stream");
    assert_eq!(first.last_event_id.as_deref(), Some("2"));
    assert_eq!(first.header("authorization"), Some("Bearer <redacted>"));
    assert_eq!(first.header("X-Api-Version"), Some("2026-01-01"));
    assert!(first.request_id.starts_with("req_"));
    assert!(records[1].since_start >= first.since_start);
    assert!(records[1].at >= first.at);
    assert_eq!(records[1].header("x-api-key"), Some("<redacted>"));
    assert_eq!(records[2].last_event_id, None);
    let everything = format!("{records:?}");
    assert!(!everything.contains(KEY), "a key leaked into the log");
    sim.request_log().clear();
    assert!(sim.request_log().records().is_empty());
    assert_eq!(sim.request_log().total(), 3);
    sim.shutdown().await.unwrap();
}

/// Writes `request` on `tcp` and reads the response's head and its
/// `Content-Length` bytes of body; the status.
async fn exchange(tcp: &mut tokio::net::TcpStream, request: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0; 1024];
    let (head, length) = loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8(bytes[..end].to_vec()).unwrap();
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().unwrap())
                })
                .expect("a Content-Length");
            break (head, end + 4 + length);
        }
        let read = tokio::time::timeout(PATIENCE, tcp.read(&mut buf))
            .await
            .expect("the simulator answered in time")
            .unwrap();
        assert!(read > 0, "the simulator closed the connection early");
        bytes.extend_from_slice(&buf[..read]);
    };
    while bytes.len() < length {
        let read = tokio::time::timeout(PATIENCE, tcp.read(&mut buf))
            .await
            .expect("the simulator answered in time")
            .unwrap();
        assert!(read > 0, "the body ended early");
        bytes.extend_from_slice(&buf[..read]);
    }
    head.split(' ').nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_connection_s_first_request_arrives_when_it_was_accepted() {
    use std::time::SystemTime;
    let sim = sim().await;
    let request = |job: &str| {
        format!(
            "GET /jobs/{job}/stream HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {KEY}\r\n\r\n",
            sim.addr()
        )
    };
    let before_connect = SystemTime::now();
    let mut tcp = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    // The connection is accepted now, but its request comes later.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let first_sent = SystemTime::now();
    assert_eq!(exchange(&mut tcp, &request("job_nope")).await, 404);
    // A second request on the same (kept-alive) connection, later still.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second_sent = SystemTime::now();
    assert_eq!(exchange(&mut tcp, &request("job_gone")).await, 404);
    let records = tokio::time::timeout(PATIENCE, sim.request_log().wait_for_len(2))
        .await
        .unwrap();
    let (first, second) = (&records[0], &records[1]);
    assert_eq!(first.path, "/jobs/job_nope/stream");
    assert_eq!(first.peer, second.peer, "one connection: {records:#?}");
    assert!(
        before_connect <= first.at && first.at < first_sent,
        "the first request is stamped at accept, before it was sent: \
         {before_connect:?} <= {:?} < {first_sent:?}",
        first.at
    );
    assert!(
        second.at >= second_sent,
        "a later request is stamped when handled: {:?} >= {second_sent:?}",
        second.at
    );
    assert!(
        second.since_start - first.since_start >= Duration::from_millis(200),
        "{records:#?}"
    );
    drop(tcp);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_request_log_is_bounded() {
    let sim = Simulator::builder()
        .job(quick_job("job_1"))
        .key(KEY)
        .log_capacity(2)
        .start()
        .await
        .unwrap();
    for _ in 0..3 {
        send(client().get(sim.stream_url("job_1"))).await;
    }
    let records = tokio::time::timeout(PATIENCE, sim.request_log().wait_for_len(3))
        .await
        .unwrap();
    assert_eq!(records.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2]);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_configurations_are_refused_with_reasons() {
    use bedrock_sse_sim::SimError;
    let bad_key = Simulator::builder()
        .key("secret")
        .start()
        .await
        .unwrap_err();
    assert!(matches!(bad_key, SimError::InvalidKey { index: 0 }));
    assert!(!bad_key.to_string().contains("secret"));
    let zero = Simulator::builder()
        .heartbeat(Duration::ZERO)
        .start()
        .await
        .unwrap_err();
    assert!(matches!(
        zero,
        SimError::ZeroDuration {
            setting: "heartbeat"
        }
    ));
    let speed = Simulator::builder().speed(0.0).start().await.unwrap_err();
    assert!(matches!(speed, SimError::Scenario(_)));
    let limit = Simulator::builder()
        .rate_limit(Some(RateLimit::per_minute(0)))
        .start()
        .await
        .unwrap_err();
    assert!(matches!(limit, SimError::EmptyRateLimit));
    let taken = Simulator::builder().start().await.unwrap();
    let clash = Simulator::builder()
        .addr(taken.addr())
        .start()
        .await
        .unwrap_err();
    assert!(matches!(clash, SimError::Bind { .. }), "{clash}");
    taken.shutdown().await.unwrap();
}
