//! The server embedded in another program, with its own credentials, tmux
//! socket and port: `cargo run -p tmux-mobile-server --example embed [port]`
//! (default port 8780; tmux socket `tmux -L embedded`). Ctrl-C stops it and
//! removes everything it created in tmux.
use std::sync::Arc;
use tmux_mobile_auth::{
    Authenticator, CredentialOptions, Credentials, PasswordChoice, ThrottlePolicy,
};
use tmux_mobile_server::{Server, ServerOptions};
use tmux_mobile_tmux_control::{Socket, Tmux, TmuxOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args().nth(1).map_or(Ok(8780), |p| p.parse())?;
    let tmux = Tmux::new(TmuxOptions::default().with_socket(Socket::Name("embedded".into())));
    let password = PasswordChoice::Given("correct horse".into());
    let creds = Credentials::generate(CredentialOptions::default().with_password(password))?;
    let token = creds.token().expose().to_owned();
    let auth = Arc::new(Authenticator::new(creds, ThrottlePolicy::default()));
    let options = ServerOptions::new(tmux, auth).with_bind(([127, 0, 0, 1], port).into());
    let server = Server::bind(options).await?;
    println!(
        "open http://{}/?token={token}",
        server.local_addr().ok_or("no address")?
    );
    let stop = server.shutdown_handle();
    tokio::spawn(async move { tokio::signal::ctrl_c().await.map(|()| stop.shutdown()) });
    Ok(server.serve().await?)
}
