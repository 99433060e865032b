//! The logical layers: `or := and ("or" and)*`, `and := unary ("and" unary)*`,
//! `unary := "not" "(" or ")" | "(" or ")" | valuePath | attrExp`; and PATCH paths.

use super::ctx::Ctx;
use super::error::{PError, PResult, closing, cut_err, cut_in_context, skip_ws, ws0};
use super::path::{RawPath, attr_name, attr_path, is_name_byte, raw_attr_path};
use super::value::comp_value;
use crate::{CompareOp, Filter, PatchPath};
use nom::Parser;
use nom::combinator::cut;
use nom::error::context;

/// Matches keyword `kw` (ASCII, any case) as a whole word: not followed by a name character.
fn keyword<'a>(i: &'a str, kw: &'static str) -> Option<&'a str> {
    let b = i.as_bytes();
    if b.len() >= kw.len()
        && b[..kw.len()].eq_ignore_ascii_case(kw.as_bytes())
        && !b.get(kw.len()).is_some_and(|c| is_name_byte(*c) || matches!(c, b'.' | b':' | b'$'))
    {
        Some(&i[kw.len()..])
    } else {
        None
    }
}

/// `ws "or" ws`, returning the input after it.
fn separator<'a>(i: &'a str, kw: &'static str) -> Option<&'a str> {
    let (i, ()) = ws0(i).ok()?;
    let (rest, ()) = ws0(keyword(i, kw)?).ok()?;
    Some(rest)
}

/// `or := and ("or" and)*`, folded to the left.
pub(crate) fn or_expr(i: &str, ctx: Ctx) -> PResult<'_, Filter> {
    let (mut i, mut left) = and_expr(i, ctx)?;
    while let Some(rest) = separator(i, "or") {
        let (rest, right) = and_expr(rest, ctx).map_err(|e| cut_in_context(e, "a filter after 'or'"))?;
        left = Filter::Or(Box::new(left), Box::new(right));
        i = rest;
    }
    Ok((i, left))
}

/// `and := unary ("and" unary)*`, folded to the left.
#[cfg_attr(not(debug_assertions), inline(always))]
fn and_expr(i: &str, ctx: Ctx) -> PResult<'_, Filter> {
    let (mut i, mut left) = unary(i, ctx)?;
    while let Some(rest) = separator(i, "and") {
        let (rest, right) = unary(rest, ctx).map_err(|e| cut_in_context(e, "a filter after 'and'"))?;
        left = Filter::And(Box::new(left), Box::new(right));
        i = rest;
    }
    Ok((i, left))
}

/// `"(" or ")"` after the opening parenthesis has been consumed; `start` is where the group
/// (or its `not`) began, for the nesting error.
#[inline(never)]
fn group_rest<'a>(start: &'a str, i: &'a str, ctx: Ctx) -> PResult<'a, Filter> {
    let ctx = ctx.deeper(start)?;
    // `cut(preceded(ws0, or))` and `context(…, cut(preceded(ws0, char(')'))))`, written out.
    let (i, inner) = or_expr(skip_ws(i), ctx).map_err(cut_err)?;
    let (i, ()) = closing(i, b')', "')' to close the group")?;
    Ok((i, inner))
}

/// `not (…)` (the space is optional), `(…)`, a value path, or an attribute expression.
#[cfg_attr(not(debug_assertions), inline(always))]
fn unary(i: &str, ctx: Ctx) -> PResult<'_, Filter> {
    let (i, ()) = ws0(i)?;
    if let Some(after_not) = keyword(i, "not") {
        let (after_ws, ()) = ws0(after_not)?;
        if let Some(inner) = after_ws.strip_prefix('(') {
            let (rest, f) = group_rest(i, inner, ctx)?;
            return Ok((rest, Filter::Not(Box::new(f))));
        }
        // Otherwise `not` is an attribute name such as in `not pr`.
    }
    if let Some(inner) = i.strip_prefix('(') {
        return group_rest(i, inner, ctx);
    }
    let (rest, path) = raw_attr_path(i).map_err(|e| match e {
        // What `context` would do, without moving the result through its wrapper (hot path).
        nom::Err::Error(_) => nom::Err::Error(PError::expected(i, "a filter (an attribute path, 'not (' or '(')")),
        failure => failure,
    })?;
    if let Some(inner) = rest.strip_prefix('[') {
        let (rest, filter) = value_filter(rest, inner, ctx)?;
        let (rest, filter) = match rest.strip_prefix('.') {
            Some(after_dot) => value_path_comparison(after_dot, filter, ctx)?,
            None => (rest, filter),
        };
        return Ok((rest, Filter::ValuePath { attr: path.into_owned(), filter: Box::new(filter) }));
    }
    attr_exp_rest(rest, path, ctx)
}

/// `valuePath "." subAttr (compareOp compValue | "pr")`, after the dot: Microsoft's documented
/// `emails[type eq "work"].value eq "x"` (not in RFC 7644's grammar), read as the element
/// filter `emails[type eq "work" and value eq "x"]`, which is what it asks.
#[inline(never)]
fn value_path_comparison<'a>(i: &'a str, filter: Filter, ctx: Ctx) -> PResult<'a, Filter> {
    let (rest, sub) = context("a sub-attribute name after '].'", cut(attr_name)).parse(i)?;
    let (rest, comparison) = attr_exp_rest(rest, RawPath::name_only(sub), ctx)?;
    Ok((rest, Filter::And(Box::new(filter), Box::new(comparison))))
}

/// The inside of `attr[ … ]` after `[`; `open` points at the `[` for errors.
#[inline(never)]
fn value_filter<'a>(open: &'a str, inner: &'a str, ctx: Ctx) -> PResult<'a, Filter> {
    if ctx.in_value_path {
        return Err(nom::Err::Failure(PError::expected(open, "a comparison (value paths cannot be nested)")));
    }
    let ctx = Ctx { in_value_path: true, ..ctx.deeper(open)? };
    let (i, filter) = or_expr(skip_ws(inner), ctx).map_err(cut_err)?;
    let (i, ()) = closing(i, b']', "']' to close the value filter")?;
    Ok((i, filter))
}

/// The comparison operator spelled by two letters in any case (`eq` … `le`; not `pr`).
pub(crate) fn comparison_operator(a: u8, b: u8) -> Option<CompareOp> {
    Some(match [a.to_ascii_lowercase(), b.to_ascii_lowercase()] {
        [b'e', b'q'] => CompareOp::Eq,
        [b'n', b'e'] => CompareOp::Ne,
        [b'c', b'o'] => CompareOp::Co,
        [b's', b'w'] => CompareOp::Sw,
        [b'e', b'w'] => CompareOp::Ew,
        [b'g', b't'] => CompareOp::Gt,
        [b'g', b'e'] => CompareOp::Ge,
        [b'l', b't'] => CompareOp::Lt,
        [b'l', b'e'] => CompareOp::Le,
        _ => return None,
    })
}

const EXPECTED_OPERATOR: &str = "an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr)";

/// `SP compareOp SP compValue` or `SP "pr"` after the attribute path.
#[cfg_attr(not(debug_assertions), inline(always))]
fn attr_exp_rest<'a>(i: &'a str, path: RawPath<'_>, ctx: Ctx) -> PResult<'a, Filter> {
    let (i, ()) = ws0(i)?;
    let end = i.bytes().position(|b| !b.is_ascii_alphabetic()).unwrap_or(i.len());
    let word = &i[..end];
    let op = match word.as_bytes() {
        [a, b] if a.eq_ignore_ascii_case(&b'p') && b.eq_ignore_ascii_case(&b'r') => {
            if keyword(i, "pr").is_none() {
                return Err(nom::Err::Failure(PError::expected(i, EXPECTED_OPERATOR)));
            }
            return Ok((&i[2..], Filter::Present(path.into_owned())));
        }
        [a, b] => match comparison_operator(*a, *b) {
            Some(op) => op,
            None => return Err(nom::Err::Failure(PError::expected(i, EXPECTED_OPERATOR))),
        },
        _ => return Err(nom::Err::Failure(PError::expected(i, EXPECTED_OPERATOR))),
    };
    let (i, ()) = ws0(&i[2..])?;
    let (i, value) = comp_value(i, ctx.bare_values)?;
    Ok((i, Filter::Compare { path: path.into_owned(), op, value }))
}

/// `PATH = attrPath / valuePath [subAttr]` (RFC 7644 §3.5.2).
pub(crate) fn patch_path(i: &str, ctx: Ctx) -> PResult<'_, PatchPath> {
    let (rest, attr) = context("an attribute path", attr_path).parse(i)?;
    let Some(inner) = rest.strip_prefix('[') else {
        return Ok((rest, PatchPath::Attr(attr)));
    };
    let (rest, filter) = value_filter(rest, inner, ctx)?;
    let (rest, sub_attr) = match rest.strip_prefix('.') {
        Some(after) => {
            let (after, name) = context("a sub-attribute name after '].'", cut(attr_name)).parse(after)?;
            (after, Some(name.to_owned()))
        }
        None => (rest, None),
    };
    Ok((rest, PatchPath::ValuePath { attr, filter, sub_attr }))
}
