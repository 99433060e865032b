//! For stores that translate filters into their own query language: the facts about a
//! filter's paths and literals that every translation needs to stay exact.

use crate::ResourceKind;
use scim_query::{AttrPath, CompValue};

/// Whether `path` names the top-level attribute `name` (ignoring ASCII case) of the core
/// schema of `kind`, with or without the schema's URN.
pub fn names_core_attribute(path: &AttrPath, name: &str, kind: ResourceKind) -> bool {
    path.sub_attr.is_none()
        && path.name.eq_ignore_ascii_case(name)
        && path.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(kind.core_urn()))
}

/// The literal as a string the evaluator compares as a string, whatever the schema: `None`
/// for a non-string and for a string that looks like a date-time (`dddd-…`, at least 19
/// bytes), which an evaluation without a schema compares as an instant.
pub fn string_literal(value: &CompValue) -> Option<&str> {
    match value {
        CompValue::Str(s) => {
            let b = s.as_bytes();
            let date_like = b.len() >= 19 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
            (!date_like).then_some(s.as_str())
        }
        _ => None,
    }
}

/// The smallest string greater than every string starting with `prefix`, for a range scan
/// of an index (`>= prefix AND < bound`); `None` when the last character has no successor (or
/// `prefix` is empty).
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars = prefix.chars();
    let last = chars.next_back()?;
    let next = char::from_u32(last as u32 + 1).or_else(|| char::from_u32(0xE000).filter(|_| last as u32 == 0xD7FF))?;
    let mut bound = chars.as_str().to_owned();
    bound.push(next);
    Some(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_bounds() {
        assert_eq!(prefix_upper_bound("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_upper_bound("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}"), None);
        assert_eq!(prefix_upper_bound(""), None);
    }

    #[test]
    fn date_like_strings_are_not_string_literals() {
        assert_eq!(string_literal(&CompValue::Str("bjensen".into())), Some("bjensen"));
        assert_eq!(string_literal(&CompValue::Str("2024-01-01T00:00:00Z".into())), None);
        assert_eq!(string_literal(&CompValue::Bool(true)), None);
    }

    #[test]
    fn core_attributes_with_and_without_urn() {
        let mut p = AttrPath::new("USERNAME");
        assert!(names_core_attribute(&p, "userName", ResourceKind::User));
        p.urn = Some(crate::urn::USER.to_owned());
        assert!(names_core_attribute(&p, "userName", ResourceKind::User));
        assert!(!names_core_attribute(&p, "userName", ResourceKind::Group));
        p.sub_attr = Some("x".into());
        assert!(!names_core_attribute(&p, "userName", ResourceKind::User));
    }
}
