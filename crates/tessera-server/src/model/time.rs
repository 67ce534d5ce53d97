use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A UTC instant with millisecond precision, stored as epoch milliseconds in both databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// From epoch milliseconds.
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// Epoch milliseconds.
    pub const fn millis(self) -> i64 {
        self.0
    }

    fn from_datetime(dt: OffsetDateTime) -> Self {
        Timestamp((dt.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    /// Parses RFC 3339 (any offset, optional fraction).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .map(Self::from_datetime)
    }

    /// RFC 3339 in UTC with second precision and a `Z` suffix, as Stytch's docs show.
    pub fn to_rfc3339(self) -> String {
        let dt = OffsetDateTime::from_unix_timestamp(self.0.div_euclid(1000))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let (y, m, d) = (dt.year(), dt.month() as u8, dt.day());
        let (hh, mm, ss) = (dt.hour(), dt.minute(), dt.second());
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    }

    /// This instant plus `minutes`.
    pub fn plus_minutes(self, minutes: i64) -> Self {
        Timestamp(self.0 + minutes * 60_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_rfc3339() {
        let t = Timestamp::parse_rfc3339("2021-12-29T12:33:09Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2021-12-29T12:33:09Z");
        let t = Timestamp::parse_rfc3339("2021-08-28T02:41:58.935673+02:00").unwrap();
        assert_eq!(t.millis() % 1000, 935);
        assert_eq!(t.to_rfc3339(), "2021-08-28T00:41:58Z");
        assert!(Timestamp::parse_rfc3339("yesterday").is_none());
    }
}
