//! `UreqTransport` as the kit's TLS scenarios build it: for `tls.rs` and
//! `tls_env.rs`.

use std::path::Path;

use bedrock_sse_blocking::{CaFileError, JobWatch, Outcome, TlsError, UreqTransport, WatchConfig};
use bedrock_sse_testkit::{EnvAdapter, TlsAdapter};

/// `UreqTransport`.
pub(crate) struct Ureq;

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

impl EnvAdapter for Ureq {
    fn configured_by_env(&self) -> UreqTransport {
        UreqTransport::new()
    }

    fn built(&self, ca_files: &[&Path]) -> Result<UreqTransport, TlsError> {
        let mut builder = UreqTransport::builder();
        for file in ca_files {
            builder = builder.add_ca_file(file).expect("a valid CA file");
        }
        builder.build()
    }

    /// ureq takes one proxy for both schemes (the first of `ALL_PROXY`,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, upper case first) and always tunnels.
    fn tunnels_plain_http(&self) -> bool {
        true
    }
}
