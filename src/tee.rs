//! `TeeBody`: forwards a body frame by frame and keeps a capped copy on the side.
//!
//! The copy never holds a frame back: each frame is passed on in the same poll
//! that produced it, so streams (SSE) stay live and large bodies are never held
//! whole. When the body ends, fails or is dropped half-read, the copy is sent
//! once through a oneshot channel; that is what makes the exchange record
//! complete even when a peer goes away mid-body.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::oneshot;

/// How a body's stream ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum BodyEnd {
    /// All frames were passed on.
    Complete,
    /// The peer sending the body failed (reset, protocol error).
    Failed(String),
    /// The body was dropped before its end: the receiving peer went away.
    Abandoned,
}

/// The inspected copy of one body.
#[derive(Debug, Clone)]
pub struct CapturedBody {
    /// Up to the capture limit.
    pub bytes: Bytes,
    /// Bytes that went through, captured or not.
    pub total_len: u64,
    pub truncated: bool,
    pub end: BodyEnd,
    pub first_frame_at: Option<Instant>,
    pub ended_at: Instant,
}

impl CapturedBody {
    /// A body that had no bytes at all.
    pub fn empty() -> CapturedBody {
        CapturedBody {
            bytes: Bytes::new(),
            total_len: 0,
            truncated: false,
            end: BodyEnd::Complete,
            first_frame_at: None,
            ended_at: Instant::now(),
        }
    }
}

struct Capture {
    /// Grows by doubling but never past `limit`, so the copy costs at most the cap.
    buf: Vec<u8>,
    limit: usize,
    total_len: u64,
    truncated: bool,
    first_frame_at: Option<Instant>,
    done: Option<oneshot::Sender<CapturedBody>>,
}

impl Capture {
    fn record(&mut self, data: &[u8]) {
        self.first_frame_at.get_or_insert_with(Instant::now);
        self.total_len += data.len() as u64;
        let room = self.limit.saturating_sub(self.buf.len());
        if data.len() > room {
            self.truncated = true;
        }
        let take = data.len().min(room);
        if self.buf.capacity() - self.buf.len() < take {
            let grow = take.max(self.buf.len()).min(self.limit - self.buf.len());
            self.buf.reserve_exact(grow);
        }
        self.buf.extend_from_slice(&data[..take]);
    }

    fn finish(&mut self, end: BodyEnd) {
        if let Some(done) = self.done.take() {
            let _ = done.send(CapturedBody {
                bytes: Bytes::from(std::mem::take(&mut self.buf)),
                total_len: self.total_len,
                truncated: self.truncated,
                end,
                first_frame_at: self.first_frame_at,
                ended_at: Instant::now(),
            });
        }
    }
}

/// A body wrapper that copies data frames (up to a limit) as they pass.
///
/// If it is dropped before the end, the unread rest of the inner body is handed
/// back with the copy ([`Leftover`]), so the recorder can still read a request
/// body that the upstream never took (for example when the upstream was down).
pub struct TeeBody<B> {
    inner: Option<B>,
    capture: Capture,
    leftover: Option<oneshot::Sender<B>>,
}

impl<B> Drop for TeeBody<B> {
    fn drop(&mut self) {
        if self.capture.done.is_some() {
            self.capture.finish(BodyEnd::Abandoned);
            if let (Some(inner), Some(tx)) = (self.inner.take(), self.leftover.take()) {
                let _ = tx.send(inner);
            }
        }
    }
}

/// The unread rest of a body whose [`TeeBody`] was dropped early.
pub type Leftover<B> = oneshot::Receiver<B>;

impl<B> TeeBody<B> {
    /// Wraps `inner`; the copy arrives on the returned receiver when the body is done.
    pub fn new(inner: B, limit: usize) -> (TeeBody<B>, oneshot::Receiver<CapturedBody>) {
        let (body, copy, _) = Self::with_leftover(inner, limit);
        (body, copy)
    }

    /// Like [`TeeBody::new`], also returning where the unread rest goes on an early drop.
    pub fn with_leftover(
        inner: B,
        limit: usize,
    ) -> (TeeBody<B>, oneshot::Receiver<CapturedBody>, Leftover<B>) {
        let (tx, rx) = oneshot::channel();
        let (leftover_tx, leftover_rx) = oneshot::channel();
        let body = TeeBody {
            inner: Some(inner),
            leftover: Some(leftover_tx),
            capture: Capture {
                buf: Vec::new(),
                limit,
                total_len: 0,
                truncated: false,
                first_frame_at: None,
                done: Some(tx),
            },
        };
        (body, rx, leftover_rx)
    }
}

impl<B> Body for TeeBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(&mut *inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.capture.record(data);
                }
            }
            Poll::Ready(Some(Err(e))) => this.capture.finish(BodyEnd::Failed(e.to_string())),
            Poll::Ready(None) => this.capture.finish(BodyEnd::Complete),
            Poll::Pending => {}
        }
        // Some bodies report their end only through `is_end_stream`; finish as
        // soon as that turns true so the record does not wait for a drop.
        if matches!(polled, Poll::Ready(Some(Ok(_)))) && inner.is_end_stream() {
            this.capture.finish(BodyEnd::Complete);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};
    use std::collections::VecDeque;

    /// A body that yields the given chunks one frame at a time.
    struct Chunks(VecDeque<Bytes>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
        }
    }

    #[tokio::test]
    async fn copies_up_to_the_limit_and_passes_everything() {
        let chunks = (0..4u8).map(|i| Bytes::from(vec![b'a' + i; 10])).collect();
        let (tee, rx) = TeeBody::new(Chunks(chunks), 25);
        let all = tee.collect().await.unwrap().to_bytes();
        assert_eq!(all.len(), 40);
        assert_eq!(&all[..10], &[b'a'; 10]);
        let copy = rx.await.unwrap();
        assert_eq!(copy.total_len, 40);
        assert_eq!(copy.bytes.len(), 25);
        assert_eq!(&copy.bytes[..], &all[..25]);
        assert!(copy.truncated);
        assert_eq!(copy.end, BodyEnd::Complete);
    }

    #[tokio::test]
    async fn dropped_body_reports_abandoned() {
        let (tee, rx) = TeeBody::new(Chunks(VecDeque::from([Bytes::from_static(b"x")])), 100);
        drop(tee);
        assert_eq!(rx.await.unwrap().end, BodyEnd::Abandoned);
    }

    #[tokio::test]
    async fn early_drop_hands_back_the_unread_rest() {
        let chunks = VecDeque::from([Bytes::from_static(b"ab"), Bytes::from_static(b"cd")]);
        let (mut tee, copy, leftover) = TeeBody::with_leftover(Chunks(chunks), 100);
        tee.frame().await.unwrap().unwrap();
        drop(tee);
        assert_eq!(copy.await.unwrap().bytes, Bytes::from_static(b"ab"));
        let rest = leftover.await.unwrap().collect().await.unwrap().to_bytes();
        assert_eq!(rest, Bytes::from_static(b"cd"));
    }

    #[tokio::test]
    async fn full_body_completes_without_a_drop() {
        let (mut tee, rx) = TeeBody::new(Full::new(Bytes::from_static(b"hello")), 100);
        let frame = tee.frame().await.unwrap().unwrap();
        assert_eq!(frame.data_ref().unwrap(), &Bytes::from_static(b"hello"));
        let copy = rx.await.unwrap();
        assert_eq!(copy.end, BodyEnd::Complete);
        drop(tee);
    }
}
