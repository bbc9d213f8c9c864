//! The fault campaign: seeded schedules of faults over real sockets, each
//! one watch of a 1,000-event job through a [`FaultProxy`] in front of the
//! simulator, checked against the server's own sequence.
//!
//! Each schedule draws, from its seed, the line end of each connection the
//! server serves (LF, CRLF or CR) and, per request, what the proxy does:
//! answer 408, 5xx or 429 (with `Retry-After`) itself; or forward it, perhaps
//! rewinding its `Last-Event-ID` (to `0`, a replay of everything, or to an
//! earlier id: the server replays, the watch must drop what it has), perhaps
//! delivering a stretch of the response one byte per write, and perhaps
//! breaking it: a cut (anywhere, mid-line, between CR and LF, inside a
//! UTF-8 character, inside a chunk-size line; by `FIN` or by `RST`) or a
//! stall longer than the idle timeout. After a few such faults (3 to 10)
//! the proxy forwards faithfully, so every schedule can end.
//!
//! Three schedules in ten also have the server rotate every connection
//! after 60 to 160 ms (a clean close without a final event), so planned
//! rotations mix with the faults.
//!
//! A schedule passes when the watch delivered exactly the server's job
//! events (ids and payloads, in order: nothing lost, nothing twice), no
//! malformed event, and one outcome: the job's completion, its event the
//! last delivered. The server's sequence is read afterwards straight from
//! the simulator (`Last-Event-ID: 0`), without the proxy.
//!
//! A request without `Last-Event-ID` (the watch has no id yet) is never
//! stalled, and cut only by `FIN` and only after its first 4 KiB (the
//! response head and its first events): were the watch to reach the job's
//! end still without an id, the server (like Bedrock) would send only the
//! terminal event to a request without one, and no client could recover
//! the events in between.
//!
//! `BEDROCK_CAMPAIGN_SCHEDULES` sets how many schedules run (seeds 1 to
//! n; default [`DEFAULT_SCHEDULES`]); `BEDROCK_CAMPAIGN_SEED` runs that one
//! seed alone. A failing schedule prints its seed and the command that
//! replays it; the summary line (with `--nocapture`) counts what was
//! injected.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use bedrock_sse_core::job::{JobEnd, JobEvent, OwnedJobEvent, Parsed};
use bedrock_sse_core::sse::{Decoder, Item};
use bedrock_sse_core::watch::{BackoffPolicy, Outcome, WatchEvent};
use bedrock_sse_sim::{Faults, JobScript, Newline};
use serde_json::json;

use crate::fault_proxy::{Answer, ConnectionFault, FaultProxy, Forward, Plan, ProxyRequest, Tally};
use crate::wire::{CutKind, body_of};
use crate::{KEY, Run, Runner, TestSim, ms};

/// Schedules per campaign when `BEDROCK_CAMPAIGN_SCHEDULES` is unset: what
/// CI runs.
pub const DEFAULT_SCHEDULES: u64 = 16;

/// The campaign job's id.
const JOB: &str = "job_01JCAMPAIGN";

/// Events of the campaign job: queued, running, progress, completed.
pub const JOB_EVENTS: usize = 1000;

/// How long the job runs from its first request.
const JOB_LENGTH: Duration = Duration::from_millis(300);

/// The watch's idle timeout; stalls hold 1.5 to 2.5 times as long.
const IDLE: Duration = Duration::from_millis(200);

/// Heartbeats keep a healthy but quiet stream well inside [`IDLE`].
const HEARTBEAT: Duration = Duration::from_millis(50);

/// About how many bytes one event takes on the wire (to aim offsets).
const EVENT_BYTES: usize = 260;

/// Bytes that hold the response head and the first events whole, on any
/// line end: what a request without an id is always given intact.
const FIRST_EVENTS_BYTES: usize = 4096;

/// Line ends drawn for the server's connections; one per forwarded request.
const MAX_CONNECTIONS: usize = 64;

/// The campaign job: `Queued`, `Started`, 997 progress events whose
/// messages mix 2-, 3- and 4-byte UTF-8 characters, then `completed`, over
/// 300 ms from its first request.
pub fn campaign_job() -> JobScript {
    let progress = JOB_EVENTS - 3;
    let step = JOB_LENGTH / JOB_EVENTS as u32;
    let mut job = JobScript::new(JOB, "vision.drawing.preprocess").running(step);
    for i in 1..=progress {
        job = job.progress(
            step,
            i as f64 / progress as f64,
            format!("Feuille {i} sur {progress} — «Façade Süd» ✓ 図面 🏗"),
        );
    }
    job.completed(
        step,
        json!({"overlay_uri": "https://files.example/ovl_ü.pdf", "note": "fertig ✓ 完了 🎉"}),
    )
}

/// A small, seedable generator (SplitMix64): what a schedule injects is
/// drawn from its seed alone (when each fault lands in time still depends
/// on the machine).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (not empty), uniformly.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The proxy's plans for one schedule.
struct Schedule {
    rng: SplitMix64,
    /// The line end of each connection the server will serve, in order.
    newlines: Vec<Newline>,
    forwarded: usize,
    faults_left: u32,
}

impl Schedule {
    fn plan(&mut self, request: &ProxyRequest) -> Plan {
        let rng = &mut self.rng;
        let resumed_from = request
            .last_event_id
            .as_deref()
            .and_then(|id| id.parse::<u64>().ok());
        if self.faults_left > 0 && rng.chance(25) {
            self.faults_left -= 1;
            let status = rng.pick(&[408, 429, 500, 502, 503, 504]);
            return Plan::Answer(Answer {
                status,
                retry_after: Some(1).filter(|_| status == 429 || rng.chance(50)),
            });
        }
        let newline = self
            .newlines
            .get(self.forwarded)
            .copied()
            .unwrap_or_default();
        self.forwarded += 1;
        let mut forward = Forward::default();
        if self.faults_left == 0 {
            return Plan::Forward(forward);
        }
        if let Some(id) = resumed_from.filter(|&id| id > 0) {
            if rng.chance(30) {
                forward.rewind_to = Some(if rng.chance(35) { 0 } else { rng.below(id) });
            }
        }
        let from = forward.rewind_to.or(resumed_from).unwrap_or(0) as usize;
        let length = (JOB_EVENTS.saturating_sub(from) * EVENT_BYTES).max(1) as u64;
        if rng.chance(30) {
            let within = length >> rng.below(4);
            let start = rng.below(within) as usize;
            forward.trickle = Some(start..start + 64 + rng.below(1500) as usize);
        }
        if rng.chance(85) {
            self.faults_left -= 1;
            let fresh = resumed_from.is_none();
            // An id-less request keeps its first events: see the module's docs.
            // Offsets lean early (up to a 32nd of the rest), so that a
            // schedule meets several faults before the job's end.
            let within = length >> rng.below(6);
            let at = rng.below(within) as usize + if fresh { FIRST_EVENTS_BYTES } else { 0 };
            forward.fault = Some(if !fresh && rng.chance(30) {
                ConnectionFault::Stall {
                    at,
                    hold: IDLE.mul_f64(1.5 + rng.below(100) as f64 / 100.0),
                }
            } else {
                // A CRLF connection is where a CR can be cut from its LF.
                let kind = if newline == Newline::CrLf && rng.chance(40) {
                    CutKind::BetweenCrLf
                } else {
                    rng.pick(&[
                        CutKind::Anywhere,
                        CutKind::MidLine,
                        CutKind::InUtf8,
                        CutKind::InChunkSize,
                    ])
                };
                ConnectionFault::Cut {
                    kind,
                    from: at,
                    reset: !fresh && rng.chance(30),
                }
            });
        }
        Plan::Forward(forward)
    }
}

/// What one schedule did.
#[derive(Debug, Clone, Default)]
struct Report {
    tally: Tally,
    events: usize,
    reconnects: usize,
    /// Of the reconnects, the planned rotations.
    rotations: usize,
    newlines: [usize; 3],
    took: Duration,
}

/// Runs one schedule: `Ok` with what it did, or why it failed.
fn schedule(runner: &dyn Runner, seed: u64) -> Result<Report, String> {
    let started = Instant::now();
    let mut rng = SplitMix64::new(seed);
    let newlines: Vec<Newline> = (0..MAX_CONNECTIONS)
        .map(|_| {
            rng.pick(&[
                Newline::Lf,
                Newline::Lf,
                Newline::CrLf,
                Newline::CrLf,
                Newline::Cr,
            ])
        })
        .collect();
    // Some schedules also have the server rotate its connections.
    let rotation = rng.chance(30).then(|| ms(60 + rng.below(100)));
    let sim = TestSim::start([campaign_job()], |b| {
        let b = b.heartbeat(HEARTBEAT).rate_limit(None);
        match rotation {
            Some(cap) => b.max_connection(cap),
            None => b,
        }
    });
    for &newline in &newlines {
        let faults = Faults {
            newline,
            ..Faults::default()
        };
        sim.inject(JOB, faults).map_err(|e| e.to_string())?;
    }
    let mut plans = Schedule {
        rng: SplitMix64::new(rng.next_u64()),
        newlines: newlines.clone(),
        forwarded: 0,
        faults_left: 3 + rng.below(8) as u32,
    };
    let proxy = FaultProxy::start(sim.addr(), move |request| plans.plan(request));
    let mut backoff = BackoffPolicy::default();
    backoff.initial = ms(10);
    backoff.max = ms(50);
    let config = TestSim::test_config(&proxy.base_url(), JOB)
        .bearer(KEY)
        .and_then(|b| b.idle_timeout(IDLE))
        .map_err(|e| e.to_string())?
        .backoff(backoff)
        .max_failures(Some(100))
        .retry_after(ms(20), ms(20))
        .build();
    let run = runner.run(config);
    let tally = proxy.tally();
    drop(proxy);
    let expected = server_sequence(&sim)?;
    check(&run, &expected)?;
    let mut report = Report {
        events: expected.len(),
        reconnects: run.reconnects().len(),
        rotations: run.reconnects().iter().filter(|(c, _)| c.is_none()).count(),
        took: started.elapsed(),
        ..Report::default()
    };
    // The server served the forwarded requests, in order, with these.
    let forwarded = tally.resumed + tally.rewound + tally.fresh;
    for &newline in newlines.iter().take(forwarded) {
        report.newlines[newline as usize] += 1;
    }
    report.tally = tally;
    Ok(report)
}

/// The job's events as the simulator serves them, read straight from it
/// with `Last-Event-ID: 0` once the job is over: every event, in order.
fn server_sequence(sim: &TestSim) -> Result<Vec<(String, OwnedJobEvent)>, String> {
    use std::io::{Read, Write};
    let fail = |e: std::io::Error| format!("reading the server's sequence: {e}");
    let mut stream = std::net::TcpStream::connect(sim.addr()).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(fail)?;
    write!(
        stream,
        "GET /jobs/{JOB}/stream HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {KEY}\r\n\
         last-event-id: 0\r\nconnection: close\r\n\r\n",
        sim.addr()
    )
    .map_err(fail)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(fail)?;
    let mut decoder = Decoder::new();
    let mut events = Vec::new();
    decoder.decode_each(&body_of(&response), |item| {
        if let Ok(Item::Event(event)) = item {
            if let Ok(Parsed::Event(job)) = JobEvent::from_sse(&event) {
                events.push((event.id.to_owned(), job.into_owned()));
            }
        }
    });
    if events.len() != JOB_EVENTS {
        return Err(format!(
            "the server's sequence has {} events, not {JOB_EVENTS}",
            events.len()
        ));
    }
    Ok(events)
}

/// Nothing lost, nothing twice, no malformed event, one outcome: the end.
fn check(run: &Run, expected: &[(String, OwnedJobEvent)]) -> Result<(), String> {
    let got = run.jobs();
    if let Some(i) = (0..got.len().max(expected.len())).find(|&i| {
        got.get(i).map(|(id, e)| (*id, *e)) != expected.get(i).map(|(id, e)| (id.as_str(), e))
    }) {
        let show = |event: Option<(&str, &OwnedJobEvent)>| {
            event.map_or("nothing".to_owned(), |(id, e)| {
                format!("id {id} ({})", e.name())
            })
        };
        return Err(format!(
            "{} job events delivered, {} served; the first difference is at #{i}: \
             delivered {}, served {}",
            got.len(),
            expected.len(),
            show(got.get(i).copied()),
            show(expected.get(i).map(|(id, e)| (id.as_str(), e))),
        ));
    }
    if let Some(warning) = run
        .events
        .iter()
        .find(|e| matches!(e, WatchEvent::Malformed(_)))
    {
        return Err(format!("a malformed event was delivered: {warning:?}"));
    }
    match &run.outcome {
        Outcome::Finished {
            end: JobEnd::Completed,
            event,
        } if Some(event) == expected.last().map(|(_, e)| e) => Ok(()),
        other => Err(format!(
            "the outcome is not the job's completion: {other:?}"
        )),
    }
}

/// The campaign's counts, over all its schedules.
#[derive(Debug, Default)]
struct Totals {
    schedules: usize,
    report: Report,
    slowest: Duration,
}

impl Totals {
    fn add(&mut self, report: &Report) {
        self.schedules += 1;
        self.report.tally.add(&report.tally);
        self.report.events += report.events;
        self.report.reconnects += report.reconnects;
        self.report.rotations += report.rotations;
        for (sum, n) in self.report.newlines.iter_mut().zip(report.newlines) {
            *sum += n;
        }
        self.report.took += report.took;
        self.slowest = self.slowest.max(report.took);
    }
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Report {
            tally: t,
            events,
            reconnects,
            rotations,
            newlines,
            took,
        } = &self.report;
        let kinds: Vec<String> = CutKind::ALL
            .iter()
            .map(|&k| format!("{} {}", k.name(), t.cuts_of(k)))
            .collect();
        write!(
            f,
            "{} schedules, {events} events checked; {} connections: {} answered \
             ({} 408/5xx, {} 429), {} forwarded ({} resumed, {} rewound of which {} to 0, \
             {} fresh; line ends LF {}, CRLF {}, CR {}); {} cuts ({}; {} by reset), \
             {} stalls, {} planned past the response's end; {} byte-by-byte \
             connections ({} bytes); {} reconnects seen by the watch ({} planned \
             rotations); {:.1} s \
             (slowest schedule {:.2} s)",
            self.schedules,
            t.connections,
            t.answered_error + t.answered_429,
            t.answered_error,
            t.answered_429,
            t.resumed + t.rewound + t.fresh,
            t.resumed,
            t.rewound,
            t.rewound_to_start,
            t.fresh,
            newlines[0],
            newlines[1],
            newlines[2],
            t.all_cuts(),
            kinds.join(", "),
            t.resets,
            t.stalls,
            t.missed,
            t.trickled,
            t.trickled_bytes,
            reconnects,
            rotations,
            took.as_secs_f64(),
            self.slowest.as_secs_f64(),
        )
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {value:?}")),
    )
}

/// Runs the campaign with `runner`, prints its summary line, and panics
/// naming every failed seed. `package` and `test` (the test's crate and
/// its path in it) make the replay command printed for a failed seed.
/// [`campaign!`](crate::campaign!) calls it.
pub fn run(runner: &dyn Runner, package: &str, test: &str) {
    let seeds: Vec<u64> = match env_u64("BEDROCK_CAMPAIGN_SEED") {
        Some(seed) => vec![seed],
        None => (1..=env_u64("BEDROCK_CAMPAIGN_SCHEDULES").unwrap_or(DEFAULT_SCHEDULES)).collect(),
    };
    let (binary, path) = test.split_once("::").unwrap_or((test, ""));
    let path = if path.is_empty() {
        "campaign".to_owned()
    } else {
        format!("{path}::campaign")
    };
    let mut totals = Totals::default();
    let mut failed = Vec::new();
    for seed in seeds {
        let outcome = catch_unwind(AssertUnwindSafe(|| schedule(runner, seed)));
        let why = match outcome {
            Ok(Ok(report)) => {
                totals.add(&report);
                continue;
            }
            Ok(Err(why)) => why,
            Err(panic) => panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "a panic".to_owned()),
        };
        eprintln!(
            "campaign: schedule {seed} failed: {why}\n  replay: BEDROCK_CAMPAIGN_SEED={seed} \
             cargo test -p {package} --test {binary} -- --exact {path} --nocapture"
        );
        failed.push(seed);
    }
    println!("campaign {package} {path}: {totals}");
    assert!(
        failed.is_empty(),
        "campaign: schedules {failed:?} failed (see above)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_sse_core::sse::Event;

    fn event(id: &str, name: &str, status: &str) -> (String, OwnedJobEvent) {
        let data = format!(r#"{{"job_id":"{JOB}","status":"{status}"}}"#);
        let sse = Event {
            event_type: name,
            data: &data,
            id,
        };
        let Ok(Parsed::Event(job)) = JobEvent::from_sse(&sse) else {
            panic!("a job event")
        };
        (id.to_owned(), job.into_owned())
    }

    fn served() -> Vec<(String, OwnedJobEvent)> {
        vec![
            event("1", "status", "Queued"),
            event("2", "status", "Started"),
            event("3", "completed", "Completed"),
        ]
    }

    fn run_of(delivered: &[(String, OwnedJobEvent)]) -> Run {
        Run {
            events: delivered
                .iter()
                .map(|(id, event)| WatchEvent::Job {
                    id: id.clone(),
                    event: Box::new(event.clone()),
                })
                .collect(),
            outcome: Outcome::Finished {
                end: JobEnd::Completed,
                event: served()[2].1.clone(),
            },
        }
    }

    #[test]
    fn the_check_passes_the_served_sequence_and_nothing_else() {
        let served = served();
        assert_eq!(check(&run_of(&served), &served), Ok(()));

        let twice = [
            served[0].clone(),
            served[1].clone(),
            served[1].clone(),
            served[2].clone(),
        ];
        let why = check(&run_of(&twice), &served).unwrap_err();
        assert!(
            why.contains("#2: delivered id 2 (status), served id 3"),
            "{why}"
        );

        let lost = [served[0].clone(), served[2].clone()];
        let why = check(&run_of(&lost), &served).unwrap_err();
        assert!(why.contains("#1: delivered id 3"), "{why}");

        let mut stopped = run_of(&served);
        stopped.outcome = Outcome::Stopped;
        let why = check(&stopped, &served).unwrap_err();
        assert!(why.contains("not the job's completion"), "{why}");
    }

    #[test]
    fn a_schedule_is_a_function_of_its_seed() {
        let plans = |seed| {
            let mut schedule = Schedule {
                rng: SplitMix64::new(seed),
                newlines: vec![Newline::CrLf; 8],
                forwarded: 0,
                faults_left: 100,
            };
            (0..50)
                .map(|index| {
                    schedule.plan(&ProxyRequest {
                        index,
                        last_event_id: Some(format!("{}", index * 10)).filter(|_| index > 0),
                    })
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(plans(7), plans(7));
        assert_ne!(plans(7), plans(8));
        let plans = plans(7);
        assert!(plans.iter().any(|p| matches!(p, Plan::Answer(_))));
        let forwards: Vec<&Forward> = plans
            .iter()
            .filter_map(|p| match p {
                Plan::Forward(f) => Some(f),
                Plan::Answer(_) => None,
            })
            .collect();
        assert!(forwards.iter().any(|f| f.rewind_to.is_some()));
        assert!(forwards.iter().any(|f| f.trickle.is_some()));
        assert!(
            forwards
                .iter()
                .any(|f| matches!(f.fault, Some(ConnectionFault::Stall { .. })))
        );
        assert!(forwards.iter().any(|f| matches!(
            f.fault,
            Some(ConnectionFault::Cut {
                kind: CutKind::BetweenCrLf,
                ..
            })
        )));
    }

    #[test]
    fn a_request_without_an_id_keeps_its_first_events() {
        let faults: Vec<ConnectionFault> = (0..200)
            .filter_map(|seed| {
                let mut schedule = Schedule {
                    rng: SplitMix64::new(seed),
                    newlines: vec![Newline::CrLf],
                    forwarded: 0,
                    faults_left: 1,
                };
                let request = ProxyRequest {
                    index: 0,
                    last_event_id: None,
                };
                match schedule.plan(&request) {
                    Plan::Forward(forward) => forward.fault,
                    Plan::Answer(_) => None,
                }
            })
            .collect();
        assert!(faults.len() > 50, "{faults:?}");
        for fault in faults {
            let ConnectionFault::Cut { from, reset, .. } = fault else {
                panic!("an id-less request stalled: {fault:?}")
            };
            assert!(from >= FIRST_EVENTS_BYTES && !reset, "{fault:?}");
        }
    }
}
