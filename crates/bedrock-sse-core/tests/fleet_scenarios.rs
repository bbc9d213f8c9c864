//! The fleet's rules one at a time, with a fake clock.

use std::time::Duration;

use bedrock_sse_core::fleet::{Fleet, FleetConfig, WatchId};
use bedrock_sse_core::watch::{Action, Instant, Watch, WatchConfig, WatchEvent};

const ES: (&str, &str) = ("content-type", "text/event-stream");

fn config(job: &str) -> WatchConfig {
    WatchConfig::builder(job)
        .unwrap()
        .bearer("sk_k")
        .unwrap()
        .build()
}

/// Feeds watch `id` one event as a chunk, which the fleet takes whole
/// while its queue has room.
fn one_event(fleet: &mut Fleet, id: WatchId, now: Instant, event: &[u8]) {
    assert_eq!(fleet.handle_body(id, now, event), event.len());
}

fn connects(fleet: &mut Fleet) -> Vec<WatchId> {
    std::iter::from_fn(|| fleet.poll_action())
        .filter_map(|(id, a)| matches!(a, Action::Connect(_)).then_some(id))
        .collect()
}

#[test]
fn a_429_on_one_watch_slows_every_watch() {
    let mut now = Instant::ZERO;
    // One attempt per 100 ms, so the others are still waiting.
    let mut fleet = Fleet::new(FleetConfig::default().storm_percent(1), now, 1);
    let ids: Vec<WatchId> = (0..3)
        .map(|n| fleet.add(config(&format!("j{n}")), now))
        .collect();
    assert_eq!(connects(&mut fleet), [ids[0]]);
    fleet.handle_response(ids[0], now, 429, [("retry-after", "30")]);
    // Nobody connects before the 30 s are over, though the pace would
    // allow one every 100 ms.
    let mut seen = Vec::new();
    while now < Instant::from_duration(Duration::from_secs(40)) {
        now = fleet.poll_timeout().expect("waiting watches have a time");
        fleet.handle_timeout(now);
        for id in connects(&mut fleet) {
            seen.push((now, id));
        }
    }
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|(at, _)| *at >= Instant::from_duration(Duration::from_secs(30))),
        "{seen:?}"
    );
}

#[test]
fn the_cap_makes_watches_wait_without_failing() {
    let now = Instant::ZERO;
    let mut fleet = Fleet::new(
        FleetConfig::default().max_connections(2).storm_percent(100),
        now,
        2,
    );
    let ids: Vec<WatchId> = (0..3)
        .map(|n| fleet.add(config(&format!("j{n}")), now))
        .collect();
    // Two connect within the pace's 100 ms (evenly spaced); the third
    // waits for the cap, however long.
    let mut now = now;
    let mut first = connects(&mut fleet);
    while let Some(at) = fleet
        .poll_timeout()
        .filter(|&at| at < Instant::from_millis(1_000))
    {
        now = at;
        fleet.handle_timeout(now);
        first.extend(connects(&mut fleet));
    }
    assert!(now <= Instant::from_millis(100), "{now:?}");
    assert_eq!(first.len(), 2);
    assert_eq!(fleet.open_connections(), 2);
    assert_eq!(fleet.waiting(), 1);
    for &id in &first {
        fleet.handle_response(id, now, 200, [ES]);
    }
    assert_eq!(
        fleet.poll_timeout().map(|t| t > now),
        Some(true),
        "only the idle deadlines"
    );
    // One stream ends with its job: the third watch gets its turn, as soon
    // as the pace allows (the fleet is smaller now).
    one_event(&mut fleet, first[0], now, b"event: completed\ndata: {}\n\n");
    let mut third = connects(&mut fleet);
    while third.is_empty() {
        now = fleet.poll_timeout().unwrap();
        assert!(now <= Instant::from_millis(200), "{now:?}");
        fleet.handle_timeout(now);
        third = connects(&mut fleet);
    }
    let waited = ids.iter().copied().find(|id| !first.contains(id)).unwrap();
    assert_eq!(third, [waited]);
    assert_eq!(fleet.watch(waited).unwrap().consecutive_failures(), 0);
    while let Some((_, event)) = fleet.poll_event() {
        assert!(
            !matches!(event, WatchEvent::Reconnecting { .. }),
            "{event:?}"
        );
    }
}

#[test]
fn watches_come_and_go_while_it_runs() {
    let mut now = Instant::ZERO;
    let mut fleet = Fleet::new(FleetConfig::default().storm_percent(100), now, 3);
    let a = fleet.add(config("a"), now);
    assert_eq!(connects(&mut fleet), [a]);
    fleet.handle_response(a, now, 200, [ES]);
    now = now + Duration::from_secs(1);
    let b = fleet.add(config("b"), now);
    assert_eq!(connects(&mut fleet), [b]);
    // Removing an open watch closes its connection and gives no outcome.
    assert!(fleet.remove(a, now));
    assert_eq!(fleet.poll_action(), Some((a, Action::Close)));
    assert!(!fleet.remove(a, now), "gone already");
    assert!(fleet.poll_outcome().is_none());
    assert_eq!(fleet.len(), 1);
    assert_eq!(fleet.open_connections(), 1);
    // Input for a removed watch is ignored.
    one_event(&mut fleet, a, now, b"event: completed\ndata: {}\n\n");
    assert!(fleet.poll_outcome().is_none());
}

#[test]
fn a_mass_disconnect_is_spread_over_the_queue_time() {
    let mut now = Instant::ZERO;
    let mut fleet = Fleet::new(FleetConfig::default(), now, 4);
    let ids: Vec<WatchId> = (0..200)
        .map(|n| fleet.add(config(&format!("j{n}")), now))
        .collect();
    // Everyone connects (8 per 100 ms, one every 12.5 ms: 2.5 s for 200,
    // a little more where the random places leave the pace idle).
    let mut connected = Vec::new();
    loop {
        for id in connects(&mut fleet) {
            fleet.handle_response(id, now, 200, [ES]);
            // A driver hands the events on before it feeds more.
            while fleet.poll_event().is_some() {}
            one_event(
                &mut fleet,
                id,
                now,
                b"event: status\ndata: {\"status\":\"Started\"}\n\n",
            );
            connected.push(id);
        }
        if connected.len() == ids.len() {
            break;
        }
        now = fleet.poll_timeout().unwrap();
        fleet.handle_timeout(now);
    }
    assert!(now <= Instant::from_millis(2_700), "{now:?}");
    // The server restarts: every stream ends at once.
    let storm = now + Duration::from_secs(1);
    for &id in &ids {
        fleet.handle_eof(id, storm);
    }
    now = storm;
    let mut times = Vec::new();
    loop {
        for _ in connects(&mut fleet) {
            times.push(now - storm);
        }
        if times.len() == ids.len() {
            break;
        }
        now = fleet.poll_timeout().unwrap();
        fleet.handle_timeout(now);
    }
    let mut per_tick = std::collections::BTreeMap::<u128, usize>::new();
    for t in &times {
        *per_tick.entry(t.as_millis() / 100).or_default() += 1;
    }
    assert!(per_tick.values().all(|&n| n <= 8), "{per_tick:?}");
    // Evenly spaced, not in bursts at each tick: no 50 ms, wherever it
    // starts, holds much more than half the share (a server that sees the
    // attempts a little late or early cannot count two bursts in one
    // 100 ms).
    for (i, &from) in times.iter().enumerate() {
        let within = times[i..]
            .iter()
            .take_while(|&&t| t - from < Duration::from_millis(50))
            .count();
        assert!(within <= 5, "{within} attempts in 50 ms from {from:?}");
    }
    let last = times.iter().max().unwrap();
    assert!(
        *last >= Duration::from_millis(2_400),
        "spread over the queue time: {last:?}"
    );
    assert!(
        *last <= Duration::from_secs(5),
        "and not much longer: {last:?}"
    );
}

#[test]
fn a_chunk_is_taken_as_the_fleet_queue_has_room() {
    let now = Instant::ZERO;
    let mut fleet = Fleet::new(FleetConfig::default(), now, 5);
    let id = fleet.add(config("j"), now);
    assert_eq!(connects(&mut fleet), [id]);
    fleet.handle_response(id, now, 200, [ES]);
    let event = "event: progress\ndata: {}\n\n";
    let chunk = event.repeat(100);
    let mut rest = chunk.as_bytes();
    let (mut events, mut calls) = (0, 0);
    while !rest.is_empty() {
        let taken = fleet.handle_body(id, now, rest);
        rest = &rest[taken..];
        calls += 1;
        if !rest.is_empty() {
            // The fleet took all the events it may hold, and takes no
            // more until they are drained.
            assert_eq!(taken, Watch::MAX_QUEUED_EVENTS * event.len());
            assert_eq!(fleet.handle_body(id, now, rest), 0);
        }
        while let Some((from, event)) = fleet.poll_event() {
            assert_eq!(from, id);
            assert!(matches!(event, WatchEvent::Job { .. }), "{event:?}");
            events += 1;
        }
    }
    assert_eq!(events, 100);
    assert_eq!(calls, 100usize.div_ceil(Watch::MAX_QUEUED_EVENTS));
}
