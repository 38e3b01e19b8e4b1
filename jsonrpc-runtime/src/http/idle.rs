//! Idle HTTP connections: the idle timeout, and room for new clients at the connection limit.
//!
//! Every connection of the built-in server is listed here with its [`ConnInfo`]. Once a second
//! a sweeper closes the connections that have had no request in flight for the idle timeout;
//! at the connection limit, a new connection closes the one idle for longest (as nginx does)
//! and takes its place. Closing goes through the connection's driver
//! ([`drive`](super::drive)): a graceful shutdown, so no call in flight is cut.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::task::AtomicWaker;

use crate::wire::budget::Budget;

/// How often the sweeper looks for connections idle past the timeout.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// The clock of idleness: whole seconds since the process first asked, moved on by the
/// sweepers once a second, so that the end of every call reads one atomic instead of the
/// system's clock.
static CLOCK: AtomicU32 = AtomicU32::new(0);

fn seconds_now() -> u32 {
    CLOCK.load(Ordering::Relaxed)
}

/// Moves [`CLOCK`] to the time now; every server's sweeper does, and they agree.
fn tick_clock() {
    static START: OnceLock<Instant> = OnceLock::new();
    let elapsed = START.get_or_init(Instant::now).elapsed().as_secs();
    CLOCK.fetch_max(
        u32::try_from(elapsed).unwrap_or(u32::MAX),
        Ordering::Relaxed,
    );
}

/// What a connection's service tells its driver, and the registry reads.
pub(crate) struct ConnInfo {
    requested: AtomicBool,
    http2: AtomicBool,
    in_flight: AtomicUsize,
    /// How many calls have ended (wrapping): the driver's [`HeadDeadline`] sees from it that the
    /// connection began to wait for a new head.
    ///
    /// [`HeadDeadline`]: super::head_deadline::HeadDeadline
    calls_ended: AtomicU32,
    /// [`seconds_now`] when the last call ended, or the connection opened.
    idle_since: AtomicU32,
    /// Asked to close once it is idle: by the sweeper or to make room.
    shed: AtomicBool,
    /// The driver's task, woken when `shed` is set.
    driver: AtomicWaker,
    /// What the connection's requests may hold (HTTP/2 streams share it).
    budget: Option<Arc<Budget>>,
}

impl ConnInfo {
    pub(crate) fn new(budget: Option<Arc<Budget>>) -> Self {
        ConnInfo {
            requested: AtomicBool::new(false),
            http2: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            calls_ended: AtomicU32::new(0),
            idle_since: AtomicU32::new(seconds_now()),
            shed: AtomicBool::new(false),
            driver: AtomicWaker::new(),
            budget,
        }
    }

    /// Called as each request begins; the call counts as in flight until the guard drops.
    pub(crate) fn call_began(self: &Arc<Self>, version: http::Version) -> CallInFlight {
        if !self.requested.load(Ordering::Relaxed) {
            self.http2
                .store(version == http::Version::HTTP_2, Ordering::Relaxed);
            self.requested.store(true, Ordering::Relaxed);
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        CallInFlight(Arc::clone(self))
    }

    pub(crate) fn requested(&self) -> bool {
        self.requested.load(Ordering::Relaxed)
    }

    /// Whether a call is in flight.
    pub(crate) fn is_busy(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) != 0
    }

    /// How many calls have ended, wrapping.
    pub(crate) fn calls_ended(&self) -> u32 {
        self.calls_ended.load(Ordering::Acquire)
    }

    pub(crate) fn is_http2(&self) -> bool {
        self.http2.load(Ordering::Relaxed)
    }

    /// Whether the connection has been asked to close.
    pub(crate) fn is_shed(&self) -> bool {
        self.shed.load(Ordering::Acquire)
    }

    /// Registers the driver's task, to be woken when the connection is asked to close.
    pub(crate) fn register_driver(&self, waker: &std::task::Waker) {
        self.driver.register(waker);
    }

    fn idle_for(&self, now: u32) -> Option<u32> {
        (!self.is_busy()).then(|| now.saturating_sub(self.idle_since.load(Ordering::Relaxed)))
    }

    fn shed(&self) {
        self.shed.store(true, Ordering::Release);
        self.driver.wake();
    }
}

/// A call in flight on a connection; its end starts the connection's idle time.
pub(crate) struct CallInFlight(Arc<ConnInfo>);

impl CallInFlight {
    /// The memory budget of the call's connection.
    pub(crate) fn budget(&self) -> Option<&Arc<Budget>> {
        self.0.budget.as_ref()
    }
}

impl Drop for CallInFlight {
    fn drop(&mut self) {
        self.0.idle_since.store(seconds_now(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.0.calls_ended.fetch_add(1, Ordering::Release);
    }
}

/// The server's open connections.
#[derive(Default)]
pub(crate) struct Registry {
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<ConnInfo>>>,
}

impl Registry {
    /// Lists `info` until the returned guard drops.
    pub(crate) fn enter(self: &Arc<Self>, info: Arc<ConnInfo>) -> Listed {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, info);
        Listed {
            registry: Arc::clone(self),
            id,
        }
    }

    /// Asks the connection idle for longest to close; false when none is idle.
    pub(crate) fn shed_idlest(&self) -> bool {
        let now = seconds_now();
        let open = self.lock();
        // Idle for longest; of those idle as long (the clock counts seconds), the oldest.
        let idlest = open
            .iter()
            .filter(|(_, info)| !info.is_shed())
            .filter_map(|(id, info)| Some((info.idle_for(now)?, std::cmp::Reverse(*id), info)))
            .max_by_key(|(idle, id, _)| (*idle, *id))
            .map(|(idle, _, info)| (idle, info));
        match idlest {
            Some((_, info)) => {
                info.shed();
                true
            }
            None => false,
        }
    }

    /// Asks every connection idle for longer than `timeout` to close. Both ends of an idle
    /// time are read off a clock of whole seconds, so a reading of `n` means more than `n - 1`
    /// seconds: a connection is closed once its reading passes the timeout in whole seconds,
    /// that is after the timeout and within two seconds more.
    fn shed_idle(&self, timeout: Duration) {
        let now = seconds_now();
        let timeout = u32::try_from(timeout.as_millis().div_ceil(1000)).unwrap_or(u32::MAX);
        for info in self.lock().values() {
            if !info.is_shed() && info.idle_for(now).is_some_and(|idle| idle > timeout) {
                info.shed();
            }
        }
    }

    /// Closes idle connections once they pass `timeout`, until dropped.
    pub(crate) fn sweep(self: &Arc<Self>, timeout: Duration) -> Sweeper {
        let registry = Arc::clone(self);
        Sweeper(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                tick_clock();
                registry.shed_idle(timeout);
            }
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnInfo>>> {
        // A panic while holding the lock leaves the map itself intact.
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A connection's place in the [`Registry`].
pub(crate) struct Listed {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Listed {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

/// The sweeper's task; it stops when this drops.
pub(crate) struct Sweeper(tokio::task::JoinHandle<()>);

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheds_an_idle_connection_not_a_busy_one() {
        let registry = Arc::new(Registry::default());
        let busy = Arc::new(ConnInfo::new(None));
        let idle = Arc::new(ConnInfo::new(None));
        let _busy_listed = registry.enter(Arc::clone(&busy));
        let _idle_listed = registry.enter(Arc::clone(&idle));
        let _call = busy.call_began(http::Version::HTTP_11);
        assert!(registry.shed_idlest());
        assert!(idle.is_shed());
        assert!(!busy.is_shed());
        // The only idle one is already asked to close.
        assert!(!registry.shed_idlest());
    }

    #[test]
    fn a_call_ending_makes_its_connection_idle_again() {
        let registry = Arc::new(Registry::default());
        let info = Arc::new(ConnInfo::new(None));
        let listed = registry.enter(Arc::clone(&info));
        let call = info.call_began(http::Version::HTTP_2);
        assert!(info.is_http2());
        // Two seconds pass: a call in flight keeps its connection busy however long.
        CLOCK.fetch_add(2, Ordering::Relaxed);
        registry.shed_idle(Duration::from_secs(1));
        assert!(!info.is_shed());
        drop(call);
        // Idle for less than the reading of a second more: kept.
        registry.shed_idle(Duration::ZERO);
        assert!(!info.is_shed());
        CLOCK.fetch_add(2, Ordering::Relaxed);
        registry.shed_idle(Duration::from_secs(1));
        assert!(info.is_shed());
        drop(listed);
        assert!(registry.lock().is_empty());
    }
}
