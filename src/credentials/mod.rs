//! Secrets people and programs sign in with: API tokens and web session
//! secrets (here), and passwords ([`password`]); and the secret of a
//! calendar feed's URL, which signs no one in but opens one feed.
//!
//! A token is 256 random bits, so a fast hash (SHA-256) is the right way to
//! store and look it up: slow, salted password hashes exist to protect
//! low-entropy secrets, which a token is not, and would cost every request
//! tens of milliseconds. Only the hash is ever stored.

pub mod password;

use base64::Engine;
use sha2::{Digest, Sha256};

/// A fresh token: `mla_` and 32 random bytes, base64url. The prefix lets
/// secret scanners recognise a leaked token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    format!(
        "mla_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A fresh web session secret (the cookie's value): 32 random bytes,
/// base64url; stored, like a token, only as its [`hash_token`].
pub fn new_session_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh calendar feed secret, the last segment of the feed's URL:
/// `mlacal_` and 32 random bytes, base64url; stored only as its
/// [`hash_token`]. Its own prefix tells it from an API token, which it
/// never works as.
pub fn new_calendar_secret() -> String {
    format!("mlacal_{}", new_session_secret())
}

/// The form token that proves a POST comes from a page this service gave
/// the holder of `secret` (a session's or a signed-out browser's cookie): a
/// hash of the secret under its own label, so that neither reveals the
/// other and the database holds neither.
pub fn csrf_token(secret: &str) -> String {
    hash_token(&format!("csrf\0{secret}"))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The stored form of a token: SHA-256, hex.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_stably() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with("mla_") && a.len() == 4 + 43, "{a}");
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), hash_token(&b));
    }
}
