//! Parse errors: the position and the message a person can act on.

use scim_query::{ParseOptions, parse_filter, parse_filter_with, parse_path};

#[track_caller]
fn error(input: &str) -> (usize, String) {
    let e = parse_filter(input).expect_err(input);
    (e.position(), e.message().to_owned())
}

#[track_caller]
fn assert_error(input: &str, position: usize, message: &str) {
    let (p, m) = error(input);
    assert_eq!((p, m.as_str()), (position, message), "{input}");
}

#[test]
fn unterminated_string() {
    assert_error(r#"userName eq "bjensen"#, 20, "expected '\"' to close the string, found end of input");
    assert_error(
        r#"userName eq "a\"#,
        14,
        r#"expected an escape sequence (\" \\ \/ \b \f \n \r \t or \uXXXX), found "\""#,
    );
}

#[test]
fn unknown_operator() {
    assert_error(
        r#"userName equals "x""#,
        9,
        "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr), found \"equals\"",
    );
    assert_error(
        r#"userName = "x""#,
        9,
        "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr), found \"=\"",
    );
    assert_error("userName", 8, "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr), found end of input");
    assert_error("title prx", 6, "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr), found \"prx\"");
}

#[test]
fn missing_value() {
    assert_error(
        "userName eq ",
        12,
        "expected a value (a quoted string, a number, true, false or null), found end of input",
    );
    assert_error("(userName eq )", 13, "expected a value (a quoted string, a number, true, false or null), found ')'");
}

#[test]
fn missing_closing_parenthesis() {
    assert_error(r#"(userName eq "x""#, 16, "expected ')' to close the group, found end of input");
    assert_error(r#"not (userName eq "x" "#, 21, "expected ')' to close the group, found end of input");
    assert_error(r#"emails[type eq "work""#, 21, "expected ']' to close the value filter, found end of input");
}

#[test]
fn trailing_input() {
    assert_error(r#"userName eq "x")"#, 15, "expected 'and', 'or' or the end of the filter, found ')'");
    assert_error(
        r#"userName eq "x" userName"#,
        16,
        "expected 'and', 'or' or the end of the filter, found \"userName\"",
    );
    assert_error(r#"title pr andx pr"#, 9, "expected 'and', 'or' or the end of the filter, found \"andx\"");
}

#[test]
fn dangling_logical_operator() {
    assert_error("title pr and", 12, "expected a filter (an attribute path, 'not (' or '('), found end of input");
    assert_error("title pr or ", 12, "expected a filter (an attribute path, 'not (' or '('), found end of input");
    assert_error("title pr and )", 13, "expected a filter (an attribute path, 'not (' or '('), found ')'");
}

#[test]
fn empty_input() {
    assert_error("", 0, "expected a filter (an attribute path, 'not (' or '('), found end of input");
    assert_error("   ", 3, "expected a filter (an attribute path, 'not (' or '('), found end of input");
    assert_error("()", 1, "expected a filter (an attribute path, 'not (' or '('), found ')'");
}

#[test]
fn bad_escape() {
    assert_error(
        r#"userName eq "a\qb""#,
        14,
        r#"expected an escape sequence (\" \\ \/ \b \f \n \r \t or \uXXXX), found "\qb""#,
    );
    assert_error(
        r#"userName eq "\u12G4""#,
        13,
        r#"expected four hex digits forming a valid \uXXXX escape, found "\u12G4""#,
    );
    assert_error(r#"userName eq "\ud800x""#, 19, "expected a \\uDC00-\\uDFFF low surrogate, found \"x\"");
}

#[test]
fn bad_paths_and_values() {
    assert_error(r#"1abc eq "x""#, 0, "expected a filter (an attribute path, 'not (' or '('), found \"1abc\"");
    assert_error(r#"name. eq "x""#, 5, "expected a sub-attribute name after '.', found whitespace");
    assert_error(
        r#"urn:x eq "x""#,
        4,
        "expected a schema URN followed by ':' and an attribute name (urn:…:name), found \"x\"",
    );
    assert_error(r#"emails[type eq "a"][value pr]"#, 19, "expected 'and', 'or' or the end of the filter, found '['");
    assert_error(
        r#"emails[type eq "a" and x[y pr]]"#,
        24,
        "expected a comparison (value paths cannot be nested), found '['",
    );
    let strict = ParseOptions::new().with_bare_values(false);
    let e = parse_filter_with("externalId eq jyoung", &strict).unwrap_err();
    assert_eq!(e.position(), 14);
    assert!(e.message().contains("unquoted words are not allowed"), "{}", e.message());
    let e = parse_filter_with("count eq 01", &strict).unwrap_err();
    assert_eq!((e.position(), e.message()), (9, "expected a JSON number, found \"01\""));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for opener in ["(", "not (", "not(", "NOT ("] {
        let input = opener.repeat(100_000);
        let options = ParseOptions::new().with_max_len(usize::MAX);
        let e = parse_filter_with(&input, &options).unwrap_err();
        assert_eq!(e.position(), 64 * opener.len(), "{opener}");
        assert_eq!(e.message(), "nesting deeper than 64 levels of '(', 'not (' or '['");
    }
    // Within the default length limit too.
    let e = parse_filter(&"(".repeat(100_000)).unwrap_err();
    assert!(e.message().contains("longer than the limit"), "{}", e.message());
}

#[test]
fn deep_nesting_in_a_small_stack() {
    // The default 64 levels fit in a 1 MiB thread stack even in an unoptimised build, and deeper
    // input fails cleanly before using more.
    let handle = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let ok = format!("{}title pr{}", "(".repeat(64), ")".repeat(64));
            assert!(parse_filter(&ok).is_ok());
            let too_deep = format!("{}title pr{}", "(".repeat(65), ")".repeat(65));
            assert!(parse_filter(&too_deep).is_err());
            let options = ParseOptions::new().with_max_len(usize::MAX);
            assert!(parse_filter_with(&"(".repeat(100_000), &options).is_err());
        })
        .unwrap();
    handle.join().unwrap();
}

#[test]
fn max_depth_is_configurable() {
    let options = ParseOptions::new().with_max_depth(2);
    assert!(parse_filter_with("((a pr))", &options).is_ok());
    let e = parse_filter_with("(((a pr)))", &options).unwrap_err();
    assert_eq!(e.position(), 2);
    assert!(parse_filter_with(r#"(emails[type eq "x"])"#, &options).is_ok());
    assert!(parse_filter_with(r#"((emails[type eq "x"]))"#, &options).is_err());
}

#[test]
fn too_long() {
    let options = ParseOptions::new().with_max_len(10);
    let e = parse_filter_with("userName eq \"abc\"", &options).unwrap_err();
    assert_eq!(e.position(), 10);
    assert_eq!(e.message(), "input of 17 bytes is longer than the limit of 10 bytes");
    assert!(parse_filter_with("title pr", &options).is_ok());
}

#[test]
fn path_errors() {
    for (path, position) in [
        ("", 0),
        ("emails[", 7),
        ("emails[type eq \"work\"", 21),
        ("emails[type eq \"work\"].", 23),
        ("emails[type eq \"work\"]x", 22),
        ("name.givenName.x", 14),
        ("name givenName", 5),
        ("urn:x", 4),
        ("emails[x pr][y pr]", 12),
    ] {
        let e = parse_path(path).expect_err(path);
        assert_eq!(e.position(), position, "{path}: {e}");
    }
    let e = parse_path("emails[type eq \"work\"]x").unwrap_err();
    assert!(e.message().starts_with("expected the end of the path"), "{}", e.message());
}

#[test]
fn display_of_errors_names_the_position() {
    let e = parse_filter("title pr and").unwrap_err();
    assert_eq!(e.to_string(), "expected a filter (an attribute path, 'not (' or '('), found end of input at byte 12");
}
