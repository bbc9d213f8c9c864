//! The tokio driver against the real simulator over loopback: the adapter
//! scenario table and the fault campaign of `bedrock-sse-testkit`, then
//! what only this adapter has (the `Stream` form, `next_event`
//! cancel-safety, resuming after a dropped watch).

mod runner;

use std::time::Duration;

use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::{Outcome, WatchEvent};
use bedrock_sse_sim::Faults;
use bedrock_sse_testkit::{Runner, TestSim, quick_job};
use bedrock_sse_tokio::{JobWatch, ReqwestTransport};
use futures_util::StreamExt;
use runner::{REQWEST, block_on};

bedrock_sse_testkit::scenarios!(REQWEST);
bedrock_sse_testkit::campaign!(REQWEST);

const QUICK: [&str; 5] = ["status", "status", "progress", "progress", "completed"];

fn job_name(event: &WatchEvent) -> Option<String> {
    match event {
        WatchEvent::Job { event, .. } => Some(event.name().to_owned()),
        _ => None,
    }
}

#[test]
fn the_stream_form_yields_the_same_events_and_keeps_the_outcome() {
    let sim = TestSim::with_jobs([quick_job("job_s")]);
    let (names, outcome) = block_on(async {
        let mut watch =
            JobWatch::with_seed(ReqwestTransport::new(), sim.config("job_s").build(), 3);
        let names: Vec<String> = (&mut watch)
            .filter_map(|event| async move { job_name(&event) })
            .collect()
            .await;
        // Polled again after its end, the stream is still over.
        assert!(watch.next().await.is_none());
        (names, watch.outcome().cloned())
    });
    assert_eq!(names, QUICK);
    assert_eq!(outcome.and_then(|o| o.job_end()), Some(JobEnd::Completed));
}

#[test]
fn next_event_is_cancel_safe() {
    // A future of `next_event` dropped before it is ready (here, over and
    // over, by a 1 ms timer while the body trickles in byte by byte) loses
    // nothing: the events arrive each once, in order.
    let sim = TestSim::with_jobs([quick_job("job_cs").faults(Faults {
        byte_at_a_time: true,
        ..Faults::default()
    })]);
    let (names, canceled) = block_on(async {
        let mut watch =
            JobWatch::with_seed(ReqwestTransport::new(), sim.config("job_cs").build(), 5);
        let mut names = Vec::new();
        let mut canceled = 0u32;
        loop {
            tokio::select! {
                event = watch.next_event() => match event {
                    Some(event) => names.extend(job_name(&event)),
                    None => break,
                },
                () = tokio::time::sleep(Duration::from_millis(1)) => canceled += 1,
            }
        }
        (names, canceled)
    });
    assert_eq!(names, QUICK);
    assert!(canceled > 0, "the timer won some races");
}

#[test]
fn a_watch_dropped_mid_stream_resumes_from_its_last_id() {
    let sim = TestSim::with_jobs([quick_job("job_dr")]);
    let (first, last_id) = block_on(async {
        let mut watch =
            JobWatch::with_seed(ReqwestTransport::new(), sim.config("job_dr").build(), 9);
        let mut names = Vec::new();
        let mut last_id = String::new();
        while let Some(event) = watch.next_event().await {
            if let WatchEvent::Job { id, event } = event {
                names.push(event.name().to_owned());
                last_id = id;
                if names.len() == 2 {
                    break;
                }
            }
        }
        // Dropped with its connection open, mid-job.
        drop(watch);
        (names, last_id)
    });
    assert_eq!(last_id, "2");
    let config = sim
        .config("job_dr")
        .resume_from(last_id.as_str())
        .expect("a resume id");
    assert_eq!(first, QUICK[..2]);
    let run = REQWEST.run(config.build());
    // Nothing twice: the second watch starts after id 2, whether or not
    // the job ended meanwhile.
    run.assert_each_once_in_order(&QUICK);
    assert!(!run.job_ids().contains(&"2"), "{run:#?}");
    assert!(matches!(run.outcome, Outcome::Finished { .. }));
    let log = sim.request_log().records();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].last_event_id.as_deref(), Some("2"));
}
