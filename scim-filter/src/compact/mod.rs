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

mod from_json;
mod intern;
mod value;

pub use intern::{MAX_INTERNED_KEY_LEN, MAX_INTERNED_KEYS, interned_key_count};
pub(crate) use intern::{Sym, intern};
pub(crate) use value::ObjRepr;
pub use value::{CompactObject, CompactValue};
