//! A link shaper: a userspace TCP proxy on 127.0.0.1 that makes a loopback
//! connection behave like a phone's link — a fixed delay each way and a
//! bandwidth cap each way — so tests and benchmarks can measure what a
//! person on a 300 ms, 1 Mbit/s mobile network would see, without root,
//! `tc` or network namespaces.
//!
//! Each direction is a small model of a bottleneck link: bytes read from
//! the sender are cut into segments of one TCP payload ([`SEGMENT`] bytes),
//! each segment occupies the link for `len / rate` (serialisation), and
//! arrives `delay` after it has left. The link holds at most
//! [`Link::queue_bytes`] bytes that have not arrived yet; beyond that the
//! shaper stops reading, so the sender's TCP window fills and its writes
//! block exactly as they would behind a real slow link (tmux, for one,
//! then discards output a slow client cannot take — that is something to
//! measure, not to assume).
//!
//! The bytes themselves are never changed, split only where TCP may split
//! them anyway, and always delivered in order; a half-close (EOF) passes
//! through after the bytes before it. [`Counters`] say how many bytes went
//! each way, which is what "bytes on the wire" means in benchmarks (TCP
//! payload: WebSocket frames with their headers, HTTP included).
//!
//! Not modelled: packet loss, jitter, the TCP handshake's round trip.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use std::time::{Duration, Instant};
//! use tmux_mobile_shaper::{LinkShape, Shaper};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! // An echo server standing in for tmux-mobile.
//! let server = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let upstream = server.local_addr()?;
//! tokio::spawn(async move {
//!     let (mut socket, _) = server.accept().await.unwrap();
//!     let (mut read, mut write) = socket.split();
//!     tokio::io::copy(&mut read, &mut write).await.unwrap();
//! });
//!
//! let shaper = Shaper::start(upstream, LinkShape::symmetric(Duration::from_millis(100), Some(1_000_000))).await?;
//! let mut client = tokio::net::TcpStream::connect(shaper.local_addr()).await?;
//! let started = Instant::now();
//! client.write_all(b"ping").await?;
//! let mut reply = [0; 4];
//! client.read_exact(&mut reply).await?;
//! assert_eq!(&reply, b"ping");
//! assert!(started.elapsed() >= Duration::from_millis(100), "one round trip");
//! assert_eq!(shaper.counters().down_bytes, 4);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Bytes per segment: one TCP payload on a typical path (MSS 1448 with
/// timestamps). A segment arrives whole or not at all.
pub const SEGMENT: usize = 1448;

/// What the link holds when nothing else is said and it has no rate: a
/// bound on the shaper's memory, not a model of anything.
const UNSHAPED_QUEUE: usize = 16 << 20;

/// Extra buffering of a shaped link on top of its bandwidth-delay product:
/// a modest bottleneck queue (mobile networks often hold more).
const BOTTLENECK_QUEUE: usize = 64 << 10;

/// One direction of the link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// Time from a segment leaving the sender's side of the link to its
    /// arrival (half the round trip on a symmetric link).
    pub delay: Duration,
    /// Bandwidth cap in bits per second; `None` is unlimited.
    pub rate_bits: Option<u64>,
    /// Most bytes in the link (queued, on the wire, not yet arrived) before
    /// the shaper stops reading from the sender. `None`: the bandwidth-delay
    /// product plus a 64 KiB bottleneck queue for a shaped link, 16 MiB for
    /// an unshaped one.
    pub queue_bytes: Option<usize>,
}

impl Link {
    /// The effective queue bound (see [`Link::queue_bytes`]).
    pub fn queue_limit(&self) -> usize {
        let limit = match (self.queue_bytes, self.rate_bits) {
            (Some(bytes), _) => bytes,
            (None, Some(rate)) => {
                let bdp = u128::from(rate / 8) * self.delay.as_nanos() * 2 / 1_000_000_000;
                usize::try_from(bdp)
                    .unwrap_or(UNSHAPED_QUEUE)
                    .saturating_add(BOTTLENECK_QUEUE)
            }
            (None, None) => UNSHAPED_QUEUE,
        };
        // A segment must always fit, and a semaphore counts in u32.
        limit.clamp(SEGMENT, u32::MAX as usize / 2)
    }

    /// How long `len` bytes occupy the link.
    fn serialisation(&self, len: usize) -> Duration {
        match self.rate_bits {
            Some(rate) if rate > 0 => {
                let nanos = (len as u128) * 8 * 1_000_000_000 / u128::from(rate);
                Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
            }
            _ => Duration::ZERO,
        }
    }
}

/// Both directions: `down` carries the server's bytes to the client (the
/// phone's download), `up` the client's bytes to the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkShape {
    /// Server → client.
    pub down: Link,
    /// Client → server.
    pub up: Link,
}

impl LinkShape {
    /// A symmetric link: `rtt` split evenly between the two directions, the
    /// same cap (bits per second) each way.
    pub fn symmetric(rtt: Duration, rate_bits: Option<u64>) -> Self {
        let link = Link {
            delay: rtt / 2,
            rate_bits,
            queue_bytes: None,
        };
        Self {
            down: link,
            up: link,
        }
    }

    /// The phone of the benchmarks: 300 ms round trip, 1 Mbit/s each way.
    pub fn phone() -> Self {
        Self::symmetric(Duration::from_millis(300), Some(1_000_000))
    }
}

/// Bytes delivered through a [`Shaper`] so far (TCP payload).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Server → client.
    pub down_bytes: u64,
    /// Client → server.
    pub up_bytes: u64,
    /// Connections accepted.
    pub connections: u64,
}

#[derive(Debug, Default)]
struct AtomicCounters {
    down: AtomicU64,
    up: AtomicU64,
    connections: AtomicU64,
}

/// A running shaper: listens on 127.0.0.1 and forwards every connection to
/// `upstream` through the shaped link. Dropping it stops the listener and
/// every connection.
#[derive(Debug)]
pub struct Shaper {
    local_addr: SocketAddr,
    counters: Arc<AtomicCounters>,
    task: JoinHandle<()>,
}

impl Shaper {
    /// Listens on `127.0.0.1:0` (a free port) and starts forwarding.
    pub async fn start(upstream: SocketAddr, shape: LinkShape) -> io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), upstream, shape).await
    }

    /// Listens on `listen`, which must be a loopback address: a shaper is a
    /// test tool and never an open proxy.
    pub async fn start_on(
        listen: SocketAddr,
        upstream: SocketAddr,
        shape: LinkShape,
    ) -> io::Result<Self> {
        if !listen.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the shaper listens on loopback only, not {listen}"),
            ));
        }
        let listener = TcpListener::bind(listen).await?;
        let local_addr = listener.local_addr()?;
        let counters = Arc::new(AtomicCounters::default());
        let task = tokio::spawn(accept_loop(
            listener,
            upstream,
            shape,
            Arc::clone(&counters),
        ));
        Ok(Self {
            local_addr,
            counters,
            task,
        })
    }

    /// The address clients connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Bytes carried so far.
    pub fn counters(&self) -> Counters {
        Counters {
            down_bytes: self.counters.down.load(Ordering::Relaxed),
            up_bytes: self.counters.up.load(Ordering::Relaxed),
            connections: self.counters.connections.load(Ordering::Relaxed),
        }
    }

    /// Sets the byte counters back to zero (connections stay counted), to
    /// measure one phase of a session.
    pub fn reset_counters(&self) {
        self.counters.down.store(0, Ordering::Relaxed);
        self.counters.up.store(0, Ordering::Relaxed);
    }
}

impl Drop for Shaper {
    fn drop(&mut self) {
        // The accept loop owns the connection tasks (a JoinSet), so
        // aborting it ends them too.
        self.task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    shape: LinkShape,
    counters: Arc<AtomicCounters>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Ok((client, _)) = accepted else {
            // Out of file descriptors or similar: back off briefly.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        counters.connections.fetch_add(1, Ordering::Relaxed);
        connections.spawn(serve(client, upstream, shape, Arc::clone(&counters)));
    }
}

/// Forwards one connection until both directions have ended.
async fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    shape: LinkShape,
    counters: Arc<AtomicCounters>,
) {
    let server = match connect_upstream(upstream, &shape).await {
        Ok(server) => server,
        Err(_) => return, // dropping `client` resets it, as a refused connection would
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let counters_up = Arc::clone(&counters);
    tokio::join!(
        carry(server_read, client_write, shape.down, move |n| {
            counters.down.fetch_add(n, Ordering::Relaxed);
        }),
        carry(client_read, server_write, shape.up, move |n| {
            counters_up.up.fetch_add(n, Ordering::Relaxed);
        }),
    );
}

/// Connects to the upstream with a receive buffer no larger than the link
/// holds, so the kernel does not hide a large extra queue behind the model.
async fn connect_upstream(upstream: SocketAddr, shape: &LinkShape) -> io::Result<TcpStream> {
    let socket = if upstream.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if shape.down.rate_bits.is_some() {
        let limit = u32::try_from(shape.down.queue_limit().min(256 << 10)).unwrap_or(256 << 10);
        let _ = socket.set_recv_buffer_size(limit);
    }
    socket.connect(upstream).await
}

/// A segment in the link: its bytes, when it arrives, and the room it takes.
struct Segment {
    bytes: Vec<u8>,
    arrives: Instant,
    _room: OwnedSemaphorePermit,
}

/// One direction: reads from `from`, delivers through the link model to
/// `to`, then passes the EOF on. Ends early when either side breaks.
async fn carry(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    link: Link,
    mut delivered: impl FnMut(u64) + Send,
) {
    let room = Arc::new(Semaphore::new(link.queue_limit()));
    let (tx, mut rx) = mpsc::unbounded_channel::<Segment>();
    let reader = async move {
        let mut link_free = Instant::now();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for piece in buf[..n].chunks(SEGMENT) {
                let permits = u32::try_from(piece.len()).unwrap_or(u32::MAX);
                let Ok(permit) = Arc::clone(&room).acquire_many_owned(permits).await else {
                    return;
                };
                let leaves = link_free.max(Instant::now()) + link.serialisation(piece.len());
                link_free = leaves;
                let segment = Segment {
                    bytes: piece.to_vec(),
                    arrives: leaves + link.delay,
                    _room: permit,
                };
                if tx.send(segment).is_err() {
                    return; // the writer stopped: the receiving side broke
                }
            }
        }
        // Dropping `tx` tells the writer the sender is done (EOF).
    };
    let writer = async move {
        let mut out = Vec::with_capacity(64 * 1024);
        let mut pending: Option<Segment> = None;
        loop {
            let first = match pending.take() {
                Some(segment) => segment,
                None => match rx.recv().await {
                    Some(segment) => segment,
                    None => break,
                },
            };
            tokio::time::sleep_until(first.arrives).await;
            let now = Instant::now();
            out.clear();
            out.extend_from_slice(&first.bytes);
            let mut held = vec![first];
            // Everything else that has arrived by now goes in the same write.
            while out.len() < 64 * 1024 {
                match rx.try_recv() {
                    Ok(next) if next.arrives <= now => {
                        out.extend_from_slice(&next.bytes);
                        held.push(next);
                    }
                    Ok(next) => {
                        pending = Some(next);
                        break;
                    }
                    Err(_) => break,
                }
            }
            if to.write_all(&out).await.is_err() {
                return;
            }
            delivered(out.len() as u64);
            // Only now does the link have room again.
            drop(held);
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}
