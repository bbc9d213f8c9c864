//! Helpers shared by the integration tests: a reqwest client, body
//! collection with a safety timeout, and decoding with the core's decoder.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bedrock_sse_core::sse::{Decoder, Item, OwnedEvent};
use bedrock_sse_sim::{JobScript, RunningSim};
use serde_json::json;

pub const KEY: &str = "sk_test";

/// A bound on every wait, so that a broken simulator fails a test instead
/// of hanging it. Never an assertion about speed.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub const HOUR: Duration = Duration::from_secs(3600);

pub fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// 2026-01-15T10:00:00Z.
pub fn origin() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_768_471_200)
}

/// Queued, running, two progress events, completed: 10 ms apart.
pub fn quick_job(id: &str) -> JobScript {
    JobScript::new(id, "overlay.generate")
        .running(ms(10))
        .progress(ms(10), 0.5, "Processing sheet 1 of 2")
        .progress(ms(10), 1.0, "Processing sheet 2 of 2")
        .completed(
            ms(10),
            json!({"overlay_uri": "https://files.example/ovl_1.pdf", "score": 0.9, "changes": []}),
        )
}

/// Queued, running and one progress event at once, then nothing for an
/// hour: a job that stays running for the whole test.
pub fn long_job(id: &str) -> JobScript {
    JobScript::new(id, "overlay.generate")
        .running(Duration::ZERO)
        .progress(Duration::ZERO, 0.25, "Processing sheet 3 of 12")
        .completed(HOUR, json!({"score": 1.0}))
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("a reqwest client")
}

pub fn get(sim: &RunningSim, job: &str) -> reqwest::RequestBuilder {
    client().get(sim.stream_url(job)).bearer_auth(KEY)
}

pub async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    tokio::time::timeout(PATIENCE, request.send())
        .await
        .expect("the simulator answered in time")
        .expect("the request reached the simulator")
}

/// A whole body as received, and whether it ended in an error (an aborted
/// connection) rather than cleanly.
#[derive(Debug)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub chunks: usize,
    pub aborted: bool,
}

impl Body {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.bytes).expect("a UTF-8 body")
    }
}

pub async fn read_body(mut response: reqwest::Response) -> Body {
    let mut body = Body {
        bytes: Vec::new(),
        chunks: 0,
        aborted: false,
    };
    loop {
        match tokio::time::timeout(PATIENCE, response.chunk())
            .await
            .expect("the body ended in time")
        {
            Ok(Some(chunk)) => {
                body.chunks += 1;
                body.bytes.extend_from_slice(&chunk);
            }
            Ok(None) => return body,
            Err(_) => {
                body.aborted = true;
                return body;
            }
        }
    }
}

/// Reads until `done` holds for the bytes so far.
pub async fn read_until(
    response: &mut reqwest::Response,
    bytes: &mut Vec<u8>,
    done: impl Fn(&[u8]) -> bool,
) {
    while !done(bytes) {
        let chunk = tokio::time::timeout(PATIENCE, response.chunk())
            .await
            .expect("the awaited bytes came in time")
            .expect("the stream did not fail")
            .expect("the stream did not end before the awaited bytes");
        bytes.extend_from_slice(&chunk);
    }
}

pub fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

pub fn decode(bytes: &[u8]) -> Vec<OwnedEvent> {
    let mut decoder = Decoder::new();
    let mut events = Vec::new();
    decoder.decode_each(bytes, |item| {
        if let Ok(Item::Event(event)) = item {
            events.push(event.to_owned());
        }
    });
    events
}

pub fn json(event: &OwnedEvent) -> serde_json::Value {
    serde_json::from_str(&event.data).expect("event data is JSON")
}

/// `text` with every `"timestamp":"…"` value replaced by `T`, after
/// checking that it is an RFC 3339 time.
pub fn mask_timestamps(text: &str) -> String {
    const KEY: &str = "\"timestamp\":\"";
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(KEY) {
        let value_start = start + KEY.len();
        let end = value_start + rest[value_start..].find('"').expect("a closed timestamp");
        humantime::parse_rfc3339(&rest[value_start..end]).expect("an RFC 3339 timestamp");
        out.push_str(&rest[..value_start]);
        out.push('T');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

pub fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}
