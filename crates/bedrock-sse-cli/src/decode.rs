//! `bedrock-sse decode`: a captured stream in, JSON Lines out.
//!
//! Output contract (stable): one JSON object per line, in stream order:
//! `{"event":TYPE,"data":DATA,"id":LAST_EVENT_ID}` for each dispatched event
//! and `{"retry":MILLISECONDS}` for each valid `retry` field.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

use bedrock_sse_core::sse::{DecodeError, Decoder, Item, Limits};
use serde::Serialize;

use crate::Exit;

/// Arguments of `bedrock-sse decode`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The captured stream; standard input when absent or `-`.
    file: Option<PathBuf>,
    /// Largest event data accepted, in bytes; a larger event stops decoding
    /// with exit code 1.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    max_event_size: usize,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Line<'a> {
    Event {
        event: &'a str,
        data: &'a str,
        id: &'a str,
    },
    Retry {
        retry: u64,
    },
}

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("cannot read {what}: {source}")]
    Read { what: String, source: io::Error },
    #[error("cannot write the output: {0}")]
    Write(io::Error),
    #[error("{what}: {source} (raise --max-event-size if the stream is trusted)")]
    Stream { what: String, source: DecodeError },
}

pub(crate) fn run(args: Args) -> Exit {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let result = decode(&args, &mut out).and_then(|discarded| {
        out.flush().map_err(Failure::Write)?;
        Ok(discarded)
    });
    match result {
        Ok(discarded) => {
            if discarded {
                eprintln!(
                    "bedrock-sse decode: note: the input ended inside an event; \
                     as the SSE rules require, that event was discarded"
                );
            }
            Exit::Success
        }
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(Failure::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Success,
        Err(failure) => {
            // Everything decoded before the failure goes out first.
            let flushed = out.flush();
            eprintln!("bedrock-sse decode: error: {failure}");
            match (failure, flushed) {
                (Failure::Stream { .. }, Ok(())) => Exit::Stream,
                _ => Exit::Io,
            }
        }
    }
}

/// Decodes the whole input; returns whether an unterminated event was
/// discarded at its end.
fn decode(args: &Args, out: &mut impl Write) -> Result<bool, Failure> {
    let (what, mut input): (String, Box<dyn Read>) = match &args.file {
        None => ("standard input".into(), Box::new(io::stdin().lock())),
        Some(path) if path.as_os_str() == "-" => {
            ("standard input".into(), Box::new(io::stdin().lock()))
        }
        Some(path) => {
            let what = path.display().to_string();
            match File::open(path) {
                Ok(file) => (what, Box::new(file)),
                Err(source) => return Err(Failure::Read { what, source }),
            }
        }
    };
    let limits = Limits::default().with_max_event_size(args.max_event_size);
    let mut decoder = Decoder::with_limits(limits);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => return Ok(decoder.finish()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => return Err(Failure::Read { what, source }),
        };
        let mut rest = &chunk[..n];
        while !rest.is_empty() {
            let step = decoder.decode(rest);
            rest = &rest[step.consumed..];
            let line = match step.item {
                None => break,
                Some(Err(source)) => return Err(Failure::Stream { what, source }),
                Some(Ok(Item::Event(event))) => Line::Event {
                    event: event.event_type,
                    data: event.data,
                    id: event.id,
                },
                Some(Ok(Item::Retry(retry))) => Line::Retry { retry },
                // Items added to the core later are not part of this output.
                Some(Ok(_)) => continue,
            };
            serde_json::to_writer(&mut *out, &line).map_err(|e| Failure::Write(e.into()))?;
            out.write_all(b"\n").map_err(Failure::Write)?;
        }
    }
}
