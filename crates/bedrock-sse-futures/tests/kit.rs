//! The adapter scenario table and the fault campaign of
//! `bedrock-sse-testkit`, run whole under smol's executor and again under
//! async-std's. The simulator (and the campaign's fault proxy) runs on a
//! runtime of its own, on threads of its own; nothing here starts a tokio
//! runtime.

mod runner;

mod smol_executor {
    use super::runner::SmolRunner;
    bedrock_sse_testkit::scenarios!(SmolRunner);
    bedrock_sse_testkit::campaign!(SmolRunner);
}

mod async_std_executor {
    use super::runner::AsyncStdRunner;
    bedrock_sse_testkit::scenarios!(AsyncStdRunner);
    bedrock_sse_testkit::campaign!(AsyncStdRunner);
}
