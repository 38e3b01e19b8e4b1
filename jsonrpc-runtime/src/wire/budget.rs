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
/// Borrowed: a request that holds nothing (most) touches no reference count.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Budgets<'a> {
    pub(crate) total: Option<&'a Arc<Budget>>,
    pub(crate) connection: Option<&'a Arc<Budget>>,
}

/// The request did not fit its budget.
#[derive(Debug)]
pub(crate) struct OverBudget;

impl Budgets<'_> {
    /// `answer` as response bytes that hold their share of the budget until written, taking
    /// over `held` (what a batch already holds for it); `Err` (with the answer dropped) when it
    /// does not fit. A batch's answer that outgrew what it holds by its short errors is let
    /// through with what it holds.
    pub(crate) fn answer(&self, mut answer: Vec<u8>, mut held: Held) -> Result<Bytes, OverBudget> {
        if answer.len() <= UNCOUNTED_BYTES || self.is_unlimited() {
            return Ok(Bytes::from(answer));
        }
        // Held until written, so what is held should be what is allocated: an answer encoded by
        // doubling a buffer can have twice its size (a reallocation in place, or a remap).
        if answer.capacity() - answer.len() > answer.len() / 8 {
            answer.shrink_to_fit();
        }
        if held.grow_to(self, answer.capacity()).is_err() && held.bytes == 0 {
            return Err(OverBudget);
        }
        Ok(Bytes::from_owner(HeldBytes {
            bytes: answer,
            _held: held,
        }))
    }

    fn is_unlimited(&self) -> bool {
        self.total.is_none() && self.connection.is_none()
    }
}

/// What a batch's answers hold while it runs: taken from `budgets` into `held`, which the
/// transport then hands to the response.
pub(crate) struct Holding<'h> {
    pub(crate) budgets: Budgets<'h>,
    pub(crate) held: &'h mut Held,
}

/// Bytes taken from [`Budgets`], given back on drop.
#[derive(Debug, Default)]
pub(crate) struct Held {
    /// The budgets taken from; set when the first bytes are.
    total: Option<Arc<Budget>>,
    connection: Option<Arc<Budget>>,
    bytes: usize,
}

impl Held {
    /// Holds `bytes` in all from `budgets` (more than held so far); nothing while they are
    /// few.
    pub(crate) fn grow_to(
        &mut self,
        budgets: &Budgets<'_>,
        bytes: usize,
    ) -> Result<(), OverBudget> {
        if bytes <= UNCOUNTED_BYTES || bytes <= self.bytes {
            return Ok(());
        }
        let more = bytes - self.bytes;
        if let Some(total) = budgets.total {
            if !total.take(more) {
                return Err(OverBudget);
            }
        }
        if let Some(connection) = budgets.connection {
            if !connection.take(more) {
                if let Some(total) = budgets.total {
                    total.give(more);
                }
                return Err(OverBudget);
            }
        }
        if self.bytes == 0 {
            self.total = budgets.total.cloned();
            self.connection = budgets.connection.cloned();
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
        for budget in [&self.total, &self.connection].into_iter().flatten() {
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
        let (total, connection) = (Budget::new(100_000), Budget::new(50_000));
        let budgets = Budgets {
            total: Some(&total),
            connection: Some(&connection),
        };
        let mut first = Held::default();
        first.grow_to(&budgets, 40_000).unwrap();
        let mut second = Held::default();
        // Over the connection's share, though the total would have room.
        assert!(second.grow_to(&budgets, 20_000).is_err());
        assert_eq!(total.used(), 40_000);
        second.grow_to(&budgets, 10_000).unwrap();
        drop(first);
        drop(second);
        assert_eq!(total.used(), 0);
        assert_eq!(connection.used(), 0);
    }

    #[test]
    fn small_amounts_are_not_counted() {
        let total = Budget::new(10);
        let budgets = Budgets {
            total: Some(&total),
            connection: None,
        };
        let mut held = Held::default();
        held.grow_to(&budgets, UNCOUNTED_BYTES).unwrap();
        assert_eq!(total.used(), 0);
        assert!(budgets.answer(vec![b'x'; 100], Held::default()).is_ok());
        let big = vec![b'x'; UNCOUNTED_BYTES + 1];
        assert!(budgets.answer(big, Held::default()).is_err());
    }

    #[test]
    fn an_answer_holds_its_bytes_until_dropped() {
        let total = Budget::new(1 << 20);
        let budgets = Budgets {
            total: Some(&total),
            connection: None,
        };
        let answer = budgets
            .answer(vec![b'x'; 100_000], Held::default())
            .unwrap();
        let copy = answer.clone();
        drop(answer);
        assert_eq!(total.used(), 100_000);
        drop(copy);
        assert_eq!(total.used(), 0);
    }
}
