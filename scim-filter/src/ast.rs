//! The filter and PATCH path syntax trees.

/// An attribute path: `[URN ":"] name ["." subAttr]` (RFC 7644 §3.4.2.2 `attrPath`).
///
/// The URN is split from the attribute name at the last `:`, so
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value` has
/// `urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`, `name = "manager"`
/// and `sub_attr = "value"`. A path that names a whole extension schema
/// (`urn:…:enterprise:2.0:User`) parses as `urn = "urn:…:enterprise:2.0"`, `name = "User"`;
/// [`AttrPath::full_urn`] gives back the schema URN so a schema-aware caller can tell the two apart.
///
/// Names keep the casing the client wrote; comparisons against schemas are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN prefix, if the path is URN-qualified.
    pub urn: Option<String>,
    /// The attribute name.
    pub name: String,
    /// The sub-attribute name, if any.
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// A path with just an attribute name.
    pub fn new(name: impl Into<String>) -> Self {
        Self { urn: None, name: name.into(), sub_attr: None }
    }

    /// Sets the sub-attribute.
    #[must_use]
    pub fn with_sub_attr(mut self, sub: impl Into<String>) -> Self {
        self.sub_attr = Some(sub.into());
        self
    }

    /// Sets the schema URN prefix.
    #[must_use]
    pub fn with_urn(mut self, urn: impl Into<String>) -> Self {
        self.urn = Some(urn.into());
        self
    }

    /// `urn:name` when the path is URN-qualified and has no sub-attribute: the string a
    /// whole-extension path such as `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`
    /// was written as.
    pub fn full_urn(&self) -> Option<String> {
        match (&self.urn, &self.sub_attr) {
            (Some(urn), None) => Some(format!("{urn}:{}", self.name)),
            _ => None,
        }
    }
}

/// A comparison operator of `attrExp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
}

impl CompareOp {
    /// Every operator, in the order of RFC 7644 §3.4.2.2's table.
    pub const ALL: [Self; 9] =
        [Self::Eq, Self::Ne, Self::Co, Self::Sw, Self::Ew, Self::Gt, Self::Ge, Self::Lt, Self::Le];
}

/// The literal on the right of a comparison (`compValue`).
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A string (quoted, or a bare word in lenient mode).
    Str(String),
}

/// A parsed SCIM filter (RFC 7644 §3.4.2.2).
///
/// Grouping parentheses do not appear in the tree: `(a or b) and c` is
/// `And(Or(a, b), c)`. `Display` prints parentheses where precedence needs them.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath pr`.
    Present(AttrPath),
    /// `attrPath op compValue`.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The literal.
        value: CompValue,
    },
    /// `attrPath "[" valFilter "]"`: the inner filter's paths are relative to the
    /// elements of `attr` (`emails[type eq "work"]`).
    ValuePath {
        /// The (usually multi-valued, complex) attribute.
        attr: AttrPath,
        /// The filter applied to each element.
        filter: Box<Self>,
    },
    /// `a and b`.
    And(Box<Self>, Box<Self>),
    /// `a or b`.
    Or(Box<Self>, Box<Self>),
    /// `not (a)`.
    Not(Box<Self>),
}

impl Filter {
    /// Whether any comparison, presence test or value path of the filter names the top-level
    /// attribute `name` (ignoring case, whatever its URN; the paths inside a value path are
    /// relative to its elements and do not count). Stores use it to know whether evaluating
    /// the filter needs a derived attribute such as a user's `groups` loaded.
    ///
    /// ```
    /// let f = scim_query::parse_filter(r#"userName sw "a" or not (Groups[value eq "g1"])"#).unwrap();
    /// assert!(f.mentions("groups") && f.mentions("USERNAME"));
    /// assert!(!f.mentions("value") && !f.mentions("members"));
    /// ```
    pub fn mentions(&self, name: &str) -> bool {
        match self {
            Self::Present(p) | Self::Compare { path: p, .. } => p.name.eq_ignore_ascii_case(name),
            Self::ValuePath { attr, .. } => attr.name.eq_ignore_ascii_case(name),
            Self::And(a, b) | Self::Or(a, b) => a.mentions(name) || b.mentions(name),
            Self::Not(inner) => inner.mentions(name),
        }
    }
}

/// A PATCH operation path (RFC 7644 §3.5.2 `PATH`).
#[derive(Debug, Clone, PartialEq)]
pub enum PatchPath {
    /// `attrPath`: an attribute, a sub-attribute, or (see [`AttrPath::full_urn`]) a whole extension.
    Attr(AttrPath),
    /// `valuePath ["." subAttr]`: the elements of `attr` matching `filter`, or their `sub_attr`.
    ValuePath {
        /// The multi-valued attribute.
        attr: AttrPath,
        /// Which elements.
        filter: Filter,
        /// The sub-attribute of the matched elements, if any.
        sub_attr: Option<String>,
    },
}
