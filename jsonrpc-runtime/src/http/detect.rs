//! One accepted connection: HTTP/1.1 or HTTP/2 told apart by its first bytes, then served by
//! hyper's connection for that version.
//!
//! hyper-util's auto builder does the same, but it reads the first bytes and replays them
//! through a wrapper, and its connection keeps the state of both versions: an idle HTTP/1.1
//! connection cost about 5.7 KiB more through it than through hyper's HTTP/1 connection alone
//! (17.0 against 11.3 KiB, `bench/idle_http.sh` with 4,000 connections). Here the bytes are
//! only peeked at, so the connection reads them itself, and the connection of the version
//! found is boxed at its own size.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper::service::Service;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::ReadBuf;
use tokio::net::TcpStream;
use tokio::time::Sleep;

use crate::http::drive::Graceful;
use crate::http::write_timeout::WriteTimeout;

/// What an HTTP/2 client sends first (RFC 9113, section 3.4). Anything else is HTTP/1.
const HTTP2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How long to wait before looking again, the first time, at a connection that has sent part
/// of the HTTP/2 preface and nothing else yet. Peeking cannot wait for more bytes (the ones
/// there keep the socket readable), so a timer does; clients send the preface whole, so this
/// is rare. Each wait doubles, up to [`MAX_PARTIAL_PREFACE_RETRY`]: a client that sends `P`
/// and stops is looked at about 40 times in the 30 s of the header-read timeout, not 6,000.
const PARTIAL_PREFACE_RETRY: Duration = Duration::from_millis(5);

/// The longest wait between two looks at a partial preface.
const MAX_PARTIAL_PREFACE_RETRY: Duration = Duration::from_secs(1);

/// The wait before the next look at a partial preface, after waiting `previous` (none yet).
fn next_retry(previous: Option<Duration>) -> Duration {
    previous.map_or(PARTIAL_PREFACE_RETRY, |wait| {
        (wait * 2).min(MAX_PARTIAL_PREFACE_RETRY)
    })
}

/// The socket a connection is served over.
type Io = TokioIo<WriteTimeout<TcpStream>>;

/// How connections are served: hyper's builders for both versions, and the write timeout.
pub(crate) struct Builders {
    pub(crate) http1: http1::Builder,
    pub(crate) http2: http2::Builder<TokioExecutor>,
    pub(crate) write_timeout: Duration,
}

/// The service a connection's requests go to.
pub(crate) trait HttpService:
    Service<
        Request<Incoming>,
        Response = Response<Full<Bytes>>,
        Error = Infallible,
        Future: Send + 'static,
    > + Unpin
    + Send
    + 'static
{
}

impl<S> HttpService for S where
    S: Service<
            Request<Incoming>,
            Response = Response<Full<Bytes>>,
            Error = Infallible,
            Future: Send + 'static,
        > + Unpin
        + Send
        + 'static
{
}

/// A connection being served, whichever version it speaks.
pub(crate) struct Connection<S: HttpService> {
    state: State<S>,
}

enum State<S: HttpService> {
    /// Waiting for the bytes that tell the version.
    Detecting {
        stream: TcpStream,
        service: S,
        builders: Arc<Builders>,
        /// Armed while the bytes so far are a part of the HTTP/2 preface, with its wait.
        retry: Option<(Pin<Box<Sleep>>, Duration)>,
    },
    Http1(Pin<Box<http1::UpgradeableConnection<Io, S>>>),
    Http2(Pin<Box<http2::Connection<Io, S, TokioExecutor>>>),
    /// Closed before it was told apart, or being taken apart.
    Closed,
}

/// What the first bytes say.
enum Version {
    Http1,
    Http2,
    /// A part of the HTTP/2 preface, and nothing else yet.
    Undecided,
    /// The client closed without sending anything.
    Nothing,
}

impl<S: HttpService> Connection<S> {
    /// A connection on `stream`, served with `service` once its version is known.
    pub(crate) fn new(stream: TcpStream, service: S, builders: Arc<Builders>) -> Self {
        Connection {
            state: State::Detecting {
                stream,
                service,
                builders,
                retry: None,
            },
        }
    }
}

/// The version the first bytes of a connection, `peeked`, say it speaks.
fn version(peeked: &[u8]) -> Version {
    if peeked.is_empty() {
        Version::Nothing
    } else if !HTTP2_PREFACE.starts_with(peeked) {
        Version::Http1
    } else if peeked.len() == HTTP2_PREFACE.len() {
        Version::Http2
    } else {
        Version::Undecided
    }
}

impl<S: HttpService> Future for Connection<S> {
    type Output = Result<(), ConnectionError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Http1(connection) => {
                    return connection.as_mut().poll(cx).map_err(ConnectionError::Http)
                }
                State::Http2(connection) => {
                    return connection.as_mut().poll(cx).map_err(ConnectionError::Http)
                }
                State::Closed => return Poll::Ready(Ok(())),
                State::Detecting { stream, retry, .. } => {
                    if let Some((timer, _)) = retry {
                        ready!(timer.as_mut().poll(cx));
                    }
                    let mut first = [0; HTTP2_PREFACE.len()];
                    let mut buffer = ReadBuf::new(&mut first);
                    ready!(stream.poll_peek(cx, &mut buffer)).map_err(ConnectionError::Io)?;
                    let version = version(buffer.filled());
                    if let Version::Undecided = version {
                        let wait = next_retry(retry.as_ref().map(|(_, wait)| *wait));
                        let at = tokio::time::Instant::now() + wait;
                        match retry {
                            Some((timer, previous)) => {
                                timer.as_mut().reset(at);
                                *previous = wait;
                            }
                            None => *retry = Some((Box::pin(tokio::time::sleep_until(at)), wait)),
                        }
                        continue;
                    }
                    let State::Detecting {
                        stream,
                        service,
                        builders,
                        ..
                    } = std::mem::replace(&mut this.state, State::Closed)
                    else {
                        unreachable!("matched above")
                    };
                    let io = TokioIo::new(WriteTimeout::new(stream, builders.write_timeout));
                    this.state = match version {
                        Version::Http1 => State::Http1(Box::pin(
                            builders.http1.serve_connection(io, service).with_upgrades(),
                        )),
                        Version::Http2 => {
                            State::Http2(Box::pin(builders.http2.serve_connection(io, service)))
                        }
                        Version::Nothing | Version::Undecided => State::Closed,
                    };
                }
            }
        }
    }
}

impl<S: HttpService> Graceful for Connection<S> {
    type Error = ConnectionError;

    fn graceful_shutdown(mut self: Pin<&mut Self>) {
        match &mut self.state {
            State::Http1(connection) => connection.as_mut().graceful_shutdown(),
            State::Http2(connection) => connection.as_mut().graceful_shutdown(),
            // Nothing begun: the connection just closes.
            State::Detecting { .. } => self.state = State::Closed,
            State::Closed => {}
        }
    }
}

/// Why a connection ended with an error.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectionError {
    #[error("reading the connection's first bytes failed: {0}")]
    Io(io::Error),
    #[error(transparent)]
    Http(hyper::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_waits_for_a_partial_preface_double_up_to_a_second() {
        let mut waits = vec![next_retry(None)];
        while waits.len() < 12 {
            waits.push(next_retry(waits.last().copied()));
        }
        let ms: Vec<_> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(
            ms,
            [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000]
        );
    }

    #[test]
    fn the_first_bytes_tell_the_version() {
        assert!(matches!(version(b""), Version::Nothing));
        assert!(matches!(version(b"POST / HTTP/1.1\r\n"), Version::Http1));
        assert!(matches!(version(b"G"), Version::Http1));
        // `P` starts both `POST` and the preface: not decided until the next byte.
        assert!(matches!(version(b"P"), Version::Undecided));
        assert!(matches!(version(b"PO"), Version::Http1));
        assert!(matches!(version(b"PRI * HTTP/2.0\r\n"), Version::Undecided));
        assert!(matches!(version(HTTP2_PREFACE), Version::Http2));
        assert!(matches!(
            version(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nX"[..24].as_ref()),
            Version::Http2
        ));
        assert!(matches!(
            version(b"PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n"),
            Version::Http1
        ));
    }
}
