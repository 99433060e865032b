//! Parse and evaluation errors.

use std::fmt;

/// Why a filter or path failed to parse.
///
/// Carries the byte offset into the input and a message saying what was expected
/// and what was found. Maps to `400 invalidFilter` (filters) or `400 invalidPath` (PATCH paths).
#[derive(Clone, PartialEq, Eq)]
pub struct ParseError(Box<ParseErrorImpl>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct ParseErrorImpl {
    position: usize,
    message: String,
}

impl ParseError {
    /// Builds an error at byte `position` of the input.
    pub fn new(position: usize, message: impl Into<String>) -> Self {
        Self(Box::new(ParseErrorImpl { position, message: message.into() }))
    }

    /// Byte offset into the input where the problem was found.
    pub fn position(&self) -> usize {
        self.0.position
    }

    /// What was expected and what was found.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Debug for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParseError").field("position", &self.0.position).field("message", &self.0.message).finish()
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.0.message, self.0.position)
    }
}

impl std::error::Error for ParseError {}

/// Why a parsed filter cannot be evaluated against a schema (maps to `400 invalidFilter`),
/// for example `gt` on a boolean attribute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    message: String,
}

impl EvalError {
    /// Builds an error with a human-readable message.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<ParseError>();
        assert_send_sync::<EvalError>();
    }
}
