//! `accessory trust fetch`: learn the chain an accessory presents, without trusting it.
//!
//! The handshake is `probe::fetch_chain`, with `trust::ChainCapture`, which records the chain and
//! then refuses it, so the session never completes and nothing is sent over it. What is printed (fingerprints, the leaf's pin,
//! the Apple lint) is for the admin to compare with what the manufacturer published, out of band,
//! before adding anything to the store.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Context as _};
use provision::AccessoryAddress;
use rustls::pki_types::ServerName;

use crate::exit::{codes, fail, failed, ExitStatus, Failure};
use crate::output;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Nothing is trusted by fetch: the chain is recorded and the handshake refused.
Compare the printed fingerprints with the ones the manufacturer published, then add the root
(`accessory trust add`) or record the pin.

Examples:
  accessory trust fetch 192.168.4.1:443
  accessory trust fetch 127.0.0.1:8443 --save accessory-chain.pem
  accessory trust fetch 192.168.4.1:443 --sni sim-0001.accessory.local --json"
)]
pub struct FetchArgs {
    /// The accessory, as HOST:PORT.
    pub target: String,
    /// Write the captured chain (PEM, leaf first) to this file.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Overwrite the --save file if it exists [default: false]
    #[arg(long)]
    pub force: bool,
    /// The server name to send (SNI) [default: HOST when it is a name; none for an IP address]
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Seconds to wait for the connection and the handshake [default: 10]
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn fetch(a: FetchArgs) -> anyhow::Result<ExitStatus> {
    let (host, addr) = resolve(&a.target)?;
    let sni = a.sni.clone().unwrap_or_else(|| host.clone());
    let server_name = match ServerName::try_from(sni.clone()) {
        Ok(n) => n,
        Err(e) => {
            return fail(
                codes::INPUT_BAD_SERVER_NAME,
                anyhow!("{sni:?} is not a valid server name: {e}"),
            )
        }
    };
    let timeout = Duration::from_secs(a.timeout.max(1));
    let chain = match probe::fetch_chain(addr, server_name, timeout).await {
        Ok(chain) => chain,
        Err(probe::Error::NoChain { diagnosis, .. }) => {
            return fail(
                diagnosis.code,
                anyhow!(
                    "{}: no certificate captured: {} ({})",
                    a.target,
                    diagnosis.summary,
                    diagnosis.detail
                ),
            );
        }
        Err(e) => return failed(e),
    };

    let mut result = match probe::Fetched::of(&a.target, addr, &chain) {
        Ok(r) => r,
        Err(probe::Error::PresentedCertificate { index, source }) => {
            return Err(Failure::of(source)
                .context(format!("certificate #{index} {} presented", a.target))
                .into())
        }
        Err(probe::Error::PresentedChain(e)) => {
            return fail(
                codes::INPUT_BAD_CERTIFICATE,
                anyhow::Error::new(e).context(format!("the chain {} presented", a.target)),
            )
        }
        Err(e) => return failed(e),
    };

    if let Some(path) = &a.save {
        if path.exists() && !a.force {
            return fail(
                codes::FETCH_EXISTS,
                anyhow!(
                    "{}: already exists (pass --force to overwrite)",
                    path.display()
                ),
            );
        }
        let pem: String = chain.iter().map(trust::export::certificate_pem).collect();
        std::fs::write(path, pem)
            .with_context(|| format!("writing {}", path.display()))
            .or_else(|e| fail(codes::FETCH_WRITE, e))?;
    }

    result.saved = a.save.clone();
    if a.json {
        output::json(&result)?;
    } else {
        output::bytes(result.to_string().as_bytes());
    }
    Ok(ExitStatus::Success)
}

/// `HOST:PORT` (`protocol::AccessoryAddress`, the port required as `trust fetch` always has) to
/// the host (for SNI) and its first address.
fn resolve(target: &str) -> anyhow::Result<(String, SocketAddr)> {
    let Ok(address) = AccessoryAddress::parse_with_port(target) else {
        return fail(
            codes::INPUT_BAD_TARGET,
            anyhow!("{target:?}: expected HOST:PORT (e.g. 192.168.4.1:443)"),
        );
    };
    let host = address.host.to_string();
    let addr = match address.socket_addr() {
        Some(a) => Some(a),
        None => (host.as_str(), address.port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut it| it.next()),
    };
    match addr {
        Some(a) => Ok((host, a)),
        None => fail(
            codes::NET_RESOLVE,
            anyhow!("{host}: cannot resolve the address"),
        ),
    }
}
