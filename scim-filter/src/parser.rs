//! The nom grammar (placeholder signatures; filled in by the scim-filter work).

use crate::{Filter, ParseError, ParseOptions, PatchPath};

/// Parses a filter with the default [`ParseOptions`].
///
/// # Errors
/// A [`ParseError`] (`400 invalidFilter`) with the byte position of the problem.
pub fn parse_filter(input: &str) -> Result<Filter, ParseError> {
    parse_filter_with(input, &ParseOptions::default())
}

/// Parses a filter.
///
/// # Errors
/// A [`ParseError`] (`400 invalidFilter`) with the byte position of the problem.
pub fn parse_filter_with(_input: &str, _options: &ParseOptions) -> Result<Filter, ParseError> {
    Err(ParseError::new(0, "filter parsing is not built yet"))
}

/// Parses a PATCH path with the default [`ParseOptions`].
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
pub fn parse_path_with(_input: &str, _options: &ParseOptions) -> Result<PatchPath, ParseError> {
    Err(ParseError::new(0, "path parsing is not built yet"))
}
