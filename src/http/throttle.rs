//! The failed-authentication throttle.
//!
//! Tokens carry 256 random bits, so guessing one is hopeless whatever the
//! rate; the throttle is there to make a guessing client cheap to serve and
//! visible in the log, and to take away a free oracle for anything less
//! random (a token cut short in a paste, one read off a screen). Each client
//! address gets a fixed window that opens at its first failure: more than
//! `auth.max_failed_attempts` failures inside it and the address is refused
//! — every authenticated request, even with a valid token, so the 429 does
//! not tell a guess that worked from one that did not — until the window
//! closes. Memory is bounded: at most [`TRACKED_ADDRESSES_LIMIT`] addresses,
//! expired windows dropped first, then the oldest.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

/// Past this many tracked addresses, expired windows are dropped, then the
/// oldest ones. 10,000 windows are about a megabyte.
pub const TRACKED_ADDRESSES_LIMIT: usize = 10_000;

/// Failed authentications per client address (see the module doc).
pub struct FailedAttempts {
    limit: u32,
    window: Duration,
    capacity: usize,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

#[derive(Clone, Copy)]
struct Window {
    opened: Instant,
    failures: u32,
}

impl FailedAttempts {
    /// More than `limit` failures within `window` refuse the address.
    pub fn new(limit: u32, window: Duration) -> FailedAttempts {
        FailedAttempts::with_capacity(limit, window, TRACKED_ADDRESSES_LIMIT)
    }

    fn with_capacity(limit: u32, window: Duration, capacity: usize) -> FailedAttempts {
        FailedAttempts {
            limit,
            window,
            capacity,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` while `client` is refused.
    pub fn refused(&self, client: IpAddr) -> Option<u64> {
        self.refused_at(key(client), Instant::now())
    }

    /// Counts a failure from `client`; `Some(seconds to wait)` when it takes
    /// the address over the limit, so this very request is refused too.
    pub fn record_failure(&self, client: IpAddr) -> Option<u64> {
        let refused = self.record_failure_at(key(client), Instant::now());
        if let Some(seconds) = refused {
            log::warn!(
                "too many failed authentications from {client}: refused for {seconds} s \
                 (auth.max_failed_attempts)"
            );
        }
        refused
    }

    fn refused_at(&self, key: IpAddr, now: Instant) -> Option<u64> {
        let windows = self.windows.lock().expect("throttle lock");
        windows
            .get(&key)
            .filter(|w| w.failures > self.limit)
            .and_then(|w| self.seconds_left(w, now))
    }

    fn record_failure_at(&self, key: IpAddr, now: Instant) -> Option<u64> {
        let mut windows = self.windows.lock().expect("throttle lock");
        let open = windows
            .get(&key)
            .is_some_and(|w| self.seconds_left(w, now).is_some());
        if !open {
            windows.remove(&key);
            if windows.len() >= self.capacity {
                self.make_room(&mut windows, now);
            }
        }
        let window = windows.entry(key).or_insert(Window {
            opened: now,
            failures: 0,
        });
        window.failures = window.failures.saturating_add(1);
        let window = *window;
        (window.failures > self.limit)
            .then(|| self.seconds_left(&window, now))
            .flatten()
    }

    /// Whole seconds until `window` closes (at least 1), `None` once closed.
    fn seconds_left(&self, window: &Window, now: Instant) -> Option<u64> {
        let left = (window.opened + self.window).checked_duration_since(now)?;
        (!left.is_zero()).then(|| left.as_secs() + u64::from(left.subsec_nanos() > 0))
    }

    /// Drops the closed windows; if that is not enough, the oldest one.
    fn make_room(&self, windows: &mut HashMap<IpAddr, Window>, now: Instant) {
        windows.retain(|_, w| self.seconds_left(w, now).is_some());
        if windows.len() >= self.capacity
            && let Some(oldest) = windows
                .iter()
                .min_by_key(|(_, w)| w.opened)
                .map(|(key, _)| *key)
        {
            windows.remove(&oldest);
        }
    }
}

/// What the throttle counts by: the address, with IPv4-mapped IPv6 read as
/// IPv4 and IPv6 cut to its /64 (one host usually holds a whole /64, so
/// counting single IPv6 addresses would let it rotate past the limit).
fn key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The client's address: the TCP peer, unless the peer is one of
/// `server.trusted_proxies`, in which case `X-Forwarded-For` is read from the
/// right, skipping trusted proxies, and the first other address is the
/// client. The header is never read from an untrusted peer: anyone can write
/// it. A request without a peer address (not over TCP) counts as
/// `0.0.0.0`, all such requests sharing one window.
pub fn client_address(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    forwarded_client(&forwarded, trusted_proxies).unwrap_or(peer)
}

/// The right-most hop of an `X-Forwarded-For` chain that is not a trusted
/// proxy; `None` when there is none or it is not an address.
fn forwarded_client(hops: &[&str], trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    for hop in hops.iter().rev() {
        let address: IpAddr = hop.parse().ok()?;
        if !trusted_proxies.contains(&address) {
            return Some(address);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn more_than_the_limit_refuses_until_the_window_closes() {
        let throttle = FailedAttempts::new(3, Duration::from_secs(60));
        let (a, t0) = (ip("192.0.2.1"), Instant::now());
        for _ in 0..3 {
            assert_eq!(throttle.record_failure_at(a, t0), None);
        }
        assert_eq!(throttle.refused_at(a, t0), None, "3 failures are allowed");
        assert_eq!(
            throttle.record_failure_at(a, t0),
            Some(60),
            "the 4th is not"
        );
        let later = t0 + Duration::from_millis(30_500);
        assert_eq!(throttle.refused_at(a, later), Some(30), "rounded up");
        assert_eq!(throttle.refused_at(ip("192.0.2.2"), later), None);
        let closed = t0 + Duration::from_secs(60);
        assert_eq!(throttle.refused_at(a, closed), None);
        assert_eq!(
            throttle.record_failure_at(a, closed),
            None,
            "a new window opens"
        );
    }

    #[test]
    fn memory_stays_bounded_and_live_windows_outlast_closed_ones() {
        let throttle = FailedAttempts::with_capacity(1, Duration::from_secs(60), 3);
        let long_ago = Instant::now();
        let t0 = long_ago + Duration::from_secs(120);
        let blocked = ip("198.51.100.1");
        throttle.record_failure_at(blocked, t0);
        throttle.record_failure_at(blocked, t0);
        let t1 = t0 + Duration::from_secs(1);
        throttle.record_failure_at(ip("198.51.100.2"), long_ago);
        throttle.record_failure_at(ip("198.51.100.3"), t1);
        // Full: the closed window goes first.
        throttle.record_failure_at(ip("198.51.100.4"), t1);
        assert!(throttle.refused_at(blocked, t1).is_some());
        // Full of live windows: the oldest goes.
        for n in 5..100 {
            throttle.record_failure_at(ip(&format!("198.51.100.{n}")), t1);
        }
        assert_eq!(throttle.windows.lock().unwrap().len(), 3);
        assert!(throttle.refused_at(blocked, t1).is_none());
    }

    #[test]
    fn ipv6_counts_by_slash_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(key(ip("2001:db8:1:2:bbbb::9")), ip("2001:db8:1:2::"));
        assert_ne!(key(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(key(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn forwarded_for_is_read_from_the_right_past_trusted_proxies() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        let chain = ["203.0.113.9", "198.51.100.7", "10.0.0.2"];
        assert_eq!(
            forwarded_client(&chain, &proxies),
            Some(ip("198.51.100.7")),
            "the left-most entry is the client's own claim, not to be trusted"
        );
        assert_eq!(forwarded_client(&["10.0.0.2"], &proxies), None);
        assert_eq!(forwarded_client(&["junk", "10.0.0.2"], &proxies), None);
        assert_eq!(forwarded_client(&[], &proxies), None);
    }
}
