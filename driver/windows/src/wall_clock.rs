//! The wall clock the policy's rule expiry needs: `KeQuerySystemTimePrecise` gives 100 ns
//! intervals since 1601-01-01 UTC; rules carry milliseconds since the Unix epoch.

/// 100 ns intervals from 1601-01-01 to 1970-01-01 (369 years, 89 of them leap years).
pub const UNIX_EPOCH_AS_SYSTEM_TIME: i64 = 116_444_736_000_000_000;

/// Milliseconds since the Unix epoch of a system time; 0 for a time before 1970 (a clock not
/// set yet: no rule has expired then, as on a machine whose clock is wrong).
pub fn unix_ms(system_time: i64) -> u64 {
    let since_unix = system_time.saturating_sub(UNIX_EPOCH_AS_SYSTEM_TIME);
    u64::try_from(since_unix / 10_000).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_time_converts_to_unix_milliseconds() {
        assert_eq!(unix_ms(UNIX_EPOCH_AS_SYSTEM_TIME), 0);
        // 2024-01-01T00:00:00Z is 1 704 067 200 s after the Unix epoch.
        let new_year_2024 = UNIX_EPOCH_AS_SYSTEM_TIME + 1_704_067_200 * 10_000_000;
        assert_eq!(unix_ms(new_year_2024), 1_704_067_200_000);
        // Sub-millisecond ticks are cut, not rounded.
        assert_eq!(unix_ms(new_year_2024 + 9_999), 1_704_067_200_000);
        assert_eq!(unix_ms(0), 0, "before 1970");
        assert_eq!(unix_ms(i64::MIN), 0);
        assert_eq!(
            unix_ms(i64::MAX),
            (i64::MAX - UNIX_EPOCH_AS_SYSTEM_TIME) as u64 / 10_000
        );
    }
}
