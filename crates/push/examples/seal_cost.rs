//! What one notification costs in CPU before it leaves: RFC 8291
//! encryption (fresh key pair, ECDH, HKDF, AES-GCM) and the VAPID
//! `Authorization` header (an ES256 signature when not cached).
//!
//! `cargo run --release -p tmux-mobile-push --example seal_cost` prints
//! medians over 5 runs of 200 operations each.

use std::time::{Duration, Instant};

use tmux_mobile_push::{ReceiverKeys, VapidKey, encrypt};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn per_op(runs: usize, ops: u32, mut f: impl FnMut(u32)) -> Duration {
    let mut samples = Vec::new();
    for run in 0..runs {
        let start = Instant::now();
        for i in 0..ops {
            f(run as u32 * ops + i);
        }
        samples.push(start.elapsed() / ops);
    }
    median(samples)
}

fn main() -> Result<(), tmux_mobile_push::PushError> {
    let keys = ReceiverKeys::from_base64url(
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        "BTBZMqHH6r4Tts7J_aSIgg",
    )?;
    let payload = br#"{"v":1,"type":"attention","session":"main","windowIndex":2,"paneId":"%7","reason":"prompt","text":"Do you want to proceed?","at":1764750000000,"canAnswer":true}"#;
    let vapid = VapidKey::generate()?;
    let encrypt_cost = per_op(5, 200, |_| {
        let body = encrypt(&keys, payload).expect("encrypts");
        std::hint::black_box(body);
    });
    let sign_cost = per_op(5, 200, |i| {
        // A new audience every time: never served from the cache.
        let header = vapid
            .authorization(&format!("https://push{i}.example"), "mailto:a@b.example")
            .expect("signs");
        std::hint::black_box(header);
    });
    let cached_cost = per_op(5, 200, |_| {
        let header = vapid
            .authorization("https://push.example", "mailto:a@b.example")
            .expect("signs");
        std::hint::black_box(header);
    });
    println!(
        "encrypt (RFC 8291, {} B payload): {encrypt_cost:?} per message",
        payload.len()
    );
    println!("VAPID header, signed:             {sign_cost:?}");
    println!("VAPID header, cached JWT:         {cached_cost:?}");
    Ok(())
}
