//! RFC 9865 cursors: opaque, tamper-evident tokens that carry a keyset position.
//!
//! A cursor is `base64url(payload ‖ tag)` without padding (only RFC 3986 unreserved
//! characters, as RFC 9865 requires), where `tag` is the first 16 bytes of
//! HMAC-SHA256([`CursorKey`], `payload`) and `payload` is:
//!
//! | bytes | what |
//! | --- | --- |
//! | 1 | format version (1) |
//! | 8 | scope: a hash of the tenant and the resource type |
//! | 8 | query: a hash of the filter, `sortBy` and `sortOrder` |
//! | 8 | issue time, Unix seconds, big-endian |
//! | 1 | direction: 0 first page, 1 after, 2 before |
//! | 8 | the keyset's store position, big-endian (absent for the first page) |
//! | 1 + … | the keyset's sort value: 0 none, 1 false, 2 true, 3 number (f64), 4 date-time (seconds i64, nanoseconds u32), 5 string (UTF-8, the rest) |
//!
//! The key is the host's ([`Provisioning::with_cursor_key`](crate::Provisioning::with_cursor_key));
//! by default one random key per process, so replicas behind one load balancer must be given
//! the same key for a walk to continue on another replica.

use crate::store::{Keyset, Seek, SortValue};
use crate::{ScimError, ScimType};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::OnceLock;

/// The longest cursor accepted, in characters (a cursor carries one sort value).
const MAX_CURSOR_CHARS: usize = 16 * 1024;
/// Bytes of the HMAC-SHA256 tag kept.
const TAG_BYTES: usize = 16;
const VERSION: u8 = 1;

/// The secret that signs cursors. Replicas that serve the same clients must share it;
/// by default ([`CursorKey::process_default`]) each process draws a random one.
#[derive(Clone)]
pub struct CursorKey {
    /// The HMAC key block: the secret, or its SHA-256 when longer than a block, zero-padded.
    block: [u8; 64],
}

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    /// The shortest secret [`CursorKey::new`] takes, in bytes.
    pub const MIN_SECRET_BYTES: usize = 16;

    /// A key from `secret` (any bytes, at least [`MIN_SECRET_BYTES`](Self::MIN_SECRET_BYTES));
    /// `None` when it is shorter.
    pub fn new(secret: impl AsRef<[u8]>) -> Option<Self> {
        let secret = secret.as_ref();
        if secret.len() < Self::MIN_SECRET_BYTES {
            return None;
        }
        let mut block = [0u8; 64];
        if secret.len() > block.len() {
            block[..32].copy_from_slice(&Sha256::digest(secret));
        } else {
            block[..secret.len()].copy_from_slice(secret);
        }
        Some(Self { block })
    }

    /// A fresh random key; `None` if the system has no randomness to give.
    pub fn random() -> Option<Self> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).ok()?;
        Self::new(secret)
    }

    /// The key of this process: drawn at random once, then the same for every service of the
    /// process that was not given one; `None` if the system has no randomness to give.
    pub fn process_default() -> Option<&'static Self> {
        static KEY: OnceLock<Option<CursorKey>> = OnceLock::new();
        KEY.get_or_init(Self::random).as_ref()
    }

    /// HMAC-SHA256 (RFC 2104) of `message`.
    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let pad = |byte: u8| -> [u8; 64] { self.block.map(|b| b ^ byte) };
        let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
        Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
    }
}

/// What a cursor is bound to: a hash of the tenant and resource type, and one of the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Binding {
    pub(crate) scope: [u8; 8],
    pub(crate) query: [u8; 8],
}

impl Binding {
    /// The binding of a list of `kind` in `tenant` with this (normalized) filter and sort.
    pub(crate) fn new(tenant: &str, kind: &str, filter: &str, sort_by: &str, sort_order: &str) -> Self {
        let hash = |parts: &[&str]| -> [u8; 8] {
            let mut h = Sha256::new();
            for p in parts {
                h.update((p.len() as u64).to_be_bytes());
                h.update(p.as_bytes());
            }
            let d = h.finalize();
            let mut out = [0u8; 8];
            out.copy_from_slice(&d[..8]);
            out
        };
        Self {
            scope: hash(&["scim-cursor-scope", tenant, kind]),
            query: hash(&["scim-cursor-query", filter, sort_by, sort_order]),
        }
    }
}

/// A cursor's content once verified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cursor {
    pub(crate) binding: Binding,
    /// Unix seconds.
    pub(crate) issued: i64,
    pub(crate) seek: Seek,
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidCursor, detail)
}

const NOT_OURS: &str = "the cursor is not one this service issued (or it was altered): start the walk again \
                        with an empty `cursor`, then send the nextCursor or previousCursor of each response";

impl Cursor {
    /// The signed, encoded cursor.
    pub(crate) fn encode(&self, key: &CursorKey) -> String {
        let mut p = Vec::with_capacity(64);
        p.push(VERSION);
        p.extend_from_slice(&self.binding.scope);
        p.extend_from_slice(&self.binding.query);
        p.extend_from_slice(&self.issued.to_be_bytes());
        let keyset = match &self.seek {
            Seek::First => None,
            Seek::After(k) => Some((1u8, k)),
            Seek::Before(k) => Some((2u8, k)),
        };
        match keyset {
            None => p.push(0),
            Some((dir, k)) => {
                p.push(dir);
                p.extend_from_slice(&k.seq.to_be_bytes());
                match &k.value {
                    None => p.push(0),
                    Some(SortValue::Bool(b)) => p.push(if *b { 2 } else { 1 }),
                    Some(SortValue::Number(n)) => {
                        p.push(3);
                        p.extend_from_slice(&n.to_bits().to_be_bytes());
                    }
                    Some(SortValue::Time(t)) => {
                        p.push(4);
                        p.extend_from_slice(&t.timestamp().to_be_bytes());
                        p.extend_from_slice(&t.timestamp_subsec_nanos().to_be_bytes());
                    }
                    Some(SortValue::Str(s)) => {
                        p.push(5);
                        p.extend_from_slice(s.as_bytes());
                    }
                }
            }
        }
        let tag = key.mac(&p);
        p.extend_from_slice(&tag[..TAG_BYTES]);
        base64url_encode(&p)
    }

    /// Verifies and decodes `text`.
    ///
    /// # Errors
    /// `400 invalidCursor` for anything this service did not issue under `key` unchanged.
    pub(crate) fn decode(text: &str, key: &CursorKey) -> Result<Self, ScimError> {
        if text.len() > MAX_CURSOR_CHARS {
            return Err(invalid(NOT_OURS));
        }
        let bytes = base64url_decode(text).ok_or_else(|| invalid(NOT_OURS))?;
        let Some(split) = bytes.len().checked_sub(TAG_BYTES) else { return Err(invalid(NOT_OURS)) };
        let (payload, tag) = bytes.split_at(split);
        let expected = key.mac(payload);
        if !constant_time_eq(&expected[..TAG_BYTES], tag) {
            return Err(invalid(NOT_OURS));
        }
        // Signed by us: a malformed payload is a bug, but still answered as an invalid cursor.
        Self::parse(payload).ok_or_else(|| invalid(NOT_OURS))
    }

    fn parse(p: &[u8]) -> Option<Self> {
        let mut r = Reader(p);
        if r.byte()? != VERSION {
            return None;
        }
        let scope = r.array::<8>()?;
        let query = r.array::<8>()?;
        let issued = i64::from_be_bytes(r.array::<8>()?);
        let dir = r.byte()?;
        let seek = if dir == 0 {
            Seek::First
        } else {
            let seq = u64::from_be_bytes(r.array::<8>()?);
            let value = match r.byte()? {
                0 => None,
                1 => Some(SortValue::Bool(false)),
                2 => Some(SortValue::Bool(true)),
                3 => Some(SortValue::Number(f64::from_bits(u64::from_be_bytes(r.array::<8>()?)))),
                4 => {
                    let secs = i64::from_be_bytes(r.array::<8>()?);
                    let nanos = u32::from_be_bytes(r.array::<4>()?);
                    Some(SortValue::Time(DateTime::<Utc>::from_timestamp(secs, nanos)?))
                }
                5 => Some(SortValue::Str(String::from_utf8(r.rest().to_vec()).ok()?)),
                _ => return None,
            };
            let k = Keyset::new(value, seq);
            match dir {
                1 => Seek::After(k),
                2 => Seek::Before(k),
                _ => return None,
            }
        };
        r.0.is_empty().then_some(Self { binding: Binding { scope, query }, issued, seek })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url (RFC 4648 §5) without padding.
fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// The inverse of [`base64url_encode`]; `None` for any other text (padding, other characters,
/// a length no encoding has, or non-zero unused bits).
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let sextet = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        }))
    };
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= sextet(c)? << (18 - 6 * i);
        }
        let full = chunk.len() - 1;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        // Unused low bits must be zero, so that each byte string has one encoding.
        if decoded[full..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&decoded[..full]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> CursorKey {
        CursorKey::new([7u8; 32]).expect("key")
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        // Key "Jefe" is too short for a cursor key; build the block directly.
        let mut block = [0u8; 64];
        block[..4].copy_from_slice(b"Jefe");
        let k = CursorKey { block };
        let tag = k.mac(b"what do ya want for nothing?");
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn base64url_known_values() {
        assert_eq!(base64url_encode(b""), "");
        assert_eq!(base64url_encode(b"f"), "Zg");
        assert_eq!(base64url_encode(b"fo"), "Zm8");
        assert_eq!(base64url_encode(b"foo"), "Zm9v");
        assert_eq!(base64url_encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(base64url_decode("Zm8").as_deref(), Some(&b"fo"[..]));
        assert_eq!(base64url_decode("Zm9"), None, "non-zero unused bits");
        assert_eq!(base64url_decode("Z"), None);
        assert_eq!(base64url_decode("Zg=="), None, "no padding");
        assert_eq!(base64url_decode("Z+8"), None);
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(CursorKey::new([1u8; 15]).is_none());
        assert!(CursorKey::new([1u8; 100]).is_some());
        assert_eq!(format!("{:?}", key()), "CursorKey(..)");
    }

    fn values() -> impl Strategy<Value = Option<SortValue>> {
        prop_oneof![
            Just(None),
            any::<bool>().prop_map(|b| Some(SortValue::Bool(b))),
            any::<f64>().prop_map(|n| Some(SortValue::Number(n))),
            (-10_000_000_000i64..10_000_000_000i64, 0u32..1_000_000_000)
                .prop_map(|(s, n)| DateTime::from_timestamp(s, n).map(SortValue::Time)),
            ".*".prop_map(|s| Some(SortValue::Str(s))),
        ]
    }

    proptest! {
        #[test]
        fn cursors_round_trip_and_any_change_is_refused(
            value in values(), seq in any::<u64>(), dir in 0u8..3, issued in any::<i64>(),
            flip in any::<prop::sample::Index>(), bit in 0u8..8,
        ) {
            let k = Keyset::new(value, seq);
            let seek = match dir { 0 => Seek::First, 1 => Seek::After(k), _ => Seek::Before(k) };
            let cursor = Cursor { binding: Binding::new("t", "User", "f", "s", "a"), issued, seek };
            let text = cursor.encode(&key());
            prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            let back = Cursor::decode(&text, &key()).expect("decodes");
            // NaN != NaN: compare the encodings instead.
            prop_assert_eq!(back.encode(&key()), text.clone());
            let mut raw = base64url_decode(&text).expect("b64");
            let i = flip.index(raw.len());
            raw[i] ^= 1 << bit;
            let e = Cursor::decode(&base64url_encode(&raw), &key()).expect_err("altered");
            prop_assert_eq!(e.scim_type(), Some(ScimType::InvalidCursor));
            let other = CursorKey::new([8u8; 32]).expect("key");
            prop_assert!(Cursor::decode(&text, &other).is_err());
        }

        #[test]
        fn garbage_is_an_invalid_cursor(text in ".{0,300}") {
            let e = Cursor::decode(&text, &key()).expect_err("garbage");
            prop_assert_eq!(e.scim_type(), Some(ScimType::InvalidCursor));
            prop_assert_eq!(e.status(), http::StatusCode::BAD_REQUEST);
        }
    }
}
