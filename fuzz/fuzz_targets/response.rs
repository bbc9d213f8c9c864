//! Arbitrary response heads (status, `Location`, `Retry-After`,
//! `Content-Encoding`, rate-limit headers...) answering a watch: each means
//! what it is documented to, requests stay header-safe, and credentials
//! never leave the base URL's origin.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(unreachable_pub)]
#[path = "../../crates/bedrock-sse-core/tests/support/mod.rs"]
mod support;

fuzz_target!(|input: &[u8]| support::checks::check_response(input));
