//! What each byte of a raw HTTP/1.1 response is (its head, a chunk-size
//! line, the body's data, the chunked framing around it), so that the
//! [`FaultProxy`](crate::FaultProxy) can cut where it hurts most: inside a
//! line, between a CR and its LF, inside a UTF-8 character, inside a
//! chunk-size line.

/// Where a cut may fall, named by what it splits. A cut falls *before* a
/// byte; "the body" means the event stream inside the chunked framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CutKind {
    /// Before any byte at all, the response head included.
    Anywhere,
    /// Inside a line of the body: after at least one byte of it, before a
    /// byte that is not a line end.
    MidLine,
    /// Between a CR of the body and the LF right after it (a CRLF line
    /// end cut in two).
    BetweenCrLf,
    /// Inside a multi-byte UTF-8 character of the body, before one of its
    /// continuation bytes.
    InUtf8,
    /// Inside a chunk-size line of the framing (`1a3\r\n`): after its first
    /// byte, in the digits, before its CR, or between its CR and LF.
    InChunkSize,
}

impl CutKind {
    /// Every kind, in a fixed order (to draw from and to report by).
    pub const ALL: [CutKind; 5] = [
        CutKind::Anywhere,
        CutKind::MidLine,
        CutKind::BetweenCrLf,
        CutKind::InUtf8,
        CutKind::InChunkSize,
    ];

    /// A short name for reports.
    pub const fn name(self) -> &'static str {
        match self {
            CutKind::Anywhere => "anywhere",
            CutKind::MidLine => "mid-line",
            CutKind::BetweenCrLf => "cr|lf",
            CutKind::InUtf8 => "in-utf8",
            CutKind::InChunkSize => "in-chunk-size",
        }
    }
}

/// The part of the response a byte belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The status line and headers, up to and including the blank line.
    Head,
    /// The `index`-th byte (from 0) of a chunk-size line, its CRLF included.
    ChunkSize {
        /// Position in the line.
        index: usize,
    },
    /// A byte of the body (inside a chunk, or of an unchunked body).
    Data,
    /// The CRLF after a chunk's data, or the trailer after the last chunk.
    Framing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In the head; how many bytes of `\r\n\r\n` were just seen.
    Head(usize),
    Size {
        index: usize,
        size: u64,
        digits: bool,
    },
    Data(u64),
    DataEnd,
    Trailer,
    Raw,
}

/// Follows a response byte by byte and says what each byte is. Bytes it
/// cannot make sense of (a malformed size line) count as framing from
/// then on; the proxy only uses this to aim its cuts.
///
/// ```
/// use bedrock_sse_testkit::{CutKind, ResponseBytes};
///
/// let response = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\na\xC3\xA9\n\r\n0\r\n\r\n";
/// let mut bytes = ResponseBytes::new();
/// let cuts: Vec<usize> = (0..response.len())
///     .filter(|&i| bytes.next(response[i]).1.contains(&CutKind::InUtf8))
///     .collect();
/// assert_eq!(cuts, [52]); // before the second byte of "é"
/// ```
#[derive(Debug, Clone)]
pub struct ResponseBytes {
    state: State,
    head: Vec<u8>,
    /// The body byte before the current one.
    previous: Option<u8>,
}

impl Default for ResponseBytes {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseBytes {
    /// At the start of a response.
    pub fn new() -> Self {
        ResponseBytes {
            state: State::Head(0),
            head: Vec::new(),
            previous: None,
        }
    }

    /// Takes the response's next byte: what it is, and the kinds of cut
    /// that a cut right before it would be.
    pub fn next(&mut self, byte: u8) -> (Part, Vec<CutKind>) {
        let part = self.advance(byte);
        let mut kinds = vec![CutKind::Anywhere];
        match part {
            Part::ChunkSize { index } if index > 0 => kinds.push(CutKind::InChunkSize),
            Part::Data => {
                let line_end = |b: u8| b == b'\r' || b == b'\n';
                match self.previous {
                    Some(b'\r') if byte == b'\n' => kinds.push(CutKind::BetweenCrLf),
                    Some(previous) if !line_end(previous) && !line_end(byte) => {
                        kinds.push(CutKind::MidLine);
                    }
                    _ => {}
                }
                if byte & 0xC0 == 0x80 {
                    kinds.push(CutKind::InUtf8);
                }
                self.previous = Some(byte);
            }
            _ => {}
        }
        (part, kinds)
    }

    fn advance(&mut self, byte: u8) -> Part {
        match self.state {
            State::Head(seen) => {
                self.head.push(byte);
                let expected = b"\r\n\r\n"[seen];
                let seen = if byte == expected {
                    seen + 1
                } else {
                    usize::from(byte == b'\r')
                };
                self.state = if seen < 4 {
                    State::Head(seen)
                } else if self.is_chunked() {
                    State::Size {
                        index: 0,
                        size: 0,
                        digits: true,
                    }
                } else {
                    State::Raw
                };
                Part::Head
            }
            State::Size {
                index,
                size,
                digits,
            } => {
                let part = Part::ChunkSize { index };
                self.state = match byte {
                    b'\n' if size == 0 => State::Trailer,
                    b'\n' => State::Data(size),
                    _ => {
                        let digit = (byte as char).to_digit(16).filter(|_| digits);
                        State::Size {
                            index: index + 1,
                            size: match digit {
                                Some(d) => size.saturating_mul(16).saturating_add(u64::from(d)),
                                None => size,
                            },
                            // Digits end at an extension (`;`) or the CR.
                            digits: digits && digit.is_some(),
                        }
                    }
                };
                part
            }
            State::Data(left) => {
                self.state = if left > 1 {
                    State::Data(left - 1)
                } else {
                    State::DataEnd
                };
                Part::Data
            }
            State::DataEnd => {
                if byte == b'\n' {
                    self.state = State::Size {
                        index: 0,
                        size: 0,
                        digits: true,
                    };
                }
                Part::Framing
            }
            State::Trailer => Part::Framing,
            State::Raw => Part::Data,
        }
    }

    fn is_chunked(&self) -> bool {
        String::from_utf8_lossy(&self.head).lines().any(|line| {
            line.split_once(':').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("transfer-encoding")
                    && value.to_ascii_lowercase().contains("chunked")
            })
        })
    }
}

/// The body of a whole raw response: its data bytes, without the head or
/// the chunked framing.
pub fn body_of(response: &[u8]) -> Vec<u8> {
    let mut bytes = ResponseBytes::new();
    response
        .iter()
        .filter(|&&b| bytes.advance(b) == Part::Data)
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
        9\r\nid: 1\r\nda\r\n\
        9\r\nta: \xE2\x9C\x93\n\n\r\n\
        0\r\n\r\n";

    fn cuts(kind: CutKind) -> Vec<usize> {
        let mut bytes = ResponseBytes::new();
        (0..RESPONSE.len())
            .filter(|&i| bytes.next(RESPONSE[i]).1.contains(&kind))
            .collect()
    }

    #[test]
    fn the_body_is_the_data_without_framing() {
        assert_eq!(body_of(RESPONSE), b"id: 1\r\ndata: \xE2\x9C\x93\n\n");
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc";
        assert_eq!(body_of(plain), b"abc");
    }

    #[test]
    fn each_kind_of_cut_is_found_where_it_splits_what_it_names() {
        let head = RESPONSE.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        // "9\r\n": after the "9", between its CR and LF; likewise the
        // second "9\r\n" and "0\r\n".
        let second = head + 3 + 9 + 2;
        let last = second + 3 + 9 + 2;
        assert_eq!(
            cuts(CutKind::InChunkSize),
            [
                head + 1,
                head + 2,
                second + 1,
                second + 2,
                last + 1,
                last + 2
            ]
        );
        // The CRLF after "id: 1" is the body's; the framing's are not.
        assert_eq!(cuts(CutKind::BetweenCrLf), [head + 3 + 6]);
        // The check mark's two continuation bytes.
        let check = second + 3 + 4;
        assert_eq!(cuts(CutKind::InUtf8), [check + 1, check + 2]);
        // Inside "id: 1" and "data: ✓", across the chunk boundary of "da|ta".
        let mid = cuts(CutKind::MidLine);
        assert_eq!(mid.len(), 4 + 1 + 7, "{mid:?}");
        assert!(mid.contains(&(second + 3)), "{mid:?}");
        assert_eq!(cuts(CutKind::Anywhere).len(), RESPONSE.len());
    }
}
