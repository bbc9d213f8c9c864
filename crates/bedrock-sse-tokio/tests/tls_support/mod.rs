//! The ready-made transports as the kit's TLS scenarios build them: for
//! `tls.rs` and `tls_env.rs`.

use std::path::Path;

use bedrock_sse_core::watch::{Outcome, WatchConfig};
use bedrock_sse_testkit::{EnvAdapter, TlsAdapter};
use bedrock_sse_tokio::{CaFileError, HyperTransport, JobWatch, ReqwestTransport, TlsError};

/// `ReqwestTransport`; each watch on a runtime of its own.
pub(crate) struct Reqwest;

/// `HyperTransport`; each watch on a runtime of its own.
pub(crate) struct Hyper;

/// The adapter for a transport with `new()` and a `builder()` taking CA
/// files.
macro_rules! adapter {
    ($adapter:ty, $transport:ident) => {
        impl TlsAdapter for $adapter {
            type Transport = $transport;

            fn transport(&self, ca_files: &[&Path]) -> Result<$transport, CaFileError> {
                let mut builder = $transport::builder();
                for file in ca_files {
                    builder = builder.add_ca_file(file)?;
                }
                Ok(builder.build().expect("a transport"))
            }

            fn watch(&self, transport: $transport, config: WatchConfig) -> Outcome {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime")
                    .block_on(JobWatch::with_seed(transport, config, 7).run(|_| {}))
            }
        }

        impl EnvAdapter for $adapter {
            fn configured_by_env(&self) -> $transport {
                $transport::new()
            }

            fn built(&self, ca_files: &[&Path]) -> Result<$transport, TlsError> {
                let mut builder = $transport::builder();
                for file in ca_files {
                    builder = builder.add_ca_file(file).expect("a valid CA file");
                }
                builder.build()
            }

            fn tunnels_plain_http(&self) -> bool {
                false
            }
        }
    };
}

adapter!(Reqwest, ReqwestTransport);
adapter!(Hyper, HyperTransport);
