//! Delivery to a real push service on 127.0.0.1 that checks every request
//! with an implementation independent of ours (Python's `cryptography` and
//! `http_ece`, see `tests/fixtures/push_service.py`).

use std::time::{Duration, Instant};

use tmux_mobile_push::test_support::TestPushService;
use tmux_mobile_push::{
    EndpointPolicy, PushOptions, PushService, PushStats, Subscription, VapidKey,
};

const DEADLINE: Duration = Duration::from_secs(20);

fn options() -> PushOptions {
    let mut options = PushOptions::default();
    options.endpoint_policy = EndpointPolicy::allow_loopback_http_for_tests();
    options.subject = "mailto:tests@example.org".into();
    options
}

fn subscription(service: &TestPushService, path: &str) -> Subscription {
    Subscription::parse(
        &service.endpoint(path),
        service.p256dh(),
        service.auth(),
        EndpointPolicy::allow_loopback_http_for_tests(),
    )
    .unwrap()
}

/// Waits (bounded) until the delivery task has counted what the push
/// service already reported: it counts after the answer arrives.
async fn stats_reach(
    push: &PushService<&'static str>,
    done: impl Fn(PushStats) -> bool,
) -> PushStats {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let stats = push.stats();
        if done(stats) || Instant::now() > deadline {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_message_arrives_signed_and_decryptable_by_an_independent_implementation() {
    let mut service = TestPushService::start().await;
    let vapid = VapidKey::generate().unwrap();
    let public = vapid.public_key().to_owned();
    let push = PushService::start(vapid, options()).unwrap();
    push.subscribe("phone", subscription(&service, "/push/1"))
        .await
        .unwrap();

    let payload = r#"{"reason":"prompt","text":"Do you want to proceed? ❯ 1. Yes"}"#;
    let queued = push.send(|_| Some(payload.as_bytes().to_vec()), Some("pane-3"));
    assert_eq!(queued, 1);
    let got = service
        .next(DEADLINE)
        .await
        .expect("the push service got a request");
    assert!(got.ok, "independent check failed: {:?}", got.error);
    assert_eq!(got.path, "/push/1");
    assert_eq!(got.plaintext.as_deref(), Some(payload));
    assert_eq!(got.ttl.as_deref(), Some("600"));
    assert_eq!(got.urgency.as_deref(), Some("high"));
    assert_eq!(got.topic.as_deref(), Some("pane-3"));
    let jwt = got.jwt.unwrap();
    assert_eq!(jwt["aud"], service.endpoint("").as_str());
    assert_eq!(jwt["sub"], "mailto:tests@example.org");
    assert_eq!(jwt["k"], public.as_str());
    // 86-byte header, payload + delimiter padded to 128-byte blocks, tag.
    assert_eq!(got.body_length, 86 + 128 + 16);
    let stats = stats_reach(&push, |s| s.accepted == 1).await;
    assert_eq!(
        stats,
        PushStats {
            accepted: 1,
            ..PushStats::default()
        }
    );
}

#[tokio::test]
async fn each_owner_gets_its_own_payload_and_a_gone_subscription_is_forgotten() {
    let mut service = TestPushService::start().await;
    let push = PushService::start(VapidKey::generate().unwrap(), options()).unwrap();
    push.subscribe("control", subscription(&service, "/push/control"))
        .await
        .unwrap();
    push.subscribe("viewer", subscription(&service, "/gone/viewer"))
        .await
        .unwrap();
    push.subscribe("skipped", subscription(&service, "/push/skipped"))
        .await
        .unwrap();

    let queued = push.send(
        |owner| match *owner {
            "control" => Some(b"answerable".to_vec()),
            "viewer" => Some(b"read-only".to_vec()),
            _ => None,
        },
        None,
    );
    assert_eq!(queued, 2);
    let mut seen = Vec::new();
    for _ in 0..2 {
        let got = service.next(DEADLINE).await.expect("a request");
        assert!(got.ok, "{:?}", got.error);
        assert_eq!(got.topic, None);
        seen.push((got.path, got.plaintext.unwrap()));
    }
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("/gone/viewer".to_owned(), "read-only".to_owned()),
            ("/push/control".to_owned(), "answerable".to_owned()),
        ]
    );
    let stats = stats_reach(&push, |s| s.accepted == 1 && s.gone == 1).await;
    assert_eq!((stats.accepted, stats.gone, stats.failed), (1, 1, 0));
    assert_eq!(
        push.subscriptions_of(&"viewer"),
        0,
        "410 Gone drops the subscription"
    );
    assert_eq!(push.subscription_count(), 2);
}

#[tokio::test]
async fn endpoints_off_the_rule_are_refused_before_anything_is_sent() {
    let service = TestPushService::start().await;
    let strict = PushOptions::default();
    let err = Subscription::parse(
        &service.endpoint("/push/1"),
        service.p256dh(),
        service.auth(),
        strict.endpoint_policy,
    )
    .unwrap_err();
    assert!(err.to_string().contains("only https:"), "{err}");
    // An https endpoint whose name resolves to loopback is refused at
    // subscribe time (and would be again at delivery).
    let push: PushService<&str> =
        PushService::start(VapidKey::generate().unwrap(), strict).unwrap();
    let sub = Subscription::parse(
        "https://localhost.localdomain/push/1",
        service.p256dh(),
        service.auth(),
        push.options().endpoint_policy,
    );
    if let Ok(sub) = sub {
        let err = push.subscribe("x", sub).await.unwrap_err();
        assert!(
            err.to_string().contains("no public address") || err.to_string().contains("resolved"),
            "{err}"
        );
    }
    assert_eq!(push.subscription_count(), 0);
}
