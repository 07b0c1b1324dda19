//! Deleting old indices by the date in their names, as Curator's
//! `delete_indices` does, for clusters without a lifecycle API or for those
//! who want the deletion to wait for a snapshot.
//!
//! Only indices named `<prefix><date>` are candidates, the date being one of
//! the suffixes the forwarder writes: daily `YYYY.MM.DD`, weekly `GGGG.WW`
//! (ISO week) or monthly `YYYY.MM`. Anything else under the prefix is left
//! alone and reported. An index is old when the whole period its name covers
//! ended longer ago than the age: a monthly index of January is not deleted
//! on the 1st of March for "older than 30 days", its last day being then
//! only a month old. `YYYY.NN` with NN up to 12 is a month or a week; unless
//! told which (`--date weekly|monthly`), it is read as the month, which ends
//! later, so that nothing is deleted early. With `--require-snapshot`, an
//! old index is deleted only if a SUCCESS snapshot of the repository holds
//! it.

use std::collections::HashSet;

use serde::Serialize;

use crate::routing::index_name::iso_week_start;
use crate::time::{civil_from_days, days_from_civil};

const DAY_MS: i64 = 86_400_000;

/// Which date suffix the indices under a prefix carry (`--date`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suffix {
    /// Any the forwarder writes; `YYYY.NN` read as the later-ending month.
    Any,
    Daily,
    Weekly,
    Monthly,
}

impl std::str::FromStr for Suffix {
    type Err = String;
    fn from_str(text: &str) -> Result<Suffix, String> {
        match text {
            "any" => Ok(Suffix::Any),
            "daily" => Ok(Suffix::Daily),
            "weekly" => Ok(Suffix::Weekly),
            "monthly" => Ok(Suffix::Monthly),
            other => Err(format!("--date {other:?}: daily, weekly, monthly or any")),
        }
    }
}

/// The days `[first, end)` an index's name covers: `None` unless the name
/// is exactly `prefix` followed by a date suffix of the kind `suffix` allows.
pub fn period_of(name: &str, prefix: &str, suffix: Suffix) -> Option<(i64, i64)> {
    let rest = name.strip_prefix(prefix)?;
    let parts: Vec<&str> = rest.split('.').collect();
    let number = |text: &str, len: usize| -> Option<i64> {
        if text.len() == len && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse().ok()
        } else {
            None
        }
    };
    let month = |year: i64, month: i64| -> Option<(i64, i64)> {
        let m = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
        let first = days_from_civil(year, m, 1);
        let end = if m == 12 {
            days_from_civil(year + 1, 1, 1)
        } else {
            days_from_civil(year, m + 1, 1)
        };
        Some((first, end))
    };
    let week = |year: i64, week: i64| -> Option<(i64, i64)> {
        let first = iso_week_start(year, week);
        // Week 53 exists only in long years: its Monday must still be in it.
        let (y, w) = crate::routing::index_name::iso_week(first);
        ((1..=53).contains(&week) && (y, w) == (year, week)).then_some((first, first + 7))
    };
    match (parts.as_slice(), suffix) {
        ([y, m, d], Suffix::Any | Suffix::Daily) => {
            let (y, m, d) = (number(y, 4)?, number(m, 2)?, number(d, 2)?);
            let first = days_from_civil(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?);
            // 2025.02.31 is no date: the day must read back the same.
            let date = civil_from_days(first);
            let same = (i64::from(date.month), i64::from(date.day)) == (m, d);
            same.then_some((first, first + 1))
        }
        ([y, n], Suffix::Monthly) => month(number(y, 4)?, number(n, 2)?),
        ([y, n], Suffix::Weekly) => week(number(y, 4)?, number(n, 2)?),
        ([y, n], Suffix::Any) => {
            let (y, n) = (number(y, 4)?, number(n, 2)?);
            month(y, n).or_else(|| week(y, n))
        }
        _ => None,
    }
}

/// What deleting would do, index by index.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeletePlan {
    /// Old (and, if asked, snapshotted): to delete.
    pub delete: Vec<String>,
    /// Old, but in no SUCCESS snapshot: kept.
    pub not_snapshotted: Vec<String>,
    /// Not old enough.
    pub recent: Vec<String>,
    /// Under the prefix, but not `<prefix><date>`: never touched.
    pub not_dated: Vec<String>,
}

/// Sorts `indices` into what to delete and what to keep and why.
pub fn plan_delete(
    indices: &[String],
    prefix: &str,
    suffix: Suffix,
    older_than_ms: i64,
    now_ms: i64,
    snapshotted: Option<&HashSet<String>>,
) -> DeletePlan {
    let mut plan = DeletePlan::default();
    let mut sorted: Vec<&String> = indices.iter().filter(|i| i.starts_with(prefix)).collect();
    sorted.sort();
    sorted.dedup();
    for index in sorted {
        let Some((_, end)) = period_of(index, prefix, suffix) else {
            plan.not_dated.push(index.clone());
            continue;
        };
        if end.saturating_mul(DAY_MS) > now_ms.saturating_sub(older_than_ms) {
            plan.recent.push(index.clone());
        } else if snapshotted.is_some_and(|s| !s.contains(index.as_str())) {
            plan.not_snapshotted.push(index.clone());
        } else {
            plan.delete.push(index.clone());
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d)
    }

    #[test]
    fn periods_of_each_suffix() {
        let p = "cloudtrail-";
        assert_eq!(
            period_of("cloudtrail-2025.01.31", p, Suffix::Any),
            Some((day(2025, 1, 31), day(2025, 2, 1)))
        );
        assert_eq!(
            period_of("cloudtrail-2025.12", p, Suffix::Monthly),
            Some((day(2025, 12, 1), day(2026, 1, 1)))
        );
        assert_eq!(
            period_of("cloudtrail-2026.01", p, Suffix::Weekly),
            Some((day(2025, 12, 29), day(2026, 1, 5)))
        );
        // Weeks above 12 can only be weeks; up to 12 "any" reads the month.
        assert_eq!(
            period_of("cloudtrail-2025.30", p, Suffix::Any),
            Some((day(2025, 7, 21), day(2025, 7, 28)))
        );
        assert_eq!(
            period_of("cloudtrail-2025.03", p, Suffix::Any),
            Some((day(2025, 3, 1), day(2025, 4, 1)))
        );
        assert_eq!(
            period_of("cloudtrail-2020.53", p, Suffix::Weekly).map(|p| p.1 - p.0),
            Some(7)
        );
        for not_dated in [
            "cloudtrail-2025.02.30",
            "cloudtrail-2025.54",
            "cloudtrail-2021.53",
            "cloudtrail-2025.1.1",
            "cloudtrail-prod-2025.01.01",
            "cloudtrail-2025.01.01-restored",
            "cloudtrail-",
            "cloudtrail",
            "other-2025.01.01",
        ] {
            assert_eq!(period_of(not_dated, p, Suffix::Any), None, "{not_dated}");
        }
        assert_eq!(period_of("cloudtrail-2025.01.01", p, Suffix::Monthly), None);
        assert_eq!(period_of("cloudtrail-2025.01", p, Suffix::Daily), None);
    }

    #[test]
    fn plans_keep_recent_unsnapshotted_and_undated_indices() {
        let now = day(2026, 12, 1) * DAY_MS + 3_600_000;
        let ninety = 90 * DAY_MS;
        let names: Vec<String> = [
            "cloudtrail-2026.09.01", // 91 days ended: old
            "cloudtrail-2026.09.02", // ended 2026-09-03, 89 days: recent
            "cloudtrail-2026.08",    // ended 2026-09-01: old
            "cloudtrail-2026.09",    // ended 2026-10-01: recent
            "cloudtrail-2026.30",    // week 30 (July): old
            "cloudtrail-keep-me",
            "cloudtrail-2025.01.01",
            "vpc-flowlogs-2020.01.01",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let plan = plan_delete(&names, "cloudtrail-", Suffix::Any, ninety, now, None);
        assert_eq!(
            plan.delete,
            [
                "cloudtrail-2025.01.01",
                "cloudtrail-2026.08",
                "cloudtrail-2026.09.01",
                "cloudtrail-2026.30"
            ]
        );
        assert_eq!(plan.recent, ["cloudtrail-2026.09", "cloudtrail-2026.09.02"]);
        assert_eq!(plan.not_dated, ["cloudtrail-keep-me"]);
        let snapshotted: HashSet<String> = [
            "cloudtrail-2026.08".to_string(),
            "cloudtrail-2025.01.01".to_string(),
        ]
        .into();
        let plan = plan_delete(
            &names,
            "cloudtrail-",
            Suffix::Any,
            ninety,
            now,
            Some(&snapshotted),
        );
        assert_eq!(plan.delete, ["cloudtrail-2025.01.01", "cloudtrail-2026.08"]);
        assert_eq!(
            plan.not_snapshotted,
            ["cloudtrail-2026.09.01", "cloudtrail-2026.30"]
        );
    }
}
