//! Ways to give the server its connections other than [`Server::bind`]: a
//! listener the caller bound ([`Server::from_listener`]), and a host's own
//! connections ([`Server::without_listener`] + [`Server::service`], also
//! proven end to end by `examples/mount.rs` in `examples.rs`).

use std::sync::Arc;
use std::time::Duration;

use tmux_mobile_auth::{
    Authenticator, CredentialOptions, Credentials, PasswordChoice, ThrottlePolicy,
};
use tmux_mobile_server::{Server, ServerOptions};
use tmux_mobile_tmux_control::{Socket, Tmux, TmuxOptions};

use crate::common::DEADLINE;
use crate::examples::{PrivateTmux, drive, managed_sessions_left};

/// Options for the tmux server of `tmux` with a password and a token.
fn options(tmux: &PrivateTmux) -> (ServerOptions, String) {
    let handle = Tmux::new(
        TmuxOptions::default()
            .with_socket(Socket::Name(tmux.socket.into()))
            .with_timeout(Duration::from_secs(10)),
    )
    .with_tmux_tmpdir(&tmux.dir);
    let password = PasswordChoice::Given("listener pw".into());
    let creds = Credentials::generate(CredentialOptions::default().with_password(password))
        .expect("credentials");
    let token = creds.token().expose().to_owned();
    let auth = Arc::new(Authenticator::new(creds, ThrottlePolicy::default()));
    (ServerOptions::new(handle, auth), token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_listener_serves_on_a_socket_the_caller_bound() {
    let tmux = PrivateTmux::new("from-listener");
    // Bound the way socket activation hands one over: a std listener.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    std_listener.set_nonblocking(true).expect("non-blocking");
    let addr = std_listener.local_addr().expect("address");
    let listener = tokio::net::TcpListener::from_std(std_listener).expect("tokio listener");

    let (mut options, token) = options(&tmux);
    // Not used: the server takes the listener it is given.
    options.bind = "127.0.0.1:9".parse().expect("address");
    let server = Server::from_listener(listener, options)
        .await
        .expect("server");
    assert_eq!(server.local_addr(), Some(addr));
    let stop = server.shutdown_handle();
    let serving = tokio::spawn(server.serve());

    drive(&format!("http://{addr}"), &token, "listener pw").await;

    stop.shutdown();
    tokio::time::timeout(DEADLINE, serving)
        .await
        .expect("serve returns after shutdown")
        .expect("serve task")
        .expect("served");
    assert_eq!(managed_sessions_left(&tmux), Vec::<String>::new());
    // The listener went with the server.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_listener_opens_no_port_and_cleans_up_on_shutdown() {
    let tmux = PrivateTmux::new("no-listener");
    let (options, token) = options(&tmux);
    let server = Server::without_listener(options).await.expect("server");
    assert_eq!(server.local_addr(), None);

    // The host side: one connection at a time, served by the service.
    let host = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = host.local_addr().expect("address");
    let services = {
        let probe = server.service(addr).with_prefix("/m/");
        assert!(probe.serves_path("/m/ws/control") && !probe.serves_path("/mm"));
        server.service(addr)
    };
    let accept = tokio::spawn(async move {
        loop {
            let (stream, peer) = host.accept().await.expect("accept");
            assert!(peer.ip().is_loopback());
            let service = services.clone().with_prefix("/m");
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .with_upgrades(),
            );
        }
    });
    let stop = server.shutdown_handle();
    let serving = tokio::spawn(server.serve());

    drive(&format!("http://{addr}/m"), &token, "listener pw").await;

    stop.shutdown();
    tokio::time::timeout(DEADLINE, serving)
        .await
        .expect("serve returns after shutdown")
        .expect("serve task")
        .expect("served");
    accept.abort();
    assert_eq!(managed_sessions_left(&tmux), Vec::<String>::new());
}
