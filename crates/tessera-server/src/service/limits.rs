//! Send limits for the frontend API. A public page can ask Tessera to email a link or text a
//! code to anyone, so sends are counted per destination, per client IP and per project in
//! fixed windows. The counters live in this instance's memory: behind a load balancer each
//! instance enforces the limits on its own share of the traffic.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorType, Result};

/// One limit: at most `max` events per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Events allowed per window.
    pub max: u32,
    /// The window.
    pub window: Duration,
}

/// The three send limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    /// Per email address or phone number: stops one mailbox or phone being flooded.
    pub per_destination: Limit,
    /// Per client IP: stops one client spraying many destinations.
    pub per_ip: Limit,
    /// Per project: caps what a project's public page can cost its owner.
    pub per_project: Limit,
}

impl Default for SendLimits {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        SendLimits {
            per_destination: Limit {
                max: 5,
                window: minutes(10),
            },
            per_ip: Limit {
                max: 30,
                window: minutes(10),
            },
            per_project: Limit {
                max: 1000,
                window: minutes(60),
            },
        }
    }
}

const MAX_KEYS: usize = 100_000;

/// Fixed-window counters keyed by `(what, key)`.
#[derive(Default)]
pub struct Limiter {
    limits: SendLimits,
    counters: Mutex<HashMap<(u8, String), (u32, Instant)>>,
}

impl Limiter {
    /// A limiter enforcing `limits`.
    pub fn new(limits: SendLimits) -> Self {
        Limiter {
            limits,
            counters: Mutex::default(),
        }
    }

    /// Counts one send to `destination` from `ip` for `project`, or refuses it with
    /// `too_many_requests` when any of the three limits is spent. A refused send is not counted.
    pub fn check_send(&self, project: &str, destination: &str, ip: &str) -> Result<()> {
        let now = Instant::now();
        let checks = [
            (
                0u8,
                format!("{project}\u{0}{destination}"),
                self.limits.per_destination,
            ),
            (1u8, format!("{project}\u{0}{ip}"), self.limits.per_ip),
            (2u8, project.to_owned(), self.limits.per_project),
        ];
        let mut counters = self.counters.lock();
        if counters.len() >= MAX_KEYS {
            let longest = self
                .limits
                .per_project
                .window
                .max(self.limits.per_ip.window);
            counters.retain(|_, (_, start)| now.duration_since(*start) < longest);
        }
        for (kind, key, limit) in &checks {
            if let Some((count, start)) = counters.get(&(*kind, key.clone()))
                && now.duration_since(*start) < limit.window
                && *count >= limit.max
            {
                let what = ["this destination", "this client", "this project"][*kind as usize];
                let wait = limit.window.saturating_sub(now.duration_since(*start));
                return Err(Error::with_message(
                    ErrorType::TooManyRequests,
                    format!(
                        "Too many messages sent for {what}; try again in {} seconds.",
                        wait.as_secs().max(1)
                    ),
                ));
            }
        }
        for (kind, key, limit) in checks {
            let entry = counters.entry((kind, key)).or_insert((0, now));
            if now.duration_since(entry.1) >= limit.window {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(dest: u32, ip: u32, project: u32, window: Duration) -> Limiter {
        let l = |max| Limit { max, window };
        Limiter::new(SendLimits {
            per_destination: l(dest),
            per_ip: l(ip),
            per_project: l(project),
        })
    }

    #[test]
    fn each_limit_refuses_once_spent_and_refusals_do_not_count() {
        let l = limiter(2, 3, 4, Duration::from_secs(60));
        assert!(l.check_send("p", "a@x", "1").is_ok());
        assert!(l.check_send("p", "a@x", "1").is_ok());
        let e = l.check_send("p", "a@x", "1").unwrap_err();
        assert_eq!(e.kind(), ErrorType::TooManyRequests);
        assert!(e.to_string().contains("destination"));
        // The refusal above was not counted against the IP: one more send passes.
        assert!(l.check_send("p", "b@x", "1").is_ok());
        assert!(
            l.check_send("p", "c@x", "1")
                .unwrap_err()
                .to_string()
                .contains("client")
        );
        assert!(l.check_send("p", "c@x", "2").is_ok());
        assert!(
            l.check_send("p", "d@x", "3")
                .unwrap_err()
                .to_string()
                .contains("project")
        );
        // Other projects are untouched.
        assert!(l.check_send("q", "a@x", "1").is_ok());
    }

    #[test]
    fn windows_reset() {
        let l = limiter(1, 10, 10, Duration::from_millis(30));
        assert!(l.check_send("p", "a", "1").is_ok());
        assert!(l.check_send("p", "a", "1").is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(l.check_send("p", "a", "1").is_ok());
    }
}
