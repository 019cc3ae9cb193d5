//! Recently verified tokens, so that an authenticated request costs one
//! database query rather than two.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::db::users::User;

/// Recently verified tokens (by hash), so an authenticated request costs one
/// database query, not two. Entries expire after `auth.cache_seconds`;
/// rotating or deactivating through this instance evicts the user at once.
pub struct TokenCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (User, Instant)>>,
}

/// Past this many entries the cache starts afresh rather than grow.
const TOKEN_CACHE_LIMIT: usize = 10_000;

impl TokenCache {
    pub fn new(ttl: Duration) -> TokenCache {
        TokenCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, hash: &str) -> Option<User> {
        let entries = self.entries.lock().expect("token cache lock");
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(user, _)| user.clone())
    }

    pub fn put(&self, hash: String, user: User) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().expect("token cache lock");
        if entries.len() >= TOKEN_CACHE_LIMIT {
            entries.clear();
        }
        entries.insert(hash, (user, Instant::now()));
    }

    /// Forgets every token of `user_id` (after a rotation or deactivation).
    pub fn evict_user(&self, user_id: Uuid) {
        self.entries
            .lock()
            .expect("token cache lock")
            .retain(|_, (user, _)| user.id != user_id);
    }
}
