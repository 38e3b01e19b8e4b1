//! Writing a batch response as its answers come in.
//!
//! Answers are written into the response array the moment every request before them is
//! answered, which for a batch of calls that complete at once is the moment each is made: the
//! answer's own buffer is freed straight away and reused by the next call, so a batch of
//! 10,000 costs per call what a batch of 10 does, and holds one buffer rather than one per
//! answer. Only the answers that come in behind a call still running wait, in order, until it
//! is answered.

use std::collections::VecDeque;

use crate::wire::budget::Holding;
use crate::wire::request::{Entry, RawJson};
use crate::wire::response::{error, push_answer, push_id, Answer};
use crate::Error;

/// The response array is first given room for this many bytes per request, up to
/// [`MAX_FIRST_CAPACITY`]: about what the answer to a short call takes, so that a batch of
/// such calls is written without growing the array.
const FIRST_CAPACITY_PER_REQUEST: usize = 48;

/// The most room the response array is given before any answer is in: a batch of
/// notifications answers nothing, and must not cost a large buffer.
const MAX_FIRST_CAPACITY: usize = 64 * 1024;

/// A batch response as its answers come in: the answers in the order of the requests, and the
/// size of the array they make, kept within the size limit.
pub(crate) struct Batch<'a> {
    /// The array so far: the answers of the first `written` requests, each after its `[` or
    /// `,` (a notification adds nothing). The closing `]` is added by [`finish`](Self::finish).
    bytes: Vec<u8>,
    /// How many requests, from the first, `bytes` holds the answers of.
    written: usize,
    /// The requests started after those: each one's answer, or `Running` while its call runs.
    /// The front is always `Running`, or the queue is empty.
    waiting: VecDeque<Slot<'a>>,
    /// The bytes of the whole array with every answer in so far (written or waiting),
    /// separators and the closing `]` included.
    size: usize,
    max_size: usize,
    /// The memory budget the answers held so far count against, over HTTP.
    budget: Option<Holding<'a>>,
    /// Stopped by the budget rather than by the size limit.
    over_budget: bool,
}

/// A started request whose answer cannot be written yet.
enum Slot<'a> {
    /// Its call is running.
    Running,
    /// Answered (`None` for a notification), behind a call still running.
    Answered(Option<Answer<'a>>),
}

/// What a request adds to a batch stopped at the limit.
enum Piece<'a> {
    /// The answer it got.
    Answer(Answer<'a>),
    /// The short error of a call never answered, with this id.
    Stopped(RawJson<'a>),
    /// A complete error response.
    Bytes(Vec<u8>),
}

impl Piece<'_> {
    /// Its bytes in the array; a short error's head is `stopped` bytes long.
    fn size(&self, stopped: usize) -> usize {
        match self {
            Piece::Answer(answer) => answer.size(),
            Piece::Stopped(id) => stopped + r#","id":}"#.len() + id.get().len(),
            Piece::Bytes(bytes) => bytes.len(),
        }
    }
}

/// An answer would have made a batch response larger than the size limit (or than the memory
/// budget has room for); it was dropped.
pub(crate) struct OverLimit;

impl<'a> Batch<'a> {
    /// An empty batch response for `len` requests, at most `max_size` bytes, held against
    /// `budget` as they come in.
    pub(crate) fn new(len: usize, max_size: usize, budget: Option<Holding<'a>>) -> Self {
        let capacity = len
            .saturating_mul(FIRST_CAPACITY_PER_REQUEST)
            .min(MAX_FIRST_CAPACITY)
            .min(max_size);
        Batch {
            bytes: Vec::with_capacity(capacity),
            written: 0,
            waiting: VecDeque::new(),
            size: 1,
            max_size,
            budget,
            over_budget: false,
        }
    }

    /// How many requests have been started.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.written + self.waiting.len()
    }

    /// Places the answer of the next request (`None` for a notification).
    #[inline]
    pub(crate) fn push(&mut self, answer: Option<Answer<'a>>) -> Result<(), OverLimit> {
        if let Some(answer) = &answer {
            self.count(answer)?;
        }
        if self.waiting.is_empty() {
            self.write(answer);
        } else {
            self.waiting.push_back(Slot::Answered(answer));
        }
        Ok(())
    }

    /// Keeps the place of the next request, whose call is still running.
    #[inline]
    pub(crate) fn push_running(&mut self) {
        self.waiting.push_back(Slot::Running);
    }

    /// Places the answer of the running call of request `index`, and writes every answer that
    /// was waiting for it.
    pub(crate) fn set(
        &mut self,
        index: usize,
        answer: Option<Answer<'a>>,
    ) -> Result<(), OverLimit> {
        if let Some(answer) = &answer {
            self.count(answer)?;
        }
        self.waiting[index - self.written] = Slot::Answered(answer);
        while let Some(Slot::Answered(_)) = self.waiting.front() {
            if let Some(Slot::Answered(answer)) = self.waiting.pop_front() {
                self.write(answer);
            }
        }
        Ok(())
    }

    /// Writes the answer of request `written` into the array.
    #[inline]
    fn write(&mut self, answer: Option<Answer<'a>>) {
        self.written += 1;
        if let Some(answer) = answer {
            self.bytes
                .push(if self.bytes.is_empty() { b'[' } else { b',' });
            push_answer(&mut self.bytes, answer);
        }
    }

    /// Adds `answer` to the size, unless that takes the size past the limit.
    #[inline]
    fn count(&mut self, answer: &Answer<'_>) -> Result<(), OverLimit> {
        let size = self.size + 1 + answer.size();
        if size > self.max_size {
            return Err(OverLimit);
        }
        if let Some(Holding { budgets, held }) = &mut self.budget {
            if held.grow_to(budgets, size).is_err() {
                self.over_budget = true;
                return Err(OverLimit);
            }
        }
        self.size = size;
        Ok(())
    }

    /// The array of the answers, or nothing when every request was a notification. Called once
    /// every request is answered.
    pub(crate) fn finish(mut self) -> Option<Vec<u8>> {
        debug_assert!(self.waiting.is_empty(), "every call has answered");
        if self.bytes.is_empty() {
            return None;
        }
        // Exactly: a full buffer would otherwise double for one byte.
        self.bytes.reserve_exact(1);
        self.bytes.push(b']');
        debug_assert_eq!(self.bytes.len(), self.size, "the size is exact");
        Some(self.bytes)
    }

    /// The array for a batch stopped at the size limit: the answers in, and for every other
    /// request of `entries` that expects one, a short -32603 error with its id (an invalid
    /// request object gets its -32600, as ever).
    #[cold]
    pub(crate) fn over_limit(self, entries: &[Entry<'_>]) -> Vec<u8> {
        let reason = if self.over_budget {
            "the batch's answers grew past what the server's memory budget has room for".to_owned()
        } else {
            format!(
                "the batch's response grew past the limit of {} bytes",
                self.max_size
            )
        };
        let mut stopped = error(&Error::internal_error().with_data(reason), None);
        // Up to the id, which is each request's own.
        stopped.truncate(stopped.len() - br#","id":null}"#.len());
        let invalid = |id, reason: &str| error(&Error::invalid_request().with_data(reason), id);

        let Batch {
            mut bytes,
            written,
            waiting,
            ..
        } = self;
        // What each request not written yet adds: its answer if it came in, otherwise the short
        // error (or, for an invalid request object, its -32600); a notification adds nothing.
        let mut waiting = waiting.into_iter();
        let rest: Vec<Piece<'_>> = (entries[written..].iter())
            .filter_map(|entry| match (waiting.next(), entry) {
                (Some(Slot::Answered(answer)), _) => answer.map(Piece::Answer),
                (_, Entry::Call(request)) => request.id.map(Piece::Stopped),
                (_, Entry::Invalid { id, reason }) => Some(Piece::Bytes(invalid(*id, reason))),
            })
            .collect();
        // Grown once, to its final size (a copy grown past the limit step by step would be twice
        // as large while it moves).
        let tail: usize = (rest.iter())
            .map(|piece| 1 + piece.size(stopped.len()))
            .sum();
        bytes.reserve_exact(tail + 1);
        for piece in rest {
            bytes.push(if bytes.is_empty() { b'[' } else { b',' });
            match piece {
                Piece::Answer(answer) => push_answer(&mut bytes, answer),
                Piece::Stopped(id) => {
                    bytes.extend_from_slice(&stopped);
                    push_id(&mut bytes, Some(id));
                }
                Piece::Bytes(error) => bytes.extend_from_slice(&error),
            }
        }
        bytes.push(b']');
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::request::{parse, Message, RawJson};
    use crate::wire::response::SuccessHead;

    /// The entries of a batch body.
    fn entries(body: &[u8]) -> Vec<Entry<'_>> {
        let Message::Batch(entries) = parse(body).unwrap() else {
            panic!("a batch")
        };
        entries
    }

    /// The ids of the entries, `None` for a notification or an invalid entry.
    fn ids<'a>(entries: &[Entry<'a>]) -> Vec<Option<RawJson<'a>>> {
        (entries.iter())
            .map(|entry| match entry {
                Entry::Call(request) => request.id,
                Entry::Invalid { .. } => None,
            })
            .collect()
    }

    fn success<'a>(result: &str, id: Option<RawJson<'a>>) -> Option<Answer<'a>> {
        Some(Answer::Success(SuccessHead::raw(result), id.unwrap()))
    }

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn answers_behind_a_running_call_wait_for_it_and_keep_their_order() {
        let entries = entries(
            br#"[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b","id":2},
            {"jsonrpc":"2.0","method":"c","id":3},{"jsonrpc":"2.0","method":"d","id":4}]"#,
        );
        let [one, two, three, four] = ids(&entries)[..] else {
            panic!("four ids")
        };
        let mut batch = Batch::new(5, usize::MAX, None);
        batch.push(success("10", one)).ok().unwrap();
        batch.push_running();
        batch.push(success("30", two)).ok().unwrap();
        batch.push(None).ok().unwrap();
        batch.push_running();
        assert_eq!(batch.len(), 5);
        batch.set(4, success("50", three)).ok().unwrap();
        // Nothing before request 1 is missing any more: everything is written.
        batch.set(1, success("20", four)).ok().unwrap();
        assert!(batch.waiting.is_empty());
        assert_eq!(
            text(batch.finish().unwrap()),
            concat!(
                r#"[{"jsonrpc":"2.0","result":10,"id":1},{"jsonrpc":"2.0","result":20,"id":4},"#,
                r#"{"jsonrpc":"2.0","result":30,"id":2},{"jsonrpc":"2.0","result":50,"id":3}]"#
            )
        );
    }

    #[test]
    fn a_batch_of_notifications_answers_nothing() {
        let mut batch = Batch::new(2, usize::MAX, None);
        batch.push(None).ok().unwrap();
        batch.push_running();
        batch.set(1, None).ok().unwrap();
        assert!(batch.finish().is_none());
    }

    #[test]
    fn a_stopped_batch_keeps_the_answers_in_and_the_order_of_the_rest() {
        let body =
            br#"[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b","id":2},
            {"jsonrpc":"2.0","method":"c","id":3},{"jsonrpc":"2.0","method":"d"},
            {"jsonrpc":"2.0","method":"e","id":5},7]"#;
        let entries = entries(body);
        let ids = ids(&entries);
        let first = success("1", ids[0]);
        // Room for the first and the third answer (the same size), not for the fifth.
        let limit = 1 + 2 * (1 + first.as_ref().unwrap().size()) + 5;
        let mut batch = Batch::new(entries.len(), limit, None);
        batch.push(first).ok().unwrap();
        batch.push_running();
        batch.push(success("3", ids[2])).ok().unwrap();
        // The fourth request (a notification) answers nothing; the fifth is over the limit.
        batch.push(None).ok().unwrap();
        assert!(batch.push(success("5", ids[4])).is_err());
        let response: serde_json::Value =
            serde_json::from_slice(&batch.over_limit(&entries)).unwrap();
        let answers = response.as_array().unwrap();
        let ids: Vec<_> = answers.iter().map(|answer| answer["id"].clone()).collect();
        assert_eq!(
            ids,
            [1, 2, 3, 5]
                .map(serde_json::Value::from)
                .into_iter()
                .chain([serde_json::Value::Null])
                .collect::<Vec<_>>()
        );
        assert_eq!(answers[0]["result"], 1);
        assert_eq!(answers[1]["error"]["code"], -32603);
        assert_eq!(answers[2]["result"], 3);
        assert_eq!(answers[3]["error"]["code"], -32603);
        assert_eq!(answers[4]["error"]["code"], -32600);
    }
}
