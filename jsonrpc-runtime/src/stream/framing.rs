//! How messages are cut out of a byte stream: one JSON text per line (MCP's stdio rule), or
//! `Content-Length:` headers (the Language Server Protocol's base protocol). Both refuse a
//! message over the size limit without buffering it.

use bytes::{BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// How messages are delimited on a stream transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    /// One JSON text per line, ended by `\n` (a `\r` before it is dropped); blank lines are
    /// skipped. The Model Context Protocol's stdio transport. Messages the server writes never
    /// contain a raw newline (JSON escapes them in strings).
    #[default]
    Lines,
    /// `Content-Length: N\r\n`, optionally other headers such as `Content-Type`, a blank line,
    /// then exactly N bytes: the base protocol of the Language Server Protocol.
    ContentLength,
}

impl std::str::FromStr for Framing {
    type Err = String;

    /// `lines` or `content-length`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "lines" => Ok(Framing::Lines),
            "content-length" => Ok(Framing::ContentLength),
            other => Err(format!(
                "unknown framing {other:?}: expected `lines` or `content-length`"
            )),
        }
    }
}

/// The longest header section accepted before a `Content-Length` body.
const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Why the bytes on a stream cannot be read as messages. The connection ends after it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FrameError {
    /// A message is longer than the limit; its bytes were not kept.
    #[error("a message is longer than the limit of {limit} bytes")]
    TooLong { limit: usize },
    /// The framing itself is broken.
    #[error("invalid framing: {0}")]
    Invalid(&'static str),
    /// The stream ended in the middle of a message.
    #[error("the stream ended in the middle of a message")]
    Truncated,
    /// Reading failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Decodes and encodes messages in either framing.
pub(crate) struct Codec {
    framing: Framing,
    max_message: usize,
    state: State,
}

enum State {
    /// Lines: how far the current buffer has been searched for a newline.
    Line { searched: usize },
    /// Content-Length: reading the headers.
    Headers,
    /// Content-Length: `remaining` body bytes of a message too long to keep are being skipped.
    Body { length: usize },
}

impl Codec {
    pub(crate) fn new(framing: Framing, max_message: usize) -> Self {
        let state = match framing {
            Framing::Lines => State::Line { searched: 0 },
            Framing::ContentLength => State::Headers,
        };
        Codec {
            framing,
            max_message: max_message.max(1),
            state,
        }
    }

    fn decode_line(&mut self, buffer: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        loop {
            let State::Line { searched } = &mut self.state else {
                unreachable!("a line codec is in the line state")
            };
            let Some(offset) = buffer[*searched..].iter().position(|b| *b == b'\n') else {
                *searched = buffer.len();
                // The line so far is over the limit: refuse it rather than keep reading it.
                if buffer.len() > self.max_message {
                    return Err(FrameError::TooLong {
                        limit: self.max_message,
                    });
                }
                return Ok(None);
            };
            let end = *searched + offset;
            *searched = 0;
            if end > self.max_message {
                return Err(FrameError::TooLong {
                    limit: self.max_message,
                });
            }
            let mut line = buffer.split_to(end + 1);
            line.truncate(end);
            if line.last() == Some(&b'\r') {
                line.truncate(end - 1);
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some(line.freeze()));
        }
    }

    fn decode_content_length(
        &mut self,
        buffer: &mut BytesMut,
    ) -> Result<Option<Bytes>, FrameError> {
        if let State::Body { length } = self.state {
            if buffer.len() < length {
                buffer.reserve(length - buffer.len());
                return Ok(None);
            }
            self.state = State::Headers;
            return Ok(Some(buffer.split_to(length).freeze()));
        }
        let Some(end) = find(buffer, b"\r\n\r\n") else {
            if buffer.len() > MAX_HEADER_BYTES {
                return Err(FrameError::Invalid("the header section is too long"));
            }
            return Ok(None);
        };
        if end > MAX_HEADER_BYTES {
            return Err(FrameError::Invalid("the header section is too long"));
        }
        let headers = buffer.split_to(end + 4);
        let length = content_length(&headers[..end])?;
        if length > self.max_message {
            return Err(FrameError::TooLong {
                limit: self.max_message,
            });
        }
        self.state = State::Body { length };
        self.decode_content_length(buffer)
    }
}

/// The value of the one `Content-Length` header in a header section.
fn content_length(headers: &[u8]) -> Result<usize, FrameError> {
    let text = std::str::from_utf8(headers)
        .map_err(|_| FrameError::Invalid("the headers are not ASCII"))?;
    let mut length = None;
    for line in text.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            return Err(FrameError::Invalid("a header line has no `:`"));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            if length.is_some() {
                return Err(FrameError::Invalid("`Content-Length` is given twice"));
            }
            let value = value.trim();
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FrameError::Invalid("`Content-Length` is not a number"));
            }
            // A number too large for usize is over any limit.
            length = Some(value.parse::<usize>().unwrap_or(usize::MAX));
        }
    }
    length.ok_or(FrameError::Invalid(
        "a message has no `Content-Length` header",
    ))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

impl Decoder for Codec {
    type Item = Bytes;
    type Error = FrameError;

    fn decode(&mut self, buffer: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        match self.framing {
            Framing::Lines => self.decode_line(buffer),
            Framing::ContentLength => self.decode_content_length(buffer),
        }
    }

    fn decode_eof(&mut self, buffer: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        if let Some(message) = self.decode(buffer)? {
            return Ok(Some(message));
        }
        if buffer.iter().all(u8::is_ascii_whitespace) {
            buffer.clear();
            return Ok(None);
        }
        match self.framing {
            // A last line without its newline is still a whole message.
            Framing::Lines => {
                self.state = State::Line { searched: 0 };
                let line = buffer.split().freeze();
                Ok(Some(line))
            }
            Framing::ContentLength => {
                buffer.clear();
                Err(FrameError::Truncated)
            }
        }
    }
}

impl Encoder<Vec<u8>> for Codec {
    type Error = std::io::Error;

    fn encode(&mut self, message: Vec<u8>, buffer: &mut BytesMut) -> std::io::Result<()> {
        match self.framing {
            Framing::Lines => {
                buffer.reserve(message.len() + 1);
                buffer.put_slice(&message);
                buffer.put_u8(b'\n');
            }
            Framing::ContentLength => {
                let header = format!("Content-Length: {}\r\n\r\n", message.len());
                buffer.reserve(header.len() + message.len());
                buffer.put_slice(header.as_bytes());
                buffer.put_slice(&message);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut Codec, input: &[u8]) -> Vec<Result<Bytes, String>> {
        let mut buffer = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match codec.decode(&mut buffer) {
                Ok(Some(message)) => out.push(Ok(message)),
                Ok(None) => break,
                Err(error) => {
                    out.push(Err(error.to_string()));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn lines_split_on_newlines_and_drop_carriage_returns_and_blank_lines() {
        let mut codec = Codec::new(Framing::Lines, 100);
        let out = decode_all(&mut codec, b"{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\"");
        assert_eq!(
            out,
            vec![
                Ok(Bytes::from_static(b"{\"a\":1}")),
                Ok(Bytes::from_static(b"{\"b\":2}"))
            ]
        );
    }

    #[test]
    fn a_line_over_the_limit_is_refused_before_its_end() {
        let mut codec = Codec::new(Framing::Lines, 10);
        let out = decode_all(&mut codec, &[b'x'; 11]);
        assert!(
            matches!(&out[..], [Err(e)] if e.contains("limit of 10")),
            "{out:?}"
        );
    }

    #[test]
    fn content_length_reads_exact_bodies_with_optional_content_type() {
        let mut codec = Codec::new(Framing::ContentLength, 100);
        let out = decode_all(
            &mut codec,
            b"Content-Length: 2\r\n\r\n{}Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length:3\r\n\r\n[1]",
        );
        assert_eq!(
            out,
            vec![
                Ok(Bytes::from_static(b"{}")),
                Ok(Bytes::from_static(b"[1]"))
            ]
        );
    }

    #[test]
    fn content_length_refuses_huge_missing_and_garbled_lengths() {
        for (input, expected) in [
            (&b"Content-Length: 1099511627776\r\n\r\n"[..], "limit"),
            (b"Content-Type: x\r\n\r\n{}", "no `Content-Length`"),
            (b"Content-Length: 1x\r\n\r\n{}", "not a number"),
            (b"garbage\r\n\r\n", "no `:`"),
        ] {
            let mut codec = Codec::new(Framing::ContentLength, 100);
            let out = decode_all(&mut codec, input);
            assert!(
                matches!(&out[..], [Err(e)] if e.contains(expected)),
                "{:?}: {out:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn a_message_split_over_many_reads_is_put_together() {
        let mut codec = Codec::new(Framing::ContentLength, 100);
        let whole = b"Content-Length: 7\r\n\r\n{\"a\":1}";
        let mut buffer = BytesMut::new();
        let mut out = Vec::new();
        for byte in whole {
            buffer.put_u8(*byte);
            if let Some(message) = codec.decode(&mut buffer).unwrap() {
                out.push(message);
            }
        }
        assert_eq!(out, vec![Bytes::from_static(b"{\"a\":1}")]);
    }

    #[test]
    fn a_truncated_message_is_an_error_at_the_end_of_the_stream() {
        let mut codec = Codec::new(Framing::ContentLength, 100);
        let mut buffer = BytesMut::from(&b"Content-Length: 10\r\n\r\n{\"a\""[..]);
        assert!(codec.decode(&mut buffer).unwrap().is_none());
        assert!(matches!(
            codec.decode_eof(&mut buffer),
            Err(FrameError::Truncated)
        ));
        // A last line without a newline is a message.
        let mut lines = Codec::new(Framing::Lines, 100);
        let mut buffer = BytesMut::from(&b"{\"a\":1}"[..]);
        assert_eq!(
            lines.decode_eof(&mut buffer).unwrap(),
            Some(Bytes::from_static(b"{\"a\":1}"))
        );
    }
}
