//! A connection's socket with a write timeout: a client that stops reading has its connection
//! closed once a write has made no progress for the timeout, and the answers it held are
//! freed.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `S`, whose writes fail with [`io::ErrorKind::TimedOut`] after `timeout` without progress.
pub(crate) struct WriteTimeout<S> {
    stream: S,
    timeout: Duration,
    /// Armed while a write waits; made on the first stall, then reset.
    stalled: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl<S> WriteTimeout<S> {
    pub(crate) fn new(stream: S, timeout: Duration) -> Self {
        WriteTimeout {
            stream,
            timeout,
            stalled: None,
            armed: false,
        }
    }

    /// What a write that returned `poll` means: progress disarms the timer, a wait arms it
    /// (once) and fails when it runs out.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.armed = false;
            return poll;
        }
        let timer = match &mut self.stalled {
            Some(timer) => {
                if !self.armed {
                    timer.as_mut().reset(Instant::now() + self.timeout);
                }
                timer
            }
            None => self
                .stalled
                .insert(Box::pin(tokio::time::sleep(self.timeout))),
        };
        self.armed = true;
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read nothing for the write timeout",
            )));
        }
        Poll::Pending
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteTimeout<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_shutdown(cx);
        self.watch(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::WriteTimeout;
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_write_nobody_reads_times_out() {
        // A pipe whose reader never reads: its buffer fills, then writes wait.
        let (writer, _reader) = tokio::io::duplex(1024);
        let mut writer = WriteTimeout::new(writer, Duration::from_millis(50));
        let error = writer.write_all(&[0; 4096]).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_slow_reader_that_keeps_reading_is_served() {
        use tokio::io::AsyncReadExt;
        let (writer, mut reader) = tokio::io::duplex(1024);
        let mut writer = WriteTimeout::new(writer, Duration::from_millis(200));
        let reading = tokio::spawn(async move {
            let mut total = 0;
            let mut buf = [0; 512];
            loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                match reader.read(&mut buf).await.unwrap() {
                    0 => return total,
                    n => total += n,
                }
            }
        });
        writer.write_all(&[1; 8192]).await.unwrap();
        writer.shutdown().await.unwrap();
        assert_eq!(reading.await.unwrap(), 8192);
    }
}
