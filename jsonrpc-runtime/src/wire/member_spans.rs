//! Where the members of a params object are, as the scanner found them while it checked the
//! object: so that the params reader can hand members out without walking the object again.

/// How many members an object may have for the scanner to note where they are.
pub(crate) const MAX_SPANNED_MEMBERS: usize = 4;

/// The longest params text (in bytes) whose members are noted: every offset fits a byte.
pub(crate) const MAX_SPANNED_LEN: usize = u8::MAX as usize;

/// For each member of a small params object, the byte offsets (from the start of the params
/// text) of its name's first byte and of its closing quote, and of its value's first and
/// last-plus-one bytes. Names have no escapes: the scanner reads no string that has.
///
/// Seventeen bytes, copied with the params they describe; `None` of [`spans`](Self::spans)
/// when the params are not such an object, or another reader read them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemberSpans {
    members: [[u8; 4]; MAX_SPANNED_MEMBERS],
    /// How many of `members` hold a member, or [`LEN_NOT_NOTED`].
    len: u8,
}

/// `MemberSpans::len` when the members were not noted.
const LEN_NOT_NOTED: u8 = u8::MAX;

impl MemberSpans {
    /// No members noted: the params reader walks the params itself.
    pub(crate) const NOT_NOTED: MemberSpans = MemberSpans {
        members: [[0; 4]; MAX_SPANNED_MEMBERS],
        len: LEN_NOT_NOTED,
    };

    /// The members noted, in the object's order, as `[name start, name end, value start,
    /// value end]`.
    #[inline]
    pub(crate) fn spans(&self) -> Option<&[[u8; 4]]> {
        self.members.get(..usize::from(self.len))
    }
}

/// Notes members as the scanner steps through an object that starts at `base` in the body.
pub(crate) struct SpanRecorder {
    base: usize,
    spans: MemberSpans,
    /// Set when the object has more members than are noted.
    overflow: bool,
}

impl SpanRecorder {
    /// A recorder for an object whose `{` is at `base`.
    #[inline]
    pub(crate) fn new(base: usize) -> Self {
        SpanRecorder {
            base,
            spans: MemberSpans {
                len: 0,
                ..MemberSpans::NOT_NOTED
            },
            overflow: false,
        }
    }

    /// Notes a member whose name runs from `name_start` to `name_end` (its closing quote) and
    /// whose value from `value_start` to `value_end`, all body offsets.
    #[inline]
    pub(crate) fn member(
        &mut self,
        name_start: usize,
        name_end: usize,
        value_start: usize,
        value_end: usize,
    ) {
        let len = usize::from(self.spans.len);
        let Some(slot) = self.spans.members.get_mut(len) else {
            self.overflow = true;
            return;
        };
        // Truncated casts are caught in `finish`: every offset is within the object, and the
        // object is kept only when its whole length fits a byte.
        *slot = [name_start, name_end, value_start, value_end].map(|at| (at - self.base) as u8);
        self.spans.len += 1;
    }

    /// The spans of the object that ended at `end` (after its `}`).
    #[inline]
    pub(crate) fn finish(self, end: usize) -> MemberSpans {
        if self.overflow || end - self.base > MAX_SPANNED_LEN {
            return MemberSpans::NOT_NOTED;
        }
        self.spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_the_members_of_a_small_short_object_only() {
        let mut recorder = SpanRecorder::new(10);
        recorder.member(12, 13, 15, 16);
        assert_eq!(recorder.finish(17).spans(), Some(&[[2, 3, 5, 6]][..]));

        let mut too_long = SpanRecorder::new(10);
        too_long.member(12, 13, 15, 300);
        assert!(too_long.finish(301).spans().is_none());

        let mut too_many = SpanRecorder::new(0);
        for at in 0..=MAX_SPANNED_MEMBERS {
            too_many.member(at * 4, at * 4 + 1, at * 4 + 2, at * 4 + 3);
        }
        assert!(too_many.finish(40).spans().is_none());

        assert_eq!(SpanRecorder::new(3).finish(5).spans(), Some(&[][..]));
        assert!(MemberSpans::NOT_NOTED.spans().is_none());
    }
}
