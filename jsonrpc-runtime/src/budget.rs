//! The memory budget of the HTTP transport: the bytes of request bodies being read and of
//! answers waiting to be written, across all connections and per connection.
//!
//! A request takes from the budget as its body arrives and gives back when its call is over;
//! its answer takes from it when it is made and gives back when the transport has written it
//! (the reservation travels inside the response's [`Bytes`], which hyper drops once written).
//! What does not fit is refused with 503 rather than buffered. Bodies and answers of at most
//! [`UNCOUNTED_BYTES`] are not counted: they are no bigger than the buffers every connection
//! has anyway, and counting them would put two shared atomic updates on every small call.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;

/// The default memory budget of a server, across all connections: 256 MiB.
pub const DEFAULT_MEMORY_BUDGET: usize = 256 * 1024 * 1024;

/// The default memory budget of one connection: 32 MiB (a request body and its answer at the
/// default limits, with room to spare; HTTP/2 streams of one connection share it).
pub const DEFAULT_CONNECTION_MEMORY_BUDGET: usize = 32 * 1024 * 1024;

/// Bodies and answers up to this size are not counted against a budget.
pub(crate) const UNCOUNTED_BYTES: usize = 8 * 1024;

/// A number of bytes that may be held at once.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    used: AtomicUsize,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Budget {
            limit,
            used: AtomicUsize::new(0),
        })
    }

    /// Takes `bytes` when they fit.
    fn take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    fn give(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }

    /// The bytes held now.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

/// The budgets one request counts against: the server's and its connection's, either absent.
#[derive(Clone, Default, Debug)]
pub(crate) struct Budgets {
    pub(crate) total: Option<Arc<Budget>>,
    pub(crate) connection: Option<Arc<Budget>>,
}

/// The request did not fit its budget.
#[derive(Debug)]
pub(crate) struct OverBudget;

impl Budgets {
    /// An empty reservation against these budgets.
    pub(crate) fn reserve(&self) -> Held {
        Held {
            budgets: self.clone(),
            bytes: 0,
        }
    }

    /// `answer` as response bytes that hold their share of the budget until written; `Err`
    /// (with the answer dropped) when it does not fit.
    pub(crate) fn answer(&self, answer: Vec<u8>) -> Result<Bytes, OverBudget> {
        if answer.len() <= UNCOUNTED_BYTES || self.is_unlimited() {
            return Ok(Bytes::from(answer));
        }
        let mut held = self.reserve();
        held.grow_to(answer.len())?;
        Ok(Bytes::from_owner(HeldBytes {
            bytes: answer,
            _held: held,
        }))
    }

    fn is_unlimited(&self) -> bool {
        self.total.is_none() && self.connection.is_none()
    }
}

/// Bytes taken from [`Budgets`], given back on drop.
#[derive(Debug)]
pub(crate) struct Held {
    budgets: Budgets,
    bytes: usize,
}

impl Held {
    /// Holds `bytes` in all (more than held so far); nothing while they are few.
    pub(crate) fn grow_to(&mut self, bytes: usize) -> Result<(), OverBudget> {
        if bytes <= UNCOUNTED_BYTES || bytes <= self.bytes {
            return Ok(());
        }
        let more = bytes - self.bytes;
        let Budgets { total, connection } = &self.budgets;
        if let Some(total) = total {
            if !total.take(more) {
                return Err(OverBudget);
            }
        }
        if let Some(connection) = connection {
            if !connection.take(more) {
                if let Some(total) = total {
                    total.give(more);
                }
                return Err(OverBudget);
            }
        }
        self.bytes = bytes;
        Ok(())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.bytes == 0 {
            return;
        }
        for budget in [&self.budgets.total, &self.budgets.connection]
            .into_iter()
            .flatten()
        {
            budget.give(self.bytes);
        }
    }
}

/// An answer and the share of the budget it holds.
struct HeldBytes {
    bytes: Vec<u8>,
    _held: Held,
}

impl AsRef<[u8]> for HeldBytes {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_what_fits_and_gives_it_back() {
        let budgets = Budgets {
            total: Some(Budget::new(100_000)),
            connection: Some(Budget::new(50_000)),
        };
        let mut first = budgets.reserve();
        first.grow_to(40_000).unwrap();
        let mut second = budgets.reserve();
        // Over the connection's share, though the total would have room.
        assert!(second.grow_to(20_000).is_err());
        assert_eq!(budgets.total.as_ref().unwrap().used(), 40_000);
        second.grow_to(10_000).unwrap();
        drop(first);
        drop(second);
        assert_eq!(budgets.total.as_ref().unwrap().used(), 0);
        assert_eq!(budgets.connection.as_ref().unwrap().used(), 0);
    }

    #[test]
    fn small_amounts_are_not_counted() {
        let budgets = Budgets {
            total: Some(Budget::new(10)),
            connection: None,
        };
        let mut held = budgets.reserve();
        held.grow_to(UNCOUNTED_BYTES).unwrap();
        assert_eq!(budgets.total.as_ref().unwrap().used(), 0);
        assert!(budgets.answer(vec![b'x'; 100]).is_ok());
        assert!(budgets.answer(vec![b'x'; UNCOUNTED_BYTES + 1]).is_err());
    }

    #[test]
    fn an_answer_holds_its_bytes_until_dropped() {
        let budgets = Budgets {
            total: Some(Budget::new(1 << 20)),
            connection: None,
        };
        let answer = budgets.answer(vec![b'x'; 100_000]).unwrap();
        let copy = answer.clone();
        drop(answer);
        assert_eq!(budgets.total.as_ref().unwrap().used(), 100_000);
        drop(copy);
        assert_eq!(budgets.total.as_ref().unwrap().used(), 0);
    }
}
