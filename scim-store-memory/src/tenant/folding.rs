//! Index keys: case folding of names for the case-insensitive indexes, and telling ids that
//! are not all-lowercase.

use scim_query::fold::fold_case;

pub(crate) fn fold(s: &str) -> Box<str> {
    fold_case(s).into_boxed_str()
}

pub(crate) fn is_mixed_case(id: &str) -> bool {
    if id.is_ascii() {
        return id.bytes().any(|b| b.is_ascii_uppercase());
    }
    id.chars().any(|c| c.to_lowercase().ne(std::iter::once(c)))
}

/// Calls `f` with `s` folded as [`fold`] does; short ASCII strings are folded on the stack.
pub(crate) fn with_folded<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    const MAX: usize = 128;
    if s.is_ascii() && s.len() <= MAX {
        let mut buf = [0u8; MAX];
        let folded = &mut buf[..s.len()];
        folded.copy_from_slice(s.as_bytes());
        folded.make_ascii_lowercase();
        // Lowercased ASCII is still ASCII.
        return f(std::str::from_utf8(folded).unwrap_or(s));
    }
    f(&fold(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_on_the_stack_agrees_with_fold() {
        let long = "A".repeat(200);
        for s in ["", "bjensen", "BJensen@Example.COM", "ÅSTRÖM", "ΟΔΟΣ", long.as_str(), &long[..128]] {
            assert_eq!(with_folded(s, str::to_owned), &*fold(s), "{s}");
            assert_eq!(scim_query::fold::fold_cow(s), &*fold(s), "{s}");
        }
        assert!(is_mixed_case("Ab") && !is_mixed_case("ab-1") && is_mixed_case("Å") && !is_mixed_case("å"));
    }
}
