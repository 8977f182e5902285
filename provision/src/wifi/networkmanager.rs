//! The `networkmanager` backend: NetworkManager's D-Bus API, spoken with zbus.
//!
//! Why zbus directly and not `nmrs`: `nmrs` (a higher-level NetworkManager crate on zbus) needs Rust
//! 1.90 (the workspace promises 1.89), and it chooses for us what this backend must control: the
//! exact connection settings (a *volatile* connection, deleted by NetworkManager when it is
//! deactivated, so nothing of the accessory's SoftAP is left in the user's saved networks; `ipv4.
//! never-default` so the SoftAP, which has no internet, never takes the default route), the device
//! and access point object, and re-activating the connection that was active before. The messages
//! are few and documented (`org.freedesktop.NetworkManager`, `.Device.Wireless`, `.AccessPoint`,
//! `.Connection.Active`, `.IP4Config`); building them here keeps them visible and testable without a
//! running NetworkManager (none runs on CI).
//!
//! Sequence: `GetDeviceByIpIface` (or the first Wi-Fi device), `RequestScan`, `GetAllAccessPoints`
//! and `Properties.GetAll(AccessPoint)`; remember the device's `ActiveConnection`;
//! `AddAndActivateConnection2(settings, device, ap, {persist: volatile})`; poll the active
//! connection's `State` until ACTIVATED (a failure whose `StateReason` is no-secrets or login-failed is
//! a refused passphrase); `Ip4Config.AddressData` and `Gateway`; `DeactivateConnection`; and
//! `ActivateConnection(previous, device, "/")` to restore.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

use super::{Lease, ScanResult, Security, WifiBackend, WifiError};

const NAME: &str = "networkmanager";
pub(crate) const NM_BUS: &str = "org.freedesktop.NetworkManager";
pub(crate) const NM_PATH: &str = "/org/freedesktop/NetworkManager";
const NM_DEVICE: &str = "org.freedesktop.NetworkManager.Device";
const NM_WIRELESS: &str = "org.freedesktop.NetworkManager.Device.Wireless";
pub(crate) const NM_AP: &str = "org.freedesktop.NetworkManager.AccessPoint";
const NM_ACTIVE: &str = "org.freedesktop.NetworkManager.Connection.Active";
const NM_IP4: &str = "org.freedesktop.NetworkManager.IP4Config";
const PROPERTIES: &str = "org.freedesktop.DBus.Properties";

/// `NM_DEVICE_TYPE_WIFI`.
const DEVICE_TYPE_WIFI: u32 = 2;
/// `NM_ACTIVE_CONNECTION_STATE_ACTIVATED` / `_DEACTIVATED`.
const ACTIVE_ACTIVATED: u32 = 2;
const ACTIVE_DEACTIVATED: u32 = 4;
/// `NM_ACTIVE_CONNECTION_STATE_REASON_NO_SECRETS` and `_LOGIN_FAILED`.
const REASON_NO_SECRETS: u32 = 9;
const REASON_LOGIN_FAILED: u32 = 10;

/// `NM80211ApSecurityFlags` and `NM80211ApFlags` bits used to tell the security.
const AP_FLAGS_PRIVACY: u32 = 0x1;
const SEC_KEY_MGMT_PSK: u32 = 0x100;
const SEC_KEY_MGMT_802_1X: u32 = 0x200;
const SEC_KEY_MGMT_SAE: u32 = 0x400;
const SEC_KEY_MGMT_OWE: u32 = 0x800;

/// The settings of the volatile connection that joins an accessory's SoftAP (`a{sa{sv}}`).
pub fn connection_settings<'a>(
    ssid: &'a str,
    security: Security,
    passphrase: Option<&'a str>,
) -> HashMap<&'static str, HashMap<&'static str, Value<'a>>> {
    let mut s = HashMap::new();
    s.insert(
        "connection",
        HashMap::from([
            ("type", Value::from("802-11-wireless")),
            ("id", Value::from(format!("accessory SoftAP {ssid}"))),
            ("autoconnect", Value::from(false)),
        ]),
    );
    s.insert(
        "802-11-wireless",
        HashMap::from([
            ("ssid", Value::from(ssid.as_bytes().to_vec())),
            ("mode", Value::from("infrastructure")),
        ]),
    );
    match (security, passphrase) {
        (Security::Wpa2Psk, Some(p)) => {
            s.insert(
                "802-11-wireless-security",
                HashMap::from([
                    ("key-mgmt", Value::from("wpa-psk")),
                    ("psk", Value::from(p)),
                ]),
            );
        }
        (Security::Wpa3Sae, Some(p)) => {
            s.insert(
                "802-11-wireless-security",
                HashMap::from([("key-mgmt", Value::from("sae")), ("psk", Value::from(p))]),
            );
        }
        _ => {}
    }
    s.insert(
        "ipv4",
        HashMap::from([
            ("method", Value::from("auto")),
            // The SoftAP has no internet: never let it take the default route.
            ("never-default", Value::from(true)),
        ]),
    );
    s.insert("ipv6", HashMap::from([("method", Value::from("ignore"))]));
    s
}

/// The arguments of `AddAndActivateConnection2`: settings, device, specific object (the access
/// point), options (`persist: volatile`).
pub(crate) type AddAndActivateArgs<'a, 's> = (
    &'s HashMap<&'static str, HashMap<&'static str, Value<'a>>>,
    zbus::zvariant::ObjectPath<'s>,
    zbus::zvariant::ObjectPath<'s>,
    HashMap<&'static str, Value<'static>>,
);

pub(crate) fn add_and_activate_args<'a, 's>(
    settings: &'s HashMap<&'static str, HashMap<&'static str, Value<'a>>>,
    device: &'s str,
    access_point: &'s str,
) -> zbus::Result<AddAndActivateArgs<'a, 's>> {
    let device = zbus::zvariant::ObjectPath::try_from(device)?;
    let ap = zbus::zvariant::ObjectPath::try_from(access_point)?;
    let options = HashMap::from([("persist", Value::from("volatile"))]);
    Ok((settings, device, ap, options))
}

/// The `AddAndActivateConnection2` call, as it goes on the wire (what the backend sends).
pub fn add_and_activate_message(
    settings: &HashMap<&'static str, HashMap<&'static str, Value<'_>>>,
    device: &str,
    access_point: &str,
) -> zbus::Result<zbus::Message> {
    zbus::Message::method_call(NM_PATH, "AddAndActivateConnection2")?
        .destination(NM_BUS)?
        .interface(NM_BUS)?
        .build(&add_and_activate_args(settings, device, access_point)?)
}

/// Reads an access point from its `Properties.GetAll` answer.
pub fn access_point_from_properties(
    path: &str,
    props: &HashMap<String, OwnedValue>,
) -> Option<ScanResult> {
    let ssid_bytes: Vec<u8> = props.get("Ssid")?.try_clone().ok()?.try_into().ok()?;
    let get_u32 = |k: &str| -> u32 {
        props
            .get(k)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0)
    };
    let strength: u8 = props
        .get("Strength")
        .and_then(|v| u8::try_from(v).ok())
        .unwrap_or(0);
    let bssid: Option<String> = props
        .get("HwAddress")
        .and_then(|v| v.try_clone().ok())
        .and_then(|v| String::try_from(v).ok());
    let flags = get_u32("Flags");
    let sec = get_u32("WpaFlags") | get_u32("RsnFlags");
    let security = if sec & SEC_KEY_MGMT_PSK != 0 {
        Some(Security::Wpa2Psk)
    } else if sec & SEC_KEY_MGMT_SAE != 0 {
        Some(Security::Wpa3Sae)
    } else if sec & (SEC_KEY_MGMT_802_1X | SEC_KEY_MGMT_OWE) != 0 || flags & AP_FLAGS_PRIVACY != 0 {
        None
    } else {
        Some(Security::Open)
    };
    let frequency = get_u32("Frequency");
    Some(ScanResult {
        ssid: String::from_utf8_lossy(&ssid_bytes).into_owned(),
        bssid,
        // NetworkManager reports 0-100 %; its own conversion from dBm is linear over -100..-50.
        signal_dbm: i32::from(strength.min(100)) / 2 - 100,
        security,
        frequency_mhz: (frequency != 0).then_some(frequency),
        handle: path.to_owned(),
    })
}

/// Joins through NetworkManager (the system bus).
pub struct NetworkManagerBackend {
    interface: Option<String>,
    runtime: Option<tokio::runtime::Runtime>,
    connection: Option<zbus::Connection>,
    device: Option<OwnedObjectPath>,
    previous: Option<OwnedObjectPath>,
    active: Option<OwnedObjectPath>,
}

impl std::fmt::Debug for NetworkManagerBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkManagerBackend")
            .field("interface", &self.interface)
            .finish_non_exhaustive()
    }
}

fn nm_err(e: impl std::fmt::Display) -> WifiError {
    WifiError::Backend {
        backend: NAME,
        message: e.to_string(),
    }
}

impl NetworkManagerBackend {
    /// Uses the Wi-Fi device `interface`, or the first Wi-Fi device NetworkManager manages.
    pub fn new(interface: Option<&str>) -> Self {
        NetworkManagerBackend {
            interface: interface.map(str::to_owned),
            runtime: None,
            connection: None,
            device: None,
            previous: None,
            active: None,
        }
    }

    fn block<T>(
        &mut self,
        f: impl for<'c> FnOnce(
            &'c zbus::Connection,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<T, WifiError>> + 'c>,
        >,
    ) -> Result<T, WifiError> {
        if self.runtime.is_none() {
            self.runtime = Some(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(nm_err)?,
            );
        }
        let rt = self.runtime.as_ref().expect("set above");
        if self.connection.is_none() {
            let c = rt.block_on(zbus::Connection::system()).map_err(|e| {
                nm_err(format!(
                    "cannot reach the system D-Bus (is NetworkManager running?): {e}"
                ))
            })?;
            self.connection = Some(c);
        }
        let conn = self.connection.as_ref().expect("set above");
        rt.block_on(f(conn))
    }

    fn device(&mut self) -> Result<OwnedObjectPath, WifiError> {
        if let Some(d) = &self.device {
            return Ok(d.clone());
        }
        let iface = self.interface.clone();
        let d = self.block(move |c| {
            Box::pin(async move {
                if let Some(iface) = iface {
                    let reply = c
                        .call_method(
                            Some(NM_BUS),
                            NM_PATH,
                            Some(NM_BUS),
                            "GetDeviceByIpIface",
                            &(iface.as_str(),),
                        )
                        .await
                        .map_err(nm_err)?;
                    return reply
                        .body()
                        .deserialize::<OwnedObjectPath>()
                        .map_err(nm_err);
                }
                let reply = c
                    .call_method(Some(NM_BUS), NM_PATH, Some(NM_BUS), "GetDevices", &())
                    .await
                    .map_err(nm_err)?;
                let devices: Vec<OwnedObjectPath> = reply.body().deserialize().map_err(nm_err)?;
                for d in devices {
                    let t = get_property(c, &d, NM_DEVICE, "DeviceType").await?;
                    if u32::try_from(&t).ok() == Some(DEVICE_TYPE_WIFI) {
                        return Ok(d);
                    }
                }
                Err(nm_err("NetworkManager manages no Wi-Fi device"))
            })
        })?;
        self.device = Some(d.clone());
        Ok(d)
    }
}

async fn get_property(
    c: &zbus::Connection,
    path: &OwnedObjectPath,
    interface: &str,
    name: &str,
) -> Result<OwnedValue, WifiError> {
    let reply = c
        .call_method(
            Some(NM_BUS),
            path.as_str(),
            Some(PROPERTIES),
            "Get",
            &(interface, name),
        )
        .await
        .map_err(nm_err)?;
    reply.body().deserialize::<OwnedValue>().map_err(nm_err)
}

impl WifiBackend for NetworkManagerBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn scan(&mut self) -> Result<Vec<ScanResult>, WifiError> {
        let device = self.device()?;
        self.block(move |c| {
            Box::pin(async move {
                let opts: HashMap<&str, Value<'_>> = HashMap::new();
                // A refused scan request (too soon after the last one) still leaves fresh results.
                let _ = c
                    .call_method(
                        Some(NM_BUS),
                        device.as_str(),
                        Some(NM_WIRELESS),
                        "RequestScan",
                        &(opts,),
                    )
                    .await;
                tokio::time::sleep(Duration::from_secs(3)).await;
                let reply = c
                    .call_method(
                        Some(NM_BUS),
                        device.as_str(),
                        Some(NM_WIRELESS),
                        "GetAllAccessPoints",
                        &(),
                    )
                    .await
                    .map_err(nm_err)?;
                let aps: Vec<OwnedObjectPath> = reply.body().deserialize().map_err(nm_err)?;
                let mut out = Vec::new();
                for ap in aps {
                    let reply = c
                        .call_method(
                            Some(NM_BUS),
                            ap.as_str(),
                            Some(PROPERTIES),
                            "GetAll",
                            &(NM_AP,),
                        )
                        .await
                        .map_err(nm_err)?;
                    let props: HashMap<String, OwnedValue> =
                        reply.body().deserialize().map_err(nm_err)?;
                    out.extend(access_point_from_properties(ap.as_str(), &props));
                }
                Ok(out)
            })
        })
    }

    fn join(&mut self, network: &ScanResult, passphrase: Option<&str>) -> Result<(), WifiError> {
        let Some(security) = network.security else {
            return Err(WifiError::Unsupported {
                ssid: network.ssid.clone(),
                security: None,
            });
        };
        if security.needs_passphrase() && passphrase.is_none() {
            return Err(WifiError::PassphraseRequired {
                ssid: network.ssid.clone(),
                security,
            });
        }
        let device = self.device()?;
        let network = network.clone();
        let pass = passphrase.map(|p| zeroize::Zeroizing::new(p.to_owned()));
        let (previous, active) = self.block(move |c| {
            Box::pin(async move {
                let previous = get_property(c, &device, NM_DEVICE, "ActiveConnection")
                    .await
                    .ok()
                    .and_then(|v| OwnedObjectPath::try_from(v).ok())
                    .filter(|p| p.as_str() != "/");
                let previous = match previous {
                    Some(active) => get_property(c, &active, NM_ACTIVE, "Connection")
                        .await
                        .ok()
                        .and_then(|v| OwnedObjectPath::try_from(v).ok()),
                    None => None,
                };
                let settings =
                    connection_settings(&network.ssid, security, pass.as_ref().map(|p| p.as_str()));
                let args = add_and_activate_args(&settings, device.as_str(), &network.handle)
                    .map_err(nm_err)?;
                let reply = c
                    .call_method(
                        Some(NM_BUS),
                        NM_PATH,
                        Some(NM_BUS),
                        "AddAndActivateConnection2",
                        &args,
                    )
                    .await
                    .map_err(nm_err)?;
                let (_conn, active, _result): (
                    OwnedObjectPath,
                    OwnedObjectPath,
                    HashMap<String, OwnedValue>,
                ) = reply.body().deserialize().map_err(nm_err)?;
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    let state = u32::try_from(get_property(c, &active, NM_ACTIVE, "State").await?)
                        .unwrap_or(0);
                    if state == ACTIVE_ACTIVATED {
                        return Ok((previous, active));
                    }
                    if state == ACTIVE_DEACTIVATED {
                        let reason = get_property(c, &active, NM_ACTIVE, "StateReason")
                            .await
                            .ok()
                            .and_then(|v| u32::try_from(&v).ok())
                            .unwrap_or(0);
                        if reason == REASON_NO_SECRETS || reason == REASON_LOGIN_FAILED {
                            return Err(WifiError::AuthFailed {
                                ssid: network.ssid.clone(),
                            });
                        }
                        return Err(nm_err(format!(
                            "activating {} failed (state reason {reason})",
                            network.ssid
                        )));
                    }
                    if Instant::now() > deadline {
                        return Err(nm_err(format!("{} not activated after 30 s", network.ssid)));
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        })?;
        self.previous = previous;
        self.active = Some(active);
        Ok(())
    }

    fn address(&mut self, timeout: Duration) -> Result<Lease, WifiError> {
        let device = self.device()?;
        let interface = self.interface.clone();
        self.block(move |c| {
            Box::pin(async move {
                let iface = match interface {
                    Some(i) => i,
                    None => {
                        String::try_from(get_property(c, &device, NM_DEVICE, "IpInterface").await?)
                            .map_err(nm_err)?
                    }
                };
                let deadline = Instant::now() + timeout;
                loop {
                    let cfg = OwnedObjectPath::try_from(
                        get_property(c, &device, NM_DEVICE, "Ip4Config").await?,
                    )
                    .map_err(nm_err)?;
                    if cfg.as_str() != "/" {
                        let data = get_property(c, &cfg, NM_IP4, "AddressData").await?;
                        let data: Vec<HashMap<String, OwnedValue>> =
                            data.try_into().map_err(nm_err)?;
                        if let Some(first) = data.first() {
                            let address: String = first
                                .get("address")
                                .and_then(|v| v.try_clone().ok())
                                .and_then(|v| String::try_from(v).ok())
                                .unwrap_or_default();
                            let prefix = first
                                .get("prefix")
                                .and_then(|v| u32::try_from(v).ok())
                                .unwrap_or(24);
                            let gateway = get_property(c, &cfg, NM_IP4, "Gateway")
                                .await
                                .ok()
                                .and_then(|v| String::try_from(v).ok())
                                .and_then(|g| g.parse().ok());
                            if let Ok(address) = address.parse() {
                                return Ok(Lease {
                                    interface: iface,
                                    address,
                                    prefix_len: prefix as u8,
                                    router: gateway,
                                    server: None,
                                    lease_time: None,
                                });
                            }
                        }
                    }
                    if Instant::now() > deadline {
                        return Err(WifiError::Dhcp {
                            interface: iface,
                            message: "NetworkManager reported no IPv4 address in time".into(),
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        })
    }

    fn leave(&mut self) -> Result<(), WifiError> {
        let Some(active) = self.active.take() else {
            return Ok(());
        };
        self.block(move |c| {
            Box::pin(async move {
                c.call_method(
                    Some(NM_BUS),
                    NM_PATH,
                    Some(NM_BUS),
                    "DeactivateConnection",
                    &(active,),
                )
                .await
                .map_err(nm_err)?;
                Ok(())
            })
        })
    }

    fn restore(&mut self) -> Result<(), WifiError> {
        let Some(previous) = self.previous.take() else {
            return Ok(());
        };
        let device = self.device()?;
        self.block(move |c| {
            Box::pin(async move {
                let root = zbus::zvariant::ObjectPath::try_from("/").map_err(nm_err)?;
                c.call_method(
                    Some(NM_BUS),
                    NM_PATH,
                    Some(NM_BUS),
                    "ActivateConnection",
                    &(previous, device, root),
                )
                .await
                .map_err(nm_err)?;
                Ok(())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_activation_call_has_the_documented_signature_and_a_volatile_never_default_connection() {
        let settings =
            connection_settings("Acme-3F2A", Security::Wpa2Psk, Some("label-passphrase"));
        let msg = add_and_activate_message(
            &settings,
            "/org/freedesktop/NetworkManager/Devices/3",
            "/org/freedesktop/NetworkManager/AccessPoint/17",
        )
        .unwrap();
        let header = msg.header();
        assert_eq!(
            header.member().unwrap().as_str(),
            "AddAndActivateConnection2"
        );
        assert_eq!(header.interface().unwrap().as_str(), NM_BUS);
        assert_eq!(header.destination().unwrap().as_str(), NM_BUS);
        let body = msg.body();
        // The four arguments (a{sa{sv}}, o, o, a{sv}), shown as one struct.
        assert_eq!(body.signature().to_string(), "(a{sa{sv}}ooa{sv})");
        type Settings = HashMap<String, HashMap<String, OwnedValue>>;
        let (s, dev, ap, opts): (
            Settings,
            OwnedObjectPath,
            OwnedObjectPath,
            HashMap<String, OwnedValue>,
        ) = body.deserialize().unwrap();
        assert_eq!(dev.as_str(), "/org/freedesktop/NetworkManager/Devices/3");
        assert_eq!(
            ap.as_str(),
            "/org/freedesktop/NetworkManager/AccessPoint/17"
        );
        assert_eq!(
            String::try_from(opts["persist"].try_clone().unwrap()).unwrap(),
            "volatile"
        );
        let ssid: Vec<u8> = s["802-11-wireless"]["ssid"]
            .try_clone()
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(ssid, b"Acme-3F2A");
        assert!(bool::try_from(&s["ipv4"]["never-default"]).unwrap());
        assert_eq!(
            String::try_from(
                s["802-11-wireless-security"]["key-mgmt"]
                    .try_clone()
                    .unwrap()
            )
            .unwrap(),
            "wpa-psk"
        );
    }

    #[test]
    fn an_open_softap_gets_no_security_section() {
        let settings = connection_settings("Acme-open", Security::Open, None);
        assert!(!settings.contains_key("802-11-wireless-security"));
    }

    fn owned(v: Value<'_>) -> OwnedValue {
        OwnedValue::try_from(v).unwrap()
    }

    #[test]
    fn access_points_are_read_from_their_properties() {
        // The property set NetworkManager answers for org.freedesktop.NetworkManager.AccessPoint.
        let mut p: HashMap<String, OwnedValue> = HashMap::new();
        p.insert("Ssid".into(), owned(Value::from(b"Acme-3F2A".to_vec())));
        p.insert("Strength".into(), owned(Value::from(80u8)));
        p.insert("Frequency".into(), owned(Value::from(2437u32)));
        p.insert("HwAddress".into(), owned(Value::from("02:00:00:3F:2A:01")));
        p.insert("Flags".into(), owned(Value::from(AP_FLAGS_PRIVACY)));
        p.insert("WpaFlags".into(), owned(Value::from(0u32)));
        // NM_802_11_AP_SEC_PAIR_CCMP | GROUP_CCMP | KEY_MGMT_PSK
        p.insert("RsnFlags".into(), owned(Value::from(0x188u32)));
        let ap = access_point_from_properties("/org/freedesktop/NetworkManager/AccessPoint/4", &p)
            .unwrap();
        assert_eq!(ap.ssid, "Acme-3F2A");
        assert_eq!(ap.security, Some(Security::Wpa2Psk));
        assert_eq!(ap.signal_dbm, -60);
        assert_eq!(ap.frequency_mhz, Some(2437));
        assert_eq!(ap.bssid.as_deref(), Some("02:00:00:3F:2A:01"));

        p.insert("Flags".into(), owned(Value::from(0u32)));
        p.insert("RsnFlags".into(), owned(Value::from(0u32)));
        let open = access_point_from_properties("/x", &p).unwrap();
        assert_eq!(open.security, Some(Security::Open));
    }
}
