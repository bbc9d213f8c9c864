//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) through the
//! same checks as the cargo-fuzz targets, so that stable-toolchain CI runs
//! every input the fuzzer found interesting, for every target.

mod support;

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).expect("a readable corpus file");
            (path, bytes)
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "the {target} corpus has only {} files",
        files.len()
    );
    files
}

fn replay(target: &str, check: fn(&[u8])) {
    for (path, bytes) in corpus(target) {
        let outcome = std::panic::catch_unwind(|| check(&bytes));
        assert!(
            outcome.is_ok(),
            "{target} check failed on {}",
            path.display()
        );
    }
}

#[test]
fn decode_corpus() {
    replay("decode", support::checks::check_decode);
}

#[test]
fn roundtrip_corpus() {
    replay("roundtrip", support::checks::check_roundtrip);
}

#[test]
fn typed_corpus() {
    replay("typed", support::checks::check_typed);
}

#[test]
fn problem_corpus() {
    replay("problem", support::checks::check_problem);
}

#[test]
fn response_corpus() {
    replay("response", support::checks::check_response);
}

#[test]
fn watch_corpus() {
    replay("watch", support::checks::check_watch);
}

/// Every target in `fuzz/fuzz_targets/` has its corpus replayed above.
#[test]
fn every_target_is_replayed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
    let mut targets: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .map(|entry| entry.expect("a target").path())
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_owned()))
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        [
            "decode",
            "problem",
            "response",
            "roundtrip",
            "typed",
            "watch"
        ]
    );
}
