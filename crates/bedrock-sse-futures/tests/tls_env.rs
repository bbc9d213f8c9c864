//! The kit's scenarios of `SSL_CERT_FILE` and the proxy variables with
//! this adapter's ready-made transport. The environment is process-global,
//! so they live in this binary of their own.

mod tls_support;

use tls_support::Hyper;

bedrock_sse_testkit::tls_env_scenarios!(Hyper);
