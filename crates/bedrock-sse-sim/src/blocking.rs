//! The simulator for code without an async runtime: blocking clients,
//! plain `#[test]` functions, scripts.

use std::ops::Deref;

use crate::server::{RunningSim, SimError, SimulatorBuilder};

/// A running simulator with a tokio runtime of its own, so the calling
/// thread can block freely (on a blocking HTTP client, say) while it serves.
///
/// It dereferences to [`RunningSim`] for the address, URLs, request log and
/// fault injection. Dropping it shuts the simulator down and waits for it;
/// [`shutdown`](Self::shutdown) does the same and reports how it went.
///
/// ```
/// use std::time::Duration;
/// use bedrock_sse_sim::{JobScript, Simulator};
///
/// let sim = Simulator::builder()
///     .job(JobScript::overlay("job_1", 2, Duration::from_millis(10)))
///     .start_blocking()?;
/// assert!(sim.stream_url("job_1").starts_with("http://127.0.0.1:"));
/// sim.shutdown()?;
/// # Ok::<(), bedrock_sse_sim::SimError>(())
/// ```
#[derive(Debug)]
pub struct BlockingSim {
    /// Dropped after `sim`, which it serves.
    runtime: tokio::runtime::Runtime,
    sim: Option<RunningSim>,
}

impl SimulatorBuilder {
    /// Starts the simulator on a new multi-threaded tokio runtime owned by
    /// the returned handle, for callers that have no runtime.
    pub fn start_blocking(self) -> Result<BlockingSim, SimError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bedrock-sse-sim")
            .enable_all()
            .build()
            .map_err(SimError::Runtime)?;
        let sim = runtime.block_on(self.start())?;
        Ok(BlockingSim {
            runtime,
            sim: Some(sim),
        })
    }
}

impl BlockingSim {
    /// Stops the simulator, as [`RunningSim::shutdown`] does, and returns
    /// once it has stopped.
    pub fn shutdown(mut self) -> Result<(), SimError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), SimError> {
        match self.sim.take() {
            Some(sim) => self.runtime.block_on(sim.shutdown()),
            None => Ok(()),
        }
    }
}

impl Deref for BlockingSim {
    type Target = RunningSim;

    fn deref(&self) -> &RunningSim {
        // `sim` is only taken by `shutdown`, which consumes the handle.
        self.sim
            .as_ref()
            .unwrap_or_else(|| unreachable!("used after shutdown"))
    }
}

impl Drop for BlockingSim {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::warn!(%error, "the simulator did not stop cleanly");
        }
    }
}
