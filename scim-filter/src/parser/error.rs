//! The private nom error type and its conversion into the public [`ParseError`].

use crate::{ParseError, ParseOptions};
use nom::error::{ContextError, ErrorKind, FromExternalError, ParseError as NomParseError};
use nom::{IResult, Offset};

/// Result of every production.
pub(crate) type PResult<'a, T> = IResult<&'a str, T, PError<'a>>;

/// A cheap, allocation-free parse error: where, and what the grammar expected there.
///
/// `expected` is set by the innermost [`nom::error::context`] (or directly by hand-written
/// productions); outer contexts do not overwrite it, so the message stays specific.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PError<'a> {
    at: &'a str,
    expected: Option<&'static str>,
    too_deep: bool,
}

impl<'a> PError<'a> {
    /// "expected `what`" at `at`.
    pub(crate) fn expected(at: &'a str, what: &'static str) -> Self {
        Self { at, expected: Some(what), too_deep: false }
    }

    /// The nesting limit was reached at `at`.
    pub(crate) fn too_deep(at: &'a str) -> Self {
        Self { at, expected: None, too_deep: true }
    }

    /// Converts into the public error; `input` is the whole text that was parsed.
    pub(crate) fn into_public(self, input: &str, options: &ParseOptions) -> ParseError {
        let position = input.offset(self.at);
        if self.too_deep {
            return ParseError::new(
                position,
                format!("nesting deeper than {} levels of '(', 'not (' or '['", options.max_depth),
            );
        }
        let expected = self.expected.unwrap_or("a valid filter");
        ParseError::new(position, format!("expected {expected}, found {}", found(self.at)))
    }
}

/// A short description of what the input holds at the error position.
fn found(at: &str) -> String {
    let Some(first) = at.chars().next() else {
        return "end of input".to_owned();
    };
    if matches!(first, '(' | ')' | '[' | ']' | '"' | '.' | ':') {
        return format!("'{first}'");
    }
    if first.is_whitespace() {
        return "whitespace".to_owned();
    }
    let end = at.find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"')).unwrap_or(at.len());
    let token = &at[..end];
    match token.char_indices().nth(24) {
        Some((cut, _)) => format!("\"{}…\"", &token[..cut]),
        None => format!("\"{token}\""),
    }
}

impl<'a> NomParseError<&'a str> for PError<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        Self { at: input, expected: None, too_deep: false }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        // Keep the error that got further into the input: it is the more specific one.
        if other.at.len() < self.at.len() { other } else { self }
    }
}

impl<'a> ContextError<&'a str> for PError<'a> {
    fn add_context(_input: &'a str, ctx: &'static str, mut other: Self) -> Self {
        if other.expected.is_none() && !other.too_deep {
            other.expected = Some(ctx);
        }
        other
    }
}

impl<'a, E> FromExternalError<&'a str, E> for PError<'a> {
    fn from_external_error(input: &'a str, _kind: ErrorKind, _e: E) -> Self {
        Self { at: input, expected: None, too_deep: false }
    }
}

/// Whitespace the grammar allows between tokens (RFC 7644 writes `SP`; we accept any ASCII whitespace).
#[inline(always)]
pub(crate) fn is_ws_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `i` without its leading whitespace (a byte scan: all whitespace bytes are ASCII).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn skip_ws(i: &str) -> &str {
    let bytes = i.as_bytes();
    let mut n = 0;
    while n < bytes.len() && is_ws_byte(bytes[n]) {
        n += 1;
    }
    &i[n..]
}

/// Skips optional whitespace.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn ws0(i: &str) -> PResult<'_, ()> {
    Ok((skip_ws(i), ()))
}

/// What `cut` does to an error: a recoverable error becomes a failure.
#[inline(always)]
pub(crate) fn cut_err(e: nom::Err<PError<'_>>) -> nom::Err<PError<'_>> {
    match e {
        nom::Err::Error(e) => nom::Err::Failure(e),
        other => other,
    }
}

/// What `context(what, cut(p))` does to an error of `p`.
///
/// The hot productions apply this with `map_err` rather than composing the combinators, which
/// would move each (large) successful result through two wrappers.
#[cold]
#[inline(never)]
pub(crate) fn cut_in_context<'a>(e: nom::Err<PError<'a>>, what: &'static str) -> nom::Err<PError<'a>> {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => nom::Err::Failure(PError::add_context(e.at, what, e)),
        incomplete @ nom::Err::Incomplete(_) => incomplete,
    }
}

/// `context(what, cut(preceded(ws0, char(c))))` for an ASCII `c`: whitespace, then `c`.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn closing<'a>(i: &'a str, c: u8, what: &'static str) -> PResult<'a, ()> {
    let i = skip_ws(i);
    match i.as_bytes().first() {
        Some(&b) if b == c => Ok((&i[1..], ())),
        _ => Err(nom::Err::Failure(PError::expected(i, what))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_describes_the_token() {
        assert_eq!(found(""), "end of input");
        assert_eq!(found(") and x"), "')'");
        assert_eq!(found("foo bar"), "\"foo\"");
        assert_eq!(found(" x"), "whitespace");
        assert_eq!(found("abcdefghijklmnopqrstuvwxyz0123"), "\"abcdefghijklmnopqrstuvwx…\"");
    }

    #[test]
    fn inner_context_wins() {
        let e = PError::expected("x", "inner");
        let e = PError::add_context("yx", "outer", e);
        assert_eq!(e.expected, Some("inner"));
    }
}
