//! The mutation engine: locations inside a document, primitive edits, and the undo log
//! that makes a PATCH request atomic without cloning the document.
//!
//! Every edit goes through [`Engine::set`], [`Engine::remove`], [`Engine::push`] or
//! [`Engine::remove_elements`], and each records its exact inverse. On failure the log is
//! replayed backwards, which restores the document even when several operations touched the
//! same attribute (each inverse is exact for the state right before its edit).

use crate::ScimError;
use crate::schema::{ResourceType, Schema, SchemaRegistry};
use serde_json::{Map, Value};

/// One step of a location: an object key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seg<'r> {
    Key(&'r str),
    Index(usize),
}

/// Deepest location used: extension key, attribute, element index, sub-attribute.
const MAX_DEPTH: usize = 5;

/// A location from the document root. Keys borrow canonical names from the registry,
/// so building one never allocates.
#[derive(Debug, Clone, Copy)]
pub(super) struct Loc<'r> {
    segs: [Seg<'r>; MAX_DEPTH],
    len: usize,
}

impl<'r> Loc<'r> {
    /// The top-level key `key`.
    pub(super) fn key(key: &'r str) -> Self {
        Self { segs: [Seg::Key(key), Seg::Index(0), Seg::Index(0), Seg::Index(0), Seg::Index(0)], len: 1 }
    }

    /// This location extended by one step.
    pub(super) fn child(mut self, seg: Seg<'r>) -> Self {
        debug_assert!(self.len < MAX_DEPTH, "PATCH locations are at most {MAX_DEPTH} deep");
        if self.len < MAX_DEPTH {
            self.segs[self.len] = seg;
            self.len += 1;
        }
        self
    }

    /// This location extended by an object key.
    pub(super) fn key_child(self, key: &'r str) -> Self {
        self.child(Seg::Key(key))
    }

    /// This location extended by an array index.
    pub(super) fn index_child(self, index: usize) -> Self {
        self.child(Seg::Index(index))
    }

    pub(super) fn segs(&self) -> &[Seg<'r>] {
        &self.segs[..self.len]
    }

    fn split_last(&self) -> (&[Seg<'r>], Seg<'r>) {
        (&self.segs[..self.len - 1], self.segs[self.len - 1])
    }
}

/// The inverse of one primitive edit.
#[derive(Debug)]
enum Undo<'r> {
    /// Put `prev` back at `loc` (an object key or array slot); `None` removes the key.
    Slot { loc: Loc<'r>, prev: Option<Value> },
    /// Shorten the array at `loc` back to `len` (undoes an append).
    Truncate { loc: Loc<'r>, len: usize },
    /// Put removed elements back at their former indices (ascending).
    Reinsert { loc: Loc<'r>, removed: Vec<(usize, Value)> },
}

/// The undo log: the first entry inline, so that the usual one-edit request allocates no log.
#[derive(Debug, Default)]
struct UndoLog<'r> {
    first: Option<Undo<'r>>,
    rest: Vec<Undo<'r>>,
}

impl<'r> UndoLog<'r> {
    fn push(&mut self, undo: Undo<'r>) {
        if self.first.is_none() {
            self.first = Some(undo);
        } else {
            self.rest.push(undo);
        }
    }

    /// The newest entry.
    fn pop(&mut self) -> Option<Undo<'r>> {
        self.rest.pop().or_else(|| self.first.take())
    }

    fn is_empty(&self) -> bool {
        self.first.is_none()
    }
}

/// Objects up to this size are searched by a scan that compares key lengths first.
const SCAN_KEYS: usize = 32;

/// Whether to scan an object from its end: keys iterate in sorted order, and a key late in
/// the alphabet (`value`, `type`) is then found after fewer steps.
fn from_end(key: &str) -> bool {
    key.as_bytes().first().is_some_and(|b| b.to_ascii_lowercase() >= b'm')
}

/// `m.get(key)`, faster on the small objects of SCIM resources: key lengths sit inline in the
/// map, so only keys of the right length are read (a search compares every key it passes).
pub(super) fn field<'v>(m: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if m.len() > SCAN_KEYS {
        return m.get(key);
    }
    let hit = |(k, _): &(&String, &Value)| k.len() == key.len() && k.as_str() == key;
    let found = if from_end(key) { m.iter().rev().find(hit) } else { m.iter().find(hit) };
    found.map(|(_, v)| v)
}

/// `m.get_mut(key)`, as [`field`].
fn field_mut<'v>(m: &'v mut Map<String, Value>, key: &str) -> Option<&'v mut Value> {
    if m.len() > SCAN_KEYS {
        return m.get_mut(key);
    }
    let hit = |(k, _): &(&String, &mut Value)| k.len() == key.len() && k.as_str() == key;
    let found = if from_end(key) { m.iter_mut().rev().find(hit) } else { m.iter_mut().find(hit) };
    found.map(|(_, v)| v)
}

pub(super) fn get<'v>(doc: &'v Map<String, Value>, segs: &[Seg<'_>]) -> Option<&'v Value> {
    let (first, rest) = segs.split_first()?;
    let Seg::Key(key) = first else { return None };
    let mut cur = field(doc, key)?;
    for seg in rest {
        cur = match (seg, cur) {
            (Seg::Key(k), Value::Object(m)) => field(m, k)?,
            (Seg::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn get_mut<'v>(doc: &'v mut Map<String, Value>, segs: &[Seg<'_>]) -> Option<&'v mut Value> {
    let (first, rest) = segs.split_first()?;
    let Seg::Key(key) = first else { return None };
    let mut cur = field_mut(doc, key)?;
    for seg in rest {
        cur = match (seg, cur) {
            (Seg::Key(k), Value::Object(m)) => field_mut(m, k)?,
            (Seg::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The container a location's last step points into.
enum Parent<'v> {
    Object(&'v mut Map<String, Value>),
    Array(&'v mut Vec<Value>),
}

fn parent_of<'v>(doc: &'v mut Map<String, Value>, parent: &[Seg<'_>]) -> Option<Parent<'v>> {
    if parent.is_empty() {
        return Some(Parent::Object(doc));
    }
    match get_mut(doc, parent)? {
        Value::Object(m) => Some(Parent::Object(m)),
        Value::Array(a) => Some(Parent::Array(a)),
        _ => None,
    }
}

/// Renders a location for error details: `urn:…:User:manager`, `emails[1].value`.
pub(super) fn describe(loc: &Loc<'_>) -> String {
    let mut out = String::new();
    let mut after_urn = false;
    for seg in loc.segs() {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push(if after_urn { ':' } else { '.' });
                }
                out.push_str(k);
                after_urn = k.starts_with("urn:");
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
                after_urn = false;
            }
        }
    }
    out
}

fn shape_error(loc: &Loc<'_>) -> ScimError {
    ScimError::invalid_value(format!("cannot modify {}: the stored value has an unexpected shape", describe(loc)))
}

/// Applies the operations of one PATCH request to one document.
#[derive(Debug)]
pub(super) struct Engine<'r, 'd> {
    pub(super) registry: &'r SchemaRegistry,
    pub(super) rt: &'r ResourceType,
    pub(super) doc: &'d mut Map<String, Value>,
    undo: UndoLog<'r>,
    touched_extensions: Vec<&'r Schema>,
}

impl<'r, 'd> Engine<'r, 'd> {
    pub(super) fn new(registry: &'r SchemaRegistry, rt: &'r ResourceType, doc: &'d mut Map<String, Value>) -> Self {
        Self { registry, rt, doc, undo: UndoLog::default(), touched_extensions: Vec::new() }
    }

    /// Whether any edit was made.
    pub(super) fn changed(&self) -> bool {
        !self.undo.is_empty()
    }

    pub(super) fn get(&self, loc: &Loc<'_>) -> Option<&Value> {
        get(self.doc, loc.segs())
    }

    /// Sets the value at `loc` (an object key or an existing array slot). The parent must exist.
    /// Returns whether the value changed; setting an equal value records nothing.
    pub(super) fn set(&mut self, loc: Loc<'r>, value: Value) -> Result<bool, ScimError> {
        let (parent, last) = loc.split_last();
        let prev = match (parent_of(self.doc, parent), last) {
            (Some(Parent::Object(m)), Seg::Key(k)) => match field_mut(m, k) {
                Some(cur) if *cur == value => return Ok(false),
                Some(cur) => Some(std::mem::replace(cur, value)),
                None => {
                    m.insert(k.to_owned(), value);
                    None
                }
            },
            (Some(Parent::Array(a)), Seg::Index(i)) => match a.get_mut(i) {
                Some(cur) if *cur == value => return Ok(false),
                Some(cur) => Some(std::mem::replace(cur, value)),
                None => return Err(shape_error(&loc)),
            },
            _ => return Err(shape_error(&loc)),
        };
        self.undo.push(Undo::Slot { loc, prev });
        Ok(true)
    }

    /// Removes the object key at `loc`; returns whether it was there.
    pub(super) fn remove(&mut self, loc: Loc<'r>) -> bool {
        let (parent, last) = loc.split_last();
        let prev = match (parent_of(self.doc, parent), last) {
            (Some(Parent::Object(m)), Seg::Key(k)) => m.remove(k),
            _ => None,
        };
        match prev {
            Some(prev) => {
                self.undo.push(Undo::Slot { loc, prev: Some(prev) });
                true
            }
            None => false,
        }
    }

    /// Makes sure an object exists at `loc` (creating `{}` when absent or null).
    pub(super) fn ensure_object(&mut self, loc: Loc<'r>) -> Result<(), ScimError> {
        match self.get(&loc) {
            Some(Value::Object(_)) => Ok(()),
            None | Some(Value::Null) => self.set(loc, Value::Object(Map::new())).map(drop),
            Some(_) => Err(shape_error(&loc)),
        }
    }

    /// Appends elements to the array at `loc`, creating the array when absent.
    pub(super) fn push(&mut self, loc: Loc<'r>, elems: Vec<Value>) -> Result<(), ScimError> {
        if elems.is_empty() {
            return Ok(());
        }
        match get_mut(self.doc, loc.segs()) {
            Some(Value::Array(a)) => {
                let len = a.len();
                a.extend(elems);
                self.undo.push(Undo::Truncate { loc, len });
                Ok(())
            }
            None | Some(Value::Null) => self.set(loc, Value::Array(elems)).map(drop),
            Some(_) => Err(shape_error(&loc)),
        }
    }

    /// Removes the elements of the array at `loc` for which `remove` answers true, in one pass.
    /// Returns how many were removed and how many remain.
    pub(super) fn remove_elements(
        &mut self,
        loc: Loc<'r>,
        mut remove: impl FnMut(usize, &Value) -> bool,
    ) -> Result<(usize, usize), ScimError> {
        let Some(cur) = get_mut(self.doc, loc.segs()) else { return Ok((0, 0)) };
        let Value::Array(a) = cur else { return Err(shape_error(&loc)) };
        let indices: Vec<usize> = a.iter().enumerate().filter(|(i, v)| remove(*i, v)).map(|(i, _)| i).collect();
        if indices.is_empty() {
            return Ok((0, a.len()));
        }
        // Take the removed elements out, then close the gaps in place: no second array, and
        // the elements before the first removal do not move.
        let removed: Vec<(usize, Value)> = indices.iter().map(|&i| (i, std::mem::take(&mut a[i]))).collect();
        let mut next = indices.iter().copied().peekable();
        let mut i = 0;
        a.retain(|_| {
            let gone = next.next_if_eq(&i).is_some();
            i += 1;
            !gone
        });
        let counts = (removed.len(), a.len());
        self.undo.push(Undo::Reinsert { loc, removed });
        Ok(counts)
    }

    /// Notes that an extension's object may have been created, changed or emptied.
    pub(super) fn touch_extension(&mut self, schema: &'r Schema) {
        if !self.touched_extensions.iter().any(|s| std::ptr::eq(*s, schema)) {
            self.touched_extensions.push(schema);
        }
    }

    /// Drops emptied extension objects and keeps `schemas` in step with the extensions present.
    pub(super) fn finish_extensions(&mut self) -> Result<(), ScimError> {
        let touched = std::mem::take(&mut self.touched_extensions);
        for schema in touched {
            let loc = Loc::key(schema.id.as_str());
            let present = match self.get(&loc) {
                Some(Value::Object(m)) if m.is_empty() => {
                    self.remove(loc);
                    false
                }
                Some(Value::Null) => {
                    self.remove(loc);
                    false
                }
                Some(_) => true,
                None => false,
            };
            let schemas_loc = Loc::key("schemas");
            let Some(Value::Array(list)) = self.get(&schemas_loc) else { continue };
            let listed = list.iter().any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&schema.id)));
            if present && !listed {
                self.push(schemas_loc, vec![Value::String(schema.id.clone())])?;
            } else if !present && listed {
                self.remove_elements(schemas_loc, |_, v| {
                    v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&schema.id))
                })?;
            }
        }
        Ok(())
    }

    /// Undoes every edit, newest first.
    pub(super) fn rollback(&mut self) {
        while let Some(undo) = self.undo.pop() {
            match undo {
                Undo::Slot { loc, prev } => {
                    let (parent, last) = loc.split_last();
                    match (parent_of(self.doc, parent), last, prev) {
                        (Some(Parent::Object(m)), Seg::Key(k), Some(prev)) => {
                            m.insert(k.to_owned(), prev);
                        }
                        (Some(Parent::Object(m)), Seg::Key(k), None) => {
                            m.remove(k);
                        }
                        (Some(Parent::Array(a)), Seg::Index(i), Some(prev)) => {
                            if let Some(slot) = a.get_mut(i) {
                                *slot = prev;
                            }
                        }
                        _ => {}
                    }
                }
                Undo::Truncate { loc, len } => {
                    if let Some(Value::Array(a)) = get_mut(self.doc, loc.segs()) {
                        a.truncate(len);
                    }
                }
                Undo::Reinsert { loc, removed } => {
                    if let Some(Value::Array(a)) = get_mut(self.doc, loc.segs()) {
                        let kept = std::mem::take(a);
                        let total = kept.len() + removed.len();
                        let mut out = Vec::with_capacity(total);
                        let mut kept = kept.into_iter();
                        let mut removed = removed.into_iter().peekable();
                        for i in 0..total {
                            if removed.peek().is_some_and(|(j, _)| *j == i) {
                                if let Some((_, v)) = removed.next() {
                                    out.push(v);
                                }
                            } else if let Some(v) = kept.next() {
                                out.push(v);
                            }
                        }
                        *a = out;
                    }
                }
            }
        }
    }
}
