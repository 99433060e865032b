//! Comparison literals: JSON strings, numbers, `true` / `false` / `null`, and lenient bare words.

use super::error::{PError, PResult, is_ws_byte};
use crate::CompValue;

const EXPECTED_VALUE: &str = "a value (a quoted string, a number, true, false or null)";
const EXPECTED_QUOTED: &str =
    "a value (a quoted string, a number, true, false or null; unquoted words are not allowed)";

/// `compValue`. With `bare_values`, an unquoted word that is not a number or keyword is a string.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn comp_value(i: &str, bare_values: bool) -> PResult<'_, CompValue> {
    if i.as_bytes().first() == Some(&b'"') {
        let (rest, s) = json_string(i)?;
        return Ok((rest, CompValue::Str(s)));
    }
    unquoted_value(i, bare_values)
}

/// `true`, `false`, `null`, a number, or (with `bare_values`) a bare word.
#[inline(never)]
fn unquoted_value(i: &str, bare_values: bool) -> PResult<'_, CompValue> {
    // All the delimiters are ASCII, so a byte scan finds the same end as a char scan.
    let end = i.bytes().position(|b| is_ws_byte(b) || matches!(b, b'(' | b')' | b'[' | b']' | b'"')).unwrap_or(i.len());
    let (token, rest) = i.split_at(end);
    if token.is_empty() {
        return Err(nom::Err::Failure(PError::expected(i, EXPECTED_VALUE)));
    }
    let value = if token.eq_ignore_ascii_case("true") {
        CompValue::Bool(true)
    } else if token.eq_ignore_ascii_case("false") {
        CompValue::Bool(false)
    } else if token.eq_ignore_ascii_case("null") {
        CompValue::Null
    } else if let Some(n) = json_number(token) {
        CompValue::Number(n)
    } else if token.starts_with('\'') {
        // Not a bare word: a string in the wrong quotes. Taking `'work'` as the five
        // characters would match nothing, or store the quotes in a PATCH.
        return Err(nom::Err::Failure(PError::expected(i, "a string in double quotes (\"…\"), not single quotes")));
    } else if bare_values {
        CompValue::Str(token.to_owned())
    } else if token.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err(nom::Err::Failure(PError::expected(i, "a JSON number")));
    } else {
        return Err(nom::Err::Failure(PError::expected(i, EXPECTED_QUOTED)));
    };
    Ok((rest, value))
}

/// A JSON number (`-? int frac? exp?`), or `None` when `s` is not one (or is out of range).
fn json_number(s: &str) -> Option<serde_json::Number> {
    let b = s.as_bytes();
    let mut p = usize::from(b.first() == Some(&b'-'));
    let digits = |p: &mut usize| {
        let start = *p;
        while b.get(*p).is_some_and(u8::is_ascii_digit) {
            *p += 1;
        }
        *p - start
    };
    match b.get(p) {
        Some(b'0') => p += 1,
        Some(b'1'..=b'9') => {
            digits(&mut p);
        }
        _ => return None,
    }
    if b.get(p) == Some(&b'.') {
        p += 1;
        if digits(&mut p) == 0 {
            return None;
        }
    }
    if matches!(b.get(p), Some(b'e' | b'E')) {
        p += 1;
        if matches!(b.get(p), Some(b'+' | b'-')) {
            p += 1;
        }
        if digits(&mut p) == 0 {
            return None;
        }
    }
    if p != b.len() {
        return None;
    }
    // Integers exactly; everything else through the standard library's correctly rounded
    // float parser (serde_json's default one may be off by one ulp, which would break the
    // print/parse round trip).
    if let Ok(n) = s.parse::<i64>() {
        return Some(n.into());
    }
    if let Ok(n) = s.parse::<u64>() {
        return Some(n.into());
    }
    serde_json::Number::from_f64(s.parse::<f64>().ok()?)
}

/// Index of the first `"` or `\\` in `s`, scanning eight bytes at a time.
#[inline]
pub(crate) fn find_quote_or_backslash(s: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let mut chunks = s.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word);
        if has_zero(v ^ (LO * u64::from(b'"'))) | has_zero(v ^ (LO * u64::from(b'\\'))) != 0 {
            break;
        }
        offset += 8;
    }
    s[offset..].iter().position(|&b| b == b'"' || b == b'\\').map(|p| p + offset)
}

/// A JSON string starting at the opening quote, with all JSON escapes.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn json_string(i: &str) -> PResult<'_, String> {
    let body = &i[1..];
    match find_quote_or_backslash(body.as_bytes()) {
        // No escapes: one copy, of exactly the string's length.
        Some(stop) if body.as_bytes()[stop] == b'"' => Ok((&body[stop + 1..], body[..stop].to_owned())),
        Some(stop) => escaped_string(body, stop),
        None => Err(unclosed(i)),
    }
}

/// The "unclosed string" failure, at the end of the input.
#[cold]
#[inline(never)]
fn unclosed(i: &str) -> nom::Err<PError<'_>> {
    nom::Err::Failure(PError::expected(&i[i.len()..], "'\"' to close the string"))
}

/// The rest of a JSON string whose `body` (after the opening quote) has its first
/// backslash at `stop`.
#[inline(never)]
fn escaped_string(body: &str, stop: usize) -> PResult<'_, String> {
    let mut out = String::with_capacity(body.len());
    out.push_str(&body[..stop]);
    let mut rest = &body[stop..];
    loop {
        let Some(stop) = find_quote_or_backslash(rest.as_bytes()) else {
            return Err(unclosed(rest));
        };
        out.push_str(&rest[..stop]);
        rest = &rest[stop..];
        if let Some(after) = rest.strip_prefix('"') {
            return Ok((after, out));
        }
        // rest starts with a backslash.
        let esc = rest;
        let bad = || {
            nom::Err::Failure(PError::expected(
                esc,
                "an escape sequence (\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)",
            ))
        };
        let c = match rest.as_bytes().get(1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let (after, c) = unicode_escape(rest)?;
                out.push(c);
                rest = after;
                continue;
            }
            _ => return Err(bad()),
        };
        out.push(c);
        rest = &rest[2..];
    }
}

/// `\uXXXX`, or a surrogate pair `\uD8xx\uDCxx`, at the start of `i`.
fn unicode_escape(i: &str) -> PResult<'_, char> {
    let hex4 = |s: &str| -> Option<u32> {
        let h = s.get(2..6)?;
        if s.as_bytes()[..2] != *b"\\u" || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(h, 16).ok()
    };
    let invalid = |at| nom::Err::Failure(PError::expected(at, "four hex digits forming a valid \\uXXXX escape"));
    let first = hex4(i).ok_or_else(|| invalid(i))?;
    match first {
        0xD800..=0xDBFF => {
            let second_at = &i[6..];
            let second = hex4(second_at)
                .filter(|c| (0xDC00..=0xDFFF).contains(c))
                .ok_or_else(|| nom::Err::Failure(PError::expected(second_at, "a \\uDC00-\\uDFFF low surrogate")))?;
            let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            Ok((&i[12..], char::from_u32(c).ok_or_else(|| invalid(i))?))
        }
        0xDC00..=0xDFFF => Err(invalid(i)),
        c => Ok((&i[6..], char::from_u32(c).ok_or_else(|| invalid(i))?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(s: &str) -> CompValue {
        comp_value(s, true).unwrap().1
    }

    #[test]
    fn literals() {
        assert_eq!(value("true"), CompValue::Bool(true));
        assert_eq!(value("FALSE"), CompValue::Bool(false));
        assert_eq!(value("Null"), CompValue::Null);
        assert_eq!(value("-12.5e3"), CompValue::Number(serde_json::Number::from_f64(-12500.0).unwrap()));
        assert_eq!(
            value("2.539291685845921e-20"),
            CompValue::Number(serde_json::Number::from_f64(2.539291685845921e-20).unwrap())
        );
        assert_eq!(value("18446744073709551615"), CompValue::Number(u64::MAX.into()));
        assert_eq!(value("1e999"), CompValue::Str("1e999".into()));
        assert_eq!(value("42)"), CompValue::Number(42.into()));
        assert_eq!(value("jyoung"), CompValue::Str("jyoung".into()));
        assert_eq!(value("01"), CompValue::Str("01".into()));
        assert!(comp_value("01", false).is_err());
        assert!(comp_value("jyoung", false).is_err());
    }

    #[test]
    fn quote_scan() {
        for s in ["", "a", "abcdefgh", "abcdefgh\"", "abcdefghijklmnop\\", "\"", "é€😀\"x"] {
            let expected = s.bytes().position(|b| b == b'"' || b == b'\\');
            assert_eq!(find_quote_or_backslash(s.as_bytes()), expected, "{s}");
        }
        // Bytes that differ from the targets only in the high bit must not match.
        assert_eq!(find_quote_or_backslash(&[0xa2, 0xdc, 0x22]), Some(2));
    }

    #[test]
    fn escapes() {
        let (rest, s) = json_string(r#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00" x"#).unwrap();
        assert_eq!(rest, " x");
        assert_eq!(s, "a\"b\\c/d\u{8}\u{c}\n\r\té😀");
        assert!(json_string(r#""\q""#).is_err());
        assert!(json_string(r#""\u12""#).is_err());
        assert!(json_string(r#""\ud83d""#).is_err());
        assert!(json_string(r#""\ude00""#).is_err());
        assert!(json_string(r#""abc"#).is_err());
        assert!(json_string(r#""abc\"#).is_err());
    }
}
