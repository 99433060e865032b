//! [`CompactValue`]: an immutable JSON document laid out for storing many resources and filtering
//! them quickly.
//!
//! A `serde_json::Value` object is a `BTreeMap` whose nodes hold room for eleven entries
//! (about 630 bytes each, however few entries an `emails` element has), and every key is its own
//! heap string. Filtering many resources then spends its time chasing pointers to keys scattered
//! over the heap. A [`CompactValue`] keeps:
//!
//! - each object as one boxed slice of entries in key order, no spare capacity;
//! - keys interned as 16-bit symbols: comparing a key with a compiled filter's key is an
//!   integer comparison, no key text is stored per document, and the shared key text, when it
//!   is needed, is hot in the cache;
//! - every value in 24 bytes, and an object's entry in the same 24 bytes: the value carries
//!   its key's symbol in two bytes that would otherwise be padding (a `(key, value)` pair
//!   would take 32, and a stored user about 15 % more memory);
//! - strings of up to 20 bytes inline (timestamps fit), longer ones in one exact-size
//!   allocation;
//! - numbers as `serde_json::Number`, so nothing is lost in a round trip.
//!
//! It converts from and to `serde_json::Value` losslessly (`CompactValue::from(&value)`,
//! [`CompactValue::to_value`]), serializes directly (with the `serde` feature of the crate always
//! on), and [`CompiledFilter::matches_compact`](crate::CompiledFilter::matches_compact) evaluates
//! filters on it with the same semantics as on `serde_json::Value`.
//!
//! ```
//! use scim_query::{parse_filter, CompactValue, CompiledFilter, NoSchema};
//! use serde_json::json;
//!
//! let user = json!({"userName": "bjensen", "emails": [{"type": "work", "value": "b@example.com"}]});
//! let compact = CompactValue::from(&user);
//! assert_eq!(compact.to_value(), user);
//!
//! let filter = parse_filter(r#"emails[type eq "WORK"]"#).unwrap();
//! let compiled = CompiledFilter::compile(&filter, &NoSchema).unwrap();
//! assert!(compiled.matches_compact(&compact));
//! ```
//!
//! # Interning
//! Key names are interned in a process-wide table that never shrinks, bounded at
//! [`MAX_INTERNED_KEYS`] distinct names (schema attribute names are a few hundred) of at most
//! [`MAX_INTERNED_KEY_LEN`] bytes. Once it is full, or for a longer name, an object with a
//! name that is not in it keeps its keys as text, so adversarial input costs memory only while
//! the documents holding it live. Reading the table takes no lock.
//!
//! Each thread also remembers the key lists of the objects it converted last (64 of them,
//! at most 64 keys each), so converting an object with the same keys as an earlier one (the
//! `emails` values of every user) compares each key with the remembered one instead of
//! looking it up. Converting from `Value` by value moves strings longer than 20 bytes instead
//! of copying them.
//!
//! # Why not fewer, larger allocations
//! A user is about 22 allocations in this layout, most of them small. A flat layout was built and
//! measured in 2026-11 (every value a 16-byte node, at most three allocations per document). Under
//! jemalloc its creates, PATCHes and HTTP requests were faster and it was 26 % smaller than this
//! layout with its earlier 32-byte entries; plain top-level filter scans were up to 30 % slower.
//! Under glibc's allocator its few long-lived blocks of 300–1 000 bytes slowed the short-lived
//! allocations around them (the memory store's HTTP `POST` and `PATCH` lost a fifth to a half of
//! their throughput) and freeing (purging 10 000 of 1M users took 62 ms against 42 ms, in the
//! memory-store bench as it then was, loading users in batches of 10 000 that left glibc's heap
//! slower for everything after; the HTTP bench never did). A library does not choose its host's
//! allocator, so this layout stays.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::{Mutex, OnceLock, PoisonError};

/// How many distinct key names the process-wide table interns at most.
pub const MAX_INTERNED_KEYS: usize = 16_384;

/// The longest key name interned, in bytes (schema URNs used as keys are about 60). Longer
/// names stay text, so the table never holds more than about 2 MB, whoever fills it.
pub const MAX_INTERNED_KEY_LEN: usize = 128;

/// Longest string kept inline, without an allocation.
const INLINE: usize = 20;

/// An immutable JSON value in a compact form; see the [module docs](self).
#[derive(Clone)]
pub struct CompactValue(Repr);

/// Every variant starts with the tag (offset 0) and has its `key` at offset 2 (`repr(u8)` lays each
/// variant out as a `repr(C)` struct that starts with the tag): an entry of an interned object is
/// just its value, which carries the entry's key there, so an entry takes 24 bytes where a `(key,
/// value)` pair would take 32. Values are built with [`Sym::NONE`]; the key of a value that is not
/// such an entry (a document, an array element, a value of a text-keyed object, a clone taken out
/// of an object) means nothing and is never read.
#[derive(Clone)]
#[repr(u8)]
enum Repr {
    Null {
        key: Sym,
    },
    Bool {
        key: Sym,
        value: bool,
    },
    Number {
        key: Sym,
        value: Number,
    },
    Inline {
        len: u8,
        key: Sym,
        bytes: [u8; INLINE],
    },
    String {
        key: Sym,
        value: Box<str>,
    },
    Array {
        key: Sym,
        items: Box<[CompactValue]>,
    },
    /// Entries in key order, each value carrying its interned key.
    Object {
        key: Sym,
        entries: Box<[CompactValue]>,
    },
    /// Entries in key order, keys as text (some key could not be interned: the table is full).
    TextObject {
        key: Sym,
        entries: Box<[(Box<str>, CompactValue)]>,
    },
}

const _: () = assert!(std::mem::size_of::<CompactValue>() == 24);

/// An interned key name: an index into the process-wide table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Sym(u16);

const _: () = assert!(MAX_INTERNED_KEYS < u16::MAX as usize);

impl Sym {
    /// No key: the key of a value that is not an entry of an interned object.
    const NONE: Self = Self(u16::MAX);

    /// The name (empty for [`Sym::NONE`]).
    pub(crate) fn as_str(self) -> &'static str {
        slots().get(usize::from(self.0)).and_then(OnceLock::get).map_or("", |name| &**name)
    }
}

/// A borrowed view of a compact JSON object: its entries in key order.
#[derive(Clone, Copy)]
pub struct CompactObject<'a>(ObjRepr<'a>);

#[derive(Clone, Copy)]
pub(crate) enum ObjRepr<'a> {
    Interned(&'a [CompactValue]),
    Text(&'a [(Box<str>, CompactValue)]),
}

/// FxHash-style hasher for short keys (a multiply-rotate per 8 bytes).
#[derive(Default)]
struct KeyHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
        }
        let rest = chunks.remainder();
        // Assembled in a register: copying the tail into a buffer and reading the buffer as a
        // word stalls the load until the copy's narrower stores are done.
        let tail = rest.iter().rev().fold(0u64, |word, &b| (word << 8) | u64::from(b));
        self.0 = (self.0.rotate_left(5) ^ tail ^ rest.len() as u64).wrapping_mul(SEED);
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(SEED);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type SymMap = HashMap<&'static str, Sym, BuildHasherDefault<KeyHasher>>;

/// The names, by symbol; a slot is written once, under the `symbols()` lock, and read freely.
fn slots() -> &'static [OnceLock<Box<str>>] {
    static SLOTS: OnceLock<Box<[OnceLock<Box<str>>]>> = OnceLock::new();
    SLOTS.get_or_init(|| (0..MAX_INTERNED_KEYS).map(|_| OnceLock::new()).collect())
}

/// Name → symbol, for interning.
fn symbols() -> &'static Mutex<SymMap> {
    static SYMBOLS: OnceLock<Mutex<SymMap>> = OnceLock::new();
    SYMBOLS.get_or_init(Mutex::default)
}

thread_local! {
    /// This thread's copy of the symbols it has used (no lock on the hot path).
    static LOCAL: RefCell<Symbols> = RefCell::default();
}

/// The key sequence of an object: each name with its symbol, and whether the names are in
/// order (so an object that follows a shape needs no order check of its own).
type Shape = Rc<(Box<[(&'static str, Sym)]>, bool)>;

/// How many object shapes a thread remembers.
const SHAPE_SLOTS: usize = 64;

/// The most keys of an object whose shape is remembered.
const SHAPE_KEYS: usize = 64;

/// A thread's symbol cache: the names it has interned, and the key sequences ("shapes") of
/// objects it converted, so that an object shaped like an earlier one (every `emails` value,
/// every user's `name`) costs a string comparison per key rather than a hash lookup.
#[derive(Default)]
struct Symbols {
    map: SymMap,
    /// Direct-mapped by the object's length and first key; a newer shape replaces an older.
    shapes: Vec<Option<Shape>>,
}

impl Symbols {
    fn slot(len: usize, first: &str) -> usize {
        let mut h = KeyHasher(len as u64);
        h.write(first.as_bytes());
        // The multiply leaves the high bits best mixed.
        (h.finish() >> 58) as usize % SHAPE_SLOTS
    }

    /// The remembered shape of `len` keys starting with `first`, if any.
    fn shape(&self, len: usize, first: &str) -> Option<Shape> {
        let shape = self.shapes.get(Self::slot(len, first))?.as_ref()?;
        let keys = &shape.0;
        (keys.len() == len && keys.first().is_some_and(|(name, _)| *name == first)).then(|| Rc::clone(shape))
    }

    fn remember(&mut self, entries: &[CompactValue], sorted: bool) {
        let Some(first) = entries.first().map(CompactValue::key) else { return };
        if entries.len() > SHAPE_KEYS {
            return;
        }
        if self.shapes.is_empty() {
            self.shapes.resize(SHAPE_SLOTS, None);
        }
        let slot = Self::slot(entries.len(), first.as_str());
        let keys = entries.iter().map(|e| (e.key().as_str(), e.key())).collect();
        self.shapes[slot] = Some(Rc::new((keys, sorted)));
    }
}

/// How many names the process-wide table holds (for tests of its bound).
#[doc(hidden)]
pub fn interned_key_count() -> usize {
    symbols().lock().unwrap_or_else(PoisonError::into_inner).len()
}

/// The symbol of `name`, interning it; `None` when the table is full and `name` is not in it.
pub(crate) fn intern(name: &str) -> Option<Sym> {
    with_local_symbols(|local| intern_in(&mut local.map, name)).map(|(sym, _)| sym)
}

/// Calls `f` with this thread's symbol cache, borrowed once for a whole document (a fresh
/// cache if it is unavailable: during thread teardown).
fn with_local_symbols<R>(f: impl FnOnce(&mut Symbols) -> R) -> R {
    let mut f = Some(f);
    let out = LOCAL.try_with(|local| match local.try_borrow_mut() {
        Ok(mut local) => f.take().map(|f| f(&mut local)),
        Err(_) => None,
    });
    match (out, f) {
        (Ok(Some(out)), _) => out,
        (_, Some(f)) => f(&mut Symbols::default()),
        // `f` was taken only when it ran and returned `Some`.
        (_, None) => unreachable!("the cache call returned"),
    }
}

/// [`intern`] with this thread's cache at hand; also gives the name's shared text.
fn intern_in(local: &mut SymMap, name: &str) -> Option<(Sym, &'static str)> {
    if name.len() > MAX_INTERNED_KEY_LEN {
        return None;
    }
    if let Some((text, sym)) = local.get_key_value(name) {
        return Some((*sym, *text));
    }
    let (text, sym) = {
        let mut table = symbols().lock().unwrap_or_else(PoisonError::into_inner);
        match table.get_key_value(name) {
            Some((text, sym)) => (*text, *sym),
            None => {
                let index = table.len();
                let slot = slots().get(index)?;
                let _ = slot.set(name.into());
                let text: &'static str = slot.get().map(|b| &**b)?;
                // `index < MAX_INTERNED_KEYS < u16::MAX`: never `Sym::NONE`.
                let sym = Sym(u16::try_from(index).ok()?);
                table.insert(text, sym);
                (text, sym)
            }
        }
    };
    local.insert(text, sym);
    Some((sym, text))
}

/// Evaluates `$body` with `$key` bound to the key field of `$repr` (a `&Repr` or `&mut Repr`),
/// whichever the variant.
macro_rules! with_key {
    ($repr:expr, $key:ident => $body:expr) => {
        match $repr {
            Repr::Null { key: $key }
            | Repr::Bool { key: $key, .. }
            | Repr::Number { key: $key, .. }
            | Repr::Inline { key: $key, .. }
            | Repr::String { key: $key, .. }
            | Repr::Array { key: $key, .. }
            | Repr::Object { key: $key, .. }
            | Repr::TextObject { key: $key, .. } => $body,
        }
    };
}

impl CompactValue {
    /// JSON `null`.
    pub const NULL: Self = Self(Repr::Null { key: Sym::NONE });

    /// The key of this value as an entry of an interned object (meaningless otherwise).
    pub(crate) fn key(&self) -> Sym {
        with_key!(&self.0, key => *key)
    }

    fn set_key(&mut self, sym: Sym) {
        with_key!(&mut self.0, key => *key = sym);
    }

    /// Stores `s` in `slot`: inline (its bytes copied in place, so that no whole-value copy
    /// rereads them) or in one exact-size allocation.
    fn fill_string(slot: &mut Self, s: &str) {
        if s.len() <= INLINE {
            // `s.len() <= 20` fits in a u8.
            *slot = Self(Repr::Inline { len: s.len() as u8, key: Sym::NONE, bytes: [0; INLINE] });
            if let Repr::Inline { bytes, .. } = &mut slot.0 {
                bytes[..s.len()].copy_from_slice(s.as_bytes());
            }
        } else {
            *slot = Self(Repr::String { key: Sym::NONE, value: s.into() });
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Inline { len, bytes, .. } => {
                // Built from a `&str` of exactly `len` bytes.
                std::str::from_utf8(&bytes[..usize::from(*len)]).ok()
            }
            Repr::String { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.0 {
            Repr::Bool { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<&Number> {
        match &self.0 {
            Repr::Number { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Self]> {
        match &self.0 {
            Repr::Array { items, .. } => Some(items),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<CompactObject<'_>> {
        match &self.0 {
            Repr::Object { entries, .. } => Some(CompactObject(ObjRepr::Interned(entries))),
            Repr::TextObject { entries, .. } => Some(CompactObject(ObjRepr::Text(entries))),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.0, Repr::Null { .. })
    }

    /// The same document as a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        match &self.0 {
            Repr::Null { .. } => Value::Null,
            Repr::Bool { value, .. } => Value::Bool(*value),
            Repr::Number { value, .. } => Value::Number(value.clone()),
            Repr::Inline { .. } | Repr::String { .. } => Value::String(self.as_str().unwrap_or_default().to_owned()),
            Repr::Array { items, .. } => Value::Array(items.iter().map(Self::to_value).collect()),
            Repr::Object { .. } | Repr::TextObject { .. } => {
                Value::Object(self.as_object().map(CompactObject::to_map).unwrap_or_default())
            }
        }
    }

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
                    match intern_in(&mut local.map, key) {
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
                    None => local.remember(&interned, sorted),
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

impl<'a> CompactObject<'a> {
    pub(crate) fn repr(self) -> ObjRepr<'a> {
        self.0
    }

    /// The value of `key` (exact match).
    pub fn get(self, key: &str) -> Option<&'a CompactValue> {
        match self.0 {
            ObjRepr::Interned(entries) => {
                entries.binary_search_by(|e| e.key().as_str().cmp(key)).ok().map(|i| &entries[i])
            }
            ObjRepr::Text(entries) => entries.binary_search_by(|(k, _)| (**k).cmp(key)).ok().map(|i| &entries[i].1),
        }
    }

    /// The entries, in key order.
    pub fn iter(self) -> impl DoubleEndedIterator<Item = (&'a str, &'a CompactValue)> + ExactSizeIterator {
        let (interned, text) = match self.0 {
            ObjRepr::Interned(entries) => (entries, &[][..]),
            ObjRepr::Text(entries) => (&[][..], entries),
        };
        Entries { interned: interned.iter(), text: text.iter() }
    }

    /// How many entries.
    pub fn len(self) -> usize {
        match self.0 {
            ObjRepr::Interned(entries) => entries.len(),
            ObjRepr::Text(entries) => entries.len(),
        }
    }

    /// Whether it has no entries.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The same object as a `serde_json` map.
    pub fn to_map(self) -> Map<String, Value> {
        self.iter().map(|(k, v)| (k.to_owned(), v.to_value())).collect()
    }
}

/// The entries of either kind of object (one of the two iterators is empty).
struct Entries<'a> {
    interned: std::slice::Iter<'a, CompactValue>,
    text: std::slice::Iter<'a, (Box<str>, CompactValue)>,
}

impl<'a> Iterator for Entries<'a> {
    type Item = (&'a str, &'a CompactValue);

    fn next(&mut self) -> Option<Self::Item> {
        match self.interned.next() {
            Some(v) => Some((v.key().as_str(), v)),
            None => self.text.next().map(|(k, v)| (&**k, v)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.interned.len() + self.text.len();
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Entries<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self.text.next_back() {
            Some((k, v)) => Some((&**k, v)),
            None => self.interned.next_back().map(|v| (v.key().as_str(), v)),
        }
    }
}

impl ExactSizeIterator for Entries<'_> {}

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

impl From<&CompactValue> for Value {
    fn from(value: &CompactValue) -> Self {
        value.to_value()
    }
}

/// Compares with a `serde_json::Value` without converting either: equal exactly when
/// `self.to_value() == *other`.
impl PartialEq<Value> for CompactValue {
    fn eq(&self, other: &Value) -> bool {
        match (&self.0, other) {
            (Repr::Null { .. }, Value::Null) => true,
            (Repr::Bool { value: a, .. }, Value::Bool(b)) => a == b,
            (Repr::Number { value: a, .. }, Value::Number(b)) => a == b,
            (Repr::Inline { .. } | Repr::String { .. }, Value::String(b)) => self.as_str() == Some(b.as_str()),
            (Repr::Array { items: a, .. }, Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
            }
            (Repr::Object { .. } | Repr::TextObject { .. }, Value::Object(b)) => {
                self.as_object().is_some_and(|a| a == *b)
            }
            _ => false,
        }
    }
}

/// Equal exactly when the two convert to equal `serde_json::Value`s.
impl PartialEq for CompactValue {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Null { .. }, Repr::Null { .. }) => true,
            (Repr::Bool { value: a, .. }, Repr::Bool { value: b, .. }) => a == b,
            (Repr::Number { value: a, .. }, Repr::Number { value: b, .. }) => a == b,
            (Repr::Array { items: a, .. }, Repr::Array { items: b, .. }) => a == b,
            _ => match (self.as_object(), other.as_object()) {
                (Some(a), Some(b)) => a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y),
                (None, None) => self.as_str().is_some_and(|a| other.as_str() == Some(a)),
                _ => false,
            },
        }
    }
}

/// Compares with a `serde_json` map without converting either.
impl PartialEq<Map<String, Value>> for CompactObject<'_> {
    fn eq(&self, other: &Map<String, Value>) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k).is_some_and(|w| v == w))
    }
}

impl fmt::Debug for CompactValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Null { .. } => f.write_str("null"),
            Repr::Bool { value, .. } => write!(f, "{value}"),
            Repr::Number { value, .. } => write!(f, "{value}"),
            Repr::Inline { .. } | Repr::String { .. } => write!(f, "{:?}", self.as_str().unwrap_or_default()),
            Repr::Array { items, .. } => f.debug_list().entries(items.iter()).finish(),
            Repr::Object { .. } | Repr::TextObject { .. } => match self.as_object() {
                Some(obj) => obj.fmt(f),
                None => Ok(()),
            },
        }
    }
}

impl fmt::Debug for CompactObject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for CompactValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Null { .. } => serializer.serialize_unit(),
            Repr::Bool { value, .. } => serializer.serialize_bool(*value),
            Repr::Number { value, .. } => value.serialize(serializer),
            Repr::Inline { .. } | Repr::String { .. } => serializer.serialize_str(self.as_str().unwrap_or_default()),
            Repr::Array { items, .. } => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Repr::Object { .. } | Repr::TextObject { .. } => match self.as_object() {
                Some(obj) => obj.serialize(serializer),
                None => serializer.serialize_unit(),
            },
        }
    }
}

impl Serialize for CompactObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_every_json_type() {
        let doc = json!({
            "s": "short", "long": "a string that is longer than twenty-two bytes", "empty": "",
            "exactly20": "abcdefghijklmnopqrst", "exactly21": "abcdefghijklmnopqrstu", "unicode": "Zoë Åström 𝄞",
            "n": 1, "neg": -5, "big": u64::MAX, "f": 1.5, "t": true, "f2": false, "null": null,
            "arr": [1, "x", {"b": 2, "a": [null]}], "obj": {"z": {}, "a": []}
        });
        let compact = CompactValue::from(&doc);
        assert_eq!(compact.to_value(), doc);
        assert_eq!(CompactValue::from(doc.clone()).to_value(), doc);
        assert_eq!(serde_json::to_value(&compact).unwrap(), doc);
        assert_eq!(serde_json::to_string(&compact).unwrap(), serde_json::to_string(&doc).unwrap());
        let obj = compact.as_object().unwrap();
        assert_eq!(obj.get("exactly20").and_then(CompactValue::as_str), Some("abcdefghijklmnopqrst"));
        assert_eq!(obj.get("exactly21").and_then(CompactValue::as_str), Some("abcdefghijklmnopqrstu"));
        assert!(matches!(obj.get("exactly20").map(|v| &v.0), Some(Repr::Inline { len: 20, .. })));
        assert!(matches!(obj.get("exactly21").map(|v| &v.0), Some(Repr::String { .. })));
        assert_eq!(obj.get("unicode").and_then(CompactValue::as_str), Some("Zoë Åström 𝄞"));
        assert_eq!(obj.get("big").and_then(CompactValue::as_number).and_then(Number::as_u64), Some(u64::MAX));
        assert!(obj.get("missing").is_none());
        assert_eq!(obj.len(), 15);
    }

    #[test]
    fn compares_with_json_as_its_json_form_would() {
        let doc = json!({"a": [1, "x", null, true, {"b": 2.5}], "long": "a string longer than inline", "n": -3});
        let compact = CompactValue::from(&doc);
        assert!(compact == doc);
        for other in [
            json!({"a": [1, "x", null, true, {"b": 2.5}], "long": "a string longer than inline"}),
            json!({"a": [1, "x", null, true, {"b": 2}], "long": "a string longer than inline", "n": -3}),
            json!({"a": [1, "x", null, true], "long": "a string longer than inline", "n": -3}),
            json!({"a": [1, "x", null, false, {"b": 2.5}], "long": "a string longer than inline", "n": -3}),
            json!({"a": [1, "x", null, true, {"b": 2.5}], "long": "a string longer than inlinE", "n": -3}),
            json!({"a": [1, "x", null, true, {"b": 2.5}], "long": "a string longer than inline", "m": -3}),
            json!([1]),
            json!(null),
        ] {
            assert_eq!(compact == other, compact.to_value() == other, "{other}");
            assert!(compact != other, "{other}");
        }
        let one = CompactValue::from(&json!(1));
        assert!(one != json!(1.0), "as serde_json: 1 and 1.0 differ");
        assert!(one == json!(1));
        let obj = compact.as_object().expect("an object");
        assert!(obj == *doc.as_object().expect("an object"));
        // Entries of an object carry their keys; equality of values ignores them.
        let pair = CompactValue::from(&json!({"x": [1, {"k": "v"}], "y": [1, {"k": "v"}], "z": [1, {"j": "v"}]}));
        let pair = pair.as_object().expect("an object");
        assert_eq!(pair.get("x"), pair.get("y"));
        assert_ne!(pair.get("x"), pair.get("z"), "keys inside the values still count");
        assert_eq!(pair.get("x").cloned(), Some(CompactValue::from(&json!([1, {"k": "v"}]))));
    }

    #[test]
    fn keys_are_shared_between_documents() {
        let a = CompactValue::from(&json!({"userName": "a"}));
        let b = CompactValue::from(json!({"userName": "b"}));
        let sym = |v: &CompactValue| match &v.0 {
            Repr::Object { entries, .. } => entries[0].key(),
            _ => panic!("an interned object"),
        };
        assert_eq!(sym(&a), sym(&b));
        assert_eq!(Some(sym(&a)), intern("userName"));
        assert_eq!(sym(&a).as_str(), "userName");
    }

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
