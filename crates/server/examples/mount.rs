//! tmux-mobile mounted under `/tmux/` of a host hyper app that keeps its
//! own routes (`/` and `/healthz` here): `cargo run -p tmux-mobile-server
//! --example mount [port]` (default port 8781; tmux socket `tmux -L
//! mounted`). The host accepts the connections and hands every request
//! under `/tmux` to [`Server::service`]; Ctrl-C stops both and removes
//! everything tmux-mobile created in tmux.
//!
//! The browser UI is then at `/tmux/` (`/tmux` redirects there), and the
//! sockets at `/tmux/ws/control` and `/tmux/ws/terminal`.
use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::{Service, service_fn};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tmux_mobile_auth::{
    Authenticator, CredentialOptions, Credentials, PasswordChoice, ThrottlePolicy,
};
use tmux_mobile_server::{Server, ServerOptions};
use tmux_mobile_tmux_control::{Socket, Tmux, TmuxOptions};

/// The host's own routes.
fn host_route(req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let body = match req.uri().path() {
        "/healthz" => "ok\n",
        _ => "the host app; tmux-mobile is under /tmux/\n",
    };
    Response::new(Full::new(Bytes::from_static(body.as_bytes())))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args().nth(1).map_or(Ok(8781), |p| p.parse())?;
    let tmux = Tmux::new(TmuxOptions::default().with_socket(Socket::Name("mounted".into())));
    let password = PasswordChoice::Given("correct horse".into());
    let creds = Credentials::generate(CredentialOptions::default().with_password(password))?;
    let token = creds.token().expose().to_owned();
    let auth = Arc::new(Authenticator::new(creds, ThrottlePolicy::default()));
    let server = Server::without_listener(ServerOptions::new(tmux, auth)).await?;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("open http://{}/tmux/?token={token}", listener.local_addr()?);
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = &mut ctrl_c => break,
        };
        let tmux_mobile = server.service(peer).with_prefix("/tmux");
        let host = service_fn(move |req: Request<Incoming>| {
            if tmux_mobile.serves_path(req.uri().path()) {
                tmux_mobile.call(req)
            } else {
                let response = host_route(&req);
                Box::pin(async move { Ok::<_, Infallible>(response) })
            }
        });
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), host)
                .with_upgrades();
            if let Err(error) = connection.await {
                eprintln!("connection from {peer}: {error}");
            }
        });
    }
    // Closes the sockets, kills the terminals, removes the grouped sessions.
    server.shutdown_handle().shutdown();
    Ok(server.serve().await?)
}
