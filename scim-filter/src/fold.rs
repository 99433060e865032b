//! Case folding: the one rule for "ignoring case" in the whole workspace.
//!
//! SCIM compares strings of attributes that are not `caseExact` ignoring case (RFC 7643 §2.2),
//! and the RFC does not say which folding. This workspace uses **Unicode simple lowercase
//! mapping, char by char** ([`char::to_lowercase`] on each char): the filter evaluator, PATCH's
//! element identity (`emails`, `members`), the sort order, `userName`/`displayName`
//! uniqueness and every store's folded index columns use the functions here, so an index keyed
//! by [`fold_case`] finds exactly what a filter's `eq` matches.
//!
//! Unlike [`str::to_lowercase`] the mapping has no context-dependent final-sigma rule
//! (`"ΟΔΟΣ"` folds to `"οδοσ"`, not `"οδος"`), so folding a string and folding its pieces
//! agree. SQL's `lower()` is not the same mapping either: stores compute folded keys in Rust.
//!
//! ```
//! use scim_query::fold::{eq_ignore_case, fold_case};
//!
//! assert_eq!(fold_case("BJensen@Example.COM"), "bjensen@example.com");
//! assert_eq!(fold_case("ΟΔΟΣ"), "οδοσ");
//! assert!(eq_ignore_case("\u{212A}elvin", "kELVIN")); // the Kelvin sign folds to `k`
//! ```

use std::borrow::Cow;
use std::hash::Hasher;

/// `s` folded: each char mapped to its Unicode lowercase.
#[inline]
pub fn fold_case(s: &str) -> String {
    if s.is_ascii() {
        // One exact-size allocation; ASCII lowercases to ASCII of the same length.
        return s.to_ascii_lowercase();
    }
    folded_chars(s).collect()
}

/// `s` folded, borrowed when it is already folded ASCII (identifiers usually are).
#[inline]
pub fn fold_cow(s: &str) -> Cow<'_, str> {
    if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()) { Cow::Borrowed(s) } else { Cow::Owned(fold_case(s)) }
}

/// The chars of `s` folded, one by one, without allocating.
#[inline]
pub fn folded_chars(s: &str) -> impl DoubleEndedIterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// Whether `a` and `b` are equal ignoring case (`fold_case(a) == fold_case(b)`), without
/// allocating.
#[inline]
pub fn eq_ignore_case(a: &str, b: &str) -> bool {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if x.len() == y.len() {
        // Up to the first difference ignoring ASCII case both strings hold the same characters
        // up to ASCII case, so they fold alike; a difference between two ASCII bytes is then
        // a difference ignoring case too. Identifiers usually differ at once, so this reads a
        // byte or two where a full ASCII check would read both strings.
        match x.iter().zip(y).position(|(p, q)| !p.eq_ignore_ascii_case(q)) {
            None => return true,
            Some(i) if x[i].is_ascii() && y[i].is_ascii() => return false,
            Some(_) => {}
        }
    } else if a.is_ascii() && b.is_ascii() {
        return false;
    }
    folded_chars(a).eq(folded_chars(b))
}

/// Whether `s` folds to `folded` (which must already be folded), without allocating for
/// ASCII `s`.
#[inline]
pub fn folds_to(s: &str, folded: &str) -> bool {
    if s.is_ascii() {
        // `folded` has no ASCII capitals, so this is `fold_case(s) == folded`.
        s.eq_ignore_ascii_case(folded)
    } else {
        folded_chars(s).eq(folded.chars())
    }
}

/// Feeds the bytes of `fold_case(s)` to `state`, so strings equal under [`eq_ignore_case`]
/// hash alike with any [`Hasher`]. The bytes go in fixed chunks of 64, each written as it is
/// when it has no ASCII capital (identifiers seldom do) and lowercased on the stack otherwise.
#[inline]
pub fn hash_folded<H: Hasher>(s: &str, state: &mut H) {
    // The same chunking for every string, so equal folded byte strings write alike.
    fn write_chunks<H: Hasher>(bytes: &[u8], state: &mut H) {
        const CHUNK: usize = 64;
        for chunk in bytes.chunks(CHUNK) {
            if chunk.iter().any(u8::is_ascii_uppercase) {
                let mut buf = [0u8; CHUNK];
                let out = &mut buf[..chunk.len()];
                for (o, b) in out.iter_mut().zip(chunk) {
                    *o = b.to_ascii_lowercase();
                }
                state.write(out);
            } else {
                state.write(chunk);
            }
        }
    }
    if s.is_ascii() {
        write_chunks(s.as_bytes(), state);
    } else {
        // Folded text has no ASCII capitals, so every chunk is written as it is.
        write_chunks(fold_case(s).as_bytes(), state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, RandomState};

    const PAIRS: &[(&str, &str)] = &[
        ("bjensen", "BJENSEN"),
        ("bjensen", "bjensem"),
        ("Åström", "åSTRÖM"),
        ("\u{212A}elvin", "kelvin"),
        ("ΟΔΟΣ", "οδοσ"),
        ("ΟΔΟΣ", "οδος"),
        ("İ", "i\u{307}"),
        ("ß", "SS"),
        ("", ""),
        ("a", ""),
        ("straße", "STRASSE"),
    ];

    #[test]
    fn fold_maps_each_char_to_lowercase() {
        assert_eq!(fold_case("BJensen@Example.COM"), "bjensen@example.com");
        assert_eq!(fold_case("ÅSTRÖM Zoë"), "åström zoë");
        // No final-sigma rule: each char on its own.
        assert_eq!(fold_case("ΟΔΟΣ"), "οδοσ");
        assert_eq!(fold_case("İ"), "i\u{307}");
        assert_eq!(fold_case(""), "");
    }

    #[test]
    fn every_helper_agrees_with_fold_case() {
        let state = RandomState::new();
        for (a, b) in PAIRS.iter().flat_map(|&(a, b)| [(a, b), (b, a)]) {
            let expected = fold_case(a) == fold_case(b);
            assert_eq!(eq_ignore_case(a, b), expected, "{a} / {b}");
            assert_eq!(folds_to(a, &fold_case(b)), expected, "{a} / {b}");
            assert_eq!(fold_cow(a), fold_case(a), "{a}");
            let hash = |s: &str| {
                let mut h = state.build_hasher();
                hash_folded(s, &mut h);
                h.finish()
            };
            if expected {
                assert_eq!(hash(a), hash(b), "{a} / {b}");
            }
        }
        // Past one chunk, an ASCII string and a non-ASCII one that fold alike hash alike.
        let ascii = format!("K{}", "a".repeat(199));
        let kelvin = format!("\u{212A}{}", "A".repeat(199));
        let hash = |s: &str| {
            let mut h = state.build_hasher();
            hash_folded(s, &mut h);
            h.finish()
        };
        assert!(eq_ignore_case(&ascii, &kelvin));
        assert_eq!(hash(&ascii), hash(&kelvin));
        assert_ne!(hash(&ascii), hash(&"a".repeat(200)));
    }

    #[test]
    fn borrowed_when_already_folded() {
        assert!(matches!(fold_cow("2819c223-7f76-453a-919d-413861904646"), Cow::Borrowed(_)));
        assert!(matches!(fold_cow("Ab"), Cow::Owned(_)));
    }
}
