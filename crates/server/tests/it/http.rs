//! HTTP routes, headers, caching and the upgrade checks (PROTOCOL.md, HTTP
//! table; origin policy).

use serde_json::Value;
use tmux_mobile_server::{Assets, CONTENT_SECURITY_POLICY, TestServer};

use crate::common::{http_get, http_raw, upgrade_status};

fn assert_security_headers(response: &crate::common::HttpResponse) {
    assert_eq!(
        response.header("content-security-policy"),
        Some(CONTENT_SECURITY_POLICY)
    );
    let csp = CONTENT_SECURITY_POLICY;
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self';"));
    assert!(!csp.contains("script-src 'self' 'unsafe-inline'"));
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_config_reports_password_and_scrollback() {
    let server = TestServer::builder().password("pw").start().await;
    let response = http_get(&server, "/api/config", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_security_headers(&response);
    let config: Value = serde_json::from_slice(&response.body).expect("JSON");
    assert_eq!(config["passwordRequired"], true);
    assert_eq!(config["scrollbackLines"], 1000);
    assert!(config["pollIntervalMs"].is_u64());
    assert_eq!(config["protocolVersion"], 1);

    let open = TestServer::start().await;
    let config: Value =
        serde_json::from_slice(&http_get(&open, "/api/config", &[]).await.body).expect("JSON");
    assert_eq!(config["passwordRequired"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_and_spa_fallback_are_html_never_stored() {
    let server = TestServer::start().await;
    for path in ["/", "/index.html", "/some/deep/link?token=x"] {
        let response = http_get(&server, path, &[]).await;
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            response.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert_eq!(response.header("cache-control"), Some("no-store"), "{path}");
        assert!(response.text().contains("<html"), "{path}");
        assert_security_headers(&response);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_paths_without_upgrade_are_404_and_other_methods_405() {
    let server = TestServer::start().await;
    for path in ["/ws/control", "/ws/terminal", "/ws/other", "/ws"] {
        let response = http_get(&server, path, &[]).await;
        assert_eq!(response.status, 404, "{path}");
        assert_security_headers(&response);
    }
    let post = http_raw(
        &server,
        &format!(
            "POST /api/config HTTP/1.1\r\nHost: {}\r\nContent-Length: 0",
            server.addr()
        ),
    )
    .await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    let head = http_raw(
        &server,
        &format!("HEAD / HTTP/1.1\r\nHost: {}", server.addr()),
    )
    .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_assets_are_immutable_with_etags_and_gzip_twins() {
    let assets = Assets::from_files([
        ("index.html", b"<html>app</html>".to_vec()),
        ("assets/app-1a2b.js", b"console.log(1)".to_vec()),
        ("assets/app-1a2b.js.gz", b"\x1f\x8bcompressed".to_vec()),
        ("fonts/sym.woff2", b"wOF2font".to_vec()),
        ("manifest.webmanifest", b"{}".to_vec()),
    ]);
    let server = TestServer::builder().assets(assets).start().await;

    let js = http_get(&server, "/assets/app-1a2b.js", &[]).await;
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        js.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(js.body, b"console.log(1)");
    assert_eq!(js.header("vary"), Some("Accept-Encoding"));
    let etag = js.header("etag").expect("etag").to_owned();
    assert_security_headers(&js);

    let again = http_get(
        &server,
        "/assets/app-1a2b.js",
        &[&format!("If-None-Match: {etag}")],
    )
    .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    let gz = http_get(
        &server,
        "/assets/app-1a2b.js",
        &["Accept-Encoding: gzip, br"],
    )
    .await;
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.body, b"\x1f\x8bcompressed");
    assert_ne!(gz.header("etag"), Some(etag.as_str()));

    let font = http_get(&server, "/fonts/sym.woff2", &[]).await;
    assert_eq!(font.header("content-type"), Some("font/woff2"));
    assert_eq!(font.header("cache-control"), Some("no-cache"));
    let manifest = http_get(&server, "/manifest.webmanifest", &[]).await;
    assert_eq!(
        manifest.header("content-type"),
        Some("application/manifest+json")
    );

    let missing = http_get(&server, "/assets/missing-9.js", &[]).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_are_checked_before_switching_protocols() {
    let server = TestServer::builder()
        .allow_origin("https://phone.example")
        .start()
        .await;
    let host_origin = format!("Origin: http://{}", server.addr());

    let ok = upgrade_status(&server, "/ws/control?token=x", &[&host_origin]).await;
    assert_eq!(ok.status, 101);
    assert_eq!(
        ok.header("sec-websocket-accept"),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    assert_eq!(ok.header("sec-websocket-extensions"), None);

    let extensions = upgrade_status(
        &server,
        "/ws/terminal",
        &["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"],
    )
    .await;
    assert_eq!(extensions.status, 101);
    assert_eq!(extensions.header("sec-websocket-extensions"), None);

    let allowed = upgrade_status(&server, "/ws/control", &["Origin: https://phone.example"]).await;
    assert_eq!(allowed.status, 101);

    for origin in [
        "Origin: https://evil.example",
        "Origin: null",
        "Origin: http://127.0.0.1.evil.example",
    ] {
        let refused = upgrade_status(&server, "/ws/control", &[origin]).await;
        assert_eq!(refused.status, 403, "{origin}");
        assert_eq!(refused.header("referrer-policy"), Some("no-referrer"));
        let refused = upgrade_status(&server, "/ws/terminal", &[origin]).await;
        assert_eq!(refused.status, 403, "{origin}");
    }

    let wrong_path = upgrade_status(&server, "/ws/controls", &[]).await;
    assert_eq!(wrong_path.status, 404);
    let root = upgrade_status(&server, "/", &[]).await;
    assert_eq!(root.status, 404);

    let old_version = upgrade_status(&server, "/ws/control", &["Sec-WebSocket-Version: 8"]).await;
    assert_eq!(old_version.status, 426);
    assert_eq!(old_version.header("sec-websocket-version"), Some("13"));
}
