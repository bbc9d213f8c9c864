//! `ReqwestTransport` as the kit's TLS scenarios build it: for `tls.rs`
//! and `tls_env.rs`.

use std::path::Path;

use bedrock_sse_core::watch::{Outcome, WatchConfig};
use bedrock_sse_testkit::{EnvAdapter, TlsAdapter};
use bedrock_sse_tokio::{CaFileError, JobWatch, ReqwestTransport, TlsError};

/// `ReqwestTransport`; each watch on a runtime of its own.
pub(crate) struct Reqwest;

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

impl EnvAdapter for Reqwest {
    fn configured_by_env(&self) -> ReqwestTransport {
        ReqwestTransport::new()
    }

    fn built(&self, ca_files: &[&Path]) -> Result<ReqwestTransport, TlsError> {
        let mut builder = ReqwestTransport::builder();
        for file in ca_files {
            builder = builder.add_ca_file(file).expect("a valid CA file");
        }
        builder.build()
    }

    fn tunnels_plain_http(&self) -> bool {
        false
    }
}
