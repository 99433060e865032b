//! The process-wide key interner of compact documents: key names as 16-bit [`Sym`]bols, and
//! each thread's cache of the symbols and object shapes it has used.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::{Mutex, OnceLock, PoisonError};

/// How many distinct key names the process-wide table interns at most.
pub const MAX_INTERNED_KEYS: usize = 16_384;

/// The longest key name interned, in bytes (schema URNs used as keys are about 60). Longer
/// names stay text, so the table never holds more than about 2 MB, whoever fills it.
pub const MAX_INTERNED_KEY_LEN: usize = 128;

/// An interned key name: an index into the process-wide table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Sym(u16);

const _: () = assert!(MAX_INTERNED_KEYS < u16::MAX as usize);

impl Sym {
    /// No key: the key of a value that is not an entry of an interned object.
    pub(crate) const NONE: Self = Self(u16::MAX);

    /// The name (empty for [`Sym::NONE`]).
    pub(crate) fn as_str(self) -> &'static str {
        slots().get(usize::from(self.0)).and_then(OnceLock::get).map_or("", |name| &**name)
    }
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
pub(super) type Shape = Rc<(Box<[(&'static str, Sym)]>, bool)>;

/// How many object shapes a thread remembers.
const SHAPE_SLOTS: usize = 64;

/// The most keys of an object whose shape is remembered.
const SHAPE_KEYS: usize = 64;

/// A thread's symbol cache: the names it has interned, and the key sequences ("shapes") of
/// objects it converted, so that an object shaped like an earlier one (every `emails` value,
/// every user's `name`) costs a string comparison per key rather than a hash lookup.
#[derive(Default)]
pub(super) struct Symbols {
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
    pub(super) fn shape(&self, len: usize, first: &str) -> Option<Shape> {
        let shape = self.shapes.get(Self::slot(len, first))?.as_ref()?;
        let keys = &shape.0;
        (keys.len() == len && keys.first().is_some_and(|(name, _)| *name == first)).then(|| Rc::clone(shape))
    }

    /// Remembers the shape of an object whose entries have the keys `keys` (in its order),
    /// and whether they are sorted.
    pub(super) fn remember(&mut self, keys: impl ExactSizeIterator<Item = Sym> + Clone, sorted: bool) {
        let Some(first) = keys.clone().next() else { return };
        if keys.len() > SHAPE_KEYS {
            return;
        }
        if self.shapes.is_empty() {
            self.shapes.resize(SHAPE_SLOTS, None);
        }
        let slot = Self::slot(keys.len(), first.as_str());
        let keys = keys.map(|sym| (sym.as_str(), sym)).collect();
        self.shapes[slot] = Some(Rc::new((keys, sorted)));
    }

    /// [`intern`] with this cache: the symbol of `name` and its shared text.
    pub(super) fn intern(&mut self, name: &str) -> Option<(Sym, &'static str)> {
        intern_in(&mut self.map, name)
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
pub(super) fn with_local_symbols<R>(f: impl FnOnce(&mut Symbols) -> R) -> R {
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
