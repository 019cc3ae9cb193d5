//! API tokens: how they are made and how they are kept.
//!
//! A token is 256 random bits, so a fast hash (SHA-256) is the right way to
//! store and look it up: slow, salted password hashes exist to protect
//! low-entropy secrets, which a token is not, and would cost every request
//! tens of milliseconds. Only the hash is ever stored.

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
