//! A loopback TLS server and client for tests: real sockets, real rustls, nothing canned.
//!
//! `Server::start(key)` listens on 127.0.0.1 with an ephemeral port and completes handshakes with
//! whatever `CertifiedKey` it is given (a good chain, a faulty profile, a genuine chain with another
//! key); `handshake(addr, config)` connects as a client and reports how the handshake ended.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// Serves one `CertifiedKey` whatever the client asks for.
#[derive(Debug)]
struct Always(Arc<CertifiedKey>);

impl ResolvesServerCert for Always {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// A server configuration presenting `key` (aws-lc-rs, the given versions, no client auth).
pub fn server_config(
    key: Arc<CertifiedKey>,
    versions: &[&'static SupportedProtocolVersion],
) -> ServerConfig {
    ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_protocol_versions(versions)
        .expect("aws-lc-rs supports these versions")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Always(key)))
}

/// A TLS server on loopback; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    /// Serves `key` over TLS 1.2 and 1.3.
    pub async fn start(key: Arc<CertifiedKey>) -> Self {
        Self::with_config(server_config(
            key,
            &[&rustls::version::TLS13, &rustls::version::TLS12],
        ))
        .await
    }

    /// Serves with a configuration of the caller's.
    pub async fn with_config(config: ServerConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A refused handshake is the client's verdict; the server just moves on.
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let _ = tls.write_all(b"hello from the accessory\n").await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        Self { addr, task }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects to `addr` with `config`, completes the handshake and reads the server's greeting.
/// `Ok` means the client trusted the server; the error is what the client saw.
pub async fn handshake(addr: SocketAddr, config: rustls::ClientConfig) -> io::Result<String> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("accessory.local").expect("a valid DNS name");
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    let mut greeting = String::new();
    tls.read_to_string(&mut greeting).await?;
    Ok(greeting)
}
