//! Remembered devices: the owner lists the browsers that may log in
//! without the password (each holds a session key, see
//! `tmux_mobile_auth::Device`) and revokes any of them.
//!
//! Revoking forgets the device's key (in the token file too, when there is
//! one) and ends its clients at once: their control socket closes with
//! [`CLOSE_REVOKED`] and their grouped sessions and PTYs are removed (no
//! resume grace), so the browser is asked for the password again. Only a
//! control (not read-only) client may list or revoke.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tmux_mobile_protocol::{DeviceId, DeviceInfo, ServerMessage};

use crate::clients::Client;
use crate::server::Shared;

/// Close code of a control socket whose device was revoked. The browser
/// reconnects, its key is refused, and it asks for the password.
pub(crate) const CLOSE_REVOKED: u16 = 4003;

/// How long the removal of a revoked client waits for its control socket
/// to close (a socket that stopped reading is not waited for longer).
const CONTROL_CLOSE_WAIT: Duration = Duration::from_secs(5);

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The `devices` message for a client whose own device is `current`.
pub(crate) fn list(shared: &Shared, current: Option<&str>) -> ServerMessage {
    let online = shared.clients.connected_devices();
    let devices = shared
        .options
        .authenticator
        .devices()
        .into_iter()
        .filter_map(|d| {
            Some(DeviceInfo {
                online: online.contains(&d.id),
                current: current == Some(d.id.as_str()),
                id: DeviceId::try_from(d.id.as_str()).ok()?,
                label: d.label,
                read_only: d.role.is_read_only(),
                issued_at: unix_ms(d.issued),
                last_seen_at: unix_ms(d.last_seen),
                expires_at: unix_ms(d.expires),
            })
        })
        .collect();
    ServerMessage::Devices { devices }
}

/// Revokes device `id` and ends its clients. `Err` is the text of the
/// `error` to send.
pub(crate) fn revoke(shared: &Arc<Shared>, by: &Client, id: &DeviceId) -> Result<(), String> {
    if !shared.options.authenticator.revoke_device(id.as_str()) {
        return Err("that device is not remembered (any more); the list is refreshed".into());
    }
    log::info!("client {} revoked device {}", by.id, id.as_str());
    // Its push subscriptions go now, not at the next check.
    crate::push::update_watch(shared);
    for client in shared.clients.of_device(id.as_str()) {
        if shared.clients.remove(&client.id).is_none() {
            continue;
        }
        let closed = client.revoke();
        let shared = Arc::clone(shared);
        let tasks = shared.tasks.clone();
        tasks.spawn(async move {
            // The control socket closes first (4003), so the browser learns
            // why before its terminal socket drops.
            let _ = tokio::time::timeout(CONTROL_CLOSE_WAIT, closed).await;
            client.dispose(shared.tmux()).await;
            shared.refresh_state().await;
        });
    }
    Ok(())
}

/// A short description of a browser from its `User-Agent`, such as
/// `"Android · Chrome"` or `"iPhone · Safari"`; empty when nothing is
/// recognised. Only well-known words are ever returned, so a hostile
/// header cannot put text of its choosing in front of the owner.
pub(crate) fn label_from_user_agent(ua: &str) -> String {
    let system = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| name);
    let browser = [
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("EdgA/", "Edge"),
        ("Edg/", "Edge"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("OPR/", "Opera"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| name);
    match (system, browser) {
        (Some(s), Some(b)) => format!("{s} · {b}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_become_short_known_words() {
        let cases = [
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/126.0 Mobile Safari/537.36",
                "Android · Chrome",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "iPhone · Safari",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 HeadlessChrome/126.0 Safari/537.36",
                "Linux · Headless Chrome",
            ),
            ("curl/8.5.0", ""),
            ("<script>alert(1)</script> Firefox/1", "Firefox"),
        ];
        for (ua, want) in cases {
            assert_eq!(label_from_user_agent(ua), want, "{ua}");
        }
    }
}
