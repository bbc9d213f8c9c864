//! `bedrock-sse decode` as a script would use it: bytes in, JSON Lines and an
//! exit code out.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn decode(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-sse"))
        .arg("decode")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    // A failing command may exit before reading everything: ignore EPIPE.
    let _ = pipe.write_all(stdin);
    drop(pipe);
    child.wait_with_output().expect("the binary runs")
}

fn stdout(output: &Output) -> &str {
    std::str::from_utf8(&output.stdout).expect("stdout is UTF-8")
}

#[test]
fn prints_events_and_retries_in_stream_order() {
    let input = b"retry: 1500\n\nevent: status\nid: 7\ndata: {\"a\":1}\n\n: heartbeat\n\ndata: x\ndata: y\n\n";
    let output = decode(&[], input);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        concat!(
            "{\"retry\":1500}\n",
            "{\"event\":\"status\",\"data\":\"{\\\"a\\\":1}\",\"id\":\"7\"}\n",
            "{\"event\":\"message\",\"data\":\"x\\ny\",\"id\":\"7\"}\n",
        )
    );
    assert!(output.stderr.is_empty());
}

#[test]
fn reads_a_file_argument() {
    let dir = std::env::temp_dir().join(format!("bedrock-sse-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("capture.sse");
    std::fs::write(&path, "\u{feff}data: from a file\r\n\r\n").unwrap();
    let output = decode(&[path.to_str().unwrap()], b"");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "{\"event\":\"message\",\"data\":\"from a file\",\"id\":\"\"}\n"
    );
}

#[test]
fn invalid_utf8_becomes_the_replacement_character() {
    let output = decode(&[], b"data: a\xffb\n\n");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "{\"event\":\"message\",\"data\":\"a\u{fffd}b\",\"id\":\"\"}\n"
    );
}

#[test]
fn an_unterminated_event_is_dropped_with_a_note() {
    let output = decode(&[], b"data: done\n\ndata: cut");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "{\"event\":\"message\",\"data\":\"done\",\"id\":\"\"}\n"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("ended inside an event"));
}

#[test]
fn a_limit_error_prints_what_came_before_then_exits_1() {
    let mut input = b"data: small\n\n".to_vec();
    input.extend_from_slice(b"data: ");
    input.extend(std::iter::repeat_n(b'x', 100));
    input.extend_from_slice(b"\n\ndata: never printed\n\n");
    let output = decode(&["--max-event-size", "64"], &input);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "{\"event\":\"message\",\"data\":\"small\",\"id\":\"\"}\n"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("limit of 64 bytes"), "{stderr}");
    assert!(stderr.contains("--max-event-size"), "{stderr}");
}

#[test]
fn a_missing_file_exits_3() {
    let output = decode(&["/nonexistent/capture.sse"], b"");
    assert_eq!(output.status.code(), Some(3));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/capture.sse"));
}

#[test]
fn bad_usage_exits_2() {
    let output = decode(&["--max-event-size", "lots"], b"");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_default_limit_takes_a_multi_mebibyte_event() {
    let mut input = b"data: ".to_vec();
    input.extend(std::iter::repeat_n(b'z', 4 << 20));
    input.extend_from_slice(b"\n\n");
    let output = decode(&[], &input);
    assert_eq!(output.status.code(), Some(0));
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["data"].as_str().map(str::len), Some(4 << 20));
}
