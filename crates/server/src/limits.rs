//! How many WebSockets and clients one address, one credential and the
//! whole server may hold, so that nobody can make the server (and tmux)
//! spawn grouped sessions and PTYs without bound.
//!
//! Every `auth` that starts a new client creates a grouped tmux session
//! and a PTY running `tmux attach`, and a dropped client keeps both for the
//! resume grace period. Without limits, one address (or one leaked link)
//! could open thousands. The defaults ([`Limits::default`]) are far above
//! what a person with a few phones and tabs uses — each tab holds one
//! control and one terminal socket, a reconnect briefly two of each, and a
//! reloaded tab leaves its old client for the grace period — and still
//! keep the worst case to a few hundred small tmux clients.
//!
//! A refused socket is upgraded and closed at once with
//! [`CLOSE_TOO_MANY`] and a reason naming the limit; a refused client gets
//! an `error` naming the limit and then the same close code.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Close code (and the number in `docs/PROTOCOL.md`) for a socket or client
/// over a limit; after the HTTP status *429 Too Many Requests*.
pub(crate) const CLOSE_TOO_MANY: u16 = 4029;

/// The limits of a [`crate::Server`] (see [`crate::ServerOptions::limits`]).
///
/// ```
/// let mut limits = tmux_mobile_server::Limits::default();
/// assert_eq!(limits.clients_per_address, 128);
/// limits.clients_total = 64; // a small machine
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Open WebSockets (both endpoints, authenticated or not) from one
    /// address. Default 256: 100 tabs' control and terminal sockets, with
    /// room for reconnects.
    pub sockets_per_address: usize,
    /// Open WebSockets in all. Default 1024.
    pub sockets_total: usize,
    /// Clients (grouped session + PTY each, connected or waiting to
    /// resume) whose last login came from one address. Default 128.
    pub clients_per_address: usize,
    /// Clients of one credential (the control link, or the read-only
    /// link). Default 192.
    pub clients_per_credential: usize,
    /// Clients in all. Default 256.
    pub clients_total: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            sockets_per_address: 256,
            sockets_total: 1024,
            clients_per_address: 128,
            clients_per_credential: 192,
            clients_total: 256,
        }
    }
}

/// Counts open WebSockets, per address and in all.
#[derive(Debug, Default)]
pub(crate) struct SocketCounter {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    per_address: HashMap<IpAddr, usize>,
    total: usize,
}

/// One open WebSocket; dropping it frees its place.
#[derive(Debug)]
pub(crate) struct SocketPermit {
    counter: Arc<SocketCounter>,
    address: IpAddr,
}

impl SocketCounter {
    /// A place for one more socket from `address`, or why there is none.
    pub(crate) fn open(
        self: &Arc<Self>,
        address: IpAddr,
        limits: &Limits,
    ) -> Result<SocketPermit, String> {
        let mut counts = lock(&self.counts);
        let mine = counts.per_address.get(&address).copied().unwrap_or(0);
        if mine >= limits.sockets_per_address {
            return Err(format!(
                "too many connections from your address (limit {})",
                limits.sockets_per_address
            ));
        }
        if counts.total >= limits.sockets_total {
            return Err(format!(
                "the server has too many connections (limit {})",
                limits.sockets_total
            ));
        }
        counts.total += 1;
        *counts.per_address.entry(address).or_default() += 1;
        Ok(SocketPermit {
            counter: Arc::clone(self),
            address,
        })
    }
}

impl Drop for SocketPermit {
    fn drop(&mut self) {
        let mut counts = lock(&self.counter.counts);
        counts.total = counts.total.saturating_sub(1);
        if let Some(count) = counts.per_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.per_address.remove(&self.address);
            }
        }
    }
}

/// Whether one more client may be created, given how many there are: in
/// all, from its address, and of its credential. `Err` is the reason, for
/// the person.
pub(crate) fn check_clients(
    limits: &Limits,
    total: usize,
    from_address: usize,
    of_credential: usize,
) -> Result<(), String> {
    if from_address >= limits.clients_per_address {
        return Err(format!(
            "too many tmux-mobile clients from your address (limit {}); close other tabs, \
             or wait for disconnected ones to expire",
            limits.clients_per_address
        ));
    }
    if of_credential >= limits.clients_per_credential {
        return Err(format!(
            "too many tmux-mobile clients use this link (limit {}); close other tabs, \
             or wait for disconnected ones to expire",
            limits.clients_per_credential
        ));
    }
    if total >= limits.clients_total {
        return Err(format!(
            "the server has too many clients (limit {}); try again later",
            limits.clients_total
        ));
    }
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_are_counted_per_address_and_in_all_and_freed_on_drop() {
        let limits = Limits {
            sockets_per_address: 2,
            sockets_total: 3,
            ..Limits::default()
        };
        let counter = Arc::new(SocketCounter::default());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = counter.open(a, &limits).unwrap();
        let _second = counter.open(a, &limits).unwrap();
        let refused = counter.open(a, &limits).unwrap_err();
        assert!(refused.contains("your address (limit 2)"), "{refused}");
        let _third = counter.open(b, &limits).unwrap();
        let refused = counter.open(b, &limits).unwrap_err();
        assert!(refused.contains("server"), "{refused}");
        drop(first);
        assert!(counter.open(b, &limits).is_ok());
    }

    #[test]
    fn client_limits_name_the_one_reached() {
        let limits = Limits {
            clients_per_address: 2,
            clients_per_credential: 3,
            clients_total: 4,
            ..Limits::default()
        };
        assert!(check_clients(&limits, 3, 1, 2).is_ok());
        assert!(
            check_clients(&limits, 3, 2, 2)
                .unwrap_err()
                .contains("address")
        );
        assert!(
            check_clients(&limits, 3, 1, 3)
                .unwrap_err()
                .contains("link")
        );
        assert!(
            check_clients(&limits, 4, 1, 2)
                .unwrap_err()
                .contains("server")
        );
    }
}
