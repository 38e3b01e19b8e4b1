//! The reconnect policy of a [`WsClient`](crate::client::WsClient): how often and how long it
//! tries to open a new connection when the one it has drops.

use std::time::Duration;

/// The default wait before the second attempt to reconnect: 100 ms.
const DEFAULT_INITIAL_DELAY: Duration = Duration::from_millis(100);

/// The default longest wait between two attempts: 5 seconds.
const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(5);

/// The default number of attempts before the client gives up: 10 (about 25 s of trying).
const DEFAULT_MAX_ATTEMPTS: u32 = 10;

/// Opt-in reconnection for a [`WsClient`](crate::client::WsClient), given to
/// [`WsClientBuilder::reconnect`](crate::client::WsClientBuilder::reconnect).
///
/// When the connection drops (the server closes it, it breaks, or it stops answering pings;
/// never when the client closes it), the client opens a new one to the same URL, through a
/// load balancer most likely to another instance. The first attempt is made at once; each
/// later one waits twice as long as the one before, from
/// [`initial_delay`](Reconnect::initial_delay) up to [`max_delay`](Reconnect::max_delay),
/// with jitter (each wait is drawn between half of it and all of it) so that many clients
/// dropped together do not come back together. After
/// [`max_attempts`](Reconnect::max_attempts) failed attempts in a row the client gives up:
/// everything fails with [`ClientError::ConnectionClosed`](crate::client::ClientError), as
/// without reconnection. A connection that opens resets the count.
///
/// ```no_run
/// use std::time::Duration;
/// use jsonrpc_runtime::client::{Reconnect, WsClient};
///
/// # async fn run() -> Result<(), jsonrpc_runtime::client::ClientError> {
/// let client = WsClient::builder()
///     .reconnect(
///         Reconnect::new()
///             .initial_delay(Duration::from_millis(100)) // the defaults, shown
///             .max_delay(Duration::from_secs(5))
///             .max_attempts(10),
///     )
///     .connect("ws://127.0.0.1:5000/")
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconnect {
    initial_delay: Duration,
    max_delay: Duration,
    max_attempts: u32,
    jitter: bool,
    resend_on_going_away: bool,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect::new()
    }
}

impl Reconnect {
    /// The default policy: 10 attempts, the first at once, then waits from 100 ms doubling
    /// up to 5 s, with jitter.
    pub fn new() -> Self {
        Reconnect {
            initial_delay: DEFAULT_INITIAL_DELAY,
            max_delay: DEFAULT_MAX_DELAY,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            jitter: true,
            resend_on_going_away: false,
        }
    }

    /// The wait before the second attempt (the first is made at once); it doubles with each
    /// attempt after that, up to [`max_delay`](Reconnect::max_delay). Default: 100 ms.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The longest wait between two attempts. Default: 5 s.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// How many attempts in a row may fail before the client gives up (at least 1;
    /// `u32::MAX` for, in effect, no limit). Default: 10.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Whether each wait is drawn at random between half of it and all of it. Default:
    /// `true`.
    pub fn jitter(mut self, enabled: bool) -> Self {
        self.jitter = enabled;
        self
    }

    /// Whether the calls still unanswered when the server closes the connection with code
    /// 1001 (going away, as a server does when it shuts down) are sent again on the new
    /// connection, instead of failing with
    /// [`ClientError::ConnectionClosed`](crate::client::ClientError). Default: `false`.
    ///
    /// Turn it on for servers that answer every call they have read before they close with
    /// 1001, as this crate's server does when it drains: a call still unanswered at that
    /// close was never run, so sending it again runs it once, and a rolling restart loses no
    /// call. A server that closes with 1001 while dropping calls it has read would run such a
    /// call twice. When the connection ends any other way (it breaks, or another close code),
    /// the calls in flight fail as before: the server may or may not have run them.
    pub fn resend_on_going_away(mut self, enabled: bool) -> Self {
        self.resend_on_going_away = enabled;
        self
    }

    pub(super) fn resends_on_going_away(&self) -> bool {
        self.resend_on_going_away
    }

    pub(super) fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before attempt `attempt` (1 for the first).
    pub(super) fn delay(&self, attempt: u32) -> Duration {
        if attempt <= 1 {
            return Duration::ZERO;
        }
        let doublings = (attempt - 2).min(31);
        let delay = self
            .initial_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay.max(self.initial_delay));
        if self.jitter {
            delay.mul_f64(0.5 + rand::random::<f64>() / 2.0)
        } else {
            delay
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_ceiling() {
        let policy = Reconnect::new()
            .initial_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(500))
            .jitter(false);
        let delays: Vec<u128> = (1..=6).map(|n| policy.delay(n).as_millis()).collect();
        assert_eq!(delays, [0, 100, 200, 400, 500, 500]);
        assert_eq!(policy.delay(u32::MAX), Duration::from_millis(500));
    }

    #[test]
    fn jitter_stays_within_half_and_all() {
        let policy = Reconnect::new().initial_delay(Duration::from_millis(100));
        for _ in 0..100 {
            let delay = policy.delay(2);
            assert!(delay >= Duration::from_millis(50) && delay <= Duration::from_millis(100));
        }
    }
}
