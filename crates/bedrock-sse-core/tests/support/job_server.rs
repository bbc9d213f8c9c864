//! A scripted job server for watch tests: the job's events as frames, and
//! what the server sends on each connection (resume, replay, restate).

/// The job as the server tells it: Queued, Started, progress steps with
/// rising fractions, then one terminal event. Every event has a unique
/// message, so a duplicate delivery is visible.
pub(crate) struct Server {
    frames: Vec<String>,
    /// Index of each frame's latest status event at or before it.
    status_at: Vec<usize>,
    /// How far the server has got in the job (frames sent on any connection).
    pub(crate) pos: usize,
    /// The live connection's next frame, and a snapshot to send first.
    pub(crate) cursor: usize,
    pending: Option<String>,
    /// Per-connection behaviours, cycled: 0 resume, 1 replay from the start,
    /// 2 restate the current status, then go on.
    modes: Vec<u8>,
    connections: usize,
    retry: Option<u32>,
}

impl Server {
    pub(crate) fn new(
        len: usize,
        ids: bool,
        terminal: u8,
        modes: Vec<u8>,
        retry: Option<u32>,
    ) -> Server {
        let mut frames = Vec::new();
        let mut status_at = Vec::new();
        let mut last_status = 0;
        for k in 0..len {
            let (event, json) = match k {
                0 => (
                    "status",
                    format!(r#"{{"job_id":"j","status":"Queued","message":"e{k}"}}"#),
                ),
                1 => (
                    "status",
                    format!(r#"{{"job_id":"j","status":"RUNNING","message":"e{k}"}}"#),
                ),
                _ if k == len - 1 => match terminal {
                    0 => (
                        "completed",
                        format!(
                            r#"{{"job_id":"j","status":"Completed","message":"e{k}","results":{{"k":{k}}}}}"#
                        ),
                    ),
                    1 => (
                        "failed",
                        format!(r#"{{"job_id":"j","message":"e{k}","error":{{"code":"X"}}}}"#),
                    ),
                    _ => (
                        "status",
                        format!(r#"{{"job_id":"j","status":"Canceled","message":"e{k}"}}"#),
                    ),
                },
                _ => (
                    "progress",
                    format!(
                        r#"{{"job_id":"j","progress":{},"message":"e{k}"}}"#,
                        k as f64 / len as f64
                    ),
                ),
            };
            if event == "status" {
                last_status = k;
            }
            status_at.push(last_status);
            let id = if ids {
                format!("id: {}\n", k + 1)
            } else {
                String::new()
            };
            frames.push(format!("{id}event: {event}\ndata: {json}\n\n"));
        }
        Server {
            frames,
            status_at,
            pos: 0,
            cursor: 0,
            pending: None,
            modes,
            connections: 0,
            retry,
        }
    }

    pub(crate) fn connect(&mut self, last_event_id: Option<&str>) {
        let mode = self.modes[self.connections % self.modes.len()];
        self.connections += 1;
        self.pending = None;
        self.cursor = match (mode, last_event_id.and_then(|id| id.parse::<usize>().ok())) {
            (0, Some(id)) => id.min(self.frames.len()),
            (0, None) => self.pos,
            (1, _) => 0,
            _ => {
                if self.pos > 0 {
                    self.pending = Some(self.frames[self.status_at[self.pos - 1]].clone());
                }
                self.pos
            }
        };
    }

    pub(crate) fn next(&mut self, n: u8, hb: bool) -> String {
        let mut out = String::new();
        if let Some(retry) = self.retry.take() {
            out.push_str(&format!("retry: {retry}\n\n"));
        }
        if let Some(snapshot) = self.pending.take() {
            out.push_str(&snapshot);
        }
        for _ in 0..n {
            if hb {
                out.push_str(": heartbeat\n\n");
            }
            if let Some(frame) = self.frames.get(self.cursor) {
                out.push_str(frame);
                self.cursor += 1;
                self.pos = self.pos.max(self.cursor);
            }
        }
        out
    }
}

/// A response head of some kind: mostly a 200 event stream, else each
/// kind of failure the watch retries or ends on.
pub(crate) fn head(kind: u8) -> (u16, Vec<(&'static str, &'static str)>) {
    let es = ("content-type", "text/event-stream");
    match kind {
        0..=3 => (200, vec![es]),
        4 => (503, vec![]),
        5 => (
            429,
            vec![("retry-after", "3"), ("x-ratelimit-remaining", "0")],
        ),
        6 => (429, vec![]),
        7 => (408, vec![]),
        8 => (401, vec![("content-type", "application/json")]),
        _ => (200, vec![("content-type", "text/html")]),
    }
}
