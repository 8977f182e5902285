//! SRP6a exactly as ESP-IDF's `esp_srp.c` computes it: RFC 5054 3072-bit group, g = 5, SHA-512.
//!
//! `|` is concatenation, `PAD(x)` left-pads to 384 bytes, numbers are big-endian and minimal
//! unless padded (`esp_mpi_to_bin`):
//!
//! * `k = H(N | PAD(g))`, `x = H(salt | H(I ":" P))`, `v = g^x mod N`
//! * `B = (k·v + g^b) mod N` with a 256-bit `b`, sent minimal; `u = H(PAD(A) | PAD(B))`
//! * device `S = (A·v^u)^b`, client `S = (B − k·g^x)^(a + u·x)`; `K = H(S)` (64 bytes)
//! * `M = H(H(N) XOR H(PAD(g)) | H(I) | salt | A | B | K)` over the bytes exchanged;
//!   `H_AMK = H(A | M | K)`.
//!
//! Espressif's Python client (`srp6a.py`) differs in one place: it feeds `x` and `M` with salt and
//! `H(I:P)` converted through integers, which drops leading zero bytes. ESP-IDF hashes the stored
//! bytes as they are. This module follows ESP-IDF; [`generate_verifier`] draws salts whose first
//! byte is not 0 so both agree on the salt. Passwords with `H(I:P)[0] == 0` (about 1 in 256) still
//! give a verifier the Python client cannot use, exactly as with a verifier from `esp_srp.c`.
//!
//! `num-bigint` is not constant-time; see the crate notes.

use num_bigint::BigUint;
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha512};

use super::error::{Error, Result};

/// Length of the group modulus and of padded values, in bytes.
pub(super) const GROUP_LEN: usize = 384;
/// Length of a SHA-512 output: `K`, `M` and `H_AMK`.
pub(super) const HASH_LEN: usize = 64;

const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
const G: u32 = 5;

/// The group `(N, g)` and the derived constant `k`.
pub(crate) struct Group {
    pub(crate) n: BigUint,
    pub(crate) g: BigUint,
    pub(crate) k: BigUint,
}

impl Group {
    pub(crate) fn rfc5054_3072() -> Self {
        let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("constant modulus parses");
        let g = BigUint::from(G);
        let k = BigUint::from_bytes_be(&hash(&[&n.to_bytes_be(), &pad(&g.to_bytes_be())]));
        Group { n, g, k }
    }
}

/// SHA-512 over the concatenation of `parts`.
pub(crate) fn hash(parts: &[&[u8]]) -> [u8; HASH_LEN] {
    let mut h = Sha512::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Left-pads to [`GROUP_LEN`] bytes (values are below N, so never longer).
pub(crate) fn pad(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; GROUP_LEN.saturating_sub(bytes.len())];
    out.extend_from_slice(bytes);
    out
}

/// `x = H(salt | H(I ":" P))` over the bytes as given (esp_srp.c:180-221).
pub(crate) fn compute_x(salt: &[u8], username: &[u8], password: &[u8]) -> BigUint {
    let inner = hash(&[username, b":", password]);
    BigUint::from_bytes_be(&hash(&[salt, &inner]))
}

/// `u = H(PAD(A) | PAD(B))`.
pub(crate) fn compute_u(a_pub: &[u8], b_pub: &[u8]) -> BigUint {
    BigUint::from_bytes_be(&hash(&[&pad(a_pub), &pad(b_pub)]))
}

/// `M = H(H(N) XOR H(PAD(g)) | H(I) | salt | A | B | K)` (esp_srp.c:778-834).
pub(crate) fn compute_m(
    group: &Group,
    username: &[u8],
    salt: &[u8],
    a_pub: &[u8],
    b_pub: &[u8],
    key: &[u8],
) -> [u8; HASH_LEN] {
    let hn = hash(&[&group.n.to_bytes_be()]);
    let hg = hash(&[&pad(&group.g.to_bytes_be())]);
    let mut xor = [0u8; HASH_LEN];
    for (i, x) in xor.iter_mut().enumerate() {
        *x = hn[i] ^ hg[i];
    }
    hash(&[&xor, &hash(&[username]), salt, a_pub, b_pub, key])
}

/// `H_AMK = H(A | M | K)` (esp_srp.c:836-845).
pub(crate) fn compute_h_amk(a_pub: &[u8], m: &[u8], key: &[u8]) -> [u8; HASH_LEN] {
    hash(&[a_pub, m, key])
}

/// A random number of `len` bytes.
pub(crate) fn random(len: usize, rng: &mut impl CryptoRngCore) -> BigUint {
    let mut buf = vec![0u8; len];
    rng.fill_bytes(&mut buf);
    BigUint::from_bytes_be(&buf)
}

/// What a security 2 device stores instead of the password: `salt` and `v = g^x mod N`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sec2Verifier {
    /// The salt, sent to the client in `S2SessionResp0`.
    pub salt: Vec<u8>,
    /// The verifier as minimal big-endian bytes.
    pub verifier: Vec<u8>,
}

impl std::fmt::Debug for Sec2Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sec2Verifier")
            .field("salt_len", &self.salt.len())
            .field("verifier_len", &self.verifier.len())
            .finish()
    }
}

/// Salt length ESP-IDF's tools use (`esp_prov` `sec2_gen_salt_verifier`, 16 bytes).
pub const SALT_LEN: usize = 16;

/// Makes a salt and verifier for `username`/`password`, as `esp_srp_gen_salt_verifier` does, with
/// a 16-byte salt whose first byte is not 0 (so Espressif's Python client agrees on it).
pub fn generate_verifier(
    username: &[u8],
    password: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Sec2Verifier> {
    if username.is_empty() || username.len() > usize::from(u16::MAX) {
        return Err(Error::InvalidField {
            field: "username",
            reason: "must be 1 to 65535 bytes",
        });
    }
    let mut salt = vec![0u8; SALT_LEN];
    while salt[0] == 0 {
        rng.fill_bytes(&mut salt);
    }
    Ok(verifier_with_salt(username, password, salt))
}

/// The verifier for a given salt; for tests and for salts made elsewhere.
pub fn verifier_with_salt(username: &[u8], password: &[u8], salt: Vec<u8>) -> Sec2Verifier {
    let group = Group::rfc5054_3072();
    let x = compute_x(&salt, username, password);
    let v = group.g.modpow(&x, &group.n);
    Sec2Verifier {
        salt,
        verifier: v.to_bytes_be(),
    }
}
