//! The few things a SoftAP needs from the kernel, done the way an administrator would: `ip` for links,
//! addresses and namespaces (iproute2 is the reference client of rtnetlink, and its error messages are
//! the ones people search for), and `setns(2)` through rustix's safe wrapper to run a server inside the
//! namespace from one thread of this process.

use std::fs::File;
use std::os::fd::AsFd;
use std::path::Path;
use std::process::{Command, Stdio};

use super::Error;

/// Runs `ip ARGS` and returns its stdout; a failure carries the command line and `ip`'s own message.
pub(crate) fn ip(args: &[&str]) -> Result<String, Error> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Spawn {
            program: "ip".into(),
            source,
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(Error::Command {
            command: format!("ip {}", args.join(" ")),
            message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// `ip -n NAMESPACE ARGS`.
pub(crate) fn ip_in(namespace: &str, args: &[&str]) -> Result<String, Error> {
    let mut all = vec!["-n", namespace];
    all.extend_from_slice(args);
    ip(&all)
}

/// Writes a sysctl inside a namespace (`/proc/sys/net` is per namespace, so it is written by a
/// process that runs there).
pub(crate) fn sysctl_in(namespace: &str, key: &str, value: &str) -> Result<(), Error> {
    let setting = format!("{key}={value}");
    let out = Command::new("ip")
        .args(["netns", "exec", namespace, "sysctl", "-q", "-w", &setting])
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Spawn {
            program: "sysctl".into(),
            source,
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Command {
            command: format!("ip netns exec {namespace} sysctl -w {setting}"),
            message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// Whether a named namespace exists (`ip netns add` bind-mounts it under /run/netns).
pub(crate) fn namespace_exists(namespace: &str) -> bool {
    Path::new("/run/netns").join(namespace).exists()
}

/// Moves the calling thread (only this thread) into the named network namespace. Sockets it creates
/// afterwards belong to that namespace for their whole life, whichever thread later uses them, and
/// threads it spawns start there too.
pub(crate) fn enter(namespace: &str) -> std::io::Result<()> {
    let file = File::open(Path::new("/run/netns").join(namespace))?;
    rustix::thread::move_into_link_name_space(
        file.as_fd(),
        Some(rustix::thread::LinkNameSpaceType::Network),
    )?;
    Ok(())
}

/// Whether this process may create namespaces: root (effective uid 0).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}
