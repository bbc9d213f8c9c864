//! The kit's scenarios of `SSL_CERT_FILE` and the proxy variables with
//! this adapter's ready-made transports. The environment is process-global,
//! so they live in this binary of their own (the kit runs them one at a
//! time).

mod tls_support;

mod reqwest {
    bedrock_sse_testkit::tls_env_scenarios!(crate::tls_support::Reqwest);
}

mod hyper {
    bedrock_sse_testkit::tls_env_scenarios!(crate::tls_support::Hyper);
}
