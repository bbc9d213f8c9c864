//! The watch machine driven by an arbitrary sequence of inputs against a
//! scripted server: one outcome, nothing delivered twice, no deadline in
//! the past, a bounded queue.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(unreachable_pub)]
#[path = "../../crates/bedrock-sse-core/tests/support/mod.rs"]
mod support;

fuzz_target!(|input: &[u8]| support::checks::check_watch(input));
