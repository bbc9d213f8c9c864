//! The hyper transport through the kit's TLS scenarios (a TLS front on
//! 127.0.0.1 whose CA is made for the test), under smol. No test here
//! changes the environment (see `tls_env.rs`).

use std::path::Path;

use bedrock_sse_core::watch::{Outcome, WatchConfig};
use bedrock_sse_futures::{CaFileError, HyperTransport, JobWatch};
use bedrock_sse_testkit::TlsAdapter;

/// `HyperTransport` from its builder, with no proxy from the environment.
struct Hyper;

impl TlsAdapter for Hyper {
    type Transport = HyperTransport;

    fn transport(&self, ca_files: &[&Path]) -> Result<HyperTransport, CaFileError> {
        let mut builder = HyperTransport::builder();
        for file in ca_files {
            builder = builder.add_ca_file(file)?;
        }
        Ok(builder.build().expect("a transport").no_proxy())
    }

    fn watch(&self, transport: HyperTransport, config: WatchConfig) -> Outcome {
        smol::block_on(JobWatch::with_seed(transport, config, 7).run(|_| {}))
    }
}

bedrock_sse_testkit::tls_scenarios!(Hyper);
