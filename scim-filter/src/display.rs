//! Canonical printing: lower-case operators, JSON-escaped strings, and parentheses exactly
//! where precedence needs them, so that parsing the output gives back the same tree.

use crate::{AttrPath, CompValue, CompareOp, Filter, PatchPath};
use std::fmt::{self, Display, Formatter, Write};

impl Display for CompareOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        })
    }
}

impl Display for AttrPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            f.write_str(urn)?;
            f.write_char(':')?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            f.write_char('.')?;
            f.write_str(sub)?;
        }
        Ok(())
    }
}

impl Display for CompValue {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::Str(s) => write_json_string(f, s),
        }
    }
}

/// Writes `s` as a JSON string literal.
fn write_json_string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            c if c < ' ' => "",
            _ => continue,
        };
        f.write_str(&s[start..i])?;
        if escape.is_empty() {
            write!(f, "\\u{:04x}", u32::from(c))?;
        } else {
            f.write_str(escape)?;
        }
        start = i + c.len_utf8();
    }
    f.write_str(&s[start..])?;
    f.write_char('"')
}

/// Binding strength of the context a filter is printed in.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    /// Anything goes (top level, inside parentheses or brackets).
    Or,
    /// An operand of `and`: an `or` needs parentheses.
    And,
    /// The right operand of `and`: an `and` needs parentheses too (the parser folds to the left).
    Atom,
}

fn write_filter(f: &mut Formatter<'_>, filter: &Filter, prec: Prec) -> fmt::Result {
    match filter {
        Filter::Present(path) => write!(f, "{path} pr"),
        Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
        Filter::ValuePath { attr, filter } => {
            write!(f, "{attr}[")?;
            write_filter(f, filter, Prec::Or)?;
            f.write_char(']')
        }
        Filter::Not(inner) => {
            f.write_str("not (")?;
            write_filter(f, inner, Prec::Or)?;
            f.write_char(')')
        }
        Filter::Or(a, b) => parenthesised(f, prec > Prec::Or, |f| {
            write_filter(f, a, Prec::Or)?;
            f.write_str(" or ")?;
            write_filter(f, b, Prec::And)
        }),
        Filter::And(a, b) => parenthesised(f, prec > Prec::And, |f| {
            write_filter(f, a, Prec::And)?;
            f.write_str(" and ")?;
            write_filter(f, b, Prec::Atom)
        }),
    }
}

fn parenthesised(
    f: &mut Formatter<'_>,
    parens: bool,
    body: impl FnOnce(&mut Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    if parens {
        f.write_char('(')?;
        body(f)?;
        f.write_char(')')
    } else {
        body(f)
    }
}

/// Prints the canonical form; `parse_filter(&filter.to_string())` gives back `filter` for every
/// tree the parser can produce.
impl Display for Filter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_filter(f, self, Prec::Or)
    }
}

impl Display for PatchPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Self::Attr(path) => write!(f, "{path}"),
            Self::ValuePath { attr, filter, sub_attr } => {
                write!(f, "{attr}[{filter}]")?;
                if let Some(sub) = sub_attr {
                    write!(f, ".{sub}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_filter;

    #[track_caller]
    fn canonical(input: &str, expected: &str) {
        let filter = parse_filter(input).unwrap();
        assert_eq!(filter.to_string(), expected);
        assert_eq!(parse_filter(expected).unwrap(), filter);
    }

    #[test]
    fn parentheses_only_where_needed() {
        canonical("a pr and b pr and c pr", "a pr and b pr and c pr");
        canonical("a pr and (b pr and c pr)", "a pr and (b pr and c pr)");
        canonical("a pr or b pr and c pr", "a pr or b pr and c pr");
        canonical("(a pr or b pr) and c pr", "(a pr or b pr) and c pr");
        canonical("a pr or (b pr or c pr)", "a pr or (b pr or c pr)");
        canonical("((a pr))", "a pr");
        canonical("NOT(a pr)", "not (a pr)");
        canonical(r#"emails[type EQ "work" OR primary eq TRUE]"#, r#"emails[type eq "work" or primary eq true]"#);
    }

    #[test]
    fn strings_are_escaped() {
        canonical(r#"a eq "q\"b\\s\u0001\n""#, r#"a eq "q\"b\\s\u0001\n""#);
        canonical(r#"a eq "\u00e9\/""#, r#"a eq "é/""#);
        canonical("a eq jyoung", r#"a eq "jyoung""#);
    }
}
