//! `tmux_state_delta` (extension): what changed since the last state, for a
//! client that asked for deltas (subprotocol [`STATE_DELTA_SUBPROTOCOL`] on
//! `/ws/control`).
//!
//! The rules are in the [crate documentation](crate#state-deltas-extension).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ProtocolError;

/// The WebSocket subprotocol with which a browser asks `/ws/control` for
/// `tmux_state_delta` messages instead of repeated full states.
pub const STATE_DELTA_SUBPROTOCOL: &str = "tmux-mobile.v1.state-delta";

/// The body of `tmux_state_delta` (see the [crate documentation](crate#state-deltas-extension)).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StateDelta(pub Value);

const SESSIONS: &str = "sessions";
const WINDOWS: &str = "windowStates";
const SESSION_KEY: &str = "name";
const WINDOW_KEY: &str = "index";

/// The delta that turns `base` into `next` (both `tmux_state` bodies).
pub fn state_delta(base: &Value, next: &Value) -> Value {
    let mut out = top_level_fields(next);
    let base_sessions = keyed(base.get(SESSIONS), SESSION_KEY);
    let sessions = list(next.get(SESSIONS))
        .iter()
        .map(|session| {
            let Some(name) = session.get(SESSION_KEY).and_then(Value::as_str) else {
                return session.clone();
            };
            let Some(old) = base_sessions.as_ref().and_then(|m| m.get(name)) else {
                return session.clone();
            };
            if *old == session {
                return Value::String(name.to_owned());
            }
            session_delta(old, session)
        })
        .collect();
    out.insert(SESSIONS.to_owned(), Value::Array(sessions));
    Value::Object(out)
}

/// `next` with its unchanged windows replaced by their indexes.
fn session_delta(old: &Value, next: &Value) -> Value {
    let Some(fields) = next.as_object() else {
        return next.clone();
    };
    let old_windows = keyed(old.get(WINDOWS), WINDOW_KEY);
    let mut out = Map::new();
    for (key, value) in fields {
        if key != WINDOWS {
            out.insert(key.clone(), value.clone());
            continue;
        }
        let windows = list(Some(value))
            .iter()
            .map(|window| {
                let index = window.get(WINDOW_KEY).and_then(Value::as_u64);
                match (index, old_windows.as_ref()) {
                    (Some(index), Some(old))
                        if old.get(&index.to_string()).copied() == Some(window) =>
                    {
                        Value::from(index)
                    }
                    _ => (*window).clone(),
                }
            })
            .collect();
        out.insert(key.clone(), Value::Array(windows));
    }
    Value::Object(out)
}

/// The state that `delta` describes, given the `base` it was made against.
///
/// # Errors
///
/// [`ProtocolError::InvalidFormat`] when the delta is not an object with a
/// `sessions` list, or names a session or window the base does not have.
pub fn apply_state_delta(base: &Value, delta: &Value) -> Result<Value, ProtocolError> {
    if !delta.is_object() {
        return Err(ProtocolError::InvalidFormat);
    }
    let Some(Value::Array(entries)) = delta.get(SESSIONS) else {
        return Err(ProtocolError::InvalidFormat);
    };
    let base_sessions = keyed(base.get(SESSIONS), SESSION_KEY).unwrap_or_default();
    let mut sessions = Vec::with_capacity(entries.len());
    for entry in entries {
        let session = match entry {
            Value::String(name) => (*base_sessions
                .get(name.as_str())
                .ok_or(ProtocolError::InvalidFormat)?)
            .clone(),
            Value::Object(fields) => {
                let old = fields
                    .get(SESSION_KEY)
                    .and_then(Value::as_str)
                    .and_then(|name| base_sessions.get(name));
                apply_session(old.copied(), fields)?
            }
            _ => return Err(ProtocolError::InvalidFormat),
        };
        sessions.push(session);
    }
    let mut out = top_level_fields(delta);
    out.insert(SESSIONS.to_owned(), Value::Array(sessions));
    Ok(Value::Object(out))
}

fn apply_session(old: Option<&Value>, fields: &Map<String, Value>) -> Result<Value, ProtocolError> {
    let old_windows = old
        .and_then(|old| keyed(old.get(WINDOWS), WINDOW_KEY))
        .unwrap_or_default();
    let mut out = Map::new();
    for (key, value) in fields {
        if key != WINDOWS {
            out.insert(key.clone(), value.clone());
            continue;
        }
        let Value::Array(entries) = value else {
            return Err(ProtocolError::InvalidFormat);
        };
        let mut windows = Vec::with_capacity(entries.len());
        for entry in entries {
            windows.push(match entry {
                Value::Number(index) => (*old_windows
                    .get(&index.to_string())
                    .ok_or(ProtocolError::InvalidFormat)?)
                .clone(),
                Value::Object(_) => entry.clone(),
                _ => return Err(ProtocolError::InvalidFormat),
            });
        }
        out.insert(key.clone(), Value::Array(windows));
    }
    Ok(Value::Object(out))
}

/// Every field of a state but `sessions`.
fn top_level_fields(state: &Value) -> Map<String, Value> {
    state
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .filter(|(key, _)| key.as_str() != SESSIONS)
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn list(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The elements of a list by their key (as a string), or `None` when a key
/// is missing or repeated (then nothing may be referred to by key).
fn keyed<'a>(value: Option<&'a Value>, key: &str) -> Option<HashMap<String, &'a Value>> {
    let items = list(value);
    let mut map = HashMap::with_capacity(items.len());
    for item in items {
        let id = match item.get(key)? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        if map.insert(id, item).is_some() {
            return None;
        }
    }
    Some(map)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A server like the issue's: `s` sessions × `w` windows × `p` panes.
    fn big_state(s: u32, w: u32, p: u32) -> Value {
        let sessions: Vec<Value> = (0..s)
            .map(|si| {
                let windows: Vec<Value> = (0..w)
                    .map(|wi| {
                        let panes: Vec<Value> = (0..p)
                            .map(|pi| {
                                json!({"index": pi, "id": format!("%{}", si * 1000 + wi * 10 + pi),
                                       "currentCommand": "fish", "active": pi == 0,
                                       "width": 80, "height": 24, "zoomed": false})
                            })
                            .collect();
                        json!({"index": wi, "name": format!("window-{wi}"), "active": wi == 0,
                               "paneCount": p, "panes": panes})
                    })
                    .collect();
                json!({"name": format!("session-{si:02}"), "attached": si == 0, "windows": w,
                       "windowStates": windows})
            })
            .collect();
        json!({"sessions": sessions, "capturedAt": "2026-12-03T09:00:00.000Z"})
    }

    #[test]
    fn a_window_rename_on_a_big_server_costs_well_under_a_kilobyte() {
        let base = big_state(10, 10, 4);
        let full = serde_json::to_string(&json!({"type": "tmux_state", "state": base})).unwrap();
        assert!(full.len() > 20_000, "full state is {} bytes", full.len());
        let mut next = base.clone();
        next["sessions"][4]["windowStates"][7]["name"] = json!("renamed-from-outside");
        next["capturedAt"] = json!("2026-12-03T09:00:01.000Z");
        let delta = state_delta(&base, &next);
        let wire =
            serde_json::to_string(&json!({"type": "tmux_state_delta", "delta": delta})).unwrap();
        assert!(wire.len() <= 1024, "delta is {} bytes: {wire}", wire.len());
        assert_eq!(apply_state_delta(&base, &delta).unwrap(), next);
    }

    /// A tiny deterministic generator, so the round trip covers many shapes.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n.max(1)
        }
    }

    /// One random change of the kinds tmux makes.
    fn mutate(state: &mut Value, rng: &mut Rng) {
        let sessions = state["sessions"].as_array_mut().unwrap();
        match rng.next(8) {
            0 => {
                let n = rng.next(1000);
                let at = rng.next(sessions.len() as u64 + 1) as usize;
                sessions.insert(
                    at,
                    json!({"name": format!("new-{n}"), "attached": false, "windows": 0, "windowStates": []}),
                );
            }
            1 if !sessions.is_empty() => {
                let at = rng.next(sessions.len() as u64) as usize;
                sessions.remove(at);
            }
            2 if sessions.len() > 1 => {
                let last = sessions.len() - 1;
                sessions.swap(0, last);
            }
            _ if !sessions.is_empty() => {
                let at = rng.next(sessions.len() as u64) as usize;
                let session = &mut sessions[at];
                let windows = session["windowStates"].as_array_mut().unwrap();
                match rng.next(5) {
                    0 => {
                        let index = 100 + rng.next(1000);
                        windows.push(json!({"index": index, "name": "w", "active": false,
                                            "paneCount": 0, "panes": []}));
                    }
                    1 if !windows.is_empty() => {
                        let at = rng.next(windows.len() as u64) as usize;
                        windows.remove(at);
                    }
                    2 if !windows.is_empty() => {
                        let at = rng.next(windows.len() as u64) as usize;
                        windows[at]["panes"] = json!([{"index": 0, "id": "%9", "currentCommand": "vim",
                            "active": true, "width": 40, "height": 20, "zoomed": true}]);
                    }
                    3 => session["attached"] = json!(rng.next(2) == 0),
                    _ if !windows.is_empty() => {
                        let at = rng.next(windows.len() as u64) as usize;
                        windows[at]["name"] = json!(format!("renamed-{}", rng.next(100)));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        // A field a later version might add travels too.
        if rng.next(4) == 0 {
            state["attention"] = json!([rng.next(3)]);
        }
    }

    #[test]
    fn applying_deltas_reproduces_every_state_of_a_random_history() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for history in 0..40 {
            let mut client = big_state(3, 4, 2);
            let mut server = client.clone();
            for step in 0..50 {
                let mut next = server.clone();
                for _ in 0..=rng.next(3) {
                    mutate(&mut next, &mut rng);
                }
                let delta = state_delta(&server, &next);
                // Through the wire, as a client would see it.
                let delta: Value =
                    serde_json::from_str(&serde_json::to_string(&delta).unwrap()).unwrap();
                client = apply_state_delta(&client, &delta)
                    .unwrap_or_else(|e| panic!("history {history} step {step}: {e}"));
                assert_eq!(client, next, "history {history} step {step}");
                server = next;
            }
        }
    }

    #[test]
    fn repeated_names_fall_back_to_whole_values() {
        let base = json!({"sessions": [
            {"name": "x", "windowStates": []}, {"name": "x", "windowStates": []}]});
        let next = base.clone();
        let delta = state_delta(&base, &next);
        assert!(
            delta["sessions"][0].is_object(),
            "no reference to an ambiguous name"
        );
        assert_eq!(apply_state_delta(&base, &delta).unwrap(), next);
    }

    #[test]
    fn deltas_that_name_what_the_base_lacks_are_refused() {
        let base = big_state(1, 1, 1);
        for bad in [
            json!({"sessions": ["nope"]}),
            json!({"sessions": [{"name": "session-00", "windowStates": [5]}]}),
            json!({"sessions": [3]}),
            json!({"sessions": "all"}),
            json!([]),
        ] {
            assert_eq!(
                apply_state_delta(&base, &bad),
                Err(ProtocolError::InvalidFormat),
                "{bad}"
            );
        }
    }
}
