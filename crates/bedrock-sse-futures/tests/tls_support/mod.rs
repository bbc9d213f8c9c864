//! `HyperTransport` as the kit's TLS scenarios build it: for `tls.rs` and
//! `tls_env.rs`.

use std::path::Path;

use bedrock_sse_core::watch::{Outcome, WatchConfig};
use bedrock_sse_futures::{CaFileError, HyperTransport, JobWatch, TlsError};
use bedrock_sse_testkit::{EnvAdapter, TlsAdapter};

/// `HyperTransport`, each watch under `smol::block_on`.
pub(crate) struct Hyper;

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

impl EnvAdapter for Hyper {
    fn configured_by_env(&self) -> HyperTransport {
        HyperTransport::new()
    }

    fn built(&self, ca_files: &[&Path]) -> Result<HyperTransport, TlsError> {
        let mut builder = HyperTransport::builder();
        for file in ca_files {
            builder = builder.add_ca_file(file).expect("a valid CA file");
        }
        builder.build()
    }

    fn tunnels_plain_http(&self) -> bool {
        false
    }
}
