//! Per-key limits on open streams, and ending every stream at once.

mod common;

use std::time::Duration;

use bedrock_sse_sim::Simulator;
use common::*;

#[tokio::test]
async fn a_key_may_hold_only_so_many_streams_at_once() {
    let sim = Simulator::builder()
        .key(KEY)
        .rate_limit(None)
        .max_streams_per_key(Some(2))
        .job(long_job("job_a"))
        .job(long_job("job_b"))
        .job(long_job("job_c"))
        .start()
        .await
        .expect("the simulator starts");
    let a = send(get(&sim, "job_a")).await;
    let b = send(get(&sim, "job_b")).await;
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let c = send(get(&sim, "job_c")).await;
    assert_eq!(c.status().as_u16(), 429);
    assert_eq!(header(&c, "retry-after"), Some("1"));
    let problem = read_body(c).await;
    assert!(
        problem.text().contains("Too many concurrent streams"),
        "{}",
        problem.text()
    );
    // Closing one stream makes room.
    drop(a);
    let mut status = 0;
    for _ in 0..50 {
        status = send(get(&sim, "job_c")).await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, 200);
    drop(b);
    sim.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn end_all_streams_ends_every_open_body_cleanly() {
    let sim = Simulator::builder()
        .key(KEY)
        .job(long_job("job_a"))
        .job(long_job("job_b"))
        .start()
        .await
        .expect("the simulator starts");
    let a = send(get(&sim, "job_a")).await;
    let b = send(get(&sim, "job_b")).await;
    sim.end_all_streams();
    for response in [a, b] {
        // The body ends (a clean end, not an error) well before the job.
        let body = tokio::time::timeout(Duration::from_secs(5), read_body(response))
            .await
            .expect("the body ended");
        assert!(body.text().contains("id: 1"), "{}", body.text());
    }
    // New streams are served as before.
    assert_eq!(send(get(&sim, "job_a")).await.status().as_u16(), 200);
    sim.shutdown().await.expect("clean shutdown");
}
