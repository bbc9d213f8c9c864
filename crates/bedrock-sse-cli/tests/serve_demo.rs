//! `bedrock-sse serve` and `bedrock-sse demo` as a user runs them: real
//! processes, real sockets on 127.0.0.1, Ctrl-C to stop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bedrock-sse"))
}

/// A bound on every wait, so a broken command fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(30);

#[test]
fn demo_follows_a_job_from_queued_to_completed() {
    let output = bin()
        .args(["demo", "--speed", "20"])
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let queued = stdout.find("status     Queued").expect("Queued");
    let started = stdout.find("status     Started").expect("Started");
    let last_sheet = stdout
        .find("100%  Processing sheet 12 of 12")
        .expect("the last progress");
    let completed = stdout.find("completed  Completed").expect("completed");
    assert!(
        queued < started && started < last_sheet && last_sheet < completed,
        "{stdout}"
    );
    assert_eq!(stdout.matches("progress   [").count(), 12, "{stdout}");
    assert!(stdout.contains("Job completed."));
    assert!(
        stdout
            .contains("overlay: https://files.bedrock.cv/overlays/ovl_01JDEMOOVERLAY/overlay.pdf")
    );
    assert!(stdout.contains("changes: 3"));
}

/// A `serve` process, stopped with SIGINT (or killed) when dropped.
struct Server {
    child: Child,
    banner: String,
    url: String,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = bin()
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let mut banner = String::new();
        while !banner.contains("Press Ctrl-C to stop.") {
            let read = lines.read_line(&mut banner).unwrap();
            assert!(read > 0, "serve exited early: {banner}");
        }
        drain(lines);
        let url = banner
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("bedrock-sse simulator listening on "))
            .expect("the first line gives the address")
            .to_owned();
        Server { child, banner, url }
    }

    /// `GET path` over HTTP/1.0, so the body is the rest of the connection.
    fn get(&self, path: &str, auth: &str) -> String {
        let address = self.url.strip_prefix("http://").unwrap();
        let mut socket = TcpStream::connect(address).unwrap();
        socket.set_read_timeout(Some(PATIENCE)).unwrap();
        write!(
            socket,
            "GET {path} HTTP/1.0\r\nHost: {address}\r\n{auth}\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        socket.read_to_string(&mut response).unwrap();
        response
    }

    #[cfg(unix)]
    fn interrupt(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGINT");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Keeps reading stdout so the server never blocks on a full pipe.
fn drain(mut lines: BufReader<ChildStdout>) {
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = lines.read_to_end(&mut sink);
    });
}

#[test]
fn serve_prints_what_to_paste_and_streams_the_demo_jobs() {
    let server = Server::start(&["--speed", "50", "--heartbeat", "1s"]);
    let banner = &server.banner;
    for job in [
        "job_01JDEMOOVERLAY",
        "job_01JDEMOUPPER",
        "job_01JDEMOFAILED",
        "job_01JDEMOCANCEL",
        "job_01JDEMODONE",
    ] {
        assert!(banner.contains(job), "{banner}");
    }
    let curl = format!(
        "curl -N {}/jobs/job_01JDEMOOVERLAY/stream -H \"Authorization: Bearer sk_demo\"",
        server.url
    );
    assert!(banner.contains(&curl), "{banner}");

    let response = server.get(
        "/jobs/job_01JDEMOOVERLAY/stream",
        "Authorization: Bearer sk_demo",
    );
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.0 200 OK") || head.starts_with("HTTP/1.1 200 OK"),
        "{head}"
    );
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(body.starts_with("id: 1\nevent: status\ndata: {\"job_id\":\"job_01JDEMOOVERLAY\",\"type\":\"overlay.generate\",\"status\":\"Queued\""));
    assert_eq!(body.matches("event: progress\n").count(), 12);
    assert!(body.contains("id: 15\nevent: completed\ndata: {\"job_id\":\"job_01JDEMOOVERLAY\",\"type\":\"overlay.generate\",\"status\":\"Completed\",\"results\":{"));

    let unauthorized = server.get("/jobs/job_01JDEMOOVERLAY/stream", "X-Nothing: 1");
    assert!(unauthorized.contains(" 401 Unauthorized"), "{unauthorized}");
    assert!(unauthorized.contains("\"code\":\"UNAUTHORIZED\""));

    #[cfg(unix)]
    assert!(server.interrupt().success(), "Ctrl-C is a clean exit");
}

#[cfg(unix)]
#[test]
fn ctrl_c_closes_open_streams_and_exits_cleanly() {
    let server = Server::start(&["--max-connection", "10m"]);
    let address = server.url.strip_prefix("http://").unwrap().to_owned();
    let mut socket = TcpStream::connect(&address).unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        socket,
        "GET /jobs/job_01JDEMOCANCEL/stream HTTP/1.0\r\nX-API-Key: sk_demo\r\n\r\n"
    )
    .unwrap();
    let mut first = [0u8; 12];
    socket.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.0 200");
    assert!(server.interrupt().success());
    let mut rest = String::new();
    socket
        .read_to_string(&mut rest)
        .expect("the stream ended cleanly");
    assert!(rest.contains("event: status"), "{rest}");
}

#[test]
fn a_configured_key_is_never_printed() {
    let server = Server::start(&["--key", "sk_my_secret_key", "--speed", "100"]);
    assert!(
        !server.banner.contains("sk_my_secret_key"),
        "{}",
        server.banner
    );
    assert!(server.banner.contains("Bearer $BEDROCK_API_KEY"));
    let response = server.get(
        "/jobs/job_01JDEMODONE/stream",
        "Authorization: Bearer sk_my_secret_key",
    );
    assert!(response.contains("event: completed"), "{response}");
}

#[test]
fn unusable_settings_exit_with_2_and_say_why() {
    let missing = bin()
        .args(["serve", "--scenario", "/nonexistent/jobs.toml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/jobs.toml"));

    let bad_key = bin()
        .args(["serve", "--addr", "127.0.0.1:0", "--key", "secret"])
        .output()
        .unwrap();
    assert_eq!(bad_key.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad_key.stderr);
    assert!(
        stderr.contains("must start with `sk_`") && !stderr.contains("secret"),
        "{stderr}"
    );

    let bad_speed = bin()
        .args(["serve", "--addr", "127.0.0.1:0", "--speed=0"])
        .output()
        .unwrap();
    assert_eq!(bad_speed.status.code(), Some(2));
}
