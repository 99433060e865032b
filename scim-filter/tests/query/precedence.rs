//! `and` binds tighter than `or`, both fold to the left, `not` and parentheses group; keywords
//! are whole words in any case.

use scim_query::{AttrPath, Filter, parse_filter};

fn p(name: &str) -> Filter {
    Filter::Present(AttrPath::new(name))
}

fn and(a: Filter, b: Filter) -> Filter {
    Filter::And(Box::new(a), Box::new(b))
}

fn or(a: Filter, b: Filter) -> Filter {
    Filter::Or(Box::new(a), Box::new(b))
}

fn not(a: Filter) -> Filter {
    Filter::Not(Box::new(a))
}

#[track_caller]
fn tree(input: &str) -> Filter {
    parse_filter(input).unwrap_or_else(|e| panic!("{input}: {e}"))
}

#[test]
fn and_binds_tighter_than_or() {
    assert_eq!(tree("a pr or b pr and c pr"), or(p("a"), and(p("b"), p("c"))));
    assert_eq!(tree("a pr and b pr or c pr"), or(and(p("a"), p("b")), p("c")));
    assert_eq!(tree("a pr and b pr or c pr and d pr"), or(and(p("a"), p("b")), and(p("c"), p("d"))));
}

#[test]
fn chains_fold_left() {
    assert_eq!(tree("a pr or b pr or c pr"), or(or(p("a"), p("b")), p("c")));
    assert_eq!(tree("a pr and b pr and c pr"), and(and(p("a"), p("b")), p("c")));
}

#[test]
fn parentheses_group() {
    assert_eq!(tree("(a pr or b pr) and c pr"), and(or(p("a"), p("b")), p("c")));
    assert_eq!(tree("a pr and (b pr or c pr)"), and(p("a"), or(p("b"), p("c"))));
    assert_eq!(tree("a pr and (b pr and c pr)"), and(p("a"), and(p("b"), p("c"))));
    assert_eq!(tree("( ( a pr ) )"), p("a"));
}

#[test]
fn not_applies_to_its_group_only() {
    assert_eq!(tree("not (a pr) and b pr"), and(not(p("a")), p("b")));
    assert_eq!(tree("not (a pr or b pr) or c pr"), or(not(or(p("a"), p("b"))), p("c")));
    assert_eq!(tree("not(not(a pr))"), not(not(p("a"))));
    assert_eq!(tree("NoT   (a pr)"), not(p("a")));
}

#[test]
fn keywords_are_whole_words() {
    // Attributes whose names start with keywords.
    assert_eq!(tree("notes pr"), p("notes"));
    assert_eq!(tree("not pr"), p("not"));
    assert_eq!(tree("order pr or android pr"), or(p("order"), p("android")));
    assert_eq!(tree("andy pr and orb pr"), and(p("andy"), p("orb")));
    assert_eq!(tree("prize pr"), p("prize"));
    // Operators in any case, extra spaces, and a parenthesis straight after a keyword.
    assert_eq!(tree("a PR AND(b pr)Or c pr"), or(and(p("a"), p("b")), p("c")));
    assert_eq!(tree("  a pr\tand\nb pr  "), and(p("a"), p("b")));
}

#[test]
fn value_path_inside_logic() {
    let f = tree(r#"title pr and (emails[type eq "home"] or phoneNumbers[type eq "mobile"])"#);
    let Filter::And(left, right) = f else { panic!("and") };
    assert_eq!(*left, p("title"));
    let Filter::Or(a, b) = *right else { panic!("or") };
    assert!(matches!(*a, Filter::ValuePath { .. }));
    assert!(matches!(*b, Filter::ValuePath { .. }));
    // Precedence inside the brackets is the same.
    let Filter::ValuePath { filter, .. } = tree("emails[a pr or b pr and c pr]") else { panic!("value path") };
    assert_eq!(*filter, or(p("a"), and(p("b"), p("c"))));
}
