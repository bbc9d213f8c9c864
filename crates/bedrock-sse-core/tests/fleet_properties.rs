//! The fleet under a model server with a per-minute rate limit, streams
//! that rotate, and mass disconnects, driven by a fake clock: the budget is
//! never knowingly exceeded, the connection cap holds, reconnect storms
//! stay spread out, no watch starves, and every watch gets each of its
//! events once and exactly one outcome.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use bedrock_sse_core::fleet::{Fleet, FleetConfig, WatchId};
use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::{Action, Instant, Outcome, WatchConfig, WatchEvent};
use proptest::prelude::*;

const WINDOW: u64 = 60; // seconds: the model server's rate-limit window

#[derive(Debug, Clone)]
struct Case {
    watches: usize,
    cap: usize,
    limit: u64,
    len: u64,
    per_conn: u64,
    tick_ms: u64,
    storm_percent: u8,
    storm_at_ms: Option<u64>,
    seed: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        1usize..48,
        1usize..60,
        4u64..120,
        1u64..7,
        1u64..4,
        100u64..3000,
        1u8..25,
        prop::option::of(0u64..60_000),
        any::<u64>(),
    )
        .prop_map(
            |(watches, cap, limit, len, per_conn, tick_ms, storm_percent, storm_at_ms, seed)| {
                Case {
                    watches,
                    cap,
                    limit,
                    len,
                    per_conn,
                    tick_ms,
                    storm_percent,
                    storm_at_ms,
                    seed,
                }
            },
        )
}

/// One open stream of the model server.
struct Stream {
    job: usize,
    next: u64,
    sent: u64,
    due: Instant,
}

fn event(job: usize, k: u64, len: u64) -> String {
    if k == len {
        format!(
            "id: {}\nevent: completed\ndata: {{\"job_id\":\"job_{job}\",\"status\":\"Completed\"}}\n\n",
            k + 1
        )
    } else {
        format!(
            "id: {}\nevent: progress\ndata: {{\"job_id\":\"job_{job}\",\"progress\":0.5,\"message\":\"e{k}\"}}\n\n",
            k + 1
        )
    }
}

/// The driver's side: takes every event the fleet holds, recording each
/// job event (its message, or its name) for its job.
fn take_events(
    fleet: &mut Fleet,
    jobs: &HashMap<WatchId, usize>,
    delivered: &mut [Vec<String>],
) -> Result<(), TestCaseError> {
    while let Some((id, event)) = fleet.poll_event() {
        match event {
            WatchEvent::Job { event, .. } => {
                let name = event
                    .data()
                    .and_then(|d| d.message.as_deref().map(str::to_owned))
                    .unwrap_or_else(|| event.name().to_owned());
                delivered[jobs[&id]].push(name);
            }
            WatchEvent::Reconnecting { .. } => {}
            other => prop_assert!(false, "unexpected {other:?}"),
        }
    }
    Ok(())
}

fn run(case: Case) -> Result<(), TestCaseError> {
    let tick = Duration::from_millis(case.tick_ms);
    let config = FleetConfig::default()
        .max_connections(case.cap)
        .storm_percent(case.storm_percent);
    let burst = (case.watches * usize::from(case.storm_percent))
        .div_ceil(100)
        .max(1);
    let mut now = Instant::ZERO;
    let mut fleet = Fleet::new(config, now, case.seed);
    fleet.set_wall_clock(now, 0);
    let mut jobs: HashMap<WatchId, usize> = HashMap::new();
    for job in 0..case.watches {
        let config = WatchConfig::builder(format!("job_{job}"))
            .unwrap()
            .bearer("sk_fleet")
            .unwrap();
        jobs.insert(fleet.add(config.build(), now), job);
    }

    let mut streams: HashMap<WatchId, Stream> = HashMap::new();
    let mut per_window: BTreeMap<u64, u64> = BTreeMap::new();
    let mut learned = false;
    let mut connects: VecDeque<Instant> = VecDeque::new();
    let mut delivered: Vec<Vec<String>> = vec![Vec::new(); case.watches];
    let mut outcomes: HashMap<usize, Outcome> = HashMap::new();
    let mut storm_at = case.storm_at_ms.map(Instant::from_millis);

    for _step in 0..200_000 {
        // The driver's side: every action, then every event and outcome.
        let batch: Vec<(WatchId, Action)> = std::iter::from_fn(|| fleet.poll_action()).collect();
        let mut taught = false;
        for (id, action) in batch {
            match action {
                Action::Connect(request) => {
                    // Storm control: no window of 100 ms sees more than the
                    // fleet's share of attempts.
                    connects.push_back(now);
                    while connects
                        .front()
                        .is_some_and(|&t| now - t >= Duration::from_millis(100))
                    {
                        connects.pop_front();
                    }
                    prop_assert!(
                        connects.len() <= burst,
                        "{} attempts within 100 ms (burst {burst})",
                        connects.len()
                    );
                    let window = now.as_duration().as_secs() / WINDOW;
                    let count = per_window.entry(window).or_default();
                    *count += 1;
                    let reset = (window + 1) * WINDOW;
                    let remaining = case.limit.saturating_sub(*count);
                    let headers = [
                        ("x-ratelimit-limit", case.limit.to_string()),
                        ("x-ratelimit-remaining", remaining.to_string()),
                        ("x-ratelimit-reset", reset.to_string()),
                        (
                            "retry-after",
                            (reset - now.as_duration().as_secs()).to_string(),
                        ),
                        ("content-type", "text/event-stream".to_string()),
                    ];
                    taught = true;
                    if *count > case.limit {
                        prop_assert!(!learned, "a 429 after the fleet knew the budget");
                        fleet.handle_response(id, now, 429, &headers[..4]);
                        continue;
                    }
                    fleet.handle_response(id, now, 200, &headers);
                    let next = request
                        .header("last-event-id")
                        .map_or(0, |id| id.parse::<u64>().unwrap());
                    let job = jobs[&id];
                    streams.insert(
                        id,
                        Stream {
                            job,
                            next,
                            sent: 0,
                            due: now + tick,
                        },
                    );
                }
                Action::Close => {
                    streams.remove(&id);
                }
            }
        }
        learned |= taught;
        prop_assert!(fleet.open_connections() <= case.cap);
        take_events(&mut fleet, &jobs, &mut delivered)?;
        while let Some((id, outcome)) = fleet.poll_outcome() {
            let job = jobs[&id];
            prop_assert!(
                outcomes.insert(job, outcome).is_none(),
                "two outcomes for job {job}"
            );
            streams.remove(&id);
        }
        if outcomes.len() == case.watches {
            break;
        }

        // The next thing to happen: the fleet's timer, a stream's event,
        // or the storm.
        let next_stream = streams.values().map(|s| s.due).min();
        let next = [fleet.poll_timeout(), next_stream, storm_at]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else {
            prop_assert!(
                false,
                "nothing left to happen, {} outcomes of {}",
                outcomes.len(),
                case.watches
            );
            unreachable!()
        };
        prop_assert!(next >= now, "time went back");
        now = next;
        if storm_at.is_some_and(|at| at <= now) {
            storm_at = None;
            // Every connection dropped at once, cleanly.
            for id in streams.keys().copied().collect::<Vec<_>>() {
                streams.remove(&id);
                fleet.handle_eof(id, now);
            }
        }
        let due: Vec<WatchId> = streams
            .iter()
            .filter(|(_, s)| s.due <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            let Some(stream) = streams.get_mut(&id) else {
                continue;
            };
            let text = event(stream.job, stream.next, case.len);
            stream.next += 1;
            stream.sent += 1;
            stream.due = now + tick;
            let over = stream.next > case.len || stream.sent >= case.per_conn;
            // The fleet takes what it can queue: drain, then the rest.
            let mut rest = text.as_bytes();
            while !rest.is_empty() {
                rest = &rest[fleet.handle_body(id, now, rest)..];
                take_events(&mut fleet, &jobs, &mut delivered)?;
            }
            if over && streams.remove(&id).is_some() {
                fleet.handle_eof(id, now);
            }
        }
        fleet.handle_timeout(now);
    }

    prop_assert_eq!(outcomes.len(), case.watches, "some watch starved");
    let want: Vec<String> = (0..case.len)
        .map(|k| format!("e{k}"))
        .chain(["completed".to_owned()])
        .collect();
    for (job, events) in delivered.iter().enumerate() {
        prop_assert_eq!(events, &want, "job {}", job);
        let outcome = &outcomes[&job];
        prop_assert!(
            matches!(
                outcome,
                Outcome::Finished {
                    end: JobEnd::Completed,
                    ..
                }
            ),
            "job {job}: {outcome:?}"
        );
    }
    prop_assert!(fleet.is_empty());
    prop_assert_eq!(fleet.open_connections(), 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn the_fleet_keeps_its_promises(case in case()) {
        run(case)?;
    }
}
