//! A fake driver for fuzzed and generated watches: it feeds inputs with a
//! fake clock, drains every output, and asserts after each step what a
//! watch promises whatever it is fed.

use std::collections::HashSet;
use std::time::Duration;

use bedrock_sse_core::http::{Origin, Request};
use bedrock_sse_core::watch::{
    Action, Failure, Instant, Outcome, TransportErrorKind, Watch, WatchConfig, WatchEvent,
};

/// The API key of the watches under test. It has upper-case letters, so a
/// host name (which URL parsing lower-cases) cannot spell it.
pub(crate) const SECRET: &str = "sk_FUZZ_never_shown_42";

/// Drives one watch and checks, at every step:
///
/// * after each input, [`Watch::poll_timeout`] is not before the latest
///   time given (`None` only once the watch is over);
/// * every requested header value is sendable as it is (RFC 9110: tabs,
///   spaces, visible ASCII and obs-text; no CR, LF, NUL or other control,
///   no space at either end) and the URL is visible ASCII;
/// * the credentials go only to the base URL's origin, and not again in an
///   attempt once one of its redirects left that origin;
/// * the key shows nowhere but in the sensitive header: not in a URL, an
///   event, an outcome, or any `Debug` or `Display` text, even when the
///   server echoes it (the fuzzer may spell it anywhere);
/// * no job event is delivered twice (events are told apart by their
///   `message`: the scripted server gives each a unique one, and fuzzed
///   bytes are stripped of quotes so they cannot forge one);
/// * a body chunk is taken whole, or the watch stops at its queue cap and
///   takes the rest once drained (then always something), and the queue
///   holds at most [`Watch::MAX_QUEUED_EVENTS`] plus one notice per other
///   input since the last drain;
/// * the outcome comes exactly once, nothing is delivered or requested
///   after it, and a finished job's outcome carries its terminal event.
pub(crate) struct Driver {
    pub(crate) watch: Watch,
    pub(crate) now: Instant,
    /// The latest time the watch was told.
    told: Instant,
    home: Option<Origin>,
    /// The current attempt was redirected out of the base URL's origin.
    left_home: bool,
    /// A request is out with no response, end or error fed for it yet.
    pub(crate) requested: bool,
    messages: HashSet<String>,
    /// Inputs other than body bytes since the last drain: each may queue
    /// one notice (a reconnect) beyond the body's cap.
    notices: usize,
    /// Requests drained while feeding a body, for the next [`drain`](Self::drain).
    unclaimed: Vec<Request>,
    pub(crate) outcome: Option<Outcome>,
    /// Every event drained, for checks that want more.
    pub(crate) events: Vec<WatchEvent>,
}

impl Driver {
    pub(crate) fn new(config: WatchConfig, seed: u64) -> Driver {
        let home = Origin::of(config.base_url().as_str());
        let mut driver = Driver {
            watch: Watch::new(config, Instant::ZERO, seed),
            now: Instant::ZERO,
            told: Instant::ZERO,
            home,
            left_home: false,
            requested: false,
            messages: HashSet::new(),
            notices: 1,
            unclaimed: Vec::new(),
            outcome: None,
            events: Vec::new(),
        };
        driver.drain();
        driver
    }

    /// Feeds one input other than body bytes, at the current time.
    pub(crate) fn input(&mut self, feed: impl FnOnce(&mut Watch, Instant)) {
        feed(&mut self.watch, self.now);
        self.notices += 1;
        self.told_now();
    }

    fn told_now(&mut self) {
        self.told = self.told.max(self.now);
        match self.watch.poll_timeout() {
            Some(at) => assert!(at >= self.told, "deadline {at:?} before {:?}", self.told),
            None => assert!(
                self.watch.is_finished(),
                "a running watch without a deadline"
            ),
        }
    }

    pub(crate) fn respond(&mut self, status: u16, headers: &[(&str, &[u8])]) {
        self.requested = false;
        self.input(|watch, now| watch.handle_response(now, status, headers.iter().copied()));
    }

    /// Feeds a body chunk as a driver does: what the watch takes, then
    /// (if it stopped short) its outputs, until all is taken.
    pub(crate) fn body(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        let mut drained = false;
        loop {
            let taken = self.watch.handle_body(self.now, rest);
            assert!(taken <= rest.len());
            assert!(
                taken > 0 || !drained || rest.is_empty(),
                "a drained watch took nothing"
            );
            self.told_now();
            rest = &rest[taken..];
            if rest.is_empty() {
                break;
            }
            let requests = self.drain();
            self.unclaimed.extend(requests);
            drained = true;
        }
    }

    pub(crate) fn eof(&mut self) {
        self.requested = false;
        self.input(|watch, now| watch.handle_eof(now));
    }

    pub(crate) fn transport_error(&mut self, kind: TransportErrorKind) {
        self.requested = false;
        self.input(|watch, now| watch.handle_transport_error(now, kind.into()));
    }

    pub(crate) fn advance(&mut self, by: Duration) {
        self.now = self.now + by;
    }

    /// Lets the timer fire: never early, and at `now` if it is late.
    pub(crate) fn fire(&mut self) {
        if let Some(at) = self.watch.poll_timeout() {
            self.now = self.now.max(at);
        }
        self.input(|watch, now| watch.handle_timeout(now));
    }

    /// Takes every output, checking each; returns the requests made.
    pub(crate) fn drain(&mut self) -> Vec<Request> {
        // Events first: a `Reconnecting` starts a new attempt, and the
        // drain's connect (there is at most one) belongs to the newest.
        let first = self.events.len();
        while let Some(event) = self.watch.poll_event() {
            assert!(
                self.outcome.is_none(),
                "an event after the outcome: {event:?}"
            );
            self.check_event(&event);
            self.events.push(event);
        }
        let queued = self.events.len() - first;
        let cap = Watch::MAX_QUEUED_EVENTS + self.notices;
        assert!(queued <= cap, "{queued} events queued (at most {cap})");
        self.notices = 0;
        let mut requests = std::mem::take(&mut self.unclaimed);
        while let Some(action) = self.watch.poll_action() {
            if let Action::Connect(request) = action {
                assert!(self.outcome.is_none(), "a connect after the outcome");
                self.check_request(&request);
                self.requested = true;
                requests.push(request);
            }
        }
        if let Some(outcome) = self.watch.poll_outcome() {
            assert!(self.outcome.is_none(), "two outcomes");
            assert!(self.watch.is_finished());
            self.check_quiet(&format!("{outcome:?} {:?}", outcome.error()));
            if let Some(error) = outcome.error() {
                self.check_quiet(&error.to_string());
            }
            if let Outcome::Finished { end, event } = &outcome {
                assert!(event.is_terminal());
                assert_eq!(Some(*end), bedrock_sse_core::job::JobEnd::of(event));
            }
            self.outcome = Some(outcome);
        }
        assert!(self.watch.poll_outcome().is_none());
        requests
    }

    /// Ends the watch the quickest way it allows (every connection fails),
    /// and asserts it ended with one outcome. The watch must have a failure
    /// budget or a deadline.
    pub(crate) fn run_to_end(&mut self) -> &Outcome {
        for _ in 0..1000 {
            self.drain();
            if self.watch.is_finished() {
                break;
            }
            self.transport_error(TransportErrorKind::Reset);
            self.drain();
            if self.watch.is_finished() {
                break;
            }
            self.fire();
        }
        self.drain();
        self.outcome.as_ref().expect("the watch never ended")
    }

    fn check_event(&mut self, event: &WatchEvent) {
        self.check_quiet(&format!("{event:?}"));
        match event {
            WatchEvent::Job { event, .. } => {
                if let Some(message) = event.data().and_then(|d| d.message.as_deref()) {
                    assert!(
                        self.messages.insert(message.to_owned()),
                        "delivered twice: {message}"
                    );
                }
            }
            WatchEvent::Reconnecting {
                delay,
                failures,
                cause,
            } => {
                self.left_home = false;
                self.check_delay(*delay, *failures, cause.as_ref());
            }
            _ => {}
        }
    }

    /// A planned rotation waits the configured delay (or the stream's
    /// clamped `retry`) plus at most the jitter, and spends no budget; a
    /// failure waits within its backoff window (at least half the nominal
    /// delay; at most the nominal, a 429's capped `Retry-After` or the
    /// clamped `retry`, whichever is longest) and leaves budget.
    fn check_delay(&self, delay: Duration, failures: u32, cause: Option<&Failure>) {
        let config = self.watch.config();
        let (rotation_delay, (_, retry_max)) = config.rotation();
        match cause {
            None => {
                assert_eq!(failures, 0, "a rotation spent budget");
                let base = delay.saturating_sub(config.rotation_jitter());
                assert!(delay >= rotation_delay.min(base), "{delay:?}");
                assert!(
                    base <= rotation_delay || base <= retry_max,
                    "{delay:?} beyond the delay and the jitter"
                );
            }
            Some(cause) => {
                self.check_quiet(&cause.to_string());
                let policy = config.backoff();
                assert!(failures >= 1 && policy.max_failures.is_none_or(|max| failures < max));
                let nominal = policy.nominal(failures);
                let cap = match cause {
                    Failure::RateLimited { .. } => nominal.max(config.retry_after().1),
                    _ => nominal,
                }
                .max(retry_max);
                assert!(delay >= nominal / 2, "{delay:?} below half of {nominal:?}");
                assert!(delay <= cap, "{delay:?} above {cap:?}");
            }
        }
    }

    fn check_request(&mut self, request: &Request) {
        let url = request.url();
        assert!(url.bytes().all(|b| b.is_ascii_graphic()), "URL {url:?}");
        for header in request.headers() {
            let value = header.value();
            assert!(
                value
                    .bytes()
                    .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f)),
                "{}: {value:?} is not a sendable header value",
                header.name()
            );
            assert_eq!(
                value.trim_matches([' ', '\t']),
                value,
                "padded {}",
                header.name()
            );
            if !header.is_sensitive() {
                self.check_quiet(value);
            }
        }
        self.check_quiet(url);
        self.check_quiet(&format!("{request:?}"));
        let origin = Origin::of(url);
        assert!(origin.is_some(), "no origin in {url:?}");
        if origin != self.home {
            self.left_home = true;
        }
        if request.headers().iter().any(|h| h.is_sensitive()) {
            assert!(
                !self.left_home,
                "credentials sent to {url} after leaving {:?}",
                self.home
            );
        }
    }

    fn check_quiet(&self, text: &str) {
        assert!(!text.contains(SECRET), "the key in {text:?}");
    }
}

/// Fuzzed body bytes with every `"` made a `'`, so that no JSON string
/// (and so no event `message`) can come from them.
pub(crate) fn unquoted(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| if b == b'"' { b'\'' } else { b })
        .collect()
}
