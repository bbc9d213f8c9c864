//! The properties the fuzz targets assert, one module per target: `fuzz/`
//! includes these modules (through `support/mod.rs`), and
//! `tests/fuzz_corpus.rs` replays the committed corpora through the same
//! functions on stable.

mod codec;
mod driver;
mod problem;
mod response;
mod typed;
pub(crate) mod watch;

// Each test file and fuzz target uses one or two of these.
#[allow(unused_imports)]
pub(crate) use codec::{check_decode, check_roundtrip};
#[allow(unused_imports)]
pub(crate) use {
    problem::check_problem, response::check_response, typed::check_typed, watch::check_watch,
};
