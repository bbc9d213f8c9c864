//! Arbitrary SSE events (or streams) typed as job events: the one-pass
//! reader agrees with serde_json wherever it answers, and errors name the
//! event.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(unreachable_pub)]
#[path = "../../crates/bedrock-sse-core/tests/support/mod.rs"]
mod support;

fuzz_target!(|input: &[u8]| support::checks::check_typed(input));
