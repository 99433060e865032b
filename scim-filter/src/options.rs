//! Parser options.

/// Limits and leniency of the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Maximum nesting of parentheses and value-path brackets. Default 64.
    pub max_depth: usize,
    /// Maximum input length in bytes. Default 8 KiB.
    ///
    /// Besides bounding the work per request, this bounds the size of the tree: a long
    /// `a or b or c …` chain nests one node per term, and printing, compiling and dropping
    /// the tree recurse over it. Raise it with that in mind.
    pub max_len: usize,
    /// Accept an unquoted bare word as a string value (`externalId eq jyoung`). Default true.
    pub allow_bare_values: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self { max_depth: 64, max_len: 8 * 1024, allow_bare_values: true }
    }
}

impl ParseOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`ParseOptions::max_depth`].
    #[must_use]
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Sets [`ParseOptions::max_len`].
    #[must_use]
    pub fn with_max_len(mut self, len: usize) -> Self {
        self.max_len = len;
        self
    }

    /// Sets [`ParseOptions::allow_bare_values`].
    #[must_use]
    pub fn with_bare_values(mut self, allow: bool) -> Self {
        self.allow_bare_values = allow;
        self
    }
}
