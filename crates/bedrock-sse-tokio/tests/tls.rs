//! The kit's TLS scenarios with this adapter's ready-made transports: a
//! TLS front on 127.0.0.1 whose CA is made for the test. No test here
//! changes the environment (see `tls_env.rs` for those).

mod tls_support;

mod reqwest {
    bedrock_sse_testkit::tls_scenarios!(crate::tls_support::Reqwest);
}

mod hyper {
    bedrock_sse_testkit::tls_scenarios!(crate::tls_support::Hyper);
}
