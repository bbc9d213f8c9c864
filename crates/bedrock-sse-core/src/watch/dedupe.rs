//! Exactly-once delivery across reconnects.
//!
//! The rule (also in ARCHITECTURE.md, "Watch state machine"):
//!
//! * The watch keeps a small **watermark** of what it has delivered: the
//!   highest decimal event id, the latest lifecycle rank (queued < running)
//!   and the highest progress fraction of this job, and fingerprints of the
//!   last [`RECENT`] deliveries.
//! * On the first connection every event is delivered.
//! * Each later connection starts in **catch-up**, judged against the
//!   watermark as it stood when the connection opened. Each event is:
//!   - **behind** (suppressed) if it carries an id of its own on this
//!     connection (its last-event-ID differs from the one the connection
//!     started with) and that id and the watermark's are decimal numbers with
//!     this one not above; or, without such ids, if its type and data are
//!     byte-for-byte one of the recent deliveries, or it is a `progress`
//!     event whose fraction is not above the watermark's, or an event whose
//!     status is not later in the lifecycle than the watermark's;
//!   - **ahead** (delivered, and catch-up ends) if its decimal id is above
//!     the watermark's, or its fraction is, or its status rank is above the
//!     watermark's status *and* above where the watermark's progress puts
//!     the job (see below);
//!   - **unknown** otherwise (no id, no comparable progress or status, a
//!     dimension the watermark has no value for yet, or a status that the
//!     next paragraph cannot place): delivered, and catch-up goes on. This
//!     is what makes a replay that interleaves events the watch never
//!     received with ones it did safe.
//! * The watermark's status and progress are one position: a job reports
//!   progress while it runs, so a known fraction places it at running at
//!   least. A status above the delivered status but not above running, once
//!   progress was delivered (a running status the watch never got, while it
//!   got progress after it), is *unknown*: it may be news to the watch, so
//!   it is delivered, but it is no proof that the connection has moved past
//!   what was delivered, so it does not end catch-up. (The fuzzer found the
//!   case: progress to 0.75 delivered, the events before it lost into a
//!   connection the watch never read, then replays from the start without
//!   ids; one delivered the replayed queued status, and on the next the
//!   running status counted as ahead of "queued" and ended catch-up, so the
//!   replayed progress after it was delivered as it came, the 0.5 a second
//!   time.) Calling it *behind* instead would suppress a status that was
//!   never delivered. The rule only turns *ahead* into *unknown*, so it
//!   suppresses nothing by itself; what it changes is that the events after
//!   such a status are still judged, until one is ahead.
//! * After catch-up, the connection's events are delivered as they come.
//! * A terminal event is never suppressed: the watch ends at the first one,
//!   so none can have been delivered before.
//! * Events naming another `job_id` are judged by id and fingerprint only,
//!   and never move the watermark's rank or fraction.
//!
//! Known limits: without ids, an event restating exactly the watermark (the
//! same fraction with a new message) during catch-up is suppressed; so is,
//! during the catch-up that a running status keeps going, progress that
//! starts again below the watermark's (a server that reported progress
//! while queued, then restarted it when the job ran); an `Other` event or
//! another job's event older than the last [`RECENT`] deliveries can be
//! delivered again by a full replay without ids; and an id-only frame
//! (`id: 8` and no data) gives the id-less events after it that id as if
//! it were their own, so a replay after it counts as ahead of a lower
//! watermark (fuzz/findings/watch-delivered-twice-forged-id).

use alloc::string::String;

use crate::job::{JobEvent, JobStatus, Progress};

/// How many recent deliveries rule 2 remembers.
pub(crate) const RECENT: usize = 8;

/// The progress of the job as delivered: what catch-up compares against.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Mark {
    /// The highest decimal id delivered.
    high_id: Option<u64>,
    /// The latest lifecycle rank and progress delivered for this job.
    rank: Option<u8>,
    fraction: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Dedupe {
    /// Up to date with every delivery.
    mark: Mark,
    /// As it stood when the connection opened.
    start_mark: Mark,
    /// Fingerprints of the latest deliveries, a ring.
    recent: [u64; RECENT],
    recent_len: u8,
    recent_next: u8,
    catching_up: bool,
    /// The last-event-ID in force when the connection opened.
    start_id: String,
    suppressed: u64,
}

/// How an event compares with the watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Behind,
    Ahead,
    Unknown,
}

impl Dedupe {
    /// A new connection opens; `last_id` is the stream's last-event-ID now.
    pub(crate) fn start_connection(&mut self, last_id: &str) {
        self.catching_up = self.recent_len > 0;
        self.start_mark = self.mark;
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
        if self.catching_up && !(ours && event.is_terminal()) {
            match self.judge(id, numeric, fingerprint, event, ours) {
                Verdict::Behind => {
                    self.suppressed += 1;
                    return false;
                }
                Verdict::Ahead => self.catching_up = false,
                Verdict::Unknown => {}
            }
        }
        let mark = &mut self.mark;
        if let Some(n) = numeric {
            mark.high_id = Some(mark.high_id.map_or(n, |h| h.max(n)));
        }
        if ours {
            if let Some(rank) = event.status().and_then(|s| s.rank()) {
                mark.rank = Some(mark.rank.map_or(rank, |r| r.max(rank)));
            }
            if let Some(f) = progress(event) {
                mark.fraction = Some(mark.fraction.map_or(f, |old| old.max(f)));
            }
        }
        self.recent[usize::from(self.recent_next)] = fingerprint;
        self.recent_next = (self.recent_next + 1) % RECENT as u8;
        self.recent_len = (self.recent_len + 1).min(RECENT as u8);
        true
    }

    fn judge(
        &self,
        id: &str,
        numeric: Option<u64>,
        fingerprint: u64,
        event: &JobEvent<'_>,
        ours: bool,
    ) -> Verdict {
        let mark = &self.start_mark;
        if id != self.start_id {
            if let (Some(n), Some(high)) = (numeric, mark.high_id) {
                return if n <= high {
                    Verdict::Behind
                } else {
                    Verdict::Ahead
                };
            }
        }
        if self.recent[..usize::from(self.recent_len)].contains(&fingerprint) {
            return Verdict::Behind;
        }
        if !ours {
            return Verdict::Unknown;
        }
        let compare = |new: f64, seen: f64| {
            if new > seen {
                Verdict::Ahead
            } else {
                Verdict::Behind
            }
        };
        // A progress event is judged by its progress, even if it also
        // restates the status.
        if let (JobEvent::Progress(_), Some(f)) = (event, progress(event)) {
            return mark
                .fraction
                .map_or(Verdict::Unknown, |seen| compare(f, seen));
        }
        match (event.status().and_then(|s| s.rank()), mark.rank) {
            (Some(rank), Some(seen)) if rank <= seen => Verdict::Behind,
            // Above the status delivered, but not above where the delivered
            // progress puts the job: perhaps never delivered, perhaps news;
            // not proof that the replay has moved past what was delivered.
            (Some(rank), Some(_))
                if mark.fraction.is_some() && Some(rank) <= JobStatus::Running.rank() =>
            {
                Verdict::Unknown
            }
            (Some(_), Some(_)) => Verdict::Ahead,
            _ => Verdict::Unknown,
        }
    }
}

fn progress(event: &JobEvent<'_>) -> Option<f64> {
    event.data()?.progress.as_ref().and_then(Progress::fraction)
}

fn parse_id(id: &str) -> Option<u64> {
    crate::http::parse_u64(id.as_bytes()).filter(|_| !id.starts_with(' ') && !id.ends_with(' '))
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
    fn a_replay_interleaving_unseen_events_suppresses_only_the_seen() {
        let mut d = Dedupe::default();
        d.start_connection("");
        // Joined late: saw only a progress event.
        assert!(offer(&mut d, "", "progress", r#"{"progress":0.25}"#));
        d.start_connection("");
        assert!(offer(&mut d, "", "status", r#"{"status":"Queued"}"#));
        assert!(offer(&mut d, "", "status", r#"{"status":"Started"}"#));
        assert!(!offer(&mut d, "", "progress", r#"{"progress":0.25}"#));
        assert!(offer(&mut d, "", "progress", r#"{"progress":0.375}"#));
        assert!(offer(&mut d, "", "progress", r#"{"progress":0.375}"#));
    }

    #[test]
    fn a_status_ahead_of_the_status_delivered_ends_catch_up() {
        let mut d = Dedupe::default();
        d.start_connection("");
        assert!(offer(&mut d, "", "status", r#"{"status":"Queued"}"#));
        d.start_connection("");
        assert!(offer(&mut d, "", "status", r#"{"status":"Started"}"#));
        // Catch-up is over: a repeat is delivered now.
        assert!(offer(&mut d, "", "status", r#"{"status":"Queued"}"#));
    }

    /// The `watch` fuzz target's finding: progress delivered, the events
    /// before it lost, then replays from the start without ids. The running status lies between the status and the
    /// progress delivered: delivered, but catch-up goes on.
    #[test]
    fn a_running_status_below_the_progress_delivered_does_not_end_catch_up() {
        let mut d = Dedupe::default();
        d.start_connection("");
        assert!(offer(&mut d, "", "progress", r#"{"progress":0.5}"#));
        assert!(offer(&mut d, "", "progress", r#"{"progress":0.75}"#));
        // A replay cut after its first event: the status is news.
        d.start_connection("");
        assert!(offer(&mut d, "", "status", r#"{"status":"Queued"}"#));
        d.start_connection("");
        assert!(!offer(&mut d, "", "status", r#"{"status":"Queued"}"#));
        assert!(offer(&mut d, "", "status", r#"{"status":"RUNNING"}"#));
        assert!(!offer(&mut d, "", "progress", r#"{"progress":0.25}"#));
        assert!(!offer(&mut d, "", "progress", r#"{"progress":0.5}"#));
        assert!(!offer(&mut d, "", "progress", r#"{"progress":0.75}"#));
        assert!(offer(&mut d, "", "progress", r#"{"progress":0.875}"#));
        assert_eq!(d.suppressed(), 4);
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
