//! Exactly-once delivery across reconnects.
//!
//! The rule (also in ARCHITECTURE.md, "Watch state machine"):
//!
//! * On the first connection every event is delivered.
//! * Each later connection starts in **catch-up**: the server may be
//!   replaying history or restating the current state. Catch-up ends at the
//!   first event that is delivered; from then on the connection's events are
//!   delivered as they come.
//! * During catch-up an event is suppressed when:
//!   1. it carries an id of its own on this connection (its last-event-ID
//!      differs from the one the connection started with), the id and the
//!      highest id delivered so far are both decimal numbers, and it is not
//!      above that highest id (a replay, with ids); or
//!   2. its event type and data are byte-for-byte those of one of the last
//!      [`RECENT`] delivered events (a replay, without ids); or
//!   3. it does not move the job forward: a status not later in the
//!      lifecycle than the latest delivered one (queued < running), or a
//!      progress fraction not above the latest delivered one (a restated
//!      current state, possibly with a fresh timestamp).
//! * A terminal event is never suppressed: the watch ends at the first one,
//!   so none can have been delivered before.
//! * Events naming another `job_id` never count as this job's state (rule 3).

use alloc::string::String;

use crate::job::{JobEvent, Progress};

/// How many recent deliveries rule 2 remembers.
pub(crate) const RECENT: usize = 8;

#[derive(Debug, Clone, Default)]
pub(crate) struct Dedupe {
    /// The highest decimal id delivered.
    high_id: Option<u64>,
    /// The latest lifecycle rank and progress delivered for this job.
    rank: Option<u8>,
    fraction: Option<f64>,
    /// Fingerprints of the latest deliveries, a ring.
    recent: [u64; RECENT],
    recent_len: u8,
    recent_next: u8,
    catching_up: bool,
    /// The last-event-ID in force when the connection opened.
    start_id: String,
    suppressed: u64,
}

impl Dedupe {
    /// A new connection opens; `last_id` is the stream's last-event-ID now.
    pub(crate) fn start_connection(&mut self, last_id: &str) {
        self.catching_up = self.recent_len > 0;
        self.start_id.clear();
        self.start_id.push_str(last_id);
    }

    /// How many events were suppressed as duplicates, in all.
    pub(crate) fn suppressed(&self) -> u64 {
        self.suppressed
    }

    /// Decides whether to deliver `event` (dispatched with last-event-ID
    /// `id`, raw type and data), and records it if so. `ours` says whether
    /// the event is about the watched job.
    pub(crate) fn admit(
        &mut self,
        id: &str,
        event_type: &str,
        data: &str,
        event: &JobEvent<'_>,
        ours: bool,
    ) -> bool {
        let fingerprint = fingerprint(event_type, data);
        let numeric = parse_id(id);
        if self.catching_up
            && !(ours && event.is_terminal())
            && self.is_replay(id, numeric, fingerprint, event, ours)
        {
            self.suppressed += 1;
            return false;
        }
        self.catching_up = false;
        if let Some(n) = numeric {
            self.high_id = Some(self.high_id.map_or(n, |h| h.max(n)));
        }
        if ours {
            if let Some(rank) = event.status().and_then(|s| s.rank()) {
                self.rank = Some(self.rank.map_or(rank, |r| r.max(rank)));
            }
            if let Some(f) = progress(event) {
                self.fraction = Some(self.fraction.map_or(f, |old| old.max(f)));
            }
        }
        self.recent[usize::from(self.recent_next)] = fingerprint;
        self.recent_next = (self.recent_next + 1) % RECENT as u8;
        self.recent_len = (self.recent_len + 1).min(RECENT as u8);
        true
    }

    fn is_replay(
        &self,
        id: &str,
        numeric: Option<u64>,
        fingerprint: u64,
        event: &JobEvent<'_>,
        ours: bool,
    ) -> bool {
        if id != self.start_id {
            if let (Some(n), Some(high)) = (numeric, self.high_id) {
                return n <= high;
            }
        }
        if self.recent[..usize::from(self.recent_len)].contains(&fingerprint) {
            return true;
        }
        if !ours {
            return false;
        }
        // A progress event is judged by its progress, even if it also
        // restates the status.
        if let (JobEvent::Progress(_), Some(f)) = (event, progress(event)) {
            return self.fraction.is_some_and(|seen| f <= seen);
        }
        match (event.status().and_then(|s| s.rank()), self.rank) {
            (Some(rank), Some(seen)) => rank <= seen,
            _ => false,
        }
    }
}

fn progress(event: &JobEvent<'_>) -> Option<f64> {
    event.data()?.progress.as_ref().and_then(Progress::fraction)
}

fn parse_id(id: &str) -> Option<u64> {
    crate::api::parse_u64(id.as_bytes()).filter(|_| !id.starts_with(' ') && !id.ends_with(' '))
}

/// FNV-1a over the type, a separator the type cannot contain, and the data.
/// A 64-bit hash: a false match between two of a job's events is
/// astronomically unlikely, and would only hide a repeat during catch-up.
fn fingerprint(event_type: &str, data: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in event_type
        .as_bytes()
        .iter()
        .chain(b"\n")
        .chain(data.as_bytes())
    {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobEvent, Parsed};
    use crate::sse::Event;

    fn offer(d: &mut Dedupe, id: &str, event_type: &str, data: &str) -> bool {
        let sse = Event {
            event_type,
            data,
            id,
        };
        let Ok(Parsed::Event(event)) = JobEvent::from_sse(&sse) else {
            panic!("bad test event")
        };
        let ours = event
            .data()
            .and_then(|d| d.job_id.as_deref())
            .is_none_or(|j| j == "j");
        d.admit(id, event_type, data, &event, ours)
    }

    #[test]
    fn first_connection_delivers_everything() {
        let mut d = Dedupe::default();
        d.start_connection("");
        assert!(offer(&mut d, "", "progress", r#"{"progress":0.5}"#));
        assert!(offer(&mut d, "", "progress", r#"{"progress":0.5}"#));
        assert!(offer(&mut d, "", "status", r#"{"status":"Queued"}"#));
    }

    #[test]
    fn numeric_ids_replayed_from_the_start() {
        let mut d = Dedupe::default();
        d.start_connection("");
        assert!(offer(&mut d, "1", "status", r#"{"status":"Queued"}"#));
        assert!(offer(&mut d, "2", "progress", r#"{"progress":0.1}"#));
        d.start_connection("2");
        assert!(!offer(&mut d, "1", "status", r#"{"status":"Queued"}"#));
        assert!(!offer(&mut d, "2", "progress", r#"{"progress":0.1}"#));
        assert!(offer(&mut d, "3", "progress", r#"{"progress":0.2}"#));
        assert_eq!(d.suppressed(), 2);
    }

    #[test]
    fn resumed_stream_with_an_event_without_its_own_id() {
        let mut d = Dedupe::default();
        d.start_connection("");
        assert!(offer(&mut d, "5", "progress", r#"{"progress":0.5}"#));
        d.start_connection("5");
        // No id line: the event still reports "5", which is not its own.
        assert!(offer(&mut d, "5", "progress", r#"{"progress":0.6}"#));
    }

    #[test]
    fn snapshot_without_ids_and_fresh_timestamp() {
        let mut d = Dedupe::default();
        d.start_connection("");
        assert!(offer(
            &mut d,
            "",
            "status",
            r#"{"status":"Queued","timestamp":"t0"}"#
        ));
        assert!(offer(
            &mut d,
            "",
            "status",
            r#"{"status":"Started","timestamp":"t1"}"#
        ));
        assert!(offer(
            &mut d,
            "",
            "progress",
            r#"{"progress":0.5,"message":"6 of 12"}"#
        ));
        d.start_connection("");
        assert!(!offer(
            &mut d,
            "",
            "status",
            r#"{"status":"RUNNING","timestamp":"t9"}"#
        ));
        assert!(!offer(
            &mut d,
            "",
            "progress",
            r#"{"progress":0.5,"message":"again"}"#
        ));
        assert!(offer(&mut d, "", "progress", r#"{"progress":0.75}"#));
        // Catch-up is over: an equal progress is delivered now.
        assert!(offer(&mut d, "", "progress", r#"{"progress":0.75}"#));
    }

    #[test]
    fn other_events_by_fingerprint_and_other_jobs_by_content() {
        let mut d = Dedupe::default();
        d.start_connection("");
        assert!(offer(&mut d, "", "log", "hello"));
        assert!(offer(
            &mut d,
            "",
            "status",
            r#"{"job_id":"child","status":"Started"}"#
        ));
        d.start_connection("");
        assert!(!offer(&mut d, "", "log", "hello"));
        assert!(offer(
            &mut d,
            "",
            "status",
            r#"{"job_id":"child2","status":"Queued"}"#
        ));
    }

    #[test]
    fn terminal_is_never_suppressed() {
        let mut d = Dedupe::default();
        d.start_connection("");
        assert!(offer(&mut d, "9", "status", r#"{"status":"Started"}"#));
        d.start_connection("9");
        assert!(offer(&mut d, "1", "completed", r#"{"status":"Completed"}"#));
    }

    #[test]
    fn non_numeric_ids_fall_back_to_content() {
        let mut d = Dedupe::default();
        d.start_connection("");
        assert!(offer(&mut d, "evt_a", "status", r#"{"status":"Queued"}"#));
        assert!(offer(&mut d, "evt_b", "status", r#"{"status":"Started"}"#));
        d.start_connection("evt_b");
        assert!(!offer(&mut d, "evt_a", "status", r#"{"status":"Queued"}"#));
        assert!(!offer(&mut d, "evt_b", "status", r#"{"status":"Started"}"#));
        assert!(offer(&mut d, "evt_c", "progress", r#"{"progress":0.1}"#));
    }
}
