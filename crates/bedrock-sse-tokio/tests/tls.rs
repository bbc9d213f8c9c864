//! The reqwest transport through the kit's TLS scenarios (a TLS front on
//! 127.0.0.1 whose CA is made for the test). No test here changes the
//! environment (see `tls_env.rs` for those).

use std::path::Path;

use bedrock_sse_core::watch::{Outcome, WatchConfig};
use bedrock_sse_testkit::TlsAdapter;
use bedrock_sse_tokio::{CaFileError, JobWatch, ReqwestTransport};

/// `ReqwestTransport` from its builder; each watch on a runtime of its own.
struct Reqwest;

impl TlsAdapter for Reqwest {
    type Transport = ReqwestTransport;

    fn transport(&self, ca_files: &[&Path]) -> Result<ReqwestTransport, CaFileError> {
        let mut builder = ReqwestTransport::builder();
        for file in ca_files {
            builder = builder.add_ca_file(file)?;
        }
        Ok(builder.build().expect("a transport"))
    }

    fn watch(&self, transport: ReqwestTransport, config: WatchConfig) -> Outcome {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(JobWatch::with_seed(transport, config, 7).run(|_| {}))
    }
}

bedrock_sse_testkit::tls_scenarios!(Reqwest);
