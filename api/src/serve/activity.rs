//! What one HTTP connection is doing, as far as its timeouts care: waiting for a request, reading a request's
//! headers, or handling requests. The socket wrapper notes bytes arriving, the service notes requests starting
//! and their responses ending, and the connection's watchdog reads it all to decide when to close.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// No time recorded.
const NEVER: u64 = u64::MAX;

/// The activity of one connection; shared by its socket, its service and its watchdog.
#[derive(Debug)]
pub struct Activity {
    /// When the connection was accepted; the times below are milliseconds since then.
    start: Instant,
    /// Requests whose headers have been read and whose response has not yet been written in full.
    in_flight: AtomicUsize,
    /// When the connection last became idle (no request in flight).
    idle_since: AtomicU64,
    /// When the first byte of the next request's headers arrived, or [`NEVER`].
    head_started: AtomicU64,
    /// Woken when a timeout starts (the connection goes idle, or a request's first byte comes), so that the
    /// watchdog can move its deadline.
    changed: Notify,
}

/// What the watchdog should do.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Look again at this time.
    CheckAt(Instant),
    /// The headers of a request did not arrive in time.
    HeadersTooSlow,
    /// No request came for the idle timeout.
    Idle,
}

impl Activity {
    /// A connection accepted at `now`. Its first request's headers are due within the header timeout from now, so a
    /// client that connects and says nothing is closed as soon as one that sends half a header.
    pub fn new(now: Instant) -> Arc<Activity> {
        Arc::new(Activity {
            start: now,
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            head_started: AtomicU64::new(0),
            changed: Notify::new(),
        })
    }

    fn millis(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.start)
            .as_millis()
            .try_into()
            .unwrap_or(NEVER - 1)
    }

    fn at(&self, millis: u64) -> Instant {
        self.start + Duration::from_millis(millis)
    }

    /// Bytes arrived from the client.
    pub fn received(&self, now: Instant) {
        if self.in_flight.load(Ordering::Acquire) == 0
            && self.head_started.load(Ordering::Relaxed) == NEVER
        {
            let started = self.head_started.compare_exchange(
                NEVER,
                self.millis(now),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            if started.is_ok() {
                self.changed.notify_one();
            }
        }
    }

    /// A request's headers were read: it is being handled now.
    pub fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(NEVER, Ordering::Relaxed);
    }

    /// A response was written in full (or abandoned).
    pub fn response_ended(&self, now: Instant) {
        if self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle_since.store(self.millis(now), Ordering::Relaxed);
            self.changed.notify_one();
        }
    }

    /// Completes when a timeout may have started since the last call.
    pub async fn changed(&self) {
        self.changed.notified().await
    }

    /// Whether a request is being handled.
    pub fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > 0
    }

    /// Judges the connection at `now`: `header` bounds the time from the first byte of a request to its last header,
    /// `idle` the time without any request.
    pub fn judge(&self, now: Instant, header: Duration, idle: Duration) -> Verdict {
        if self.busy() {
            // Requests in flight are bounded by the body timeout and by their handlers; look again later.
            return Verdict::CheckAt(now + header.min(idle));
        }
        let head_started = self.head_started.load(Ordering::Relaxed);
        let (due, verdict) = if head_started != NEVER {
            (self.at(head_started) + header, Verdict::HeadersTooSlow)
        } else {
            (
                self.at(self.idle_since.load(Ordering::Relaxed)) + idle,
                Verdict::Idle,
            )
        };
        if now >= due {
            verdict
        } else {
            Verdict::CheckAt(due)
        }
    }
}

/// A socket that reports the bytes it receives to the connection's [`Activity`].
#[derive(Debug)]
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    pub fn new(inner: S, activity: Arc<Activity>) -> Watched<S> {
        Watched { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.received(Instant::now());
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: Duration = Duration::from_secs(10);
    const IDLE: Duration = Duration::from_secs(60);

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_silent_new_connection_has_the_header_timeout() {
        let t0 = Instant::now();
        let activity = Activity::new(t0);
        assert_eq!(
            activity.judge(t0 + secs(9), HEADER, IDLE),
            Verdict::CheckAt(t0 + HEADER)
        );
        assert_eq!(
            activity.judge(t0 + HEADER, HEADER, IDLE),
            Verdict::HeadersTooSlow
        );
    }

    #[test]
    fn after_a_response_the_idle_timeout_runs_until_bytes_come() {
        let t0 = Instant::now();
        let activity = Activity::new(t0);
        activity.request_started();
        assert!(activity.busy());
        assert!(matches!(
            activity.judge(t0 + IDLE * 2, HEADER, IDLE),
            Verdict::CheckAt(_)
        ));
        activity.response_ended(t0 + secs(100));
        assert_eq!(
            activity.judge(t0 + secs(120), HEADER, IDLE),
            Verdict::CheckAt(t0 + secs(100) + IDLE)
        );
        assert_eq!(
            activity.judge(t0 + secs(100) + IDLE, HEADER, IDLE),
            Verdict::Idle
        );
    }

    #[test]
    fn the_first_byte_of_a_request_starts_the_header_timeout() {
        let t0 = Instant::now();
        let activity = Activity::new(t0);
        activity.request_started();
        activity.response_ended(t0);
        activity.received(t0 + secs(30));
        activity.received(t0 + secs(35));
        assert_eq!(
            activity.judge(t0 + secs(39), HEADER, IDLE),
            Verdict::CheckAt(t0 + secs(40))
        );
        assert_eq!(
            activity.judge(t0 + secs(40), HEADER, IDLE),
            Verdict::HeadersTooSlow
        );
        activity.request_started();
        assert!(matches!(
            activity.judge(t0 + secs(80), HEADER, IDLE),
            Verdict::CheckAt(_)
        ));
    }
}
