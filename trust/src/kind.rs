//! `ErrorKind`: what a caller does about an error, whichever library it came from.
//!
//! One enum for the whole workspace, here, because every library depends on `trust` and none on
//! another: `provision`, `certs`, `probe` and `accessory-sim` each give their error a `kind()`
//! returning this, as rustls nests `CertificateError` inside its `Error` so that one table (its
//! `AlertDescription` mapping) can act on a category. The binary has one kind -> exit status table;
//! the stable code (`code()`, `Diagnosis::code`) says precisely what happened, the kind says what
//! to do about it. Nothing matches on a code's prefix.

/// What a caller does about an error. The binary maps each to one documented exit status.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The work was done and the answer is no (a lookup that found nothing). Not a failure of the
    /// tool, but not success either.
    Verdict,
    /// The command line was wrong: a flag's value, a missing argument, a combination refused.
    Usage,
    /// An input (a file, a pin, a fingerprint, a scenario) could not be read or understood.
    BadInput,
    /// The peer was reached and refused by the trust policy (certificate, pin, identity, first use).
    /// Nothing secret was sent.
    Untrusted,
    /// The peer could not be reached, or the TLS handshake failed for a reason other than trust.
    Unreachable,
    /// The accessory answered, and reported failure or answered with an error.
    AccessoryFailed,
    /// A deadline passed before the work finished.
    Timeout,
    /// Local state could not be used: the ledger, the trust store, an existing file, a privilege.
    LocalState,
    /// Interrupted by a signal, after cleaning up.
    Interrupted,
    /// A bug: a state that should not be reachable.
    Internal,
}
