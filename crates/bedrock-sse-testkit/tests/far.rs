//! The far server records every request as sent and answers each with its
//! stream.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bedrock_sse_testkit::FarServer;

fn get(far: &FarServer, request: &str) -> String {
    let mut stream = TcpStream::connect(far.addr()).expect("the far server listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("a read timeout");
    stream
        .write_all(request.as_bytes())
        .expect("the request goes out");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    answer
}

#[test]
fn records_each_request_unredacted_and_answers_with_the_stream() {
    let far = FarServer::start(FarServer::job_stream("job_1"));
    let answer = get(
        &far,
        "GET /jobs/job_1/stream?redirected=1 HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer sk_seen\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("text/event-stream"), "{answer}");
    assert!(answer.contains("event: completed"), "{answer}");
    get(
        &far,
        "GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );

    let requests = far.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/jobs/job_1/stream?redirected=1");
    assert_eq!(requests[0].header("AUTHORIZATION"), Some("Bearer sk_seen"));
    assert_eq!(requests[1].path, "/other");
    assert_eq!(requests[1].header("authorization"), None);
}
