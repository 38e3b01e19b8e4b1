//! The header-read timeout of a connection, kept by its driver rather than by hyper.
//!
//! hyper's own timeout makes a timer for every request head and drops it once the head is read
//! (a heap allocation and two timer-wheel operations per request), and its connection goes
//! round its loop once more per request to start it: about 1,100 instructions per request over
//! one connection (bench/README, "third stop"). Here one timer per connection stays armed.
//! The end of a call only notes the time; when the timer fires, it looks at when the connection
//! began waiting for its next head, and is set again for later when that was more recent.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use super::idle::ConnInfo;

/// How long a connection may wait for a request head: from when it opened, or from the end of
/// its last call, to the end of the next head.
pub(crate) struct HeadDeadline {
    timeout: Duration,
    timer: Pin<Box<Sleep>>,
    /// When the connection began waiting for the head it reads now.
    waiting_since: Instant,
    /// [`ConnInfo::calls_ended`] when `waiting_since` was set.
    calls_seen: u32,
    /// The latest the connection may wait, whatever the timeout says (set as the server stops).
    latest: Option<Instant>,
    /// Whether the timer has been polled since it was last set. Once polled it keeps the task's
    /// waker, and wakes it when it fires; the driver's task is the same from start to end, so
    /// until then a look at whether it has fired will do, on each of the connection's wake-ups.
    registered: bool,
}

impl HeadDeadline {
    /// The deadline of a connection that opens now.
    pub(crate) fn new(timeout: Duration) -> Self {
        let now = Instant::now();
        HeadDeadline {
            timeout,
            timer: Box::pin(tokio::time::sleep_until(now + timeout)),
            waiting_since: now,
            calls_seen: 0,
            latest: None,
            registered: false,
        }
    }

    /// Waits no later than `at`.
    pub(crate) fn limit(&mut self, at: Instant) {
        self.latest = Some(at);
        if self.timer.deadline() > at {
            self.timer.as_mut().reset(at);
            self.registered = false;
        }
    }

    /// Whether the connection has waited for a request head past its deadline. When not, the
    /// task of `cx` is woken when it may have.
    ///
    /// Called on each poll of the connection's driver, after the connection itself: a call
    /// that ended in that poll had its answer written in it, so the wait starts now.
    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>, info: &ConnInfo) -> bool {
        let ended = info.calls_ended();
        if ended != self.calls_seen && !info.is_busy() {
            self.calls_seen = ended;
            self.waiting_since = Instant::now();
        }
        if self.registered && !self.timer.is_elapsed() {
            return false;
        }
        while self.timer.as_mut().poll(cx).is_ready() {
            let now = Instant::now();
            // A call in flight has its own limits (body read, write); the wait begins when it
            // ends, so look again one timeout from now at the latest.
            let mut next = if info.is_busy() {
                now + self.timeout
            } else {
                self.waiting_since + self.timeout
            };
            if let Some(latest) = self.latest {
                next = next.min(latest);
            }
            if next <= now {
                return true;
            }
            self.timer.as_mut().reset(next);
        }
        self.registered = true;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn expired(deadline: &mut HeadDeadline, info: &ConnInfo) -> bool {
        let waker = futures_util::task::noop_waker();
        deadline.poll_expired(&mut Context::from_waker(&waker), info)
    }

    #[tokio::test(start_paused = true)]
    async fn each_answer_starts_the_wait_again() {
        let timeout = Duration::from_secs(10);
        let info = Arc::new(ConnInfo::new(None));
        let mut deadline = HeadDeadline::new(timeout);
        tokio::time::advance(Duration::from_secs(6)).await;
        assert!(!expired(&mut deadline, &info));
        // A call that runs past the deadline keeps its connection.
        let call = info.call_began(http::Version::HTTP_11);
        tokio::time::advance(Duration::from_secs(15)).await;
        assert!(!expired(&mut deadline, &info));
        tokio::time::advance(Duration::from_secs(3)).await;
        drop(call);
        // Its end (at 24 s) starts the wait: the full timeout from there, though the timer was
        // set for 31 s when it fired at 21 s.
        assert!(!expired(&mut deadline, &info));
        tokio::time::advance(Duration::from_secs(9)).await;
        assert!(!expired(&mut deadline, &info));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(expired(&mut deadline, &info));
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_sends_nothing_expires_at_the_timeout() {
        let info = ConnInfo::new(None);
        let mut deadline = HeadDeadline::new(Duration::from_secs(5));
        tokio::time::advance(Duration::from_millis(4_999)).await;
        assert!(!expired(&mut deadline, &info));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(expired(&mut deadline, &info));
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_cuts_the_wait_short_and_stays() {
        let info = Arc::new(ConnInfo::new(None));
        let mut deadline = HeadDeadline::new(Duration::from_secs(30));
        deadline.limit(Instant::now() + Duration::from_secs(1));
        drop(info.call_began(http::Version::HTTP_11));
        // The call's end would move the wait on; the limit holds.
        assert!(!expired(&mut deadline, &info));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(expired(&mut deadline, &info));
    }
}
