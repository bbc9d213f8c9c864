//! Finding line ends (CR or LF) 64 bytes at a time.
//!
//! Event-stream lines are short (a job event is four lines in ~180 bytes),
//! so calling `memchr2` once per line pays its set-up for every few dozen
//! bytes. [`LineEnds`] instead turns a 64-byte block into a bitmask of its
//! CR and LF bytes once, and hands out consecutive line ends from the mask
//! with `trailing_zeros` until it runs dry. Tails shorter than a block (and
//! tiny chunks) take a plain loop, which has no set-up to pay.
//!
//! The same pass notes where non-ASCII bytes are (the high bit of each byte
//! comes for free with the masks), so a line that is all ASCII needs no UTF-8
//! validation: [`LineEnds::ascii`] hands it out as an [`Ascii`] proof, the
//! one place that turns bytes into `&str` unchecked.
//!
//! The masks are computed with AVX2 on x86-64 CPUs that have it (detected
//! at run time, with `std`), else with SSE2, which is part of the x86-64
//! baseline, and by a portable loop on every other target; all three are
//! tested to agree on the same inputs.
//!
//! This is the crate's only `unsafe` code: the SIMD loads, and taking
//! proven-ASCII bytes as text unchecked. The `portable` feature removes all
//! of it: the portable loop on every target, and text validated like any
//! other (the crate is then `#![forbid(unsafe_code)]`).
#![cfg_attr(not(feature = "portable"), allow(unsafe_code))]

use alloc::string::String;
use alloc::vec::Vec;

/// The bytes one mask covers.
pub(crate) const BLOCK: usize = 64;

/// A cursor over the line ends of one haystack.
///
/// It remembers the mask of the block it last scanned, so it must be used
/// with a single haystack (and positions that only move forward) for its
/// whole life: create a new one for each chunk.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LineEnds {
    /// Where the remembered block starts in the haystack.
    block_start: usize,
    /// Line ends of that block not handed out yet, bit `i` for byte
    /// `block_start + i`.
    mask: u64,
    /// Bytes of the haystack known to hold no line end before this offset
    /// other than those in `mask`: the end of the remembered block.
    scanned_to: usize,
    /// Every byte in `clean_from..inspected_to` was inspected and is ASCII.
    clean_from: usize,
    /// The end of the bytes inspected for ASCII.
    inspected_to: usize,
}

/// A slice that [`LineEnds`] inspected and found to be all ASCII.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ascii<'a>(&'a [u8]);

impl<'a> Ascii<'a> {
    /// `part` as text, if it lies inside this slice (else `None`, and the
    /// caller validates it the ordinary way).
    #[inline]
    pub(crate) fn str_of(self, part: &'a [u8]) -> Option<&'a str> {
        let (whole, inner) = (self.0.as_ptr_range(), part.as_ptr_range());
        if whole.start <= inner.start && inner.end <= whole.end {
            #[cfg(not(feature = "portable"))]
            // SAFETY: `part` lies inside `self.0` (checked just above), whose
            // bytes `LineEnds` inspected and found all below 0x80; they stay
            // unchanged for `'a` because they are borrowed immutably. Any
            // run of ASCII bytes is valid UTF-8.
            return Some(unsafe { core::str::from_utf8_unchecked(part) });
            // The portable build takes no proof on trust: it validates
            // (which cannot fail on ASCII).
            #[cfg(feature = "portable")]
            return core::str::from_utf8(part).ok();
        }
        None
    }
}

impl LineEnds {
    /// The offset of the first CR or LF at or after `from`, if any.
    #[inline]
    pub(crate) fn next(&mut self, haystack: &[u8], from: usize) -> Option<usize> {
        if from < self.scanned_to {
            // Drop the line ends before `from`; what is left in the block is ours.
            let skip = from.saturating_sub(self.block_start);
            self.mask &= u64::MAX.checked_shl(skip as u32).unwrap_or(0);
            if self.mask != 0 {
                return Some(self.block_start + self.mask.trailing_zeros() as usize);
            }
        } else {
            self.scanned_to = from;
            // Bytes skipped over were never inspected: claim nothing before `from`.
            self.clean_from = self.clean_from.max(from);
        }
        // Scan whole blocks from where the last one ended; tiny chunks have
        // none, and skip the dispatch.
        let run = if haystack.len().saturating_sub(self.scanned_to) >= BLOCK {
            blocks(haystack, self.scanned_to, self.clean_from)
        } else {
            Run {
                start: self.scanned_to,
                mask: 0,
                clean_from: self.clean_from,
            }
        };
        self.clean_from = run.clean_from;
        let start = run.start;
        if run.mask != 0 {
            self.block_start = start;
            self.scanned_to = start + BLOCK;
            self.inspected_to = start + BLOCK;
            self.mask = run.mask;
            return Some(start + run.mask.trailing_zeros() as usize);
        }
        self.inspected_to = start;
        // A tail shorter than a block (all of a tiny chunk): a plain loop has
        // no set-up to pay, and notes non-ASCII bytes as it goes.
        self.mask = 0;
        let tail = haystack.get(start..).unwrap_or_default();
        let mut non_ascii = false;
        let found = tail
            .iter()
            .position(|&byte| {
                non_ascii |= !byte.is_ascii();
                byte == b'\n' || byte == b'\r'
            })
            .map(|at| start + at);
        match found {
            Some(at) => {
                if non_ascii {
                    self.clean_from = at;
                }
                self.inspected_to = at;
                // Remember it as a one-bit block, so the next call past it
                // resumes scanning after it.
                self.block_start = at;
                self.scanned_to = at + 1;
                self.mask = 1;
            }
            None => {
                // The whole tail was inspected: the caller may hold it as
                // the start of a line, with its proof.
                if non_ascii {
                    self.clean_from = haystack.len();
                }
                self.inspected_to = haystack.len();
            }
        }
        found
    }

    /// `haystack[line]` as proven ASCII, if every byte of it was inspected
    /// by this cursor and found ASCII.
    #[inline]
    pub(crate) fn ascii<'a>(
        &self,
        haystack: &'a [u8],
        line: core::ops::Range<usize>,
    ) -> Option<Ascii<'a>> {
        if self.clean_from <= line.start && line.end <= self.inspected_to {
            haystack.get(line).map(Ascii)
        } else {
            None
        }
    }
}

/// Inspects a piece of input too small for a block, eight bytes at a time
/// in a general-purpose register (no set-up to pay): whether it holds a
/// line end, and its ASCII proof when it is all ASCII.
#[inline]
pub(crate) fn inspect_small(bytes: &[u8]) -> (bool, Option<Ascii<'_>>) {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const LF: u64 = u64::from_ne_bytes([b'\n'; 8]);
    const CR: u64 = u64::from_ne_bytes([b'\r'; 8]);
    // The high bit of each byte that is zero (and only then, for the word
    // as a whole: a false bit can only follow a true one).
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGH;
    let word = |at: usize| {
        u64::from_ne_bytes(
            bytes
                .get(at..at + 8)
                .and_then(|word| word.try_into().ok())
                .unwrap_or_default(),
        )
    };
    let half = |at: usize| {
        u64::from(u32::from_ne_bytes(
            bytes
                .get(at..at + 4)
                .and_then(|half| half.try_into().ok())
                .unwrap_or_default(),
        ))
    };
    let (mut ends, mut high) = (0u64, 0u64);
    let mut inspect = |word: u64| {
        ends |= zero_bytes(word ^ LF) | zero_bytes(word ^ CR);
        high |= word;
    };
    // Whole words, then the rest as one word that overlaps the last one
    // (bytes seen twice change neither answer), or built from overlapping
    // halves, or from single bytes; unused bytes are zero, which is
    // neither a line end nor high.
    let len = bytes.len();
    let mut at = 0;
    while at + 8 <= len {
        inspect(word(at));
        at += 8;
    }
    if at < len {
        inspect(match len {
            8.. => word(len - 8),
            4..=7 => half(0) | half(len - 4) << 32,
            _ => {
                let byte = |at: usize| u64::from(bytes[at]);
                byte(0) | byte(len / 2) << 8 | byte(len - 1) << 16
            }
        });
    }
    (ends != 0, (high & HIGH == 0).then_some(Ascii(bytes)))
}

/// A line gathered across chunks, which remembers whether every part of it
/// was proven ASCII by a scan: if so, it becomes text without a second pass
/// over its bytes to validate them.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeldLine {
    bytes: Vec<u8>,
    /// Some part was not proven ASCII (an empty line is trivially ASCII).
    unproven: bool,
}

impl HeldLine {
    /// Appends `part`, keeping the ASCII proof only if `proof` covers it.
    #[inline]
    pub(crate) fn push<'a>(&mut self, part: &'a [u8], proof: Option<Ascii<'a>>) {
        if proof.and_then(|proof| proof.str_of(part)).is_none() {
            self.unproven = true;
        }
        self.bytes.extend_from_slice(part);
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Empties the line, keeping its allocation.
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.unproven = false;
    }

    /// The whole line as proven ASCII, if every part of it was.
    pub(crate) fn proof(&self) -> Option<Ascii<'_>> {
        (!self.unproven).then_some(Ascii(&self.bytes))
    }

    /// The line as text, leaving `self` empty with no allocation: unchecked
    /// when every part was proven ASCII, else validated. `None`, with
    /// `self` unchanged, if it is not UTF-8.
    pub(crate) fn take_string(&mut self) -> Option<String> {
        let bytes = core::mem::take(&mut self.bytes);
        #[cfg(not(feature = "portable"))]
        if !self.unproven {
            // SAFETY: every part pushed since the last `clear` was covered
            // by an `Ascii` proof (see `push`), so every byte is below 0x80,
            // and any run of ASCII bytes is valid UTF-8.
            return Some(unsafe { String::from_utf8_unchecked(bytes) });
        }
        // Not proven ASCII (or the portable build, which validates anyway).
        match String::from_utf8(bytes) {
            Ok(text) => {
                self.unproven = false;
                Some(text)
            }
            Err(invalid) => {
                self.bytes = invalid.into_bytes();
                None
            }
        }
    }

    /// Reuses `text`'s allocation as an empty line buffer.
    pub(crate) fn reuse(&mut self, text: String) {
        self.bytes = text.into_bytes();
        self.clear();
    }
}

/// What a run of whole blocks found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    /// The block holding the first line end; else where the whole blocks end.
    start: usize,
    /// That block's line-end mask; 0 if no whole block had a line end.
    mask: u64,
    /// The [`LineEnds::clean_from`] after the run.
    clean_from: usize,
}

/// Scans whole blocks from `start` until one holds a line end, with the
/// best mask function this CPU has. The loop is compiled once per
/// instruction set, so the AVX2 one pays its dispatch once per run, not per
/// block.
#[inline]
fn blocks(haystack: &[u8], start: usize, clean_from: usize) -> Run {
    #[cfg(all(target_arch = "x86_64", feature = "std", not(feature = "portable")))]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: `avx2::blocks` needs only the AVX2 instructions, and the
        // CPU was just found to have them.
        return unsafe { avx2::blocks(haystack, start, clean_from) };
    }
    #[cfg(all(target_arch = "x86_64", not(feature = "portable")))]
    {
        run_blocks(
            haystack,
            start,
            clean_from,
            sse2::masks,
            |haystack, start| skip_blocks(haystack, start, sse2::quiet),
        )
    }
    #[cfg(any(not(target_arch = "x86_64"), feature = "portable"))]
    {
        portable_blocks(haystack, start, clean_from)
    }
}

/// [`blocks`] with the portable masks: the only path on targets without a
/// SIMD one and in the `portable` build, and the reference for the others.
#[cfg(any(test, not(target_arch = "x86_64"), feature = "portable"))]
fn portable_blocks(haystack: &[u8], start: usize, clean_from: usize) -> Run {
    run_blocks(
        haystack,
        start,
        clean_from,
        portable_masks,
        |haystack, start| skip_blocks(haystack, start, |block| portable_masks(block) == (0, 0)),
    )
}

/// Where the run of whole quiet blocks (no line end, no high byte) from
/// `start` ends.
#[inline(always)]
fn skip_blocks(haystack: &[u8], mut start: usize, quiet: impl Fn(&[u8; BLOCK]) -> bool) -> usize {
    while haystack
        .get(start..start + BLOCK)
        .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
        .is_some_and(&quiet)
    {
        start += BLOCK;
    }
    start
}

/// The block loop, for any mask function.
#[inline(always)]
fn run_blocks(
    haystack: &[u8],
    mut start: usize,
    mut clean_from: usize,
    masks: impl Fn(&[u8; BLOCK]) -> (u64, u64),
    skip_quiet: impl Fn(&[u8], usize) -> usize,
) -> Run {
    let block_at = |start: usize| {
        haystack
            .get(start..start + BLOCK)
            .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
    };
    while let Some(block) = block_at(start) {
        let (mask, non_ascii) = masks(block);
        if non_ascii != 0 {
            // Just past the block's last non-ASCII byte.
            clean_from = start + BLOCK - non_ascii.leading_zeros() as usize;
        }
        if mask != 0 {
            return Run {
                start,
                mask,
                clean_from,
            };
        }
        start += BLOCK;
        if non_ascii == 0 {
            // Inside a long ASCII line (a big `data` value): skip the
            // blocks that have neither a line end nor a high byte with one
            // test each, instead of building two masks for each.
            start = skip_quiet(haystack, start);
        }
    }
    Run {
        start,
        mask: 0,
        clean_from,
    }
}

/// The masks of one block: bit `i` of the first is set when `block[i]` is a
/// CR or a LF, of the second when `block[i]` is not ASCII. (The decoder
/// goes through [`blocks`]; this one-block dispatch is for the tests.)
#[cfg(test)]
fn masks(block: &[u8; BLOCK]) -> (u64, u64) {
    #[cfg(all(target_arch = "x86_64", feature = "std", not(feature = "portable")))]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: `avx2::masks` needs only the AVX2 instructions, and the
        // CPU was just found to have them.
        return unsafe { avx2::masks(block) };
    }
    #[cfg(all(target_arch = "x86_64", not(feature = "portable")))]
    {
        sse2::masks(block)
    }
    #[cfg(any(not(target_arch = "x86_64"), feature = "portable"))]
    {
        portable_masks(block)
    }
}

/// The reference: one byte at a time, for targets without a SIMD path and
/// the `portable` build.
#[cfg(any(test, not(target_arch = "x86_64"), feature = "portable"))]
#[inline]
pub(crate) fn portable_masks(block: &[u8; BLOCK]) -> (u64, u64) {
    block
        .iter()
        .enumerate()
        .fold((0, 0), |(ends, high), (i, &byte)| {
            (
                ends | (u64::from(byte == b'\n' || byte == b'\r') << i),
                high | (u64::from(!byte.is_ascii()) << i),
            )
        })
}

/// Two 32-byte halves instead of four 16-byte lanes, on CPUs that have
/// AVX2 (asked at run time, which needs `std`).
#[cfg(all(target_arch = "x86_64", feature = "std", not(feature = "portable")))]
mod avx2 {
    use core::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
    };

    use super::{BLOCK, Run};

    /// [`super::run_blocks`] with AVX2 masks, inlined into one AVX2 loop.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn blocks(haystack: &[u8], start: usize, clean_from: usize) -> Run {
        super::run_blocks(
            haystack,
            start,
            clean_from,
            |block| {
                // SAFETY: only reached from `blocks`, whose caller
                // guarantees AVX2.
                unsafe { masks(block) }
            },
            |haystack, mut start| {
                // One block first: a line of a few blocks (W1's data)
                // should pay for one test only.
                match haystack
                    .get(start..start + BLOCK)
                    .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
                {
                    // SAFETY: as above.
                    Some(block) if unsafe { quiet(block) } => start += BLOCK,
                    _ => return start,
                }
                // Then two blocks to a test while there are two: one
                // movemask for 128 bytes.
                while let Some(pair) = haystack
                    .get(start..start + 2 * BLOCK)
                    .and_then(|b| <&[u8; 2 * BLOCK]>::try_from(b).ok())
                {
                    // SAFETY: as above.
                    if !unsafe { quiet_pair(pair) } {
                        break;
                    }
                    start += 2 * BLOCK;
                }
                super::skip_blocks(haystack, start, |block| {
                    // SAFETY: as above.
                    unsafe { quiet(block) }
                })
            },
        )
    }

    /// Whether 128 bytes have neither a CR or LF nor a non-ASCII byte.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn quiet_pair(pair: &[u8; 2 * BLOCK]) -> bool {
        let (first, second) = pair.split_at(BLOCK);
        let (Ok(first), Ok(second)) = (first.try_into(), second.try_into()) else {
            return false;
        };
        // SAFETY: the caller guarantees AVX2.
        unsafe { _mm256_movemask_epi8(_mm256_or_si256(noisy(first), noisy(second))) == 0 }
    }

    /// The OR of a block's line-end compares and its bytes: its sign bits
    /// are all clear when the block is quiet.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn noisy(block: &[u8; BLOCK]) -> __m256i {
        // SAFETY: the caller guarantees AVX2. Each load reads 32 bytes at
        // offset 0 or 32 of a borrowed 64-byte array, and the unaligned
        // load has no alignment requirement.
        unsafe {
            let a = _mm256_loadu_si256(block.as_ptr().cast::<__m256i>());
            let b = _mm256_loadu_si256(block.as_ptr().add(32).cast::<__m256i>());
            let (lf, cr) = (_mm256_set1_epi8(b'\n' as i8), _mm256_set1_epi8(b'\r' as i8));
            let ends = _mm256_or_si256(
                _mm256_or_si256(_mm256_cmpeq_epi8(a, lf), _mm256_cmpeq_epi8(a, cr)),
                _mm256_or_si256(_mm256_cmpeq_epi8(b, lf), _mm256_cmpeq_epi8(b, cr)),
            );
            _mm256_or_si256(ends, _mm256_or_si256(a, b))
        }
    }

    /// Whether the block has neither a CR or LF nor a non-ASCII byte.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn quiet(block: &[u8; BLOCK]) -> bool {
        // SAFETY: the caller guarantees AVX2.
        unsafe { _mm256_movemask_epi8(noisy(block)) == 0 }
    }

    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn masks(block: &[u8; BLOCK]) -> (u64, u64) {
        let (mut ends, mut high) = (0u64, 0u64);
        for (i, half) in block.chunks_exact(32).enumerate() {
            // SAFETY: the caller guarantees AVX2. `half` is exactly 32
            // readable bytes (a `chunks_exact(32)` piece of a borrowed
            // array), which is all `_mm256_loadu_si256` reads, and the
            // unaligned load has no alignment requirement.
            let (half_ends, half_high) = unsafe {
                let bytes = _mm256_loadu_si256(half.as_ptr().cast::<__m256i>());
                let lf = _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(b'\n' as i8));
                let cr = _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(b'\r' as i8));
                (
                    _mm256_movemask_epi8(_mm256_or_si256(lf, cr)),
                    _mm256_movemask_epi8(bytes),
                )
            };
            ends |= u64::from(half_ends as u32) << (32 * i);
            high |= u64::from(half_high as u32) << (32 * i);
        }
        (ends, high)
    }
}

#[cfg(all(target_arch = "x86_64", not(feature = "portable")))]
mod sse2 {
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    use super::BLOCK;

    /// Four 16-byte compares against CR and LF, their sign bits packed by
    /// `movemask` into 16 bits each; the bytes' own sign bits are the
    /// non-ASCII mask.
    #[inline]
    pub(super) fn masks(block: &[u8; BLOCK]) -> (u64, u64) {
        let (mut ends, mut high) = (0u64, 0u64);
        for (i, lane) in block.chunks_exact(16).enumerate() {
            // SAFETY: SSE2 is part of the x86-64 baseline, so every intrinsic
            // here is available on any x86-64 CPU. `lane` is exactly 16
            // readable bytes (a `chunks_exact(16)` piece of a borrowed
            // array), which is all `_mm_loadu_si128` reads, and the unaligned
            // load has no alignment requirement.
            let (lane_ends, lane_high) = unsafe {
                let bytes = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
                let lf = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\n' as i8));
                let cr = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\r' as i8));
                (
                    _mm_movemask_epi8(_mm_or_si128(lf, cr)),
                    _mm_movemask_epi8(bytes),
                )
            };
            // `movemask` sets only the low 16 bits.
            ends |= u64::from(lane_ends as u16) << (16 * i);
            high |= u64::from(lane_high as u16) << (16 * i);
        }
        (ends, high)
    }

    /// Whether the block has neither a CR or LF nor a non-ASCII byte.
    #[inline]
    pub(super) fn quiet(block: &[u8; BLOCK]) -> bool {
        let mut any = 0;
        for lane in block.chunks_exact(16) {
            // SAFETY: as in `masks`: SSE2 is baseline on x86-64, and `lane`
            // is exactly 16 readable bytes.
            any |= unsafe {
                let bytes = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
                let lf = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\n' as i8));
                let cr = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\r' as i8));
                _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(lf, cr), bytes))
            };
        }
        any == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    /// Every line end, found the slow way.
    fn reference(haystack: &[u8]) -> Vec<usize> {
        haystack
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n' || **b == b'\r')
            .map(|(i, _)| i)
            .collect()
    }

    /// Bytes rich in CR and LF, and in the bytes either side of them.
    fn haystack() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                Just(b'\n'),
                Just(b'\r'),
                Just(b'a'),
                Just(0x8D), // CR with the high bit set
                Just(0x0B),
                any::<u8>(),
            ],
            0..300,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        // The portable build has no SIMD masks to compare.
        #[cfg(not(feature = "portable"))]
        #[test]
        fn the_simd_masks_match_the_portable_masks(block in proptest::array::uniform32(any::<u8>()), other in proptest::array::uniform32(prop_oneof![Just(b'\n'), Just(b'\r'), any::<u8>()])) {
            let mut whole = [0u8; BLOCK];
            whole[..32].copy_from_slice(&block);
            whole[32..].copy_from_slice(&other);
            prop_assert_eq!(masks(&whole), portable_masks(&whole));
            let quiet = portable_masks(&whole) == (0, 0);
            #[cfg(all(target_arch = "x86_64", not(feature = "portable")))]
            prop_assert_eq!(sse2::quiet(&whole), quiet);
            #[cfg(all(target_arch = "x86_64", feature = "std", not(feature = "portable")))]
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 was just detected.
                prop_assert_eq!(unsafe { avx2::quiet(&whole) }, quiet);
            }
            #[cfg(all(target_arch = "x86_64", not(feature = "portable")))]
            prop_assert_eq!(sse2::masks(&whole), portable_masks(&whole));
            #[cfg(all(target_arch = "x86_64", feature = "std", not(feature = "portable")))]
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 was just detected.
                prop_assert_eq!(unsafe { avx2::masks(&whole) }, portable_masks(&whole));
            }
        }

        #[test]
        fn line_ends_finds_every_line_end_in_order(bytes in haystack(), skips in proptest::collection::vec(any::<u8>(), 1..8)) {
            let expected = reference(&bytes);
            let mut lines = LineEnds::default();
            let mut found = Vec::new();
            let mut from = 0;
            while let Some(at) = lines.next(&bytes, from) {
                found.push(at);
                // The ASCII claim is never wrong, and never missing on
                // ASCII input.
                let claim = lines.ascii(&bytes, from..at);
                let line = &bytes[from..at];
                if let Some(ascii) = claim {
                    prop_assert!(line.is_ascii());
                    prop_assert_eq!(ascii.str_of(line), core::str::from_utf8(line).ok());
                }
                if bytes.is_ascii() {
                    prop_assert!(claim.is_some());
                }
                from = at + 1;
            }
            prop_assert_eq!(&found, &expected);

            // Walked as the decoder walks it: past a CRLF pair, or resuming
            // after an event it returned.
            let mut lines = LineEnds::default();
            let mut skips = skips.iter().cycle();
            let mut from = 0;
            while let Some(at) = lines.next(&bytes, from) {
                prop_assert_eq!(Some(at), expected.iter().copied().find(|&e| e >= from));
                from = at + 1 + usize::from(skips.next().copied().unwrap_or(0) % 3);
            }
            prop_assert_eq!(expected.iter().copied().find(|&e| e >= from), None);
        }
    }

    /// Haystacks of whole blocks, quiet and not, for the block loops.
    fn blocky() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                8 => Just(b'a'),
                1 => Just(b'\n'),
                1 => Just(b'\r'),
                1 => Just(0xC3),
                1 => any::<u8>(),
            ],
            0..700,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The block loop this build runs (AVX2 or SSE2 where there is
        /// one) and the portable loop, on the same input from the same
        /// state, find the same block and the same ASCII boundary.
        #[test]
        fn the_block_loop_matches_the_portable_loop(
            bytes in blocky(),
            start in 0usize..700,
            clean_from in 0usize..700,
        ) {
            let start = start.min(bytes.len());
            prop_assert_eq!(
                blocks(&bytes, start, clean_from),
                portable_blocks(&bytes, start, clean_from)
            );
        }
    }

    proptest! {
        #[test]
        fn inspect_small_agrees_with_a_plain_loop(bytes in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(0u8), Just(0x0B), Just(0x8A), any::<u8>()], 0..BLOCK)) {
            let (ends, proof) = inspect_small(&bytes);
            prop_assert_eq!(ends, bytes.iter().any(|&b| b == b'\n' || b == b'\r'));
            prop_assert_eq!(proof.is_some(), bytes.is_ascii());
        }
    }

    #[test]
    fn masks_every_position() {
        for i in 0..BLOCK {
            for byte in [b'\n', b'\r'] {
                let mut block = [b'x'; BLOCK];
                block[i] = byte;
                assert_eq!(masks(&block), (1 << i, 0));
                assert_eq!(portable_masks(&block), (1 << i, 0));
            }
            let mut block = [b'x'; BLOCK];
            block[i] = 0x80;
            assert_eq!(masks(&block), (0, 1 << i));
        }
        assert_eq!(masks(&[0xFF; BLOCK]), (0, u64::MAX));
    }

    /// One SIMD `quiet` test per instruction set, against the masks.
    fn quiet_everywhere(block: &[u8; BLOCK]) -> bool {
        let quiet = portable_masks(block) == (0, 0);
        #[cfg(all(target_arch = "x86_64", not(feature = "portable")))]
        assert_eq!(sse2::quiet(block), quiet);
        #[cfg(all(target_arch = "x86_64", feature = "std", not(feature = "portable")))]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was just detected.
            assert_eq!(unsafe { avx2::quiet(block) }, quiet);
        }
        quiet
    }

    #[test]
    fn long_quiet_runs_stop_at_every_line_end_and_high_byte() {
        // Past the first block, quiet blocks are skipped one or two at a
        // time: a line end or a high byte anywhere must still be seen.
        for at in 0..600 {
            let mut bytes = vec![b'a'; 600];
            bytes[at] = b'\n';
            let mut lines = LineEnds::default();
            assert_eq!(lines.next(&bytes, 0), Some(at), "LF at {at}");
            assert!(lines.ascii(&bytes, 0..at).is_some(), "LF at {at}");

            let mut bytes = vec![b'a'; 600];
            bytes[at] = 0xC3;
            bytes.push(b'\n');
            let mut lines = LineEnds::default();
            assert_eq!(lines.next(&bytes, 0), Some(600), "high byte at {at}");
            assert!(lines.ascii(&bytes, 0..600).is_none(), "high byte at {at}");
        }
    }

    #[test]
    fn quiet_blocks_have_no_line_end_and_no_high_byte() {
        assert!(quiet_everywhere(&[b'x'; BLOCK]));
        for i in 0..BLOCK {
            for byte in [b'\n', b'\r', 0x80, 0xFF, 0x8A] {
                let mut block = [b'x'; BLOCK];
                block[i] = byte;
                assert!(!quiet_everywhere(&block), "{byte:#x} at {i}");
            }
        }
    }

    #[test]
    fn ascii_proof_covers_only_its_own_bytes() {
        let bytes = b"data: x\n\xFF\n";
        let mut lines = LineEnds::default();
        assert_eq!(lines.next(bytes, 0), Some(7));
        let ascii = lines.ascii(bytes, 0..7).expect("ASCII line");
        assert_eq!(ascii.str_of(&bytes[6..7]), Some("x"));
        assert_eq!(ascii.str_of(&bytes[6..9]), None);
        assert_eq!(ascii.str_of(b"elsewhere"), None);
        assert_eq!(lines.next(bytes, 8), Some(9));
        assert!(lines.ascii(bytes, 8..9).is_none());
    }
}
