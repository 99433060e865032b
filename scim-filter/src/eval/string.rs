//! String comparison: case-exact, or case-insensitive by Unicode simple lowercase mapping.
//!
//! The literal is lowercased once at compile time (with [`lower`]); the resource value is
//! lowercased on the fly, char by char, so nothing is allocated per resource. Pure-ASCII
//! inputs take a byte-wise fast path.

use crate::CompareOp;
use crate::fold::folded_chars;
use std::cmp::Ordering;

/// Lowercases `s` as the evaluator lowercases resource values: [`fold_case`](crate::fold::fold_case).
pub(crate) fn lower(s: &str) -> String {
    crate::fold::fold_case(s)
}

/// `value op lit`. With `ci`, `lit` must already be [`lower`]ed.
pub(crate) fn str_op(op: CompareOp, value: &str, lit: &str, ci: bool) -> bool {
    if !ci {
        return exact(op, value, lit);
    }
    if value.is_ascii() && lit.is_ascii() {
        return ascii_ci(op, value.as_bytes(), lit.as_bytes());
    }
    unicode_ci(op, value, lit)
}

fn exact(op: CompareOp, value: &str, lit: &str) -> bool {
    match op {
        CompareOp::Eq => value == lit,
        CompareOp::Ne => value != lit,
        CompareOp::Co => value.contains(lit),
        CompareOp::Sw => value.starts_with(lit),
        CompareOp::Ew => value.ends_with(lit),
        CompareOp::Gt => value > lit,
        CompareOp::Ge => value >= lit,
        CompareOp::Lt => value < lit,
        CompareOp::Le => value <= lit,
    }
}

/// `value` (any case) equals `lit` (lower case), both ASCII.
fn ascii_eq(value: &[u8], lit: &[u8]) -> bool {
    value.len() == lit.len() && value.iter().zip(lit).all(|(v, l)| v.to_ascii_lowercase() == *l)
}

fn ascii_ci(op: CompareOp, value: &[u8], lit: &[u8]) -> bool {
    match op {
        CompareOp::Eq => ascii_eq(value, lit),
        CompareOp::Ne => !ascii_eq(value, lit),
        CompareOp::Sw => value.len() >= lit.len() && ascii_eq(&value[..lit.len()], lit),
        CompareOp::Ew => value.len() >= lit.len() && ascii_eq(&value[value.len() - lit.len()..], lit),
        CompareOp::Co => {
            let Some((&first, _)) = lit.split_first() else { return true };
            if value.len() < lit.len() {
                return false;
            }
            (0..=value.len() - lit.len()).any(|start| {
                value[start].to_ascii_lowercase() == first && ascii_eq(&value[start..start + lit.len()], lit)
            })
        }
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
            ordering(op, value.iter().map(u8::to_ascii_lowercase).cmp(lit.iter().copied()))
        }
    }
}

fn ordering(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Whether the lowercase char stream of `value` starts with `lit`.
fn unicode_starts_with(value: &str, lit: &str) -> bool {
    let mut stream = folded_chars(value);
    lit.chars().all(|l| stream.next() == Some(l))
}

fn unicode_ci(op: CompareOp, value: &str, lit: &str) -> bool {
    let stream = || folded_chars(value);
    match op {
        CompareOp::Eq => stream().eq(lit.chars()),
        CompareOp::Ne => !stream().eq(lit.chars()),
        CompareOp::Sw => unicode_starts_with(value, lit),
        CompareOp::Ew => {
            let mut rev = value.chars().rev().flat_map(|c| c.to_lowercase().rev());
            lit.chars().rev().all(|l| rev.next() == Some(l))
        }
        CompareOp::Co => {
            lit.is_empty() || value.char_indices().any(|(start, _)| unicode_starts_with(&value[start..], lit))
        }
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => ordering(op, stream().cmp(lit.chars())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CompareOp::*;

    fn ci(op: CompareOp, value: &str, lit: &str) -> bool {
        str_op(op, value, &lower(lit), true)
    }

    #[test]
    fn ascii_case_insensitive() {
        assert!(ci(Eq, "BJensen@Example.com", "bjensen@EXAMPLE.com"));
        assert!(!ci(Eq, "bjensen", "bjensen2"));
        assert!(ci(Ne, "bjensen", "bjensen2"));
        assert!(ci(Co, "BJensen", "JENS"));
        assert!(ci(Co, "abc", ""));
        assert!(!ci(Co, "ab", "abc"));
        assert!(ci(Sw, "Kenji.Tanaka", "kenji"));
        assert!(!ci(Sw, "ke", "kenji"));
        assert!(ci(Ew, "x@Example.COM", "@example.com"));
        assert!(ci(Gt, "B", "a"));
        assert!(ci(Ge, "a", "A"));
        assert!(ci(Lt, "a", "B"));
        assert!(ci(Le, "b", "B"));
        assert!(!ci(Lt, "b", "B"));
    }

    #[test]
    fn unicode_case_insensitive() {
        assert!(ci(Eq, "RENÉE O'BRIEN", "renée o'brien"));
        assert!(ci(Eq, "Müller", "MÜLLER"));
        assert!(ci(Co, "Zoë Ångström", "ÅNGS"));
        assert!(ci(Sw, "ÄRGER", "är"));
        assert!(!ci(Ew, "straße", "SSE"));
        assert!(ci(Ew, "STRASSE", "sse"));
        // The Kelvin sign lowercases to ASCII 'k': ASCII literal, non-ASCII value.
        assert!(ci(Eq, "\u{212A}enji", "kenji"));
        // Final sigma: char-wise mapping on both sides.
        assert!(ci(Eq, "ΟΔΟΣ", "οδοσ"));
        assert!(ci(Eq, "οδος", "ΟΔΟς"));
        assert!(ci(Gt, "Ö", "o"));
    }

    #[test]
    fn case_exact() {
        assert!(str_op(Eq, "Abc", "Abc", false));
        assert!(!str_op(Eq, "Abc", "abc", false));
        assert!(str_op(Co, "xAbcx", "Abc", false));
        assert!(!str_op(Sw, "abc", "A", false));
        assert!(str_op(Ew, "abC", "C", false));
        assert!(str_op(Lt, "B", "a", false));
    }
}
