//! Arbitrary bytes (the first byte picks the limits) through the decoder:
//! no panic, the same items under input-derived chunking as whole and byte
//! by byte, nothing past the limits, agreement with the reference decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(unreachable_pub)]
#[path = "../../crates/bedrock-sse-core/tests/support/mod.rs"]
mod support;

fuzz_target!(|input: &[u8]| support::checks::check_decode(input));
