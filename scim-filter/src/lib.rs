//! Parser and evaluator for the SCIM 2.0 filter language (RFC 7644 §3.4.2.2) and PATCH
//! paths (RFC 7644 §3.5.2).
//!
//! ```
//! use scim_filter::{parse_filter, CompiledFilter, NoSchema};
//! use serde_json::json;
//!
//! let filter = parse_filter(r#"emails[type eq "work" and value co "@example.com"]"#).unwrap();
//! let compiled = CompiledFilter::compile(&filter, &NoSchema).unwrap();
//! let user = json!({"emails": [{"type": "work", "value": "bjensen@EXAMPLE.com"}]});
//! assert!(compiled.matches(&user));
//! ```

mod ast;
mod display;
mod error;
mod eval;
mod facts;
mod options;
mod parser;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, PatchPath};
pub use error::{EvalError, ParseError};
pub use eval::{CompiledFilter, evaluate};
pub use facts::{AttrFacts, AttrType, AttributeFacts, NoSchema};
pub use options::ParseOptions;
pub use parser::{parse_filter, parse_filter_with, parse_path, parse_path_with};
