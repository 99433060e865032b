//! Parser and evaluator for the SCIM 2.0 filter language (RFC 7644 §3.4.2.2) and PATCH
//! paths (RFC 7644 §3.5.2).
//!
//! - [`parse_filter`] turns `userName eq "bjensen" and emails[type eq "work"]` into a [`Filter`]
//!   tree; [`parse_path`] turns a PATCH `path` such as `emails[type eq "work"].value` into a
//!   [`PatchPath`]. Errors ([`ParseError`]) carry the byte position and say what was expected
//!   and what was found; they map to `400 invalidFilter` / `400 invalidPath`.
//! - `Display` on every tree prints a canonical form (lower-case operators, JSON strings,
//!   parentheses only where needed) that parses back to the same tree.
//! - [`CompiledFilter`] resolves a filter's attribute paths once against the schema (through
//!   the [`AttributeFacts`] trait, which `scim-core` implements) and then tests many JSON
//!   resources without allocating.
//!
//! # Parsing
//!
//! ```
//! use scim_query::{parse_filter, AttrPath, CompValue, CompareOp, Filter};
//!
//! let filter = parse_filter(
//!     r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value EQ "26118915-6090-4610-87e4-49d8ca9f808d""#,
//! )?;
//! let Filter::Compare { path, op, value } = &filter else { unreachable!() };
//! assert_eq!(path.urn.as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
//! assert_eq!((path.name.as_str(), path.sub_attr.as_deref()), ("manager", Some("value")));
//! assert_eq!(*op, CompareOp::Eq);
//! assert_eq!(*value, CompValue::Str("26118915-6090-4610-87e4-49d8ca9f808d".into()));
//!
//! // `and` binds tighter than `or`; Display adds the parentheses the tree needs.
//! let filter = parse_filter(r#"(title pr or userType eq "Intern") and not(active eq false)"#)?;
//! assert_eq!(filter.to_string(), r#"(title pr or userType eq "Intern") and not (active eq false)"#);
//!
//! // Errors say where and what.
//! let err = parse_filter(r#"userName equals "bjensen""#).unwrap_err();
//! assert_eq!(err.position(), 9);
//! assert_eq!(err.message(), r#"expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr), found "equals""#);
//! # Ok::<(), scim_query::ParseError>(())
//! ```
//!
//! Lenient forms that identity providers send are accepted by default and can be switched
//! off with [`ParseOptions`]: an unquoted value (`externalId eq jyoung`). Microsoft's
//! documented `emails[type eq "work"].value eq "x"` (a value path, then a comparison of one of
//! its sub-attributes) is always accepted and read as `emails[type eq "work" and value eq "x"]`,
//! the form `Display` prints; no RFC filter has that shape. A value in single quotes is an
//! error that says to use double quotes. Input length and nesting depth are bounded
//! ([`ParseOptions::max_len`], [`ParseOptions::max_depth`]), so no input can exhaust the stack.
//!
//! # PATCH paths
//!
//! ```
//! use scim_query::{parse_path, PatchPath};
//!
//! let PatchPath::ValuePath { attr, filter, sub_attr } = parse_path(r#"emails[type eq "work"].value"#)? else {
//!     unreachable!()
//! };
//! assert_eq!(attr.name, "emails");
//! assert_eq!(filter.to_string(), r#"type eq "work""#);
//! assert_eq!(sub_attr.as_deref(), Some("value"));
//!
//! // A whole extension: AttrPath::full_urn gives the schema URN back.
//! let PatchPath::Attr(attr) = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")? else {
//!     unreachable!()
//! };
//! assert_eq!(attr.full_urn().as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
//! # Ok::<(), scim_query::ParseError>(())
//! ```
//!
//! # Evaluation
//!
//! Compile once, then test each resource. Without schema facts ([`NoSchema`]) names are
//! looked up case-insensitively, strings compare case-insensitively, and the JSON type of each
//! value decides how it compares; with facts, `caseExact`, `dateTime`, `integer`, … are honoured
//! and type errors (`active gt true`) are reported at compile time. See [`CompiledFilter`] for
//! the exact semantics.
//!
//! ```
//! use scim_query::{parse_filter, CompiledFilter, NoSchema};
//! use serde_json::json;
//!
//! let filter = parse_filter(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
//! let compiled = CompiledFilter::compile(&filter, &NoSchema).unwrap();
//! let user = json!({"emails": [{"type": "work", "value": "bjensen@EXAMPLE.com"}]});
//! assert!(compiled.matches(&user));
//! // Both conditions must hold on the same element.
//! let other = json!({"emails": [{"type": "work", "value": "b@x.org"}, {"type": "home", "value": "b@example.com"}]});
//! assert!(!compiled.matches(&other));
//! ```
//!
//! Filters evaluate on `serde_json::Value` documents and, with the same semantics, on
//! [`CompactValue`]s ([`CompiledFilter::matches_compact`]): the compact, interned-key document
//! form stores keep many resources in. Scanning compact documents is several times faster,
//! because comparing a key is a pointer comparison and each document sits in a few cache lines.

mod ast;
pub mod compact;
mod display;
mod error;
mod eval;
mod facts;
pub mod fold;
mod options;
mod parser;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, PatchPath};
pub use compact::{CompactObject, CompactValue};
pub use error::{EvalError, ParseError};
pub use eval::{CompiledFilter, evaluate};
pub use facts::{AttrFacts, AttrType, AttributeFacts, NoSchema};
pub use options::ParseOptions;
pub use parser::{parse_filter, parse_filter_with, parse_path, parse_path_with};
