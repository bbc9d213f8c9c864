//! A deliberately simple decoder written straight from the rules in
//! `sse-rules.md`: the whole stream at once, no chunking, no limits, no
//! borrowing. It is the oracle the real [`Decoder`] is compared with.
//!
//! [`Decoder`]: bedrock_sse_core::sse::Decoder

use super::{End, Out, Run};

/// Decodes a whole body.
pub(crate) fn decode(body: &[u8]) -> Run {
    // "The body is UTF-8. Bytes that are not valid UTF-8 become U+FFFD."
    let text = String::from_utf8_lossy(body);
    // "One UTF-8 byte-order mark at the very start of the stream is dropped."
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);

    // "A line ends at CRLF, at a lone LF, or at a lone CR."
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut line));
            }
            '\n' => lines.push(std::mem::take(&mut line)),
            c => line.push(c),
        }
    }
    let partial_line = !line.is_empty();

    let mut items = Vec::new();
    let mut data = String::new();
    let mut event_type = String::new();
    let mut id_buffer = String::new();
    let mut last_id = String::new();
    let mut retry = None;
    let mut in_block = false;
    for line in &lines {
        if line.is_empty() {
            // Dispatch.
            in_block = false;
            last_id = id_buffer.clone();
            if data.is_empty() {
                event_type.clear();
                continue;
            }
            if data.ends_with('\n') {
                data.pop();
            }
            let kind = if event_type.is_empty() {
                "message"
            } else {
                &event_type
            };
            items.push(Out::event(kind, &data, &last_id));
            data.clear();
            event_type.clear();
            continue;
        }
        if line.starts_with(':') {
            continue; // a comment
        }
        in_block = true;
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match name {
            "event" => event_type = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => id_buffer = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Too many digits for a u64: saturate, as the Decoder
                // documents.
                let ms = value.parse().unwrap_or(u64::MAX);
                retry = Some(ms);
                items.push(Out::Retry(ms));
            }
            _ => {}
        }
    }
    // "At end of stream, an event that was not closed by a blank line is
    // discarded."
    Run {
        items,
        end: End {
            discarded: in_block || partial_line,
            last_event_id: last_id,
            retry,
        },
    }
}
