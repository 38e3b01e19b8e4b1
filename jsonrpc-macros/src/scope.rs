//! Where the attribute stands: in a module or a block, or in the body of an `impl` or `trait`.
//!
//! An attribute macro sees only its item, and a function of an `impl` block that neither takes
//! `self` nor names `Self` reads like a free function. Its generated module items would then be
//! parsed as associated items, and rustc would report each of them ("module is not supported in
//! `trait`s or `impl`s", ...) without saying why. No token the macro emits can be both a module
//! item and an associated item, so the macro looks at the source file around the attribute
//! instead, and when the attribute stands directly in an `impl` or `trait` body, reports that
//! one error itself.
//!
//! This is best effort and only ever adds that error: when the location is unknown (compilers
//! before 1.88 give none to macros, nor may an IDE), or the text there is not the attribute
//! (code written by another macro), the answer is "no" and the expansion is the usual one.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use proc_macro2::Span;

/// The files read so far, with their groups: a file is scanned once, however many attributes it
/// holds. Its text is kept to tell when it has changed (an IDE's macro server lives long).
static SCANNED: Mutex<BTreeMap<PathBuf, (String, Vec<Group>)>> = Mutex::new(BTreeMap::new());

/// Whether the attribute being expanded stands directly in the body of an `impl` or `trait`.
pub fn attribute_in_impl_or_trait() -> bool {
    let span = Span::call_site();
    let (Some(path), Some(attribute)) = (span.local_file(), span.source_text()) else {
        return false;
    };
    let start = span.start();
    let Ok(source) = std::fs::read_to_string(&path) else {
        return false;
    };
    let Some(at) = offset(&source, start.line, start.column) else {
        return false;
    };
    if !source[at..].starts_with(&attribute) {
        return false;
    }
    let mut scanned = SCANNED.lock().unwrap_or_else(PoisonError::into_inner);
    let (text, groups) = scanned.entry(path).or_default();
    if *text != source {
        *groups = groups_of(&source);
        *text = source;
    }
    innermost_is_impl_or_trait(groups, at)
}

/// The byte offset of a 1-based line and a 0-based column counted in characters.
fn offset(source: &str, line: usize, column: usize) -> Option<usize> {
    let line_start = if line == 1 {
        0
    } else {
        source.match_indices('\n').nth(line.checked_sub(2)?)?.0 + 1
    };
    let rest = &source[line_start..];
    let within = rest
        .char_indices()
        .map(|(at, _)| at)
        .chain(std::iter::once(rest.len()))
        .nth(column)?;
    Some(line_start + within)
}

/// What the item being read at one level is, from its first keyword.
#[derive(Clone, Copy, PartialEq)]
enum Header {
    /// Nothing yet but attributes, `pub` and the like.
    Start,
    /// An `impl` or a `trait`: its next `{` opens the body.
    ImplOrTrait,
    Other,
}

/// A `{ ... }`, `( ... )` or `[ ... ]`, by byte offsets.
struct Group {
    open: usize,
    /// The offset of the closing bracket, or the file's length if there is none.
    close: usize,
    /// The group this one is in.
    parent: Option<usize>,
    impl_or_trait_body: bool,
}

/// Whether the innermost group around byte `at` is the body of an `impl` or a `trait`.
fn innermost_is_impl_or_trait(groups: &[Group], at: usize) -> bool {
    // The groups are in the order they open: the last to open before `at`, or one of the
    // groups it is in, is the innermost.
    let mut candidate = groups
        .partition_point(|group| group.open < at)
        .checked_sub(1);
    while let Some(index) = candidate {
        let group = &groups[index];
        if group.close > at {
            return group.impl_or_trait_body;
        }
        candidate = group.parent;
    }
    false
}

/// The groups of a source file, in the order they open. A small lexer: comments, string and
/// char literals are skipped, so that the brackets counted are the code's own; each group
/// remembers whether the item it opens is an `impl` or a `trait`.
fn groups_of(source: &str) -> Vec<Group> {
    let bytes = source.as_bytes();
    let mut groups: Vec<Group> = Vec::new();
    // The groups still open, each with the header of the level it interrupts.
    let mut open: Vec<(usize, Header)> = Vec::new();
    let mut header = Header::Start;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        let next = bytes.get(at + 1).copied();
        at = match byte {
            b'/' if next == Some(b'/') => line_end(bytes, at),
            b'/' if next == Some(b'*') => block_comment_end(bytes, at),
            b'"' => string_end(bytes, at + 1),
            b'\'' => quote_end(source, at),
            b'{' | b'(' | b'[' => {
                open.push((groups.len(), header));
                groups.push(Group {
                    open: at,
                    close: bytes.len(),
                    parent: open.len().checked_sub(2).map(|outer| open[outer].0),
                    impl_or_trait_body: byte == b'{' && header == Header::ImplOrTrait,
                });
                header = Header::Start;
                at + 1
            }
            b'}' | b')' | b']' => {
                let outer = match open.pop() {
                    Some((index, outer)) => {
                        groups[index].close = at;
                        outer
                    }
                    None => Header::Start,
                };
                // A `}` ends an item or a block; a `)` or `]` is inside one.
                header = if byte == b'}' { Header::Start } else { outer };
                at + 1
            }
            b';' => {
                header = Header::Start;
                at + 1
            }
            b'#' | b'!' => at + 1,
            byte if byte.is_ascii_whitespace() => at + 1,
            byte if is_ident_byte(byte) => {
                let end = ident_end(bytes, at);
                let word = &source[at..end];
                match literal_prefix_end(source, word, end) {
                    Some(literal_end) => {
                        header.other();
                        literal_end
                    }
                    None => {
                        header.word(word);
                        end
                    }
                }
            }
            _ => {
                header.other();
                at + 1
            }
        };
    }
    groups
}

impl Header {
    fn word(&mut self, word: &str) {
        if *self == Header::Start {
            *self = match word {
                "pub" | "unsafe" | "default" | "auto" => Header::Start,
                "impl" | "trait" => Header::ImplOrTrait,
                _ => Header::Other,
            };
        }
    }

    fn other(&mut self) {
        if *self == Header::Start {
            *self = Header::Other;
        }
    }
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || !byte.is_ascii()
}

fn ident_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && is_ident_byte(bytes[at]) {
        at += 1;
    }
    at
}

fn line_end(bytes: &[u8], at: usize) -> usize {
    bytes[at..]
        .iter()
        .position(|&byte| byte == b'\n')
        .map_or(bytes.len(), |n| at + n)
}

/// Past a `/* ... */`, which may nest.
fn block_comment_end(bytes: &[u8], mut at: usize) -> usize {
    let mut depth = 0;
    while at < bytes.len() {
        match (bytes[at], bytes.get(at + 1)) {
            (b'/', Some(b'*')) => {
                depth += 1;
                at += 2;
            }
            (b'*', Some(b'/')) => {
                depth -= 1;
                at += 2;
                if depth == 0 {
                    return at;
                }
            }
            _ => at += 1,
        }
    }
    at
}

/// Past the closing `"` of a string whose contents start at `at`.
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    at
}

/// Past a raw string whose `#`s start at `at`: `#"..."#`.
fn raw_string_end(bytes: &[u8], at: usize) -> usize {
    let hashes = bytes[at..].iter().take_while(|&&byte| byte == b'#').count();
    let mut at = at + hashes + 1;
    while at < bytes.len() {
        let closing_hashes = bytes[at + 1..].iter().take_while(|&&byte| byte == b'#');
        if bytes[at] == b'"' && closing_hashes.take(hashes).count() == hashes {
            return at + 1 + hashes;
        }
        at += 1;
    }
    at
}

/// Past a char literal (`'x'`, `'\n'`), or past the `'` of a lifetime or label.
fn quote_end(source: &str, at: usize) -> usize {
    let bytes = source.as_bytes();
    if bytes.get(at + 1) == Some(&b'\\') {
        let close = bytes[at + 3..].iter().position(|&byte| byte == b'\'');
        return close.map_or(bytes.len(), |n| at + 3 + n + 1);
    }
    match source[at + 1..].chars().next() {
        Some(c) if bytes.get(at + 1 + c.len_utf8()) == Some(&b'\'') => at + 1 + c.len_utf8() + 1,
        _ => at + 1,
    }
}

/// After a `b`, `c`, `r`, `br` or `cr` that starts a literal (`b"..."`, `r#"..."#`, `b'x'`),
/// the end of that literal.
fn literal_prefix_end(source: &str, word: &str, end: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    let next = bytes.get(end).copied();
    match (word, next) {
        ("b" | "c", Some(b'"')) => Some(string_end(bytes, end + 1)),
        ("b", Some(b'\'')) => Some(quote_end(source, end)),
        ("r" | "br" | "cr", Some(b'"')) => Some(raw_string_end(bytes, end)),
        ("r" | "br" | "cr", Some(b'#')) => {
            let hashes = bytes[end..]
                .iter()
                .take_while(|&&byte| byte == b'#')
                .count();
            match bytes.get(end + hashes) {
                Some(b'"') => Some(raw_string_end(bytes, end)),
                // `r#impl`, a raw identifier: never a keyword.
                _ if word == "r" => Some(ident_end(bytes, end + 1)),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_impl(source: &str) -> bool {
        let at = source
            .find("#[method]")
            .expect("the test source has the attribute");
        innermost_is_impl_or_trait(&groups_of(source), at)
    }

    #[test]
    fn tells_impl_and_trait_bodies_from_modules_and_blocks() {
        assert!(in_impl("impl Counter { #[method] fn count() {} }"));
        assert!(in_impl(
            "impl<T> Tr for [T; 3] where T: Fn() -> u8 { #[method] fn f() {} }"
        ));
        assert!(in_impl(
            "#[cfg(x)] pub(crate) unsafe trait Tr { #[method] fn f(); }"
        ));
        assert!(in_impl(
            "impl A { fn a() {} const X: u8 = 1; #[method] fn f() {} }"
        ));
        assert!(!in_impl("#[method] fn f() {}"));
        assert!(!in_impl("impl A {} #[method] fn f() {}"));
        assert!(!in_impl("mod m { impl A { } #[method] fn f() {} }"));
        assert!(!in_impl("fn g() -> impl Fn() { #[method] fn f() {} }"));
        assert!(!in_impl("impl A { fn g() { #[method] fn f() {} } }"));
        assert!(!in_impl("struct r#impl; mod m { #[method] fn f() {} }"));
        assert!(!in_impl(
            "impl A { fn g() {} } fn h() { [0; 2]; } #[method] fn f() {}"
        ));
        assert!(in_impl(
            "impl A { fn g() { [0; 2]; } #[method] fn f() {} fn h() {} }"
        ));
        assert!(!in_impl(
            "impl A { fn g() {} } fn h() { [0; 2]; } #[method] fn f() {}"
        ));
        assert!(in_impl(
            "impl A { fn g() { [0; 2]; } #[method] fn f() {} fn h() {} }"
        ));
    }

    #[test]
    fn skips_comments_strings_and_chars() {
        assert!(!in_impl("// impl A {\n#[method] fn f() {}"));
        assert!(!in_impl("/* impl A { /* } */ */ #[method] fn f() {}"));
        assert!(in_impl(
            "impl A { const S: &str = \"}\\\"}\"; #[method] fn f() {} }"
        ));
        assert!(in_impl(
            "impl A { const S: &str = r#\"}\"#; #[method] fn f() {} }"
        ));
        assert!(in_impl("impl A { const C: char = '}'; const D: u8 = b'}'; const F: u8 = b'\\''; #[method] fn f() {} }"));
        assert!(in_impl(
            "impl<'a> A<'a> { const E: char = '\\''; #[method] fn f() {} }"
        ));
        assert!(in_impl(
            "impl A { const U: char = 'é'; #[method] fn f() {} }"
        ));
    }

    #[test]
    fn finds_a_line_and_column() {
        let source = "ab\nçd\nef";
        assert_eq!(offset(source, 1, 1), Some(1));
        assert_eq!(offset(source, 2, 1), Some(5));
        assert_eq!(offset(source, 3, 0), Some(7));
        assert_eq!(offset(source, 4, 0), None);
    }
}
