//! The SoftAP's DHCP server: dnsmasq, as many real SoftAP firmwares embed, run in the namespace as a
//! foreground child with DNS off and nothing read from the host's configuration.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Error;

/// Where Debian's dnsmasq-base puts the binary; `PATH` is searched when it is elsewhere.
const DNSMASQ: &str = "/usr/sbin/dnsmasq";

pub(crate) struct DhcpServer {
    child: Child,
    pub(crate) lease_file: PathBuf,
}

impl DhcpServer {
    /// Starts dnsmasq in `namespace` on `interface`, leasing 192.168.4.10–100 with the accessory as
    /// router, and waits until it has written its pid file (it has bound its socket by then).
    pub(crate) fn start(namespace: &str, interface: &str, dir: &Path) -> Result<Self, Error> {
        let lease_file = dir.join("dnsmasq.leases");
        let pid_file = dir.join("dnsmasq.pid");
        let log_file = dir.join("dnsmasq.log");
        let program = if Path::new(DNSMASQ).exists() {
            DNSMASQ
        } else {
            "dnsmasq"
        };
        let child = Command::new("ip")
            .args(["netns", "exec", namespace, program])
            .args([
                "--keep-in-foreground",
                // No configuration from the host: only what is below.
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                // DNS off: a SoftAP accessory answers nothing but DHCP and its API.
                "--port=0",
                &format!("--interface={interface}"),
                "--bind-interfaces",
                "--dhcp-range=192.168.4.10,192.168.4.100,255.255.255.0,1h",
                "--dhcp-option=option:router,192.168.4.1",
                "--dhcp-authoritative",
                // One station per SoftAP: the "is this address in use" ping (up to 3 s) only delays it.
                "--no-ping",
                // Root is kept so the lease file in our temporary directory stays writable.
                "--user=root",
                "--group=root",
                &format!("--dhcp-leasefile={}", lease_file.display()),
                &format!("--pid-file={}", pid_file.display()),
                &format!("--log-facility={}", log_file.display()),
                "--log-dhcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| Error::Spawn {
                program: "dnsmasq".into(),
                source,
            })?;
        let mut server = DhcpServer { child, lease_file };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut message = String::new();
                if let Some(mut e) = server.child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut message);
                }
                return Err(Error::Command {
                    command: format!("dnsmasq in {namespace}"),
                    message: format!("exited with {status}: {}", message.trim()),
                });
            }
            if std::fs::metadata(&pid_file)
                .map(|m| m.len() > 0)
                .unwrap_or(false)
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(Error::Command {
                    command: format!("dnsmasq in {namespace}"),
                    message: "did not write its pid file within 10 s".into(),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether a station has been leased an address yet.
    pub(crate) fn has_lease(&self) -> bool {
        std::fs::metadata(&self.lease_file)
            .map(|m| m.len() > 0)
            .unwrap_or(false)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops dnsmasq and reaps it.
    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DhcpServer {
    fn drop(&mut self) {
        self.stop();
    }
}
