//! A signal for "the call has started": a test waits for it instead of sleeping a while and
//! hoping the server got that far, which a loaded machine does not promise.

use std::sync::Arc;
use std::time::Duration;

use jsonrpc_runtime::{CallContext, Error, FromCall};
use tokio::sync::watch;

/// The longest a test waits for calls to start before it fails.
pub const START_WAIT: Duration = Duration::from_secs(10);

/// How many calls of a test's method have begun, and a way to wait for that number.
///
/// The test hands a clone to its server as state (`.state(started.clone())`); the method takes a
/// `Started` argument and calls [`Started::begin`] first (or is [`Started::nap`]); the test
/// awaits [`Started::wait_for`]. A method run by a server that was given none gets a count no
/// one watches, so the binary's other servers need no state for it.
#[derive(Clone)]
pub struct Started(Arc<watch::Sender<usize>>);

impl Default for Started {
    fn default() -> Self {
        Started(Arc::new(watch::Sender::new(0)))
    }
}

impl Started {
    /// Notes that one more call has begun.
    pub fn begin(&self) {
        self.0.send_modify(|count| *count += 1);
    }

    /// Notes the start, sleeps `ms` milliseconds, then returns `ms`: a slow method's body.
    pub async fn nap(&self, ms: u64) -> u64 {
        self.begin();
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }

    /// Returns once `n` calls in all have begun; panics after [`START_WAIT`].
    pub async fn wait_for(&self, n: usize) {
        let mut count = self.0.subscribe();
        let reached = async { count.wait_for(|&count| count >= n).await.is_ok() };
        if !tokio::time::timeout(START_WAIT, reached)
            .await
            .unwrap_or(false)
        {
            panic!(
                "only {} of {n} calls had started after {START_WAIT:?}",
                *self.0.borrow()
            );
        }
    }
}

/// The server's `Started`, if it was given one.
impl FromCall for Started {
    type Rejection = Error;

    fn from_call(call: &CallContext<'_>) -> Result<Self, Error> {
        Ok(call
            .state::<Started>()
            .map(|started| Started::clone(&started))
            .unwrap_or_default())
    }
}
