//! [`Resources`]: what the process holds, to check that a watch left
//! nothing behind.

use std::collections::HashSet;
use std::fs;
use std::thread;
use std::time::{Duration, Instant};

/// The process's threads and sockets at one moment, from `/proc/self`
/// (Linux only).
///
/// Counted for the whole process: a check that compares two counts must
/// run alone in its process (see [`cleanup_scenarios!`](crate::cleanup_scenarios!)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    /// Entries of `/proc/self/task`.
    pub threads: usize,
    /// Entries of `/proc/self/fd` that are TCP sockets (IPv4 or IPv6).
    /// Unix sockets are left out: a runtime's own (tokio's signal driver
    /// holds one while the runtime lives) are not connections.
    pub sockets: usize,
}

impl Resources {
    /// The counts now. Panics where `/proc/self` cannot be read.
    pub fn now() -> Resources {
        let threads = fs::read_dir("/proc/self/task")
            .expect("/proc/self/task (Linux)")
            .count();
        let tcp = tcp_inodes();
        let sockets = fs::read_dir("/proc/self/fd")
            .expect("/proc/self/fd (Linux)")
            .filter_map(Result::ok)
            .filter_map(|entry| fs::read_link(entry.path()).ok())
            .filter(|target| {
                let target = target.to_string_lossy();
                target
                    .strip_prefix("socket:[")
                    .and_then(|rest| rest.strip_suffix(']'))
                    .and_then(|inode| inode.parse::<u64>().ok())
                    .is_some_and(|inode| tcp.contains(&inode))
            })
            .count();
        Resources { threads, sockets }
    }

    /// Whether there is no more of either than in `baseline`.
    pub fn within(self, baseline: Resources) -> bool {
        self.threads <= baseline.threads && self.sockets <= baseline.sockets
    }

    /// Waits up to `patience` for the counts to come back [within](Self::within)
    /// `baseline` (a thread that was told to end takes a moment to); the
    /// counts last seen if they do not.
    pub fn settle(baseline: Resources, patience: Duration) -> Result<(), Resources> {
        let start = Instant::now();
        loop {
            let now = Resources::now();
            if now.within(baseline) {
                return Ok(());
            }
            if start.elapsed() >= patience {
                return Err(now);
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

/// The inodes of every TCP socket of this network namespace, from
/// `/proc/self/net/tcp` and `tcp6` (the tenth column).
fn tcp_inodes() -> HashSet<u64> {
    ["/proc/self/net/tcp", "/proc/self/net/tcp6"]
        .iter()
        .filter_map(|table| fs::read_to_string(table).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .filter_map(|line| line.split_whitespace().nth(9)?.parse().ok())
                .collect::<Vec<u64>>()
        })
        .collect()
}
