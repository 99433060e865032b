//! Attribute paths: `[URN ":"] ATTRNAME ["." subAttr]`.

use super::error::{PError, PResult};
use crate::AttrPath;

/// `ATTRNAME = ALPHA *(nameChar)`, `nameChar = "-" / "_" / DIGIT / ALPHA`; we also accept a
/// leading `$` for `$ref`.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn attr_name(i: &str) -> PResult<'_, &str> {
    let bytes = i.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'$' => {}
        // No `expected` here: the caller's context says what kind of path it wanted.
        _ => return Err(nom::Err::Error(nom::error::ParseError::from_error_kind(i, nom::error::ErrorKind::Alpha))),
    }
    let end = bytes[1..].iter().position(|b| !is_name_byte(*b)).map_or(bytes.len(), |p| p + 1);
    Ok((&i[end..], &i[..end]))
}

const NAME: u8 = 1;
const URN: u8 = 2;

/// Byte classes, looked up rather than tested with a chain of comparisons: the scans over
/// long URNs are on the hot path and branch poorly otherwise.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' {
            t[b] = NAME | URN;
        } else if matches!(c, b':' | b'.' | b'$' | b'+' | b'%') {
            t[b] = URN;
        }
        b += 1;
    }
    t
};

/// Bytes allowed after the first byte of an attribute name.
#[inline(always)]
pub(crate) fn is_name_byte(b: u8) -> bool {
    CLASS[usize::from(b)] & NAME != 0
}

/// `"." ATTRNAME`, if present.
#[cfg_attr(not(debug_assertions), inline(always))]
fn sub_attr(i: &str) -> PResult<'_, Option<&str>> {
    match i.strip_prefix('.') {
        Some(rest) => {
            let (rest, name) = attr_name(rest)
                .map_err(|_| nom::Err::Failure(PError::expected(rest, "a sub-attribute name after '.'")))?;
            Ok((rest, Some(name)))
        }
        None => Ok((i, None)),
    }
}

/// Bytes of a URN-qualified path before the brackets or spaces that end it.
fn is_urn_byte(b: u8) -> bool {
    CLASS[usize::from(b)] & URN != 0
}

/// An attribute path as slices of the input: parsed before anything is allocated, so that
/// the hot productions move three slices rather than three `String`s, and a failing parse
/// allocates nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawPath<'a> {
    urn: Option<&'a str>,
    name: &'a str,
    sub_attr: Option<&'a str>,
}

impl<'a> RawPath<'a> {
    /// A path of just an attribute name.
    pub(crate) fn name_only(name: &'a str) -> Self {
        Self { urn: None, name, sub_attr: None }
    }

    /// The owned path; each part is allocated with exactly its length.
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn into_owned(self) -> AttrPath {
        AttrPath {
            urn: self.urn.map(str::to_owned),
            name: self.name.to_owned(),
            sub_attr: self.sub_attr.map(str::to_owned),
        }
    }
}

/// An attribute path, URN-qualified or not.
pub(crate) fn attr_path(i: &str) -> PResult<'_, AttrPath> {
    let (rest, raw) = raw_attr_path(i)?;
    Ok((rest, raw.into_owned()))
}

/// An attribute path, URN-qualified or not, as slices of the input.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn raw_attr_path(i: &str) -> PResult<'_, RawPath<'_>> {
    if i.len() >= 4 && i.as_bytes()[..4].eq_ignore_ascii_case(b"urn:") {
        return urn_path(i);
    }
    let (i, name) = attr_name(i)?;
    let (i, sub_attr) = sub_attr(i)?;
    Ok((i, RawPath { urn: None, name, sub_attr }))
}

/// `urn:…:name[.sub]`: the URN ends at the last `:` of the run of URN characters.
#[inline(never)]
fn urn_path(i: &str) -> PResult<'_, RawPath<'_>> {
    // The end of the run, eight bytes per step while they are all URN bytes (one branch per
    // step instead of one per byte: URNs are long), then its last ':' (near the end).
    let bytes = i.as_bytes();
    let mut end = 0;
    while let Some(chunk) = bytes.get(end..end + 8) {
        if chunk.iter().fold(URN, |all, &b| all & CLASS[usize::from(b)]) == 0 {
            break;
        }
        end += 8;
    }
    while bytes.get(end).is_some_and(|&b| is_urn_byte(b)) {
        end += 1;
    }
    // The run starts with `urn:`, so it has a ':' at 3 or later.
    let colon = bytes[..end].iter().rposition(|&b| b == b':').unwrap_or(3);
    let run = &i[..end];
    if colon <= 4 {
        // "urn:" alone, or "urn:name": no namespace to qualify with.
        return Err(nom::Err::Failure(PError::expected(
            &i[4..],
            "a schema URN followed by ':' and an attribute name (urn:…:name)",
        )));
    }
    let urn = &run[..colon];
    let rest = &i[colon + 1..];
    let (after, name) = attr_name(rest)
        .map_err(|_| nom::Err::Failure(PError::expected(rest, "an attribute name after the schema URN")))?;
    let (after, sub_attr) = sub_attr(after)?;
    if after.len() != i.len() - end {
        // Something such as `urn:x:name.sub.more` or `urn:x:a%b`: the name part did not use the whole run.
        return Err(nom::Err::Failure(PError::expected(after, "'[', a space or the end after the attribute path")));
    }
    Ok((after, RawPath { urn: Some(urn), name, sub_attr }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_sub_attribute() {
        let (rest, p) = attr_path("name.familyName eq").unwrap();
        assert_eq!(rest, " eq");
        assert_eq!(p, AttrPath::new("name").with_sub_attr("familyName"));
    }

    #[test]
    fn urn_split_at_last_colon() {
        let (rest, p) =
            attr_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq").unwrap();
        assert_eq!(rest, " eq");
        assert_eq!(p.urn.as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
        assert_eq!(p.name, "manager");
        assert_eq!(p.sub_attr.as_deref(), Some("value"));
    }

    #[test]
    fn whole_urn() {
        let (_, p) = attr_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").unwrap();
        assert_eq!(p.full_urn().as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
    }

    #[test]
    fn bad_names() {
        assert!(attr_path("1abc").is_err());
        assert!(attr_path("urn:").is_err());
        assert!(attr_path("urn:x:2.0").is_err());
        assert!(attr_path("name.").is_err());
        assert!(attr_path("urn:a:b:name.sub.more").is_err());
    }
}
