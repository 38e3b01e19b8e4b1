//! Where a server is in its shutdown, shared with every connection: read with one atomic load
//! on the hot path, and a wake-up for each connection when it changes.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, Waker};

use tokio::sync::futures::Notified;
use tokio::sync::Notify;

/// The steps of a shutdown, in order; a server only moves forward through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Before the signal.
    Serving = 0,
    /// The drain delay: serving, with `Connection: close` and GOAWAY; health answers 503.
    Draining = 1,
    /// No longer accepting: idle connections close, the calls in flight finish.
    Stopping = 2,
    /// The drain timeout has passed, or a second signal came: every connection is dropped.
    Cut = 3,
}

impl Phase {
    fn from_u8(value: u8) -> Phase {
        match value {
            0 => Phase::Serving,
            1 => Phase::Draining,
            2 => Phase::Stopping,
            _ => Phase::Cut,
        }
    }
}

/// The phase of one server.
pub(crate) struct Phases {
    phase: AtomicU8,
    changed: Notify,
}

impl Phases {
    pub(crate) fn new() -> Self {
        Phases {
            phase: AtomicU8::new(Phase::Serving as u8),
            changed: Notify::new(),
        }
    }

    pub(crate) fn get(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::Acquire))
    }

    /// From the signal on: responses close their connections, health answers 503.
    pub(crate) fn is_draining(&self) -> bool {
        self.get() >= Phase::Draining
    }

    /// Moves to `phase` (never back) and wakes every connection.
    pub(crate) fn set(&self, phase: Phase) {
        self.phase.fetch_max(phase as u8, Ordering::AcqRel);
        self.changed.notify_waiters();
    }

    /// A watch for one connection's task.
    pub(crate) fn watch(&self) -> PhaseWatch<'_> {
        PhaseWatch {
            phases: self,
            notified: Box::pin(self.changed.notified()),
            registered: None,
            seen: self.get(),
        }
    }
}

/// Follows the phase from a connection's `poll`: an atomic load per poll, and the waiter polled
/// (a lock) only when the task's waker is new to it or the phase has moved.
pub(crate) struct PhaseWatch<'a> {
    phases: &'a Phases,
    notified: Pin<Box<Notified<'a>>>,
    /// The waker the waiter was last polled with.
    registered: Option<Waker>,
    /// The phase when the waiter was made.
    seen: Phase,
}

impl PhaseWatch<'_> {
    /// The phase now; the task is woken when it changes.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Phase {
        loop {
            let phase = self.phases.get();
            if phase == Phase::Cut {
                return phase;
            }
            if phase != self.seen {
                // The waiter has been (or is being) used up by this change: a new one, which
                // sees every later change whether polled yet or not; then read the phase again.
                self.renew(phase);
                continue;
            }
            if self
                .registered
                .as_ref()
                .is_some_and(|waker| waker.will_wake(cx.waker()))
            {
                return phase;
            }
            match self.notified.as_mut().poll(cx) {
                Poll::Pending => {
                    self.registered = Some(cx.waker().clone());
                    return phase;
                }
                Poll::Ready(()) => self.renew(self.phases.get()),
            }
        }
    }

    fn renew(&mut self, seen: Phase) {
        self.notified.set(self.phases.changed.notified());
        self.registered = None;
        self.seen = seen;
    }
}
