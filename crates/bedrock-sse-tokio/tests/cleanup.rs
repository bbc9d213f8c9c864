//! What the tokio driver leaves behind when it gives a connection up or is
//! dropped, over either ready-made transport: nothing (the kit's cleanup
//! scenarios, alone in this process since they count its threads and
//! sockets).

mod runner;

bedrock_sse_testkit::cleanup_scenarios!(runner::REQWEST, runner::HYPER);
