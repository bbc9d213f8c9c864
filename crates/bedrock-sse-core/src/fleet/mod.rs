//! [`Fleet`]: many [`Watch`]es under one roof, still Sans-IO.
//!
//! A service that follows hundreds of jobs under one API key must not let
//! its watches burn the key's rate limit on each other, open more
//! connections than it can hold, or all reconnect in the same instant after
//! a server restart. The fleet holds every watch and decides, for all of
//! them, when each may connect:
//!
//! * **one timer**: [`poll_timeout`](Fleet::poll_timeout) is the earliest
//!   deadline of every watch and of the fleet's own pacing;
//! * **a shared budget per credential**, learnt from `X-RateLimit-*` and
//!   from any watch's 429 (which slows all of them): once the budget is
//!   known, no attempt is granted that would knowingly exceed it;
//! * **a cap on open connections**: watches beyond it wait their turn, and
//!   the wait is no failure;
//! * **storm control**: attempts are granted at most
//!   [`storm_percent`](FleetConfig::storm_percent) of the fleet per
//!   [`storm_tick`](FleetConfig::storm_tick) (4 % per 100 ms by default,
//!   so that what the server sees stays under 5 % whatever the network
//!   does to the spacing), evenly spaced rather than in bursts at each
//!   tick, and each waiting watch gets a random place within the time the
//!   queue needs, so a mass disconnect spreads out instead of stampeding;
//! * each watch keeps its own exactly-once guarantee and its own outcome.
//!
//! Inputs name the watch they are for ([`WatchId`]); outputs come tagged
//! with it. The driver loop is the [`Watch`]'s, with ids:
//!
//! ```
//! use bedrock_sse_core::fleet::{Fleet, FleetConfig};
//! use bedrock_sse_core::watch::{Action, Instant, Outcome, WatchConfig};
//!
//! let mut now = Instant::ZERO;
//! let mut fleet = Fleet::new(FleetConfig::default(), now, 7);
//! let mut jobs = Vec::new();
//! for n in 0..3 {
//!     let config = WatchConfig::builder(format!("job_{n}")).unwrap().build();
//!     jobs.push(fleet.add(config, now));
//! }
//! let mut outcomes = 0;
//! while outcomes < 3 {
//!     while let Some((id, action)) = fleet.poll_action() {
//!         if let Action::Connect(_request) = action {
//!             // A fake server: the job is already over.
//!             fleet.handle_response(id, now, 200, [("content-type", "text/event-stream")]);
//!             // One event: taken whole (see `Fleet::handle_body` for more).
//!             let body = b"event: completed\ndata: {}\n\n";
//!             assert_eq!(fleet.handle_body(id, now, body), body.len());
//!         }
//!     }
//!     while let Some((_id, _event)) = fleet.poll_event() {}
//!     while let Some((_id, outcome)) = fleet.poll_outcome() {
//!         assert!(matches!(outcome, Outcome::Finished { .. }));
//!         outcomes += 1;
//!     }
//!     if let Some(at) = fleet.poll_timeout() {
//!         now = at;
//!         fleet.handle_timeout(now);
//!     }
//! }
//! assert!(fleet.is_empty());
//! ```

mod budget;
mod pace;

use alloc::collections::{BinaryHeap, VecDeque};
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::fmt;
use core::time::Duration;

use self::budget::Budget;
use self::pace::Pace;
use crate::http::HeaderPair;
use crate::watch::{
    Action, Instant, Outcome, Seen, SplitMix64, TransportError, Watch, WatchConfig, WatchEvent,
};

/// Names one watch of a [`Fleet`]. Never reused for another watch of the
/// same fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WatchId {
    index: u32,
    generation: u32,
}

impl fmt::Display for WatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "watch {}.{}", self.index, self.generation)
    }
}

/// How a [`Fleet`] shares out connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetConfig {
    max_connections: usize,
    storm_percent: u8,
    storm_tick: Duration,
    budget_window: Duration,
    max_spread: Duration,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            max_connections: 1_000,
            storm_percent: 4,
            storm_tick: Duration::from_millis(100),
            budget_window: Duration::from_secs(60),
            max_spread: Duration::from_secs(60),
        }
    }
}

impl FleetConfig {
    /// The most connections open (or being opened) at once. Default: 1,000.
    /// Watches beyond it wait, in turn.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// The most connection attempts, as a share of the fleet, that any
    /// [`storm_tick`](Self::storm_tick) may see (at least one). Default: 4.
    /// They are spaced evenly: a queue drains at a little less than this
    /// share (a tenth of it is kept for catching up after a late timer).
    pub fn storm_percent(mut self, percent: u8) -> Self {
        self.storm_percent = percent.clamp(1, 100);
        self
    }

    /// The window the storm share is counted over. Default: 100 ms.
    pub fn storm_tick(mut self, tick: Duration) -> Self {
        self.storm_tick = tick;
        self
    }

    /// The rate-limit window assumed when a response gives the remaining
    /// requests but no reset time, and the wait after a 429 without
    /// `Retry-After`. Default: 60 s (the API's limits are per minute).
    pub fn budget_window(mut self, window: Duration) -> Self {
        self.budget_window = window;
        self
    }

    /// The most a waiting watch is spread out by jitter. Default: 60 s.
    pub fn max_spread(mut self, spread: Duration) -> Self {
        self.max_spread = spread;
        self
    }

    /// Attempts allowed per tick for a fleet of `len` watches.
    fn burst(&self, len: usize) -> usize {
        (len * usize::from(self.storm_percent)).div_ceil(100).max(1)
    }
}

#[derive(Debug)]
struct Entry {
    watch: Watch,
    /// Index of its credential's budget.
    budget: usize,
    /// Holds (or is opening) a connection, as last seen.
    open: bool,
    /// Waits in its budget's queue.
    queued: bool,
    /// A request of its is in flight (counted in its budget).
    awaiting_head: bool,
    /// The deadline last put in the timer heap.
    timer: Option<Instant>,
}

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    entry: Option<Entry>,
}

/// Many watches, one timer, one rate budget per credential, a connection
/// cap and storm control. See the [module docs](self).
#[derive(Debug)]
pub struct Fleet {
    config: FleetConfig,
    now: Instant,
    rng: SplitMix64,
    slots: Vec<Slot>,
    free: Vec<u32>,
    len: usize,
    open: usize,
    budgets: Vec<Budget>,
    pace: Pace,
    timers: BinaryHeap<Reverse<(Instant, u32, u32)>>,
    next_ticket: u64,
    /// A Unix time at an instant, to read `X-RateLimit-Reset`.
    wall_clock: Option<(Instant, u64)>,
    actions: VecDeque<(WatchId, Action)>,
    events: VecDeque<(WatchId, WatchEvent)>,
    outcomes: VecDeque<(WatchId, Outcome)>,
}

impl Fleet {
    /// An empty fleet. `seed` drives every jitter (each watch gets its own
    /// seed from it).
    pub fn new(config: FleetConfig, now: Instant, seed: u64) -> Fleet {
        Fleet {
            config,
            now,
            rng: SplitMix64::new(seed),
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            open: 0,
            budgets: Vec::new(),
            pace: Pace::default(),
            timers: BinaryHeap::new(),
            next_ticket: 0,
            wall_clock: None,
            actions: VecDeque::new(),
            events: VecDeque::new(),
            outcomes: VecDeque::new(),
        }
    }

    /// Adds a watch of `config`'s job; it connects when the fleet grants it.
    pub fn add(&mut self, config: WatchConfig, now: Instant) -> WatchId {
        self.enter(now);
        let budget = match self
            .budgets
            .iter()
            .position(|b| b.credentials.as_ref() == config.credentials())
        {
            Some(index) => index,
            None => {
                self.budgets
                    .push(Budget::new(config.credentials().cloned()));
                self.budgets.len() - 1
            }
        };
        let watch = Watch::gated(config, self.now, self.rng.next_u64());
        let entry = Entry {
            watch,
            budget,
            open: false,
            queued: false,
            awaiting_head: false,
            timer: None,
        };
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(Slot::default());
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.entry = Some(entry);
        let id = WatchId {
            index,
            generation: slot.generation,
        };
        self.len += 1;
        self.settle(id, None);
        self.pump();
        id
    }

    /// Removes a watch before its end: its connection, if any, is to be
    /// closed ([`Action::Close`] comes for it), and no outcome is given.
    /// Returns whether it was there.
    pub fn remove(&mut self, id: WatchId, now: Instant) -> bool {
        self.enter(now);
        let Some(entry) = self.take(id) else {
            return false;
        };
        if entry.watch.holds_connection() {
            self.actions.push_back((id, Action::Close));
        }
        self.tidy_timers();
        self.pump();
        true
    }

    /// Tells the fleet the Unix time (seconds) at `now`, so that
    /// `X-RateLimit-Reset` can be read; without it the fleet assumes the
    /// budget window of [`FleetConfig::budget_window`].
    pub fn set_wall_clock(&mut self, now: Instant, unix_seconds: u64) {
        self.enter(now);
        self.wall_clock = Some((self.now, unix_seconds));
    }

    // ----- inputs, per watch ----------------------------------------------

    /// [`Watch::handle_response`] for watch `id`.
    pub fn handle_response<I>(&mut self, id: WatchId, now: Instant, status: u16, headers: I)
    where
        I: IntoIterator,
        I::Item: HeaderPair,
    {
        self.enter(now);
        let now = self.now;
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        let seen = entry.watch.respond(now, status, headers);
        self.settle(id, seen);
        self.pump();
    }

    /// [`Watch::handle_body`] for watch `id`: returns how many bytes of
    /// `bytes` it took. The events the fleet holds count towards the cap
    /// of [`Watch::MAX_QUEUED_EVENTS`]: while the fleet holds that many,
    /// nothing is taken. Drain [`poll_event`](Self::poll_event) until
    /// `None`, then feed `&bytes[consumed..]`. Bytes for a watch the fleet
    /// no longer holds are taken whole.
    #[must_use = "the bytes past the returned count must be fed again once the events are drained"]
    pub fn handle_body(&mut self, id: WatchId, now: Instant, bytes: &[u8]) -> usize {
        let room = Watch::MAX_QUEUED_EVENTS.saturating_sub(self.events.len());
        let mut taken = bytes.len();
        self.with(id, now, |watch, now| {
            taken = watch.take_body(now, bytes, room);
        });
        taken
    }

    /// [`Watch::handle_eof`] for watch `id`.
    pub fn handle_eof(&mut self, id: WatchId, now: Instant) {
        self.with(id, now, |watch, now| watch.handle_eof(now));
    }

    /// [`Watch::handle_transport_error`] for watch `id`.
    pub fn handle_transport_error(&mut self, id: WatchId, now: Instant, error: TransportError) {
        self.with(id, now, |watch, now| {
            watch.handle_transport_error(now, error)
        });
    }

    /// The time from [`poll_timeout`](Self::poll_timeout) has come: fires
    /// every watch whose deadline it is, and grants what may be granted.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.enter(now);
        let now = self.now;
        while let Some(&Reverse((at, index, generation))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            let id = WatchId { index, generation };
            let Some(entry) = self.entry_mut(id) else {
                continue; // Stale: that watch is gone.
            };
            if entry.timer != Some(at) {
                continue; // Stale: that deadline moved.
            }
            entry.timer = None;
            entry.watch.handle_timeout(now);
            self.settle(id, None);
        }
        self.tidy_timers();
        self.pump();
    }

    // ----- outputs --------------------------------------------------------

    /// The next thing the driver must do, for which watch.
    pub fn poll_action(&mut self) -> Option<(WatchId, Action)> {
        self.actions.pop_front()
    }

    /// The next event, from which watch.
    pub fn poll_event(&mut self) -> Option<(WatchId, WatchEvent)> {
        self.events.pop_front()
    }

    /// The next watch to have ended, and how; each watch's exactly once.
    /// The watch is gone from the fleet from then on.
    pub fn poll_outcome(&mut self) -> Option<(WatchId, Outcome)> {
        self.outcomes.pop_front()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) if nothing
    /// else happens first: the earliest deadline of any watch, or when the
    /// next waiting watch may be granted. Never before the latest `now`
    /// given; `None` when nothing is waiting on time.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let timer = self.timers.peek().map(|Reverse((at, _, _))| *at);
        let grant = self.next_grant_at();
        let first = match (timer, grant) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(first.max(self.now))
    }

    // ----- state ----------------------------------------------------------

    /// How many watches the fleet holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Connections open or being opened.
    pub fn open_connections(&self) -> usize {
        self.open
    }

    /// Watches waiting for a connection.
    pub fn waiting(&self) -> usize {
        self.budgets.iter().map(|b| b.queue.len()).sum()
    }

    /// Watch `id`, for its counters (last-event-ID, failures...).
    pub fn watch(&self, id: WatchId) -> Option<&Watch> {
        self.entry(id).map(|e| &e.watch)
    }

    // ----- internals ------------------------------------------------------

    fn enter(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    fn entry(&self, id: WatchId) -> Option<&Entry> {
        let slot = self.slots.get(id.index as usize)?;
        (slot.generation == id.generation).then_some(slot.entry.as_ref())?
    }

    fn entry_mut(&mut self, id: WatchId) -> Option<&mut Entry> {
        let slot = self.slots.get_mut(id.index as usize)?;
        (slot.generation == id.generation).then_some(slot.entry.as_mut())?
    }

    /// Takes the watch out, frees its slot and its share of the counts.
    fn take(&mut self, id: WatchId) -> Option<Entry> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        let entry = slot.entry.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(id.index);
        self.len -= 1;
        if entry.open {
            self.open -= 1;
        }
        if entry.awaiting_head {
            let budget = &mut self.budgets[entry.budget];
            budget.in_flight = budget.in_flight.saturating_sub(1);
        }
        Some(entry)
    }

    fn with(&mut self, id: WatchId, now: Instant, input: impl FnOnce(&mut Watch, Instant)) {
        self.enter(now);
        let now = self.now;
        let Some(entry) = self.entry_mut(id) else {
            return;
        };
        input(&mut entry.watch, now);
        self.settle(id, None);
        self.pump();
    }

    /// After any input to watch `id`: collect its outputs, keep the counts
    /// (connections, requests in flight, the queue, its deadline) true,
    /// learn from its response head, and retire it if it ended.
    fn settle(&mut self, id: WatchId, seen: Option<Seen>) {
        let now = self.now;
        let wall_clock = self.wall_clock;
        let window = self.config.budget_window;
        let Some(slot) = self.slots.get_mut(id.index as usize) else {
            return;
        };
        let Some(entry) = slot.entry.as_mut() else {
            return;
        };
        let budget = &mut self.budgets[entry.budget];
        if let Some(seen) = seen {
            if entry.awaiting_head {
                entry.awaiting_head = false;
                budget.in_flight = budget.in_flight.saturating_sub(1);
            }
            let to_instant = |reset: u64| {
                let (at, unix) = wall_clock?;
                Some(at + Duration::from_secs(reset.saturating_sub(unix)))
            };
            budget.observe(
                now,
                seen.status,
                &seen.rate_limit,
                seen.retry_after,
                to_instant,
                window,
            );
        }
        while let Some(action) = entry.watch.poll_action() {
            if let Action::Connect(_) = action {
                // Every request counts against the budget, a redirect's
                // included; the one before it is answered or abandoned.
                if entry.awaiting_head {
                    budget.in_flight = budget.in_flight.saturating_sub(1);
                }
                budget.spend(now, window);
                entry.awaiting_head = true;
            }
            self.actions.push_back((id, action));
        }
        let mut moved = false;
        while let Some(event) = entry.watch.poll_event() {
            self.events.push_back((id, event));
            moved = true;
        }
        if moved {
            entry.watch.release_queue();
        }
        if entry.awaiting_head && !entry.watch.awaiting_head() {
            entry.awaiting_head = false;
            budget.in_flight = budget.in_flight.saturating_sub(1);
        }
        let open = entry.watch.holds_connection();
        if open != entry.open {
            entry.open = open;
            if open {
                self.open += 1;
            } else {
                self.open -= 1;
            }
        }
        let timer = entry.watch.poll_timeout();
        if timer != entry.timer {
            entry.timer = timer;
            if let Some(at) = timer {
                self.timers.push(Reverse((at, id.index, id.generation)));
            }
        }
        if let Some(outcome) = entry.watch.poll_outcome() {
            self.take(id);
            self.outcomes.push_back((id, outcome));
        } else if entry.watch.is_queued() && !entry.queued {
            entry.queued = true;
            let index = entry.budget;
            self.enqueue(id, index);
        }
        self.tidy_timers();
    }

    /// Puts watch `id` in its budget's queue, at a random place within the
    /// time the queue (and the known budget) needs to drain.
    fn enqueue(&mut self, id: WatchId, budget: usize) {
        let waiting = u64::try_from(self.waiting()).unwrap_or(u64::MAX);
        let interval = Pace::interval(self.config.burst(self.len), self.config.storm_tick);
        let by_pace = interval.saturating_mul(u32::try_from(waiting).unwrap_or(u32::MAX));
        let by_budget = self.budgets[budget].spread_for(self.now, waiting + 1);
        let spread = by_pace.max(by_budget).min(self.config.max_spread);
        let nanos = u64::try_from(spread.as_nanos()).unwrap_or(u64::MAX);
        let at = self.now + Duration::from_nanos(self.rng.below_inclusive(nanos));
        self.next_ticket += 1;
        self.budgets[budget]
            .queue
            .push(Reverse((at, self.next_ticket, id.index, id.generation)));
    }

    /// The budget whose first waiting watch may go first, and when (with
    /// the budgets as last refreshed: a window that ended since only makes
    /// the time earlier, never later).
    fn next_grant(&self) -> Option<(usize, Instant)> {
        let now = self.now;
        let (index, at, _) = self
            .budgets
            .iter()
            .enumerate()
            .filter_map(|(index, budget)| {
                let (eligible, ticket) = budget.head()?;
                Some((index, eligible.max(budget.blocked_or(now)), ticket))
            })
            .min_by_key(|&(_, at, ticket)| (at, ticket))?;
        let burst = self.config.burst(self.len);
        Some((
            index,
            at.max(self.pace.next_at(now, burst, self.config.storm_tick)),
        ))
    }

    /// When the next waiting watch may be granted, if the cap allows one.
    fn next_grant_at(&self) -> Option<Instant> {
        if self.open >= self.config.max_connections {
            return None; // A closing connection will wake the fleet.
        }
        self.next_grant().map(|(_, at)| at)
    }

    /// Grants waiting watches their connections while the cap, the pace
    /// and their budgets allow.
    fn pump(&mut self) {
        loop {
            if self.open >= self.config.max_connections {
                return;
            }
            let (now, window) = (self.now, self.config.budget_window);
            for budget in &mut self.budgets {
                budget.refresh(now, window);
            }
            let Some((index, at)) = self.next_grant() else {
                return;
            };
            if at > self.now {
                return;
            }
            let Some(Reverse((_, _, slot, generation))) = self.budgets[index].queue.pop() else {
                return;
            };
            let id = WatchId {
                index: slot,
                generation,
            };
            let now = self.now;
            let Some(entry) = self.entry_mut(id) else {
                continue; // Removed or ended while waiting.
            };
            if !entry.queued {
                continue;
            }
            entry.queued = false;
            entry.watch.grant(now);
            let burst = self.config.burst(self.len);
            self.pace.record(now, burst, self.config.storm_tick);
            self.settle(id, None);
        }
    }

    /// Whether a timer-heap entry is still some watch's deadline.
    fn is_current(slots: &[Slot], (at, index, generation): (Instant, u32, u32)) -> bool {
        slots.get(index as usize).is_some_and(|s| {
            s.generation == generation && s.entry.as_ref().is_some_and(|e| e.timer == Some(at))
        })
    }

    /// Keeps the timer heap's top a current deadline (so `poll_timeout` is
    /// exact), and drops stale entries once they far outnumber the watches.
    fn tidy_timers(&mut self) {
        while let Some(&Reverse(top)) = self.timers.peek() {
            if Self::is_current(&self.slots, top) {
                break;
            }
            self.timers.pop();
        }
        if self.timers.len() > 4 * self.len + 64 {
            let slots = &self.slots;
            self.timers
                .retain(|Reverse(entry)| Self::is_current(slots, *entry));
        }
    }
}
