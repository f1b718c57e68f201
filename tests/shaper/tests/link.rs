//! The shaper against real loopback sockets: bytes pass unchanged in both
//! directions, the delay and the bandwidth cap are really applied, a
//! half-close passes through, and a slow link pushes back on its sender.
//! Only lower bounds are asserted on time (a loaded CI machine may be slow,
//! never faster than the model allows); upper bounds are generous deadlines.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tmux_mobile_shaper::{Link, LinkShape, Shaper};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const DEADLINE: Duration = Duration::from_secs(20);

/// An upstream that echoes every byte and closes its side on EOF.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut read, mut write) = socket.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
                let _ = write.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn bytes_pass_unchanged_and_a_round_trip_costs_the_rtt() {
    let rtt = Duration::from_millis(200);
    let shaper = Shaper::start(echo_server().await, LinkShape::symmetric(rtt, None))
        .await
        .unwrap();
    let mut client = TcpStream::connect(shaper.local_addr()).await.unwrap();
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let started = Instant::now();
    let (mut read, mut write) = client.split();
    let send = async {
        write.write_all(&payload).await.unwrap();
        write.shutdown().await.unwrap();
    };
    let mut echoed = Vec::new();
    let receive = read.read_to_end(&mut echoed);
    let ((), received) = tokio::time::timeout(DEADLINE, async { tokio::join!(send, receive) })
        .await
        .expect("echo within the deadline");
    received.unwrap();
    assert!(
        echoed == payload,
        "the bytes came back unchanged, EOF included"
    );
    assert!(started.elapsed() >= rtt, "took {:?}", started.elapsed());
    let counters = shaper.counters();
    assert_eq!(counters.up_bytes, payload.len() as u64);
    assert_eq!(counters.down_bytes, payload.len() as u64);
    assert_eq!(counters.connections, 1);
}

#[tokio::test]
async fn each_small_message_waits_one_rtt() {
    let rtt = Duration::from_millis(120);
    let shaper = Shaper::start(
        echo_server().await,
        LinkShape::symmetric(rtt, Some(1_000_000)),
    )
    .await
    .unwrap();
    let mut client = TcpStream::connect(shaper.local_addr()).await.unwrap();
    for key in b"abc" {
        let started = Instant::now();
        client.write_all(&[*key]).await.unwrap();
        let mut byte = [0u8];
        tokio::time::timeout(DEADLINE, client.read_exact(&mut byte))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(byte[0], *key);
        assert!(
            started.elapsed() >= rtt,
            "keystroke echoed after {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn the_bandwidth_cap_holds_downstream() {
    // 2 Mbit/s = 250 kB/s: 150 kB cannot arrive in less than 0.6 s.
    let shape = LinkShape {
        down: Link {
            rate_bits: Some(2_000_000),
            ..Link::default()
        },
        up: Link::default(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let total = 150_000usize;
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        socket.write_all(&vec![b'x'; total]).await.unwrap();
        socket.shutdown().await.unwrap();
    });
    let shaper = Shaper::start(upstream, shape).await.unwrap();
    let mut client = TcpStream::connect(shaper.local_addr()).await.unwrap();
    let started = Instant::now();
    let mut got = Vec::new();
    tokio::time::timeout(DEADLINE, client.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), total);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(590),
        "150 kB at 2 Mbit/s took {elapsed:?}"
    );
}

#[tokio::test]
async fn a_slow_link_pushes_back_on_its_sender() {
    // 100 kbit/s with a 16 KiB queue: a sender that writes 4 MiB while the
    // client reads nothing gets stuck long before the end, because the
    // shaper stops reading once its queue (plus the kernel's buffers) is full.
    let shape = LinkShape {
        down: Link {
            rate_bits: Some(100_000),
            queue_bytes: Some(16 * 1024),
            ..Link::default()
        },
        up: Link::default(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let (written_tx, mut written_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let chunk = vec![b'y'; 64 * 1024];
        let mut written = 0usize;
        while written < 4 << 20 {
            if socket.write_all(&chunk).await.is_err() {
                break;
            }
            written += chunk.len();
            let _ = written_tx.send(written);
        }
    });
    let shaper = Shaper::start(upstream, shape).await.unwrap();
    let _client = TcpStream::connect(shaper.local_addr()).await.unwrap();
    // Wait until the sender has been stuck for a while, then look.
    let mut written = 0;
    loop {
        match tokio::time::timeout(Duration::from_millis(500), written_rx.recv()).await {
            Ok(Some(n)) => written = n,
            Ok(None) => break,
            Err(_) => break, // no progress for 500 ms: pushed back
        }
    }
    assert!(
        written < 4 << 20,
        "the sender wrote all {written} bytes: no backpressure"
    );
    assert!(
        shaper.counters().down_bytes < 4 << 20,
        "the link delivered more than it could"
    );
}

#[tokio::test]
async fn listening_off_loopback_is_refused() {
    let refused = Shaper::start_on(
        "0.0.0.0:0".parse().unwrap(),
        "127.0.0.1:9".parse().unwrap(),
        LinkShape::phone(),
    )
    .await;
    assert!(refused.is_err());
}
