//! The policy for attributes that no schema of a resource type defines.

/// What validation does with attributes no schema of the resource type defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UnknownAttributes {
    /// Drop them silently (the default): clients send attributes of their own, and storing
    /// them would keep garbage no schema describes.
    #[default]
    Ignore,
    /// Reject the request with `400 invalidValue` naming the attribute.
    Reject,
}
