//! Arbitrary events, comments and retries (read out of the bytes) through
//! the encoder, then the decoder: everything comes back, and the encoder
//! refuses exactly what the wire cannot carry.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(unreachable_pub)]
#[path = "../../crates/bedrock-sse-core/tests/support/mod.rs"]
mod support;

fuzz_target!(|input: &[u8]| support::checks::check_roundtrip(input));
