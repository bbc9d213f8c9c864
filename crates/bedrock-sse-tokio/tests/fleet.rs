//! The fleet driver against the simulator: many jobs under one key, a cap
//! on connections, rotations, and jobs added while it runs.

use std::collections::HashMap;

use bedrock_sse_core::fleet::FleetConfig;
use bedrock_sse_core::job::JobEnd;
use std::time::Duration;

use bedrock_sse_core::watch::{Outcome, WatchEvent};
use bedrock_sse_testkit::{FarServer, PATIENCE, TestSim, ms, quick_job};
use bedrock_sse_tokio::{FleetEvent, FleetWatch, ReqwestTransport};

/// Runs `future` on a runtime of its own (the simulator has its own, on a
/// thread of its own).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime
        .block_on(async { tokio::time::timeout(PATIENCE, future).await })
        .expect("done in time")
}

#[test]
fn twenty_jobs_through_five_connections_each_complete_once() {
    let ids: Vec<String> = (0..21).map(|n| format!("job_f{n:02}")).collect();
    let sim = TestSim::start(ids.iter().map(|id| quick_job(id)), |b| {
        b.max_connection(ms(60)).heartbeat(ms(20))
    });
    let config = FleetConfig::default().max_connections(5).storm_percent(100);
    let mut fleet = FleetWatch::with_seed(ReqwestTransport::new(), config, 9);
    for id in &ids[..20] {
        fleet.add(sim.config(id).build());
    }
    let mut events: HashMap<String, Vec<String>> = HashMap::new();
    let mut outcomes: HashMap<String, Outcome> = HashMap::new();
    let mut added_late = false;
    block_on(async {
        while let Some(report) = fleet.next().await {
            assert!(fleet.fleet().open_connections() <= 5);
            match report {
                FleetEvent::Event {
                    job_id,
                    event: WatchEvent::Job { event, .. },
                    ..
                } => {
                    events
                        .entry(job_id)
                        .or_default()
                        .push(event.name().to_owned());
                }
                FleetEvent::Outcome {
                    job_id, outcome, ..
                } => {
                    assert!(outcomes.insert(job_id, *outcome).is_none(), "two outcomes");
                    if !added_late {
                        // A job added while the fleet runs is followed too.
                        added_late = true;
                        fleet.add(sim.config(&ids[20]).build());
                    }
                }
                _ => {}
            }
        }
    });
    assert_eq!(outcomes.len(), 21);
    for id in &ids {
        let outcome = &outcomes[id];
        assert!(
            matches!(
                outcome,
                Outcome::Finished {
                    end: JobEnd::Completed,
                    ..
                }
            ),
            "{id}: {outcome:?}"
        );
        let names = &events[id];
        assert_eq!(
            names.iter().filter(|n| *n == "completed").count(),
            1,
            "{id}: {names:?}"
        );
        assert_eq!(
            names.last().map(String::as_str),
            Some("completed"),
            "{id}: {names:?}"
        );
        let progress = names.iter().filter(|n| *n == "progress").count();
        assert!(progress <= 2, "{id}: no event twice: {names:?}");
    }
    // Every request was counted against the one key.
    assert!(sim.request_log().records().len() >= 21);
}

#[test]
fn a_job_watch_made_outside_the_runtime_runs_inside_it() {
    let sim = TestSim::with_jobs([quick_job("job_out")]);
    let watch =
        bedrock_sse_tokio::JobWatch::new(ReqwestTransport::new(), sim.config("job_out").build());
    let outcome = block_on(watch.run(|_| {}));
    assert_eq!(outcome.job_end(), Some(JobEnd::Completed));
}

#[test]
fn a_removed_job_is_closed_and_gives_no_outcome() {
    let sim = TestSim::with_jobs([quick_job("job_keep"), quick_job("job_drop")]);
    block_on(async {
        let mut fleet = FleetWatch::new(ReqwestTransport::new(), FleetConfig::default());
        fleet.add(sim.config("job_keep").build());
        let dropped = fleet.add(sim.config("job_drop").build());
        assert!(fleet.remove(dropped));
        assert!(!fleet.remove(dropped));
        let mut outcomes = Vec::new();
        while let Some(report) = fleet.next().await {
            if let FleetEvent::Outcome { job_id, .. } = report {
                outcomes.push(job_id);
            }
        }
        assert_eq!(outcomes, ["job_keep"]);
    });
}

#[test]
fn over_h2c_many_watches_share_few_connections() {
    let ids: Vec<String> = (0..35).map(|n| format!("job_h{n:02}")).collect();
    let jobs = ids
        .iter()
        .map(|id| bedrock_sse_sim::JobScript::overlay(id.as_str(), 4, ms(150)));
    let sim = TestSim::with_jobs(jobs);
    let transport = ReqwestTransport::builder()
        .http2_prior_knowledge()
        .streams_per_connection(10)
        .build()
        .expect("a transport");
    let config = FleetConfig::default().storm_percent(100);
    let mut fleet = FleetWatch::with_seed(transport.clone(), config, 5);
    for id in &ids {
        fleet.add(sim.config(id).build());
    }
    let mut completed = 0;
    block_on(async {
        while let Some(report) = fleet.next().await {
            if let FleetEvent::Outcome { outcome, .. } = report {
                assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
                completed += 1;
            }
        }
    });
    assert_eq!(completed, 35);
    let log = sim.request_log().records();
    let peers: std::collections::HashSet<_> = log.iter().map(|r| r.peer).collect();
    // 35 streams at once, at most 10 per connection: 4 connections (a
    // rotation may open one more), never one per stream as HTTP/1.1 needs.
    assert!(
        peers.len() <= 5,
        "{} connections for {} requests",
        peers.len(),
        log.len()
    );
    assert!(transport.connections() <= 5);
}

#[test]
fn a_graceful_restart_is_spread_out_and_loses_nothing() {
    const JOBS: usize = 60;
    let ids: Vec<String> = (0..JOBS).map(|n| format!("job_s{n:02}")).collect();
    // 20 events 400 ms apart: the jobs outlive the storm.
    let sim = TestSim::with_jobs(
        ids.iter()
            .map(|id| bedrock_sse_sim::JobScript::overlay(id.as_str(), 20, ms(400))),
    );
    let mut fleet = FleetWatch::with_seed(ReqwestTransport::new(), FleetConfig::default(), 11);
    for id in &ids {
        fleet.add(sim.config(id).build());
    }
    let mut names: HashMap<String, Vec<String>> = HashMap::new();
    let mut ended = 0;
    let mut storm_at = None;
    block_on(async {
        while let Some(report) = fleet.next().await {
            if storm_at.is_none() && sim.request_log().records().len() >= JOBS {
                // Everyone is streaming: the server restarts gracefully.
                storm_at = Some(sim.request_log().records().len());
                sim.end_all_streams();
            }
            match report {
                FleetEvent::Event {
                    job_id,
                    event: WatchEvent::Job { event, .. },
                    ..
                } => {
                    let data = event.data();
                    let name = match (data.and_then(|d| d.message.as_deref()), event.status()) {
                        (Some(message), _) => message.to_owned(),
                        (None, Some(status)) => format!("{}:{}", event.name(), status.as_str()),
                        (None, None) => event.name().to_owned(),
                    };
                    names.entry(job_id).or_default().push(name);
                }
                FleetEvent::Outcome { outcome, .. } => {
                    assert_eq!(outcome.job_end(), Some(JobEnd::Completed), "{outcome:?}");
                    ended += 1;
                }
                _ => {}
            }
        }
    });
    assert_eq!(ended, JOBS);
    for (job, names) in &names {
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(&unique, names, "{job}: nothing twice");
        assert_eq!(
            names.last().map(String::as_str),
            Some("completed:Completed"),
            "{job}"
        );
        assert_eq!(
            names
                .iter()
                .filter(|n| n.starts_with("Processing sheet"))
                .count(),
            20,
            "{job}: nothing lost"
        );
    }
    // The reconnects after the restart, as the server saw them arrive: the
    // fleet grants at most 5 % of 60 (3) per 100 ms; arrivals may bunch a
    // little on a busy machine, hence twice that.
    let log = sim.request_log().records();
    let mut reconnects: Vec<Duration> = log[storm_at.expect("the storm happened")..]
        .iter()
        .map(|r| r.since_start)
        .collect();
    // A record's time is its connection's accept, which may come before
    // the record of a request handled earlier: count in time order.
    reconnects.sort_unstable();
    assert!(
        reconnects.len() >= JOBS,
        "every watch reconnected: {}",
        reconnects.len()
    );
    for (i, at) in reconnects.iter().enumerate() {
        let within = reconnects[i..]
            .iter()
            .take_while(|t| **t < *at + ms(100))
            .count();
        assert!(within <= 6, "{within} reconnects within 100 ms of {at:?}");
    }
}

#[test]
fn bursts_of_tiny_events_reach_every_watch_whole() {
    // Every request gets 300 tiny events and the job's end in one body:
    // more than a watch queues at once, so each chunk is fed in parts.
    let mut body: String = (1..=300)
        .map(|n| format!("id: {n}\nevent: progress\ndata: {{}}\n\n"))
        .collect();
    body.push_str("id: 301\nevent: completed\ndata: {}\n\n");
    let far = FarServer::start(body);
    let mut fleet = FleetWatch::new(ReqwestTransport::new(), FleetConfig::default());
    for job in ["job_b1", "job_b2", "job_b3"] {
        fleet.add(TestSim::test_config(&far.url(""), job).build());
    }
    let mut ids: HashMap<String, Vec<u32>> = HashMap::new();
    let mut ends = Vec::new();
    block_on(async {
        while let Some(report) = fleet.next().await {
            match report {
                FleetEvent::Event {
                    job_id,
                    event: WatchEvent::Job { id, .. },
                    ..
                } => ids.entry(job_id).or_default().push(id.parse().unwrap()),
                FleetEvent::Outcome { outcome, .. } => ends.push(outcome.job_end()),
                FleetEvent::Event { event, .. } => panic!("{event:?}"),
                _ => {}
            }
        }
    });
    assert_eq!(ends, [Some(JobEnd::Completed); 3]);
    let want: Vec<u32> = (1..=301).collect();
    for (job, got) in &ids {
        assert_eq!(got, &want, "{job}: each event once, in order");
    }
    assert_eq!(ids.len(), 3);
}
