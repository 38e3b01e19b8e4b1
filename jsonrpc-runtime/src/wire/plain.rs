//! Finding where a string's plain run ends: the first byte that a JSON string cannot hold as it
//! is (a quote, a backslash, a control character). The scanner reads strings up to that byte,
//! and the response writer copies results that have none without escaping them.
//!
//! Eight bytes are looked at a time, as one `u64`: names, methods and short results are mostly
//! 4-16 bytes, where a byte-at-a-time loop costs about 6 instructions a byte.

/// `byte` repeated in every byte of a word.
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

const ONES: u64 = splat(0x01);
const HIGH_BITS: u64 = splat(0x80);

/// The high bit of each byte of `word` that is below `limit` (at most 0x80), exact for the
/// lowest such byte: a borrow can only mark bytes above one that is truly below.
#[inline]
fn bytes_below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(splat(limit)) & !word & HIGH_BITS
}

/// The high bit of each byte of `word` equal to `byte`, exact for the lowest such byte.
#[inline]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let zeroed = word ^ splat(byte);
    zeroed.wrapping_sub(ONES) & !zeroed & HIGH_BITS
}

/// The index of the first byte of `bytes` that a JSON string must escape (below 0x20, a quote,
/// a backslash), if any.
///
/// The first word is looked at in line: most names, methods and short strings end in it. The
/// rest of a longer text, and a text shorter than a word, out of line.
#[inline]
pub(crate) fn first_special(bytes: &[u8]) -> Option<usize> {
    match bytes.first_chunk::<8>() {
        Some(first) => match first_marked(u64::from_le_bytes(*first)) {
            Some(index) => Some(index),
            None => first_special_after_word(bytes),
        },
        None => first_special_in_short(bytes),
    }
}

/// [`first_special`] for a text of at least a word whose first word is plain.
#[inline(never)]
fn first_special_after_word(bytes: &[u8]) -> Option<usize> {
    let mut at = 8;
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        if let Some(index) = first_marked(u64::from_le_bytes(*chunk)) {
            return Some(at + index);
        }
        at += 8;
    }
    if at == bytes.len() {
        return None;
    }
    // The last word overlaps bytes already found plain, so what it marks first is the first.
    let start = bytes.len() - 8;
    let last = bytes.last_chunk::<8>()?;
    first_marked(u64::from_le_bytes(*last)).map(|index| start + index)
}

/// [`first_special`] for a text shorter than a word: padded with a plain byte, looked at in
/// one go.
#[inline(never)]
fn first_special_in_short(bytes: &[u8]) -> Option<usize> {
    let mut word = [b'a'; 8];
    word.get_mut(..bytes.len())?.copy_from_slice(bytes);
    first_marked(u64::from_le_bytes(word))
}

/// Writes `text` as a JSON string, between quotes, when it has nothing a JSON string must
/// escape: `true`. `false`, with nothing written, when it has.
#[inline]
pub(crate) fn push_plain_string(bytes: &mut Vec<u8>, text: &str) -> bool {
    if first_special(text.as_bytes()).is_some() {
        return false;
    }
    bytes.reserve(text.len() + 2);
    bytes.push(b'"');
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(b'"');
    true
}

/// The place of the first special byte of a word read little-endian (so that the lowest marked
/// bit is the first byte in text order).
#[inline]
fn first_marked(word: u64) -> Option<usize> {
    let marks = bytes_below(word, 0x20) | bytes_equal(word, b'"') | bytes_equal(word, b'\\');
    (marks != 0).then(|| (marks.trailing_zeros() / 8) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn byte_by_byte(bytes: &[u8]) -> Option<usize> {
        bytes
            .iter()
            .position(|&byte| byte < 0x20 || byte == b'"' || byte == b'\\')
    }

    #[test]
    fn finds_the_first_special_byte_at_every_place_and_of_every_kind() {
        // Every byte value, at every place of texts of 1 to 20 bytes (shorter than a word, a
        // word, and longer), over plain bytes of several kinds (ASCII, bytes just above the
        // control range, and non-ASCII bytes with the high bit set).
        for filler in [b'a', b' ', 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']'] {
            for len in 1..=20 {
                assert_eq!(
                    first_special(&vec![filler; len]),
                    None,
                    "{len} × {filler:#x}"
                );
                for place in 0..len {
                    for byte in 0..=255u8 {
                        let mut text = vec![filler; len];
                        text[place] = byte;
                        assert_eq!(
                            first_special(&text),
                            byte_by_byte(&text),
                            "byte {byte:#x} at {place} of {len} among {filler:#x}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn reports_the_first_of_several_and_none_for_plain_text() {
        assert_eq!(first_special(b"abcdefgh\"ij\\kl"), Some(8));
        // A byte that borrows in the arithmetic (0x00) before a quote.
        assert_eq!(first_special(b"ab\x00\"efghij"), Some(2));
        assert_eq!(first_special(b"abc\\\x01\"ghijkl"), Some(3));
        assert_eq!(first_special("plain text, ünïcödé too".as_bytes()), None);
        assert_eq!(first_special(b""), None);
        assert_eq!(first_special(b"\""), Some(0));
    }
}
