//! The nom grammar of filters (RFC 7644 §3.4.2.2) and PATCH paths (RFC 7644 §3.5.2).
//!
//! Layout: [`error`] holds the private nom error type, [`ctx`] the state threaded through the
//! productions, [`path`] attribute paths, [`value`]
//! comparison literals, [`filter`] the logical layers (`or` / `and` / unary). [`fast`] is a
//! hand-written shortcut for the commonest filter shape (a single comparison), tried before the
//! grammar and checked against it by differential tests.
//!
//! The hot productions are `#[inline(always)]` so that their results stay in registers; the
//! ones below the recursive `or_expr` are so only in optimised builds
//! (`cfg_attr(not(debug_assertions), …)`): an unoptimised build gives every inlined local its
//! own stack slot, and the frame of `or_expr`, paid once per nesting level, would outgrow small
//! thread stacks.

mod ctx;
mod error;
mod fast;
mod filter;
mod path;
mod value;

use crate::{Filter, ParseError, ParseOptions, PatchPath};
use ctx::Ctx;
use error::{PError, PResult};
use nom::Parser;
use nom::sequence::preceded;

/// Parses a filter with the default [`ParseOptions`].
///
/// ```
/// use scim_query::{parse_filter, AttrPath, CompValue, CompareOp, Filter};
///
/// let filter = parse_filter(r#"userName Eq "bjensen""#).unwrap();
/// assert_eq!(
///     filter,
///     Filter::Compare { path: AttrPath::new("userName"), op: CompareOp::Eq, value: CompValue::Str("bjensen".into()) }
/// );
/// // Canonical form: lower-case operators, quoted strings.
/// assert_eq!(filter.to_string(), r#"userName eq "bjensen""#);
///
/// let err = parse_filter(r#"userName eq "bjensen"#).unwrap_err();
/// assert_eq!(err.position(), 20);
/// ```
///
/// # Errors
/// A [`ParseError`] (`400 invalidFilter`) with the byte position of the problem.
pub fn parse_filter(input: &str) -> Result<Filter, ParseError> {
    parse_filter_with(input, &ParseOptions::default())
}

/// Parses a filter.
///
/// # Errors
/// A [`ParseError`] (`400 invalidFilter`) with the byte position of the problem, also when the
/// input is longer than [`ParseOptions::max_len`] or nests deeper than [`ParseOptions::max_depth`].
pub fn parse_filter_with(input: &str, options: &ParseOptions) -> Result<Filter, ParseError> {
    check_len(input, options)?;
    if let Some(filter) = fast::simple_comparison(input) {
        return Ok(filter);
    }
    grammar_filter(input, options)
}

/// [`parse_filter_with`] by the nom grammar alone, without the fast path.
#[inline(always)]
fn grammar_filter(input: &str, options: &ParseOptions) -> Result<Filter, ParseError> {
    // `all_consumed` written out: the entry point is on the hot path of every list request,
    // and matching here avoids moving the tree through helper results.
    match filter::or_expr(input, Ctx::new(options)) {
        Ok((rest, filter)) => {
            let rest = error::skip_ws(rest);
            if rest.is_empty() {
                Ok(filter)
            } else {
                Err(PError::expected(rest, "'and', 'or' or the end of the filter").into_public(input, options))
            }
        }
        Err(e) => Err(nom_error(input, &e, options)),
    }
}

/// Parses a PATCH path with the default [`ParseOptions`].
///
/// ```
/// use scim_query::{parse_path, PatchPath};
///
/// let path = parse_path(r#"emails[type eq "work"].value"#).unwrap();
/// let PatchPath::ValuePath { attr, sub_attr, .. } = &path else { panic!("a value path") };
/// assert_eq!(attr.name, "emails");
/// assert_eq!(sub_attr.as_deref(), Some("value"));
///
/// let path = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").unwrap();
/// let PatchPath::Attr(attr) = &path else { panic!("an attribute path") };
/// assert_eq!(attr.urn.as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
/// assert_eq!(attr.name, "manager");
/// ```
///
/// # Errors
/// A [`ParseError`] (`400 invalidPath`) with the byte position of the problem.
pub fn parse_path(input: &str) -> Result<PatchPath, ParseError> {
    parse_path_with(input, &ParseOptions::default())
}

/// Parses a PATCH path.
///
/// # Errors
/// A [`ParseError`] (`400 invalidPath`) with the byte position of the problem.
pub fn parse_path_with(input: &str, options: &ParseOptions) -> Result<PatchPath, ParseError> {
    check_len(input, options)?;
    let ctx = Ctx::new(options);
    let result = all_consumed(
        preceded(error::ws0, |i| filter::patch_path(i, ctx)).parse(input),
        "the end of the path (a path is attr, attr.subAttr, attr[filter] or attr[filter].subAttr)",
    );
    finish(input, result, options)
}

/// `all_consuming` with trailing whitespace allowed and a message naming what may follow.
/// (Written out rather than composed from `context(all_consuming(..))`: the entry point is on
/// the hot path of every list request, and this avoids moving the result through two wrappers.)
fn all_consumed<'a, T>(result: PResult<'a, T>, expected_end: &'static str) -> PResult<'a, T> {
    let (rest, value) = result?;
    let (rest, ()) = error::ws0(rest)?;
    if rest.is_empty() { Ok((rest, value)) } else { Err(nom::Err::Error(PError::expected(rest, expected_end))) }
}

#[inline(always)]
fn check_len(input: &str, options: &ParseOptions) -> Result<(), ParseError> {
    if input.len() > options.max_len { Err(too_long(input, options)) } else { Ok(()) }
}

#[cold]
#[inline(never)]
fn too_long(input: &str, options: &ParseOptions) -> ParseError {
    ParseError::new(
        options.max_len,
        format!("input of {} bytes is longer than the limit of {} bytes", input.len(), options.max_len),
    )
}

fn finish<T>(input: &str, result: PResult<'_, T>, options: &ParseOptions) -> Result<T, ParseError> {
    match result {
        Ok((_, value)) => Ok(value),
        Err(e) => Err(nom_error(input, &e, options)),
    }
}

#[cold]
#[inline(never)]
fn nom_error(input: &str, e: &nom::Err<PError<'_>>, options: &ParseOptions) -> ParseError {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e.into_public(input, options),
        // Only streaming parsers report Incomplete; ours are all complete-input parsers.
        nom::Err::Incomplete(_) => ParseError::new(input.len(), "unexpected end of input"),
    }
}
