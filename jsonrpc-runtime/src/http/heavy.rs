//! Dispatching big request bodies without stalling the runtime.
//!
//! Parsing a body, decoding its params and encoding the answer are synchronous work that grows
//! with the body: several milliseconds per MiB. Done on a runtime worker, a 9 MiB body holds
//! that worker (and the tasks queued on it) for as long, so other clients' small calls wait.
//! Above [`HEAVY_BODY_BYTES`], each poll of the dispatch runs through `block_in_place`, which
//! hands the worker's queue to another thread first, and only a few such polls run at once
//! (half the cores, at least one), so that big bodies take turns instead of taking every core.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};

use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::Semaphore;
use tokio_util::sync::PollSemaphore;

/// Bodies larger than this are dispatched off the runtime's workers: 256 KiB, about a
/// millisecond of parsing.
pub(crate) const HEAVY_BODY_BYTES: usize = 256 * 1024;

/// Runs `future` (the dispatch of a big body) a poll at a time off the runtime's workers.
pub(crate) fn off_worker<F: Future>(future: F) -> OffWorker<F> {
    OffWorker {
        future: Box::pin(future),
        turns: PollSemaphore::new(Arc::clone(turns())),
        blocking_allowed: Handle::try_current()
            .is_ok_and(|handle| handle.runtime_flavor() == RuntimeFlavor::MultiThread),
    }
}

/// The turns of heavy work, shared by the whole process.
fn turns() -> &'static Arc<Semaphore> {
    static TURNS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    TURNS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
        Arc::new(Semaphore::new((cores / 2).max(1)))
    })
}

/// See [`off_worker`].
pub(crate) struct OffWorker<F> {
    future: Pin<Box<F>>,
    turns: PollSemaphore,
    /// `block_in_place` exists only on the multi-threaded runtime; elsewhere the polls just
    /// take turns.
    blocking_allowed: bool,
}

impl<F: Future> Future for OffWorker<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let Some(_turn) = ready!(this.turns.poll_acquire(cx)) else {
            unreachable!("the semaphore of turns is never closed");
        };
        let future = this.future.as_mut();
        if this.blocking_allowed {
            tokio::task::block_in_place(|| future.poll(cx))
        } else {
            future.poll(cx)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::off_worker;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_to_the_end_on_a_multi_threaded_runtime() {
        let answer = off_worker(async {
            tokio::task::yield_now().await;
            41 + 1
        })
        .await;
        assert_eq!(answer, 42);
    }

    #[tokio::test]
    async fn runs_to_the_end_on_a_current_thread_runtime() {
        let answer = off_worker(async {
            tokio::task::yield_now().await;
            "done"
        })
        .await;
        assert_eq!(answer, "done");
    }
}
