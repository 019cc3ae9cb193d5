//! Passwords for the web pages: the rules a new one must meet, and how it is
//! kept (Argon2id, a salted slow hash in a PHC string).
//!
//! Unlike a token, a password is chosen by a person and may be guessable, so
//! it is stored with a memory-hard hash (Argon2id with the crate's default
//! parameters: 19 MiB, 2 passes, 1 lane — OWASP's recommendation) that makes
//! each guess against a stolen database expensive.
//!
//! The rules follow NIST SP 800-63B: a minimum length and a list of known
//! passwords, no composition rules. The list holds the 10,000 most common
//! passwords of 12 characters or more in the SecLists "10 million passwords"
//! top million (CC BY-SA 3.0), lower-cased: shorter ones are refused by the
//! length rule already.

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 12;
/// The longest, in characters: enough for any passphrase, and a bound on
/// the hashing work one request can ask for.
pub const MAX_LENGTH: usize = 256;

/// Why a new password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("must be at least {MIN_LENGTH} characters long")]
    TooShort,
    #[error("must be at most {MAX_LENGTH} characters long")]
    TooLong,
    #[error("is one of the most common passwords; choose another")]
    Common,
    #[error("must not be the account's email address")]
    IsEmail,
}

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// Whether `password` may be used by the account whose email is `email`.
pub fn check_new(password: &str, email: &str) -> Result<(), PasswordProblem> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordProblem::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordProblem::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) || one_repeated_character(&lower) {
        return Err(PasswordProblem::Common);
    }
    if lower.trim() == email.trim().to_lowercase() {
        return Err(PasswordProblem::IsEmail);
    }
    Ok(())
}

fn one_repeated_character(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|first| chars.all(|c| c == first))
}

/// The stored form of `password`: an Argon2id PHC string with a fresh salt.
pub fn hash(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("Argon2id with default parameters hashes any password")
        .to_string()
}

/// Whether `password` matches `stored` (a PHC string from [`hash`]); an
/// unreadable stored value matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time of one verification without a stored hash, so that an
/// unknown email takes as long to refuse as a wrong password.
pub fn verify_nothing(password: &str) {
    static DUMMY: LazyLock<String> = LazyLock::new(|| hash("not a password of anyone"));
    let _ = verify(password, &DUMMY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_and_common_passwords_are_checked() {
        assert_eq!(
            check_new("short-one", "a@b.c"),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(
            check_new("123qweasdzxc", "a@b.c"),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_new("1QAZ2WSX3EDC", "a@b.c"),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_new("aaaaaaaaaaaaaaa", "a@b.c"),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_new("clerk@example.org", "Clerk@Example.org"),
            Err(PasswordProblem::IsEmail)
        );
        assert_eq!(
            check_new(&"x1".repeat(129), "a@b.c"),
            Err(PasswordProblem::TooLong)
        );
        assert_eq!(check_new("Correct-horse-battery-7", "a@b.c"), Ok(()));
        // Twelve characters, counted as characters, not bytes.
        assert_eq!(check_new("éléphantrose", "a@b.c"), Ok(()));
        assert_eq!(
            check_new("éléphantros", "a@b.c"),
            Err(PasswordProblem::TooShort)
        );
    }

    #[test]
    fn the_list_is_what_its_doc_says() {
        let lines: Vec<&str> = include_str!("common-passwords.txt").lines().collect();
        assert_eq!(lines.len(), 10_000);
        assert!(lines.iter().all(|p| p.chars().count() >= MIN_LENGTH));
        assert!(lines.iter().all(|p| *p == p.to_lowercase()));
        assert_eq!(COMMON.len(), lines.len(), "no duplicates");
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("Correct-horse-battery-7");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("Correct-horse-battery-7", &stored));
        assert!(!verify("Correct-horse-battery-8", &stored));
        assert!(!verify("Correct-horse-battery-7", "not a phc string"));
        assert_ne!(stored, hash("Correct-horse-battery-7"), "salted");
    }
}
