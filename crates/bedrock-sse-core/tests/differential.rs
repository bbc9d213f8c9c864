//! The real decoder against the deliberately simple reference decoder of
//! `support/reference.rs`, on seeded generated streams fed in random chunks.

mod support;

use support::{Rng, cut, random_cuts, reference, run_chunks, stream, unlimited};

const STREAMS: u64 = 12_000;

#[test]
fn agrees_with_the_reference_decoder_on_generated_streams() {
    let mut rng = Rng::new(0x5EED_2026);
    let mut events = 0;
    let mut retries = 0;
    for n in 0..STREAMS {
        let input = stream(&mut rng, 40);
        let cuts = random_cuts(&mut rng, input.len());
        let expected = reference::decode(&input);
        let got = run_chunks(unlimited(), cut(&input, &cuts));
        assert_eq!(
            got,
            expected,
            "stream {n}: {:?} cut at {cuts:?}",
            String::from_utf8_lossy(&input)
        );
        for item in &got.items {
            match item {
                support::Out::Event(_) => events += 1,
                support::Out::Retry(_) => retries += 1,
                support::Out::Error(error) => panic!("no limit can be reached: {error}"),
            }
        }
    }
    // The generator must produce a fair amount of what it is meant to test.
    assert!(
        events > STREAMS,
        "only {events} events in {STREAMS} streams"
    );
    assert!(retries > STREAMS / 5, "only {retries} retries");
}
