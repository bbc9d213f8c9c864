//! Arbitrary error bodies read as problem JSON (`ApiError`): what a plain
//! JSON reading says, or the text as `detail`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(unreachable_pub)]
#[path = "../../crates/bedrock-sse-core/tests/support/mod.rs"]
mod support;

fuzz_target!(|input: &[u8]| support::checks::check_problem(input));
