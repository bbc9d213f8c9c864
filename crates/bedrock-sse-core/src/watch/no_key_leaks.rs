//! The key never shows: every way a watch can fail, driven through the
//! public API with a server that echoes the key wherever it can, formatted
//! with `Debug` and `Display`.
//!
//! The `match`es below have no wildcard, so a new variant of
//! [`WatchError`], [`Failure`] or [`ConfigError`] does not compile until
//! it is produced here too.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use super::*;
use crate::api::{BaseUrlError, Credentials};
use crate::http::{InvalidHeaderValue, InvalidLocation};

const KEY: &str = "sk_live_LEAKCHECK_0123";
const STREAM: (&str, &str) = ("content-type", "text/event-stream");

fn watch_error(e: &WatchError) -> usize {
    match e {
        WatchError::Unauthorized { .. } => 0,
        WatchError::JobNotFound { .. } => 1,
        WatchError::UnexpectedStatus { .. } => 2,
        WatchError::NotAnEventStream { .. } => 3,
        WatchError::RetriesExhausted { .. } => 4,
        WatchError::DeadlineExceeded => 5,
        WatchError::CrossOriginRedirect { .. } => 6,
        WatchError::InvalidRedirect { .. } => 7,
        WatchError::TooManyRedirects { .. } => 8,
        WatchError::UnsupportedEncoding { .. } => 9,
        WatchError::Certificate(_) => 10,
    }
}
const WATCH_ERRORS: usize = 11;

fn failure(f: &Failure) -> usize {
    match f {
        Failure::Status { .. } => 0,
        Failure::RateLimited { .. } => 1,
        Failure::Transport(_) => 2,
        Failure::ClosedBeforeResponse => 3,
        Failure::ResponseTimeout => 4,
        Failure::IdleTimeout => 5,
        Failure::ClosedEarly => 6,
    }
}
const FAILURES: usize = 7;

fn config_error(e: &ConfigError) -> usize {
    match e {
        ConfigError::Header(_) => 0,
        ConfigError::BaseUrl(_) => 1,
        ConfigError::ZeroTimeout { .. } => 2,
        ConfigError::MissingEnv { .. } => 3,
        ConfigError::Env { .. } => 4,
    }
}
const CONFIG_ERRORS: usize = 5;

/// Fails if `text` holds the key (or its distinctive half).
fn clean(what: &str, text: &str) {
    assert!(
        !text.contains(KEY) && !text.contains("LEAKCHECK"),
        "{what} shows the key: {text}"
    );
}

/// A watch with the key, driven by a fake clock; everything it says is
/// formatted and checked as it comes.
struct Probe {
    watch: Watch,
    now: Instant,
    seen: usize,
}

impl Probe {
    fn new(credentials: Credentials) -> Probe {
        let config = WatchConfig::builder("job_1")
            .unwrap()
            .base_url("https://api.test")
            .unwrap()
            .credentials(Some(credentials))
            .max_failures(Some(1))
            .idle_timeout(Duration::from_secs(1))
            .unwrap()
            .head_timeout(Duration::from_secs(1))
            .unwrap()
            .timeout(Duration::from_secs(60))
            .build();
        clean("the config", &format!("{config:?}"));
        let mut probe = Probe {
            watch: Watch::new(config, Instant::ZERO, 7),
            now: Instant::ZERO,
            seen: 0,
        };
        probe.drain();
        probe
    }

    /// Checks every action, event and the watch itself; returns the
    /// outcome if it came.
    fn drain(&mut self) -> Option<Outcome> {
        while let Some(action) = self.watch.poll_action() {
            clean("an action", &format!("{action:?}"));
            self.seen += 1;
        }
        while let Some(event) = self.watch.poll_event() {
            if let WatchEvent::Reconnecting { cause: Some(f), .. } = &event {
                clean("a failure", &format!("{f}"));
            }
            clean("an event", &format!("{event:?}"));
            self.seen += 1;
        }
        clean("the watch", &format!("{:?}", self.watch));
        let outcome = self.watch.poll_outcome();
        if let Some(outcome) = &outcome {
            clean("the outcome", &format!("{outcome:?}"));
            if let Outcome::Failed(error) = outcome {
                clean("the error", &format!("{error} / {error:?}"));
            }
        }
        outcome
    }

    fn respond(&mut self, status: u16, headers: &[(&str, &str)]) -> Option<Outcome> {
        self.watch.handle_response(self.now, status, headers);
        self.drain()
    }

    fn body(&mut self, bytes: &str) -> Option<Outcome> {
        // Small bodies: the queue always has room for all of one.
        let taken = self.watch.handle_body(self.now, bytes.as_bytes());
        assert_eq!(taken, bytes.len());
        self.drain()
    }

    fn fire(&mut self) -> Option<Outcome> {
        self.now = self.watch.poll_timeout().expect("a deadline");
        self.watch.handle_timeout(self.now);
        self.drain()
    }
}

/// What a test does to a watch; `Some` once the watch ended.
type Script<'a> = dyn Fn(&mut Probe) -> Option<Outcome> + 'a;

/// Drives a fresh watch with `script` and returns its error.
fn fails(credentials: &Credentials, script: impl Fn(&mut Probe) -> Option<Outcome>) -> WatchError {
    let mut probe = Probe::new(credentials.clone());
    let mut outcome = script(&mut probe);
    // Let retries and timers run until the watch ends.
    while outcome.is_none() {
        outcome = probe.fire();
    }
    match outcome {
        Some(Outcome::Failed(error)) => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn echo<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

#[test]
fn no_error_the_watch_can_end_with_shows_the_key() {
    let echoed = format!("req-{KEY}");
    let problem = format!(
        r#"{{"type":"about:blank","title":"bad key {KEY}","status":401,"detail":"the key {KEY} is revoked","code":"UNAUTHORIZED","request_id":"{KEY}"}}"#
    );
    let request_id = [("x-request-id", echoed.clone())];
    let mut watch_errors = [false; WATCH_ERRORS];
    let mut failures = [false; FAILURES];
    for credentials in [
        Credentials::bearer(KEY).unwrap(),
        Credentials::api_key(KEY).unwrap(),
    ] {
        let fatal_body = |status: u16| {
            let problem = problem.clone();
            let request_id = request_id.clone();
            move |p: &mut Probe| {
                p.respond(status, &echo(&request_id));
                p.body(&problem);
                p.watch.handle_eof(p.now);
                p.drain()
            }
        };
        let mut errors = vec![
            fails(&credentials, fatal_body(401)),
            fails(&credentials, fatal_body(404)),
            fails(&credentials, fatal_body(400)),
            fails(&credentials, |p| {
                p.respond(200, &[("content-type", &format!("text/html; {KEY}"))])
            }),
            fails(&credentials, |p| {
                p.respond(
                    200,
                    &[STREAM, ("content-encoding", &format!("gzip, {KEY}"))],
                )
            }),
            fails(&credentials, |p| {
                let mut headers = echo(&request_id);
                headers.push(("location", "https://elsewhere.test/x"));
                p.respond(302, &headers)
            }),
            fails(&credentials, |p| {
                let location = format!("ftp://{KEY}@elsewhere.test/{KEY}");
                p.respond(307, &[("location", location.as_str())])
            }),
            fails(&credentials, |p| {
                let location = "/jobs/job_1/stream?again";
                let mut outcome = None;
                while outcome.is_none() {
                    outcome = p.respond(308, &[("location", location)]);
                }
                outcome
            }),
            fails(&credentials, |p| {
                let message = format!("invalid peer certificate for {KEY}");
                let error = TransportError::new(TransportErrorKind::Certificate, message);
                p.watch.handle_transport_error(p.now, error);
                p.drain()
            }),
            fails(&credentials, |p| {
                // Alive but endless: the watch's own deadline.
                p.respond(200, &[STREAM]);
                loop {
                    p.now = p.now + Duration::from_millis(500);
                    if let Some(outcome) = p.body(": alive\n\n") {
                        return Some(outcome);
                    }
                }
            }),
        ];
        // Every retried failure, as the last one of `RetriesExhausted`.
        let retried: [&Script<'_>; FAILURES] = [
            &|p| p.respond(503, &echo(&request_id)),
            &|p| {
                p.respond(
                    429,
                    &echo(&[request_id[0].clone(), ("retry-after", "1".into())]),
                )
            },
            &|p| {
                let error = TransportError::new(
                    TransportErrorKind::Reset,
                    format!("connection reset reading https://api.test/?{KEY}"),
                );
                p.watch.handle_transport_error(p.now, error);
                p.drain()
            },
            &|p| {
                p.watch.handle_eof(p.now);
                p.drain()
            },
            &|p| p.fire(),
            &|p| {
                p.respond(200, &[STREAM]);
                p.fire()
            },
            &|p| {
                p.respond(200, &[STREAM]);
                p.watch.handle_eof(p.now);
                p.drain()
            },
        ];
        for script in retried {
            let error = fails(&credentials, script);
            if let WatchError::RetriesExhausted { last, .. } = &error {
                failures[failure(last)] = true;
            }
            errors.push(error);
        }
        // A Location that echoes the key is not followed: the URL would be
        // logged and kept in errors.
        let echoed_in_url = fails(&credentials, |p| {
            let location = format!("/jobs/job_1/stream?k={KEY}");
            p.respond(302, &[("location", location.as_str())])
        });
        assert!(
            matches!(
                echoed_in_url,
                WatchError::InvalidRedirect {
                    reason: InvalidLocation::HoldsKey,
                    ..
                }
            ),
            "{echoed_in_url:?}"
        );
        for error in &errors {
            watch_errors[watch_error(error)] = true;
        }
    }
    assert_eq!(failures, [true; FAILURES], "a failure was never produced");
    assert_eq!(
        watch_errors, [true; WATCH_ERRORS],
        "an error was never produced"
    );
}

#[test]
fn no_configuration_error_shows_the_key() {
    let bad_key = format!("{KEY}\n");
    let builder = || WatchConfig::builder("job_1").unwrap();
    let errors = [
        builder().bearer(bad_key.as_str()).unwrap_err(),
        builder().api_key(format!("{KEY}é")).unwrap_err(),
        builder()
            .base_url(format!("https://user:{KEY}@api.test").as_str())
            .unwrap_err(),
        builder().idle_timeout(Duration::ZERO).unwrap_err(),
        ConfigError::MissingEnv {
            var: WatchConfig::ENV_API_KEY,
        },
        ConfigError::Env {
            var: WatchConfig::ENV_API_KEY,
            error: alloc::boxed::Box::new(ConfigError::Header(InvalidHeaderValue::BadByte {
                what: "API key",
                index: KEY.len(),
            })),
        },
        ConfigError::BaseUrl(BaseUrlError::PlaintextHttp),
    ];
    let mut seen = [false; CONFIG_ERRORS];
    for error in &errors {
        clean("a configuration error", &format!("{error} / {error:?}"));
        seen[config_error(error)] = true;
    }
    assert_eq!(seen, [true; CONFIG_ERRORS]);
}
