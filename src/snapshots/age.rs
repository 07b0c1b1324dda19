//! Ages as Curator writes them: a count and a unit, `90s`, `30m`, `12h`,
//! `7d`, `2w`, `6M`, `1y`. As in Curator, a month is 30 days and a year is
//! 365 days (exact calendar arithmetic would make "older than 1 month"
//! depend on the month it is asked in).

use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Age {
    seconds: i64,
}

impl Age {
    pub fn millis(&self) -> i64 {
        self.seconds.saturating_mul(1000)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not an age: use a count and one of s m h d w M y (e.g. 30d)")]
pub struct AgeError(String);

impl FromStr for Age {
    type Err = AgeError;
    fn from_str(text: &str) -> Result<Age, AgeError> {
        let fail = || AgeError(text.to_owned());
        let unit = text.chars().last().ok_or_else(fail)?;
        let count: i64 = text[..text.len() - unit.len_utf8()]
            .parse()
            .map_err(|_| fail())?;
        if count < 0 {
            return Err(fail());
        }
        let unit_seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            'M' => 30 * 86_400,
            'y' => 365 * 86_400,
            _ => return Err(fail()),
        };
        Ok(Age {
            seconds: count.checked_mul(unit_seconds).ok_or_else(fail)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_and_its_boundaries() {
        let secs = |t: &str| t.parse::<Age>().map(|a| a.millis() / 1000);
        assert_eq!(secs("59s"), Ok(59));
        assert_eq!(secs("60s"), secs("1m"));
        assert_eq!(secs("60m"), secs("1h"));
        assert_eq!(secs("24h"), secs("1d"));
        assert_eq!(secs("7d"), secs("1w"));
        assert_eq!(secs("30d"), secs("1M"));
        assert_eq!(secs("365d"), secs("1y"));
        assert_eq!(
            secs("12M"),
            Ok(360 * 86_400),
            "twelve 30-day months are not a year"
        );
        for bad in ["", "d", "10", "-1d", "1.5d", "3q", "99999999999999999y"] {
            assert!(bad.parse::<Age>().is_err(), "{bad}");
        }
    }
}
