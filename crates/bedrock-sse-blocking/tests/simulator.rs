//! The blocking driver against the real simulator over loopback: the
//! adapter scenario table and the fault campaign of `bedrock-sse-testkit`,
//! then what only this adapter has (the iterator form).

mod runner;

use bedrock_sse_blocking::{JobWatch, UreqTransport};
use bedrock_sse_core::job::JobEnd;
use bedrock_sse_core::watch::{Outcome, WatchEvent};
use bedrock_sse_testkit::{TestSim, quick_job};
use runner::BlockingRunner;

bedrock_sse_testkit::scenarios!(BlockingRunner);
bedrock_sse_testkit::campaign!(BlockingRunner);

#[test]
fn the_iterator_form_yields_each_event_with_its_id_then_keeps_the_outcome() {
    let sim = TestSim::with_jobs([quick_job("job_it")]);
    let mut watch = JobWatch::with_seed(UreqTransport::new(), sim.config("job_it").build(), 1);
    assert!(watch.outcome().is_none(), "no outcome before the end");
    let mut ids = Vec::new();
    for event in &mut watch {
        let WatchEvent::Job { id, event } = event else {
            panic!("{event:?}")
        };
        ids.push(format!("{id} {}", event.name()));
    }
    assert_eq!(
        ids,
        [
            "1 status",
            "2 status",
            "3 progress",
            "4 progress",
            "5 completed"
        ]
    );
    // The iterator is over for good; the outcome stays.
    assert!(watch.next().is_none());
    let Some(Outcome::Finished {
        end: JobEnd::Completed,
        event,
    }) = watch.outcome()
    else {
        panic!("{:?}", watch.outcome())
    };
    assert!(event.data().and_then(|d| d.results.as_ref()).is_some());
}
