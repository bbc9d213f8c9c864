//! The adapter scenario table of `bedrock-sse-testkit`, run whole under
//! smol's executor and again under async-std's. The simulator runs on a
//! runtime of its own, on threads of its own; nothing here starts a tokio
//! runtime.

mod runner;

mod smol_executor {
    use super::runner::SmolRunner;
    bedrock_sse_testkit::scenarios!(SmolRunner);
}

mod async_std_executor {
    use super::runner::AsyncStdRunner;
    bedrock_sse_testkit::scenarios!(AsyncStdRunner);
}
