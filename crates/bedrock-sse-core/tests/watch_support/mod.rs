//! A fake driver for Watch tests: a fake clock and recorded outputs.
#![allow(dead_code, unreachable_pub)]

use core::time::Duration;

use bedrock_sse_core::http::Request;
use bedrock_sse_core::watch::{Action, Instant, Outcome, Watch, WatchConfig, WatchEvent};

pub const ES: [(&str, &str); 1] = [("content-type", "text/event-stream")];

pub struct Harness {
    pub watch: Watch,
    pub now: Instant,
    pub actions: Vec<Action>,
    pub events: Vec<WatchEvent>,
    pub outcome: Option<Outcome>,
}

impl Harness {
    pub fn new(config: WatchConfig) -> Self {
        Self::with_seed(config, 1)
    }

    pub fn with_seed(config: WatchConfig, seed: u64) -> Self {
        let mut h = Harness {
            watch: Watch::new(config, Instant::ZERO, seed),
            now: Instant::ZERO,
            actions: Vec::new(),
            events: Vec::new(),
            outcome: None,
        };
        h.drain();
        h
    }

    /// A watch of `id` with defaults, but no rotation jitter, so that
    /// scenarios can say exactly when a rotation reconnects.
    pub fn job(id: &str) -> Self {
        let config = WatchConfig::builder(id)
            .unwrap()
            .rotation_jitter(Duration::ZERO);
        Self::new(config.build())
    }

    /// Moves every output into the records; checks the outcome comes once.
    pub fn drain(&mut self) {
        while let Some(a) = self.watch.poll_action() {
            self.actions.push(a);
        }
        while let Some(e) = self.watch.poll_event() {
            self.events.push(e);
        }
        if let Some(o) = self.watch.poll_outcome() {
            assert!(self.outcome.is_none(), "two outcomes");
            self.outcome = Some(o);
        }
        assert!(self.watch.poll_outcome().is_none());
    }

    pub fn advance(&mut self, d: Duration) {
        self.now = self.now + d;
    }

    pub fn respond(&mut self, status: u16, headers: &[(&str, &str)]) {
        self.watch.handle_response(self.now, status, headers);
        self.drain();
    }

    pub fn stream(&mut self) {
        self.respond(200, &ES);
    }

    /// Feeds `text` as one chunk, as a driver does: what the watch takes,
    /// then its outputs, until all is taken.
    pub fn body(&mut self, text: &str) {
        self.body_bytes(text.as_bytes());
    }

    /// [`body`](Self::body) for bytes that need not be UTF-8.
    pub fn body_bytes(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        loop {
            let taken = self.watch.handle_body(self.now, rest);
            rest = &rest[taken..];
            self.drain();
            if rest.is_empty() {
                break;
            }
            assert!(taken > 0, "a call on a drained queue took nothing");
        }
    }

    pub fn eof(&mut self) {
        self.watch.handle_eof(self.now);
        self.drain();
    }

    /// Jumps the clock to the watch's deadline and fires it.
    pub fn fire(&mut self) {
        let at = self.watch.poll_timeout().expect("a deadline");
        assert!(at >= self.now, "deadline in the past");
        self.now = at;
        self.watch.handle_timeout(self.now);
        self.drain();
    }

    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    pub fn connects(&self) -> Vec<&Request> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Connect(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    /// Names and messages (or progress) of the delivered job events.
    pub fn jobs(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                WatchEvent::Job { event: j, .. } => {
                    let d = j.data();
                    let detail = d
                        .and_then(|d| {
                            d.message
                                .as_deref()
                                .map(str::to_owned)
                                .or_else(|| d.status.as_ref().map(|s| s.as_str().to_owned()))
                                .or_else(|| d.fraction().map(|f| f.to_string()))
                        })
                        .unwrap_or_default();
                    Some(format!("{}:{}", j.name(), detail))
                }
                _ => None,
            })
            .collect()
    }

    pub fn reconnects(&self) -> Vec<(Duration, u32, bool)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                WatchEvent::Reconnecting {
                    delay,
                    failures,
                    cause,
                } => Some((*delay, *failures, cause.is_some())),
                _ => None,
            })
            .collect()
    }

    pub fn error(&self) -> &bedrock_sse_core::watch::WatchError {
        match &self.outcome {
            Some(Outcome::Failed(e)) => e,
            other => panic!("not a failure: {other:?}"),
        }
    }
}

pub fn ev(kind: &str, json: &str) -> String {
    format!("event: {kind}\ndata: {json}\n\n")
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
