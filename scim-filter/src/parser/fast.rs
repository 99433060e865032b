//! A hand-written fast path for the most common filter: one comparison of a plain attribute,
//! `userName eq "bjensen@example.com"` (also `name.familyName eq "x"`, `active eq true`,
//! `title pr`).
//!
//! It recognises only a subset of what the nom grammar accepts, and for that subset returns
//! exactly the tree the grammar builds (the differential tests below check both halves of that
//! claim). Anything else, including every invalid input, gives `None`, and the caller runs the
//! grammar, which also produces the error messages.
//!
//! Shape handled (`WS` is the grammar's whitespace: space, tab, CR, LF):
//!
//! ```text
//! WS* name ["." name] WS+ op WS+ value WS*     op: eq ne co sw ew gt ge lt le (any case)
//! WS* name ["." name] WS+ "pr" WS*                 (any case)
//! name  = (ALPHA / "$") *(ALPHA / DIGIT / "-" / "_")   not starting with "urn:"
//! value = '"' *(any char but '"' and '\') '"' / "true" / "false" / "null" (any case)
//! ```

use super::error::is_ws_byte;
use super::filter::comparison_operator;
use super::path::is_name_byte;
use crate::{AttrPath, CompValue, CompareOp, Filter};

/// The filter, if `input` has the shape above; `None` otherwise (not necessarily an error).
///
/// Nothing is allocated until the whole input has been recognised, so that giving up (and
/// leaving the input to the grammar) costs only the scan.
#[inline(always)]
pub(crate) fn simple_comparison(input: &str) -> Option<Filter> {
    let shape = scan(input.as_bytes())?;
    let path = AttrPath {
        urn: None,
        name: input.get(shape.name.0..shape.name.1)?.to_owned(),
        sub_attr: match shape.sub_attr {
            Some((start, end)) => Some(input.get(start..end)?.to_owned()),
            None => None,
        },
    };
    let Some(op) = shape.op else {
        return Some(Filter::Present(path));
    };
    let value = match shape.value {
        Value::Str(start, end) => CompValue::Str(input.get(start..end)?.to_owned()),
        Value::Bool(b) => CompValue::Bool(b),
        Value::Null => CompValue::Null,
    };
    Some(Filter::Compare { path, op, value })
}

/// Where the parts of a recognised filter are (byte ranges, all at ASCII boundaries).
struct Shape {
    name: (usize, usize),
    sub_attr: Option<(usize, usize)>,
    /// `None` for `pr`.
    op: Option<CompareOp>,
    value: Value,
}

/// A recognised value: a string's body (without escapes), or a keyword.
enum Value {
    Str(usize, usize),
    Bool(bool),
    Null,
}

/// Recognises the shape above, allocating nothing.
#[inline(always)]
fn scan(b: &[u8]) -> Option<Shape> {
    let mut p = skip_ws(b, 0);
    let name_start = p;
    p = name_end(b, p)?;
    let name = (name_start, p);
    let sub_attr = if b.get(p) == Some(&b'.') {
        let start = p + 1;
        p = name_end(b, start)?;
        Some((start, p))
    } else {
        None
    };
    // A ':' here (`urn:…`), '[', '.', or anything but whitespace: not ours.
    if !b.get(p).is_some_and(|&c| is_ws_byte(c)) {
        return None;
    }
    p = skip_ws(b, p + 1);
    let (o1, o2) = (b.get(p)?.to_ascii_lowercase(), b.get(p + 1)?.to_ascii_lowercase());
    p += 2;
    let op = match [o1, o2] {
        // `pr` must be the last token.
        [b'p', b'r'] if skip_ws(b, p) == b.len() => {
            return Some(Shape { name, sub_attr, op: None, value: Value::Null });
        }
        [o1, o2] => comparison_operator(o1, o2)?,
    };
    if !b.get(p).is_some_and(|&c| is_ws_byte(c)) {
        return None;
    }
    p = skip_ws(b, p + 1);
    let (value, end) = value(b, p)?;
    // The value must be the last token.
    if skip_ws(b, end) != b.len() {
        return None;
    }
    Some(Shape { name, sub_attr, op: Some(op), value })
}

/// The value at `p` and the index after it: a string without escapes, or a keyword.
#[inline(always)]
fn value(b: &[u8], p: usize) -> Option<(Value, usize)> {
    let rest = b.get(p..)?;
    if rest.first() == Some(&b'"') {
        let stop = super::value::find_quote_or_backslash(&rest[1..])?;
        if rest[1 + stop] != b'"' {
            return None; // An escape: the grammar decodes it.
        }
        return Some((Value::Str(p + 1, p + 1 + stop), p + 1 + stop + 1));
    }
    // A keyword, delimited by whitespace or the end. Numbers and bare words go to the grammar.
    let word = rest.iter().position(|&c| is_ws_byte(c)).map_or(rest, |len| &rest[..len]);
    let value = if word.eq_ignore_ascii_case(b"true") {
        Value::Bool(true)
    } else if word.eq_ignore_ascii_case(b"false") {
        Value::Bool(false)
    } else if word.eq_ignore_ascii_case(b"null") {
        Value::Null
    } else {
        return None;
    };
    Some((value, p + word.len()))
}

/// The index of the first non-whitespace byte at or after `p`.
#[inline(always)]
fn skip_ws(b: &[u8], mut p: usize) -> usize {
    while p < b.len() && is_ws_byte(b[p]) {
        p += 1;
    }
    p
}

/// The end of the attribute name starting at `p` (`ALPHA / "$"`, then name bytes).
#[inline(always)]
fn name_end(b: &[u8], mut p: usize) -> Option<usize> {
    match b.get(p) {
        Some(c) if c.is_ascii_alphabetic() || *c == b'$' => p += 1,
        _ => return None,
    }
    while p < b.len() && is_name_byte(b[p]) {
        p += 1;
    }
    Some(p)
}

#[cfg(test)]
mod tests {
    //! Differential tests: whenever the fast path returns a filter, the grammar returns the same
    //! filter, under every option set (the fast path ignores the options).

    use super::simple_comparison;
    use crate::parser::grammar_filter;
    use crate::{AttrPath, CompValue, CompareOp, Filter, ParseOptions};
    use proptest::prelude::*;

    fn option_sets() -> [ParseOptions; 4] {
        [
            ParseOptions::default(),
            ParseOptions::default().with_bare_values(false),
            ParseOptions::default().with_max_depth(0),
            ParseOptions::default().with_max_len(1 << 20),
        ]
    }

    /// Checks the differential property for `input`; returns whether the fast path took it.
    fn check(input: &str) -> bool {
        let fast = simple_comparison(input);
        for options in option_sets() {
            if let Some(fast) = &fast {
                assert_eq!(grammar_filter(input, &options).as_ref(), Ok(fast), "{input:?} with {options:?}");
            }
        }
        // The public entry point agrees with the grammar in every case (ok or error).
        for options in option_sets() {
            assert_eq!(
                crate::parse_filter_with(input, &options).map_err(|e| e.to_string()),
                grammar_filter(input, &options).map_err(|e| e.to_string()),
                "{input:?} with {options:?}"
            );
        }
        fast.is_some()
    }

    #[test]
    fn takes_the_common_shapes() {
        let cases = [
            (r#"userName eq "bjensen@example.com""#, "userName", None, Some((CompareOp::Eq, "bjensen@example.com"))),
            (
                " \t name.familyName  CO \"O'Malley\" \r\n",
                "name",
                Some("familyName"),
                Some((CompareOp::Co, "O'Malley")),
            ),
            (r#"$ref Ne """#, "$ref", None, Some((CompareOp::Ne, ""))),
            (r#"not ew "é€😀""#, "not", None, Some((CompareOp::Ew, "é€😀"))),
            ("title pr", "title", None, None),
            ("and PR ", "and", None, None),
            ("urn.x pr", "urn", Some("x"), None),
        ];
        for (input, name, sub, cmp) in cases {
            let path = AttrPath { urn: None, name: name.to_owned(), sub_attr: sub.map(str::to_owned) };
            let expected = match cmp {
                Some((op, s)) => Filter::Compare { path, op, value: CompValue::Str(s.to_owned()) },
                None => Filter::Present(path),
            };
            assert_eq!(simple_comparison(input), Some(expected), "{input:?}");
            assert!(check(input));
        }
        for (input, value) in [
            ("active eq true", CompValue::Bool(true)),
            ("a ge FALSE ", CompValue::Bool(false)),
            ("a lt Null", CompValue::Null),
        ] {
            let Some(Filter::Compare { value: got, .. }) = simple_comparison(input) else { panic!("{input:?}") };
            assert_eq!(got, value);
            assert!(check(input));
        }
    }

    #[test]
    fn leaves_everything_else_to_the_grammar() {
        let others = [
            "",
            " ",
            "userName",
            "userName eq",
            "userName eq ",
            r#"userName eq"x""#,
            r#"userNameeq "x""#,
            r#"userName eq "x"and b pr"#,
            r#"userName eq "x" and b pr"#,
            r#"userName eq "x" or b pr"#,
            r#"userName eq "x" )"#,
            r#"userName eq "x"]"#,
            r#"userName eq "x" y"#,
            r#"userName eq "a\"b""#,
            r#"userName eq "a\u0041""#,
            r#"userName eq "abc"#,
            r#"userName eq "abc\"#,
            "userName eq 12",
            "userName eq -1.5e3",
            "userName eq jyoung",
            "userName eq truex",
            "userName eq true)",
            "userName eq tru",
            "userName eq nul",
            "userName eq true and a pr",
            "userName eqx \"x\"",
            "userName xx \"x\"",
            "userName e \"x\"",
            "title prx",
            "title pr1",
            "title pr.x",
            "title pr:",
            "title pr$",
            "title pr and b pr",
            "title pr)",
            "a.b.c eq \"x\"",
            "a. eq \"x\"",
            "a.1 eq \"x\"",
            "1a eq \"x\"",
            "-a eq \"x\"",
            "urn:a:b:c eq \"x\"",
            "URN:a:b:c pr",
            "urn: pr",
            "emails[type eq \"work\"]",
            "(a pr)",
            "not (a pr)",
            "not(a pr)",
            "a\u{a0}eq \"x\"",
            "a eq\u{a0}\"x\"",
            "a eq \"x\"\u{a0}",
            "a\u{b}eq \"x\"",
            "a\u{c}pr",
        ];
        for input in others {
            assert_eq!(simple_comparison(input), None, "{input:?}");
            check(input);
        }
    }

    fn ws() -> impl Strategy<Value = String> {
        prop_oneof![
            16 => Just(" ".to_owned()),
            1 => Just(String::new()),
            3 => "[ \t\r\n]{1,3}",
            1 => Just("\u{a0}".to_owned()),
            1 => Just("\u{b}".to_owned()),
        ]
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            16 => "[a-zA-Z$][a-zA-Z0-9_-]{0,6}",
            1 => prop::sample::select(vec!["urn", "URN", "not", "and", "or", "pr", "eq", "true", "1a", "-", "é"])
                .prop_map(str::to_owned),
        ]
    }

    fn path() -> impl Strategy<Value = String> {
        let tail = prop_oneof![
            16 => Just(""),
            1 => prop::sample::select(vec![".", ":", "[", ".x.y", ":x"]),
        ];
        (name(), prop::option::of(name()), tail).prop_map(|(n, sub, tail)| match sub {
            Some(sub) => format!("{n}.{sub}{tail}"),
            None => format!("{n}{tail}"),
        })
    }

    fn op() -> impl Strategy<Value = String> {
        prop_oneof![
            24 => "(eq|ne|co|sw|ew|gt|ge|lt|le|pr|EQ|Pr)",
            2 => "[eEnNcCsSgGlLpPwWqQoOtTrR]{2}",
            1 => "[a-z]{1,3}[0-9$.:_-]?",
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            12 => any::<String>().prop_map(|s| format!("\"{}\"", s.replace(['"', '\\'], ""))),
            2 => r#""[^"\\]{0,5}(\\[nt"\\/u]|\\u[0-9a-fA-F]{4}|\\|")?[^"\\]{0,5}"?"#,
            4 => "(true|false|null|TRUE|False|nULL|tru|nulll|truex)",
            1 => "-?[0-9]{1,4}(\\.[0-9]{1,3})?",
            1 => "[a-zA-Z][a-zA-Z0-9@.]{0,8}",
            1 => Just(String::new()),
        ]
    }

    fn tail() -> impl Strategy<Value = String> {
        prop_oneof![
            16 => Just(String::new()),
            3 => "[ \t\r\n]{1,3}",
            1 => prop::sample::select(vec![" and b pr", " or b pr", "and", " )", "]", " x", "(", "\u{a0}", "\""])
                .prop_map(str::to_owned),
        ]
    }

    /// Mostly the fast path's shape, with every part sometimes slightly off.
    fn shaped() -> impl Strategy<Value = String> {
        (ws(), path(), ws(), op(), ws(), value(), tail())
            .prop_map(|(w0, p, w1, o, w2, v, t)| format!("{w0}{p}{w1}{o}{w2}{v}{t}"))
    }

    fn plain_leaf() -> impl Strategy<Value = Filter> {
        let path = ("[a-zA-Z$][a-zA-Z0-9_-]{0,8}", prop::option::of("[a-zA-Z][a-zA-Z0-9_-]{0,8}"))
            .prop_map(|(name, sub_attr)| AttrPath { urn: None, name, sub_attr });
        let op = prop::sample::select(CompareOp::ALL.to_vec());
        let value = prop_oneof![
            Just(CompValue::Null),
            any::<bool>().prop_map(CompValue::Bool),
            any::<String>().prop_map(CompValue::Str),
            any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        ];
        prop_oneof![
            path.clone().prop_map(Filter::Present),
            (path, op, value).prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
        ]
    }

    #[test]
    fn near_misses_exercise_both_sides() {
        // The generator must produce plenty of inputs the fast path takes and plenty it leaves,
        // or the differential property below would check little.
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = shaped();
        let mut taken = 0;
        for _ in 0..2000 {
            let input = strategy.new_tree(&mut runner).expect("a value").current();
            if check(&input) {
                taken += 1;
            }
        }
        eprintln!("the fast path took {taken} of 2000");
        assert!((300..=1700).contains(&taken), "the fast path took {taken} of 2000");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn agrees_with_the_grammar_on_near_misses(s in shaped()) {
            check(&s);
        }

        #[test]
        fn agrees_with_the_grammar_on_filter_like_strings(
            s in r#"[a-zA-Z \t\[\]()"\\.:$0-9-]{0,30}|(not|and|or|pr|eq|EQ|true|null|urn:|x|y\.z| |\t|\(|\)|\[|\]|"|\\u|"a"){0,12}"#,
        ) {
            check(&s);
        }

        #[test]
        fn agrees_with_the_grammar_on_arbitrary_strings(s in any::<String>()) {
            check(&s);
        }

        #[test]
        fn takes_printed_plain_comparisons(f in plain_leaf()) {
            let printed = f.to_string();
            let expect_fast = match &f {
                Filter::Compare { value: CompValue::Str(s), .. } => {
                    !s.contains(|c: char| matches!(c, '"' | '\\') || c < ' ' || c == '\u{7f}')
                }
                Filter::Compare { value: CompValue::Number(_), .. } => false,
                _ => true,
            };
            let fast = simple_comparison(&printed);
            if expect_fast {
                prop_assert_eq!(fast.as_ref(), Some(&f), "{}", printed);
            }
            check(&printed);
        }
    }
}
