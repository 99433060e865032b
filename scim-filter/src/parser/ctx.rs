//! [`Ctx`]: the parser state threaded through the recursive productions (nesting budget,
//! leniency, whether inside a value path).

use super::error::PError;
use crate::ParseOptions;

/// Parser state threaded through the recursive productions.
///
/// Eight bytes, so that it travels in one register through the (partly recursive, not
/// inlined) productions instead of through memory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    /// How many more levels of `(`, `not (` or `[` may be opened.
    pub(super) remaining_depth: u32,
    /// Whether unquoted bare words are accepted as string values.
    pub(super) bare_values: bool,
    /// Whether we are inside the brackets of a value path (which may not nest).
    pub(super) in_value_path: bool,
}

impl Ctx {
    pub(super) fn new(options: &ParseOptions) -> Self {
        Self {
            // Every level costs at least one input byte, and inputs longer than 4 GiB are not
            // realistic, so clamping the limit does not change which inputs parse.
            remaining_depth: u32::try_from(options.max_depth).unwrap_or(u32::MAX),
            bare_values: options.allow_bare_values,
            in_value_path: false,
        }
    }

    /// One level deeper, or a `NestingTooDeep` failure at `at`.
    #[inline(always)]
    pub(super) fn deeper<'a>(self, at: &'a str) -> Result<Self, nom::Err<PError<'a>>> {
        match self.remaining_depth.checked_sub(1) {
            Some(remaining_depth) => Ok(Self { remaining_depth, ..self }),
            None => Err(nom::Err::Failure(PError::too_deep(at))),
        }
    }
}
