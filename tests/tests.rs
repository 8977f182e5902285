//! Integration tests across crates: one test binary, one module per room (as ripgrep does).

// The certificate catalogue checked by openssl (a second implementation).
mod certs_openssl;
// `accessory certs` (ca init, mint, catalogue) as the real binary, checked with openssl.
mod certs_cli;
