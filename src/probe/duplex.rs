use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::stream::{FusedStream, Stream};
use futures_sink::Sink;
use pin_project_lite::pin_project;

use crate::support::forward_sink::forward_sink;

pin_project! {
    /// A read half and a write half joined into one connection that is both a
    /// [`Stream`] and a [`Sink`], for a [`probe`](crate::HeartbeatExt::probe) or a
    /// two-way [`restarting`](crate::restart::restarting) source: two channel
    /// ends, a browser socket's callbacks and send method, or halves that were split.
    ///
    /// ```
    /// use futures::{channel::mpsc, SinkExt, StreamExt};
    /// use futures_heartbeat::Duplex;
    ///
    /// # futures::executor::block_on(async {
    /// let (to_peer, mut peer_reads) = mpsc::unbounded::<&str>();
    /// let (peer_writes, from_peer) = mpsc::unbounded::<&str>();
    /// let mut conn = Duplex::new(from_peer, to_peer);
    ///
    /// conn.send("hello").await.unwrap();
    /// assert_eq!(peer_reads.next().await, Some("hello"));
    /// peer_writes.unbounded_send("hi").unwrap();
    /// assert_eq!(conn.next().await, Some("hi"));
    /// # });
    /// ```
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Duplex<R, W> {
        #[pin]
        read: R,
        #[pin]
        write: W,
    }
}

impl<R, W> Duplex<R, W> {
    /// Joins `read`, the inbound stream, and `write`, the outbound sink.
    pub fn new(read: R, write: W) -> Self {
        Duplex { read, write }
    }

    /// The two halves, read then write.
    pub fn into_inner(self) -> (R, W) {
        (self.read, self.write)
    }

    /// The read half.
    pub fn read_half(&self) -> &R {
        &self.read
    }

    /// The write half.
    pub fn write_half(&self) -> &W {
        &self.write
    }
}

impl<R: Stream, W> Stream for Duplex<R, W> {
    type Item = R::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<R::Item>> {
        self.project().read.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.read.size_hint()
    }
}

impl<R: FusedStream, W> FusedStream for Duplex<R, W> {
    fn is_terminated(&self) -> bool {
        self.read.is_terminated()
    }
}

impl<R, W: Sink<M>, M> Sink<M> for Duplex<R, W> {
    type Error = W::Error;

    forward_sink!(write, M);
}
