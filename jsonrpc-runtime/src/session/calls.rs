//! Requests one side of a connection sends the other (a server asking its client, through
//! [`Peer`](crate::Peer)), and the answers coming back: each waits under its id until the
//! answer with that id arrives, the connection closes, or its caller gives up.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::oneshot;

use crate::Error;

/// The other side's answer: its result as JSON text, or its error.
pub(crate) type Reply = Result<Box<RawValue>, Error>;

/// The requests in flight from this side.
#[derive(Default)]
pub(crate) struct Calls {
    next_id: AtomicU64,
    waiting: Mutex<HashMap<u64, oneshot::Sender<Reply>>>,
    /// `waiting.len()`, read without the lock on every incoming message.
    count: AtomicUsize,
    /// Set once no answer can come any more (the input has ended).
    closed: AtomicBool,
}

impl Calls {
    /// A fresh id and the receiver its answer will come to; `None` once no answer can come.
    pub(crate) fn start(&self) -> Option<(u64, oneshot::Receiver<Reply>)> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (sender, receiver) = oneshot::channel();
        let mut waiting = self.lock();
        // Checked under the lock, so that `close` cannot miss a call started meanwhile.
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        waiting.insert(id, sender);
        self.count.store(waiting.len(), Ordering::Release);
        Some((id, receiver))
    }

    /// Forgets a call whose caller gave up (timed out, or dropped its future).
    pub(crate) fn forget(&self, id: u64) {
        let mut waiting = self.lock();
        waiting.remove(&id);
        self.count.store(waiting.len(), Ordering::Release);
    }

    /// Whether any answer is awaited: only then is an incoming message checked for being one.
    pub(crate) fn expects_replies(&self) -> bool {
        self.count.load(Ordering::Acquire) > 0
    }

    /// Hands an answer to its call; `false` when no call has that id (it gave up, or the other
    /// side made the id up).
    pub(crate) fn answer(&self, id: u64, reply: Reply) -> bool {
        let sender = {
            let mut waiting = self.lock();
            let sender = waiting.remove(&id);
            self.count.store(waiting.len(), Ordering::Release);
            sender
        };
        match sender {
            Some(sender) => {
                let _ = sender.send(reply);
                true
            }
            None => false,
        }
    }

    /// Fails every call, and every call started from now on: no answer can come any more
    /// (the input has ended, or the connection has closed).
    pub(crate) fn close(&self) {
        let mut waiting = self.lock();
        self.closed.store(true, Ordering::Release);
        // Dropping the senders wakes each caller with "closed".
        waiting.clear();
        self.count.store(0, Ordering::Release);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Reply>>> {
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An error object as the other side sent it.
#[derive(Deserialize)]
struct ErrorObject {
    code: i32,
    message: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

/// Reads `bytes` as an answer to one of this side's requests: `Some((id, reply))` for a
/// response object with a numeric id, `None` for anything else (requests, notifications,
/// batches), which the dispatcher then answers as usual.
pub(crate) fn read_reply(bytes: &[u8]) -> Option<(u64, Reply)> {
    // Raw values keep `"result": null` apart from a missing result.
    let members: HashMap<Cow<'_, str>, &RawValue> = serde_json::from_slice(bytes).ok()?;
    if members.contains_key("method") {
        return None;
    }
    let id: u64 = serde_json::from_str(members.get("id")?.get()).ok()?;
    if let Some(error) = members.get("error") {
        let reply = match serde_json::from_str::<ErrorObject>(error.get()) {
            Ok(error) => {
                let mut converted = Error::new(error.code, error.message);
                if let Some(data) = error.data {
                    converted = converted.with_data(data);
                }
                Err(converted)
            }
            Err(_) => Err(Error::internal_error()
                .with_data("the other side answered with an error that is not an error object")),
        };
        return Some((id, reply));
    }
    let result = members.get("result")?;
    Some((id, Ok((*result).to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_told_from_requests() {
        let (id, reply) = read_reply(br#"{"jsonrpc":"2.0","result":null,"id":3}"#).unwrap();
        assert_eq!((id, reply.unwrap().get()), (3, "null"));
        let (_, reply) = read_reply(
            br#"{"jsonrpc":"2.0","error":{"code":-1,"message":"no","data":[1]},"id":4}"#,
        )
        .unwrap();
        let error = reply.unwrap_err();
        assert_eq!((error.code(), error.message()), (-1, "no"));
        assert!(read_reply(br#"{"jsonrpc":"2.0","method":"x","id":3}"#).is_none());
        assert!(read_reply(br#"{"jsonrpc":"2.0","result":{"method":1},"id":"a"}"#).is_none());
        assert!(read_reply(br#"[{"jsonrpc":"2.0","result":1,"id":3}]"#).is_none());
    }

    #[test]
    fn answers_reach_their_call_once() {
        let calls = Calls::default();
        let (id, mut receiver) = calls.start().unwrap();
        assert!(calls.expects_replies());
        assert!(calls.answer(id, Ok(RawValue::from_string("1".into()).unwrap())));
        assert!(!calls.answer(id, Ok(RawValue::from_string("2".into()).unwrap())));
        assert_eq!(receiver.try_recv().unwrap().unwrap().get(), "1");
        assert!(!calls.expects_replies());
        let (_, mut pending) = calls.start().unwrap();
        calls.close();
        assert!(
            pending.try_recv().is_err(),
            "a pending call fails when the input ends"
        );
        assert!(calls.start().is_none(), "and no new call starts");
    }
}
