//! `integer` and `decimal` values, compared numerically.

use serde_json::Number;
use std::cmp::Ordering;

fn as_int(n: &Number) -> Option<i128> {
    n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from))
}

/// Numeric order of two JSON numbers: exact for integers, IEEE for anything with a fraction.
pub(crate) fn compare(a: &Number, b: &Number) -> Option<Ordering> {
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().unwrap()
    }

    #[test]
    fn integers_and_decimals() {
        assert_eq!(compare(&n("10"), &n("9")), Some(Ordering::Greater));
        assert_eq!(compare(&n("-1"), &n("18446744073709551615")), Some(Ordering::Less));
        assert_eq!(compare(&n("1.0"), &n("1")), Some(Ordering::Equal));
        assert_eq!(compare(&n("1.5"), &n("2")), Some(Ordering::Less));
        assert_eq!(compare(&n("1e2"), &n("100")), Some(Ordering::Equal));
    }
}
