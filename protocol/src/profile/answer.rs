//! What an answer means under a profile (the client's side: [`ApiProfile::read_device`],
//! [`ApiProfile::read_status`]) and what an accessory of the profile answers (the simulator's side:
//! [`ApiProfile::device_answer`], [`ApiProfile::status_answer`]), written next to each other so
//! the two ends cannot disagree.

use crate::api::{DeviceInfo, NetworkEntry, NetworkList, Reason, State, Status};

use super::{ApiProfile, NetworksEndpoint, Reading};

impl ApiProfile {
    /// Reads the device info answer: `None` when there is no device id (a string) at the pointer.
    pub fn read_device(&self, answer: &serde_json::Value) -> Option<DeviceInfo> {
        let d = &self.device;
        let text = |p: &Option<String>| {
            p.as_deref()
                .and_then(|p| answer.pointer(p))
                .map(scalar_text)
                .unwrap_or_default()
        };
        Some(DeviceInfo {
            device_id: answer.pointer(&d.id)?.as_str()?.to_owned(),
            model: text(&d.model),
            firmware: text(&d.firmware),
            api: d
                .api
                .as_deref()
                .and_then(|p| answer.pointer(p))
                .cloned()
                .unwrap_or(serde_json::Value::Null),
            capabilities: d
                .capabilities
                .as_deref()
                .and_then(|p| answer.pointer(p))
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// Reads a status answer: the state at its pointer, mapped; `None` when there is no state.
    pub fn read_status(&self, answer: &serde_json::Value) -> Option<Reading> {
        let s = &self.status;
        let state = scalar_text(answer.pointer(&s.state)?);
        let ip =
            s.ip.as_deref()
                .and_then(|p| answer.pointer(p))
                .and_then(|v| v.as_str())
                .map(str::to_owned);
        let is = |list: &[String]| list.contains(&state);
        let plain = |state| {
            Some(Reading::Status(Status {
                state,
                reason: None,
                ip: None,
            }))
        };
        if is(&s.connected) {
            return Some(Reading::Status(Status {
                state: State::Connected,
                reason: None,
                ip,
            }));
        }
        if is(&s.connecting) {
            return plain(State::Connecting);
        }
        if is(&s.idle) {
            return plain(State::Idle);
        }
        let said = s
            .reason
            .as_deref()
            .and_then(|p| answer.pointer(p))
            .map(scalar_text);
        let reason_of = |text: &str| {
            let has = |list: &[String]| list.iter().any(|x| x == text);
            if has(&s.wrong_passphrase) {
                Some(Reason::AuthFailed)
            } else if has(&s.network_not_found) {
                Some(Reason::NetworkNotFound)
            } else if has(&s.other) {
                Some(Reason::Other(text.to_owned()))
            } else {
                None
            }
        };
        let failed = |reason| {
            Some(Reading::Status(Status {
                state: State::Failed,
                reason: Some(reason),
                ip: None,
            }))
        };
        if is(&s.failed) {
            return failed(match &said {
                Some(r) => reason_of(r).unwrap_or_else(|| Reason::from(r.as_str())),
                None => Reason::Other("unknown".into()),
            });
        }
        match reason_of(&state) {
            Some(reason) => failed(reason),
            None => Some(Reading::Unmapped(state)),
        }
    }

    /// The device info answer an accessory of this profile sends.
    pub fn device_answer(&self, info: &DeviceInfo) -> serde_json::Value {
        let d = &self.device;
        let mut v = serde_json::Value::Null;
        set_pointer(&mut v, &d.id, info.device_id.clone().into());
        if let Some(p) = &d.model {
            set_pointer(&mut v, p, info.model.clone().into());
        }
        if let Some(p) = &d.firmware {
            set_pointer(&mut v, p, info.firmware.clone().into());
        }
        if let Some(p) = &d.api {
            set_pointer(&mut v, p, info.api.clone());
        }
        if let Some(p) = &d.capabilities {
            set_pointer(&mut v, p, info.capabilities.clone().into());
        }
        v
    }

    /// The status answer an accessory of this profile sends for our status: the first of the
    /// device's strings for the state (and the reason).
    pub fn status_answer(&self, status: &Status) -> serde_json::Value {
        let s = &self.status;
        let first = |list: &[String]| list.first().cloned();
        let (state, reason) = match status.state {
            State::Connected => (first(&s.connected), None),
            State::Connecting | State::Configured => (first(&s.connecting), None),
            State::Idle => (first(&s.idle).or_else(|| first(&s.connecting)), None),
            State::Failed => {
                let reason = match status.reason {
                    Some(Reason::AuthFailed) => first(&s.wrong_passphrase),
                    Some(Reason::NetworkNotFound) => first(&s.network_not_found),
                    _ => None,
                }
                .or_else(|| first(&s.other));
                match (&s.reason, first(&s.failed)) {
                    // The device says "failed" and the reason apart.
                    (Some(_), Some(failed)) => (
                        Some(failed),
                        reason.or_else(|| status.reason.as_ref().map(|r| r.to_string())),
                    ),
                    // The state is the reason.
                    _ => (reason.or_else(|| first(&s.failed)), None),
                }
            }
        };
        let mut v = serde_json::Value::Null;
        set_pointer(&mut v, &s.state, device_scalar(&state.unwrap_or_default()));
        if let (Some(p), Some(r)) = (&s.reason, reason) {
            set_pointer(&mut v, p, device_scalar(&r));
        }
        if let (Some(p), Some(ip)) = (&s.ip, &status.ip) {
            set_pointer(&mut v, p, ip.clone().into());
        }
        v
    }
}

impl NetworksEndpoint {
    /// Reads a networks answer: the array at `list`, each entry's SSID (a string) at its member;
    /// `None` when there is no array there. An entry without an SSID is left out. The signal
    /// strength and security are read where the profile names members for them, else 0 dBm
    /// and `""` (unknown: the caller's `--network-security` applies).
    pub fn read(&self, answer: &serde_json::Value) -> Option<NetworkList> {
        let entries = answer.pointer(&self.list)?.as_array()?;
        let networks = entries
            .iter()
            .filter_map(|e| {
                let ssid = e.get(&self.ssid)?.as_str()?.to_owned();
                let member = |m: &Option<String>| m.as_deref().and_then(|m| e.get(m));
                Some(NetworkEntry {
                    ssid,
                    rssi: member(&self.rssi)
                        .and_then(serde_json::Value::as_i64)
                        .and_then(|n| i32::try_from(n).ok())
                        .unwrap_or(0),
                    channel: e
                        .get("channel")
                        .and_then(serde_json::Value::as_u64)
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(0),
                    security: member(&self.security)
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                })
            })
            .collect();
        Some(NetworkList { networks })
    }

    /// What an accessory of the profile answers for `list` (the simulator's side of
    /// [`NetworksEndpoint::read`]): each entry as `/v1/networks` writes it, with the SSID, signal
    /// strength and security also under the profile's member names, the array at `list`.
    pub fn answer(&self, list: &NetworkList) -> serde_json::Value {
        let entries: Vec<serde_json::Value> = list
            .networks
            .iter()
            .map(|n| {
                let mut entry = serde_json::to_value(n).unwrap_or_default();
                if let Some(object) = entry.as_object_mut() {
                    object.insert(self.ssid.clone(), n.ssid.clone().into());
                    if let Some(m) = &self.rssi {
                        object.insert(m.clone(), n.rssi.into());
                    }
                    if let Some(m) = &self.security {
                        object.insert(m.clone(), n.security.clone().into());
                    }
                }
                entry
            })
            .collect();
        let mut v = serde_json::Value::Null;
        set_pointer(&mut v, &self.list, entries.into());
        v
    }
}

/// A scalar as the text a profile compares: a string as itself, a number or boolean as JSON
/// writes it.
fn scalar_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A device string as the accessory writes it: a number when it is one (`"3"` -> `3`).
fn device_scalar(text: &str) -> serde_json::Value {
    match text.parse::<i64>() {
        Ok(n) => n.into(),
        Err(_) => text.into(),
    }
}

/// Sets the value at a JSON pointer, making the objects on the way.
pub fn set_pointer(root: &mut serde_json::Value, pointer: &str, value: serde_json::Value) {
    let mut at = root;
    for token in pointer.split('/').skip(1) {
        let key = token.replace("~1", "/").replace("~0", "~");
        if !at.is_object() {
            *at = serde_json::Value::Object(Default::default());
        }
        at = at
            .as_object_mut()
            .expect("made an object")
            .entry(key)
            .or_insert(serde_json::Value::Null);
    }
    *at = value;
}
