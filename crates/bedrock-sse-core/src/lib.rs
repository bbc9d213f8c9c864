//! # bedrock-sse-core
//!
//! The Sans-IO heart of `bedrock-sse`: everything about the Bedrock job stream
//! that can be decided without a socket, a clock or a thread.
//!
//! * [`sse`]: the Server-Sent Events wire format. A WHATWG-conformant,
//!   zero-copy, bounded [`sse::Decoder`] and an [`sse::Encoder`].
//! * [`job`]: typed job events ([`job::JobEvent`]) and how a job ended
//!   ([`job::JobEnd`]).
//! * [`watch`]: the [`watch::Watch`] session machine that follows one job to
//!   its end across reconnects, and its [`watch::WatchConfig`].
//! * [`fleet`]: many watches under one key: a shared rate budget, a cap on
//!   connections, reconnect storms spread out, one timer.
//! * [`http`]: what the core knows of HTTP heads: the request to send,
//!   response headers, header safety, redirect targets and origins.
//! * [`api`]: the API's problem-JSON errors, credentials, version and base URL.
//!
//! The crate is `#![no_std]` and needs only `alloc`. It does no I/O, reads no
//! clock and spawns nothing: drivers hand it bytes (and, for the session
//! machines, the current time) and act on what it hands back.
//!
//! ```
//! use bedrock_sse_core::sse::{Decoder, Item};
//!
//! let mut decoder = Decoder::new();
//! let mut seen = Vec::new();
//! decoder.decode_each(b"event: status\ndata: {\"status\":\"RUNNING\"}\nid: 7\n\n", |item| {
//!     if let Ok(Item::Event(event)) = item {
//!         seen.push((event.event_type.to_owned(), event.data.to_owned(), event.id.to_owned()));
//!     }
//! });
//! assert_eq!(seen, [("status".into(), "{\"status\":\"RUNNING\"}".into(), "7".into())]);
//! ```
#![no_std]
// Denied everywhere; only `sse::scan` opts in, for its SIMD loads and
// unchecked ASCII text, each block with a `SAFETY:` proof. The `portable`
// feature removes those blocks, and then no `unsafe` may appear at all.
#![cfg_attr(not(feature = "portable"), deny(unsafe_code))]
#![cfg_attr(feature = "portable", forbid(unsafe_code))]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod api;
pub mod fleet;
pub mod http;
pub mod job;
pub mod sse;
pub mod watch;
