//! Converting `serde_json` values into compact ones: objects are built in place, their keys
//! interned, and an object shaped like an earlier one follows the thread's remembered shape.

use super::intern::{Shape, Sym, Symbols, with_local_symbols};
use super::value::{CompactValue, INLINE, Repr};
use serde_json::Value;

impl CompactValue {
    /// Builds an object from entries in any order; a repeated key keeps its last value.
    /// `fill` converts each value into its slot (with the symbol cache, which it gets back).
    fn object<K: AsRef<str> + Into<Box<str>>, V>(
        local: &mut Symbols,
        entries: impl ExactSizeIterator<Item = (K, V)>,
        mut fill: impl FnMut(&mut Self, V, &mut Symbols),
    ) -> Self {
        // The common case: every key interns and the entries come sorted (a `serde_json` map
        // without `preserve_order`): one exact-size allocation, no intermediate vector.
        let len = entries.len();
        // Every slot is made `null` first and each value then converted in its slot: building
        // a value (or an entry) elsewhere and moving it in would reload, as a whole, bytes
        // just stored piecemeal, which stalls the load (measured: about half of the
        // conversion's own time).
        let mut interned: Vec<Self> = vec![Self::NULL; len];
        let mut filled = 0;
        let mut sorted = true;
        let mut previous: &str = "";
        let mut text: Option<Vec<(Box<str>, Self)>> = None;
        // The shape this object has followed so far (a clone: converting the values may
        // replace it in the cache).
        let mut shape: Option<Shape> = None;
        for (i, (k, v)) in entries.enumerate() {
            if let Some(text) = &mut text {
                text.push((k.into(), Self::NULL));
                if let Some((_, slot)) = text.last_mut() {
                    fill(slot, v, local);
                }
                continue;
            }
            let key = k.as_ref();
            if i == 0 {
                shape = local.shape(len, key);
            }
            let known = shape.as_ref().and_then(|s| s.0.get(i)).filter(|(name, _)| *name == key);
            let sym = match known {
                // Following the shape: its order check covers this entry.
                Some(&(_, sym)) => sym,
                None => {
                    if shape.take().is_some() {
                        // The shape stops here: check the order of the entries taken from it so far.
                        sorted = interned[..filled].windows(2).all(|w| w[0].key().as_str() < w[1].key().as_str());
                        previous = interned[..filled].last().map_or("", |e| e.key().as_str());
                    }
                    match local.intern(key) {
                        Some((sym, name)) => {
                            sorted = sorted && (filled == 0 || previous < name);
                            previous = name;
                            sym
                        }
                        None => {
                            interned.truncate(filled);
                            let mut all: Vec<(Box<str>, Self)> = Vec::with_capacity(interned.capacity());
                            all.extend(interned.drain(..).map(|v| (Box::from(v.key().as_str()), v)));
                            all.push((k.into(), Self::NULL));
                            if let Some((_, slot)) = all.last_mut() {
                                fill(slot, v, local);
                            }
                            text = Some(all);
                            continue;
                        }
                    }
                }
            };
            if filled == interned.len() {
                interned.push(Self::NULL);
            }
            if let Some(slot) = interned.get_mut(filled) {
                fill(slot, v, local);
                slot.set_key(sym);
            }
            filled += 1;
        }
        interned.truncate(filled);
        match text {
            Some(mut text) => {
                sort_dedup(&mut text, |(k, _)| k);
                Self(Repr::TextObject { key: Sym::NONE, entries: text.into_boxed_slice() })
            }
            None => {
                match &shape {
                    Some(followed) => sorted = followed.1,
                    None => local.remember(interned.iter().map(Self::key), sorted),
                }
                if !sorted {
                    sort_dedup(&mut interned, |e| e.key().as_str());
                }
                Self(Repr::Object { key: Sym::NONE, entries: interned.into_boxed_slice() })
            }
        }
    }

    /// An array of `len` values, each converted in its slot by `fill`.
    fn array<V>(
        local: &mut Symbols,
        items: impl ExactSizeIterator<Item = V>,
        mut fill: impl FnMut(&mut Self, V, &mut Symbols),
    ) -> Self {
        let mut out: Vec<Self> = vec![Self::NULL; items.len()];
        let mut filled = 0;
        for item in items {
            if filled == out.len() {
                out.push(Self::NULL);
            }
            if let Some(slot) = out.get_mut(filled) {
                fill(slot, item, local);
            }
            filled += 1;
        }
        out.truncate(filled);
        Self(Repr::Array { key: Sym::NONE, items: out.into_boxed_slice() })
    }
}

/// Sorts entries by key (`text`) and keeps the last of equal keys.
fn sort_dedup<E>(entries: &mut Vec<E>, text: impl Fn(&E) -> &str) {
    entries.reverse();
    // Stable: of equal keys, the last one given comes first and is kept.
    entries.sort_by(|a, b| text(a).cmp(text(b)));
    entries.dedup_by(|later, earlier| text(later) == text(earlier));
}

impl CompactValue {
    /// Converts `value` into `slot` (which holds `null`).
    fn fill_ref(slot: &mut Self, value: &Value, local: &mut Symbols) {
        match value {
            Value::Null => {}
            Value::Bool(b) => *slot = Self(Repr::Bool { key: Sym::NONE, value: *b }),
            Value::Number(n) => *slot = Self(Repr::Number { key: Sym::NONE, value: n.clone() }),
            Value::String(s) => Self::fill_string(slot, s),
            Value::Array(items) => *slot = Self::array(local, items.iter(), Self::fill_ref),
            Value::Object(map) => {
                *slot = Self::object(local, map.iter().map(|(k, v)| (k.as_str(), v)), Self::fill_ref);
            }
        }
    }

    /// Converts `value` into `slot` (which holds `null`), moving its long strings.
    fn fill_owned(slot: &mut Self, value: Value, local: &mut Symbols) {
        match value {
            Value::Null => {}
            Value::Bool(b) => *slot = Self(Repr::Bool { key: Sym::NONE, value: b }),
            Value::Number(n) => *slot = Self(Repr::Number { key: Sym::NONE, value: n }),
            Value::String(s) if s.len() > INLINE => {
                *slot = Self(Repr::String { key: Sym::NONE, value: s.into_boxed_str() });
            }
            Value::String(s) => Self::fill_string(slot, &s),
            Value::Array(items) => *slot = Self::array(local, items.into_iter(), Self::fill_owned),
            Value::Object(map) => *slot = Self::object(local, map.into_iter(), Self::fill_owned),
        }
    }
}

impl From<&Value> for CompactValue {
    fn from(value: &Value) -> Self {
        let mut out = Self::NULL;
        with_local_symbols(|local| Self::fill_ref(&mut out, value, local));
        out
    }
}

/// Moves strings longer than the inline size instead of copying them.
impl From<Value> for CompactValue {
    fn from(value: Value) -> Self {
        let mut out = Self::NULL;
        with_local_symbols(|local| Self::fill_owned(&mut out, value, local));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_shaped_like_earlier_ones_convert_alike() {
        let mut local = Symbols::default();
        let mut object = |entries: &[(&str, &str)]| {
            let obj = CompactValue::object(&mut local, entries.iter().copied(), |slot, v, _| {
                CompactValue::fill_string(slot, v);
            });
            let pairs: Vec<(String, String)> =
                obj.as_object().unwrap().iter().map(|(k, v)| (k.to_owned(), v.as_str().unwrap().to_owned())).collect();
            pairs
        };
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let sorted = pairs(&[("a", "1"), ("b", "3"), ("c", "2")]);
        // Unsorted, remembered; then the same shape followed to the end; then a shape that
        // stops after its first key; then a sorted one; then a repeated key.
        assert_eq!(object(&[("a", "1"), ("c", "2"), ("b", "3")]), sorted);
        assert_eq!(object(&[("a", "1"), ("c", "2"), ("b", "3")]), sorted);
        assert_eq!(object(&[("a", "1"), ("b", "3"), ("c", "2")]), sorted);
        assert_eq!(object(&[("a", "1"), ("b", "3"), ("c", "2")]), sorted);
        assert_eq!(object(&[("a", "1"), ("c", "2"), ("c", "3")]), pairs(&[("a", "1"), ("c", "3")]));
        assert_eq!(object(&[("a", "1"), ("c", "2"), ("c", "3")]), pairs(&[("a", "1"), ("c", "3")]));
    }

    #[test]
    fn unsorted_entries_are_sorted_and_the_last_duplicate_wins() {
        let obj = CompactValue::object(
            &mut Symbols::default(),
            [("b", "1"), ("a", "2"), ("b", "3")].into_iter(),
            |slot, v, _| {
                CompactValue::fill_string(slot, v);
            },
        );
        let keys: Vec<&str> = obj.as_object().unwrap().iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(obj.as_object().unwrap().get("b").and_then(CompactValue::as_str), Some("3"));
        let back: Vec<&str> = obj.as_object().unwrap().iter().rev().map(|(k, _)| k).collect();
        assert_eq!(back, ["b", "a"]);
    }
}
