//! The ureq transport through the kit's TLS scenarios (a TLS front on
//! 127.0.0.1 whose CA is made for the test). No test here changes the
//! environment (see `tls_env.rs` for those).

use std::path::Path;

use bedrock_sse_blocking::{CaFileError, JobWatch, Outcome, UreqTransport, WatchConfig};
use bedrock_sse_testkit::TlsAdapter;

/// `UreqTransport` from its builder.
struct Ureq;

impl TlsAdapter for Ureq {
    type Transport = UreqTransport;

    fn transport(&self, ca_files: &[&Path]) -> Result<UreqTransport, CaFileError> {
        let mut builder = UreqTransport::builder();
        for file in ca_files {
            builder = builder.add_ca_file(file)?;
        }
        Ok(builder.build().expect("a transport"))
    }

    fn watch(&self, transport: UreqTransport, config: WatchConfig) -> Outcome {
        JobWatch::with_seed(transport, config, 7).run(|_| {})
    }
}

bedrock_sse_testkit::tls_scenarios!(Ureq);
