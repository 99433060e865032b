//! The document forms the evaluator runs on: `serde_json::Value` and [`CompactValue`].
//!
//! The evaluator is generic over [`Json`] and monomorphised for each form, so both share every
//! line of the semantics.

use super::key::Key;
use crate::compact::{CompactObject, CompactValue};
use serde_json::{Map, Number, Value};

/// A scalar as the comparisons see it.
#[derive(Clone, Copy)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Number(&'a Number),
    Str(&'a str),
    /// An array or an object.
    Composite,
}

/// A JSON document form.
pub(crate) trait Json: Sized {
    /// A borrowed object of this form.
    type Obj<'a>: Copy
    where
        Self: 'a;

    fn as_object(&self) -> Option<Self::Obj<'_>>;
    fn as_array(&self) -> Option<&[Self]>;
    fn scalar(&self) -> Scalar<'_>;
    /// The value of `key` in `obj`: the exact key if present, otherwise a key equal ignoring ASCII case.
    fn get<'a>(obj: Self::Obj<'a>, key: &Key) -> Option<&'a Self>;
    fn is_empty_object(obj: Self::Obj<'_>) -> bool;
}

impl Json for Value {
    type Obj<'a> = &'a Map<String, Self>;

    fn as_object(&self) -> Option<Self::Obj<'_>> {
        self.as_object()
    }

    fn as_array(&self) -> Option<&[Self]> {
        match self {
            Self::Array(items) => Some(items),
            _ => None,
        }
    }

    fn scalar(&self) -> Scalar<'_> {
        match self {
            Self::Null => Scalar::Null,
            Self::Bool(b) => Scalar::Bool(*b),
            Self::Number(n) => Scalar::Number(n),
            Self::String(s) => Scalar::Str(s),
            Self::Array(_) | Self::Object(_) => Scalar::Composite,
        }
    }

    fn get<'a>(obj: Self::Obj<'a>, key: &Key) -> Option<&'a Self> {
        key.get(obj)
    }

    fn is_empty_object(obj: Self::Obj<'_>) -> bool {
        obj.is_empty()
    }
}

impl Json for CompactValue {
    type Obj<'a> = CompactObject<'a>;

    fn as_object(&self) -> Option<Self::Obj<'_>> {
        self.as_object()
    }

    fn as_array(&self) -> Option<&[Self]> {
        self.as_array()
    }

    fn scalar(&self) -> Scalar<'_> {
        if let Some(s) = self.as_str() {
            Scalar::Str(s)
        } else if let Some(n) = self.as_number() {
            Scalar::Number(n)
        } else if let Some(b) = self.as_bool() {
            Scalar::Bool(b)
        } else if self.is_null() {
            Scalar::Null
        } else {
            Scalar::Composite
        }
    }

    fn get<'a>(obj: Self::Obj<'a>, key: &Key) -> Option<&'a Self> {
        key.get_compact(obj)
    }

    fn is_empty_object(obj: Self::Obj<'_>) -> bool {
        obj.is_empty()
    }
}
