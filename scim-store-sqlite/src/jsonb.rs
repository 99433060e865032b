//! Decoding of SQLite's binary JSON (JSONB, <https://sqlite.org/jsonb.html>) into
//! `serde_json` values.
//!
//! User documents are stored as JSONB, encoded here (on the caller's task, not the writer
//! thread): SQLite's JSON functions read it as they read text, and reading it back skips
//! most of a text parse, since every element starts with its type and the size of its
//! payload.
//!
//! Every element is a header then a payload. The low four bits of the header's first byte
//! are the type; the high four bits are the payload size (0 to 11), or say that the size
//! follows in the next 1, 2, 4 or 8 bytes (12 to 15), big-endian. Numbers and strings keep
//! their JSON text. The JSON5 element types (which SQLite only writes for JSON5 input, never
//! for the canonical JSON this crate stores) are decoded through their text when they are
//! also valid JSON, and rejected otherwise, as is anything malformed: bad input is an error,
//! never a panic.

use serde_json::{Map, Number, Value};

/// Why a document could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("a stored document is not valid JSONB: {0}")]
pub(crate) struct JsonbError(&'static str);

/// How deep documents may nest: SQLite's own limit for JSON (`jsonb()` refuses deeper input).
const MAX_DEPTH: usize = 1000;

const NULL: u8 = 0;
const TRUE: u8 = 1;
const FALSE: u8 = 2;
const INT: u8 = 3;
const INT5: u8 = 4;
const FLOAT: u8 = 5;
const FLOAT5: u8 = 6;
const TEXT: u8 = 7;
const TEXTJ: u8 = 8;
const TEXT5: u8 = 9;
const TEXTRAW: u8 = 10;
const ARRAY: u8 = 11;
const OBJECT: u8 = 12;

/// Encodes a document as JSONB, with the smallest headers, numbers as `serde_json` writes
/// them, and strings as `TEXT` (nothing to escape) or `TEXTRAW` (stored unescaped).
pub(crate) fn encode_object(map: &Map<String, Value>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    write_object(map, &mut out);
    out
}

fn write_object(map: &Map<String, Value>, out: &mut Vec<u8>) {
    container(OBJECT, out, |out| {
        for (key, value) in map {
            write_text(key, out);
            write_value(value, out);
        }
    });
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(NULL),
        Value::Bool(true) => out.push(TRUE),
        Value::Bool(false) => out.push(FALSE),
        Value::Number(n) => {
            let text = n.to_string();
            write_header(if n.is_f64() { FLOAT } else { INT }, text.len(), out);
            out.extend_from_slice(text.as_bytes());
        }
        Value::String(s) => write_text(s, out),
        Value::Array(items) => container(ARRAY, out, |out| items.iter().for_each(|item| write_value(item, out))),
        Value::Object(map) => write_object(map, out),
    }
}

fn write_text(s: &str, out: &mut Vec<u8>) {
    let raw = s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
    write_header(if raw { TEXTRAW } else { TEXT }, s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

/// Writes a container: its payload first, after room for the largest header, then the
/// smallest header that fits, with the payload moved up to it.
fn container(kind: u8, out: &mut Vec<u8>, payload: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; 9]);
    payload(out);
    let size = out.len() - start - 9;
    let mut header = Vec::with_capacity(9);
    write_header(kind, size, &mut header);
    out[start..start + header.len()].copy_from_slice(&header);
    out.copy_within(start + 9.., start + header.len());
    out.truncate(start + header.len() + size);
}

fn write_header(kind: u8, size: usize, out: &mut Vec<u8>) {
    let size = size as u64;
    match size {
        0..=11 => out.push(((size as u8) << 4) | kind),
        12..=0xff => out.extend_from_slice(&[0xc0 | kind, size as u8]),
        0x100..=0xffff => {
            out.push(0xd0 | kind);
            out.extend_from_slice(&(size as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xe0 | kind);
            out.extend_from_slice(&(size as u32).to_be_bytes());
        }
        _ => {
            out.push(0xf0 | kind);
            out.extend_from_slice(&size.to_be_bytes());
        }
    }
}

/// Decodes a JSONB object (a stored document).
pub(crate) fn decode_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonbError> {
    let mut reader = Reader { bytes, pos: 0 };
    let (kind, payload) = reader.header()?;
    if kind != OBJECT {
        return Err(JsonbError("the document is not an object"));
    }
    let map = Reader { bytes: payload, pos: 0 }.object(1)?;
    if reader.pos != bytes.len() {
        return Err(JsonbError("bytes after the document"));
    }
    Ok(map)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], JsonbError> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or(JsonbError("truncated"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next element's type and payload.
    fn header(&mut self) -> Result<(u8, &'a [u8]), JsonbError> {
        let first = *self.take(1)?.first().ok_or(JsonbError("truncated"))?;
        let size = match first >> 4 {
            small @ 0..=11 => u64::from(small),
            extra => {
                let width = 1usize << (extra - 12);
                self.take(width)?.iter().fold(0u64, |size, &b| (size << 8) | u64::from(b))
            }
        };
        let size = usize::try_from(size).map_err(|_| JsonbError("element too large"))?;
        Ok((first & 0x0f, self.take(size)?))
    }

    fn object(mut self, depth: usize) -> Result<Map<String, Value>, JsonbError> {
        let mut map = Map::new();
        while !self.at_end() {
            let (kind, key) = self.header()?;
            let key = string(kind, key)?.ok_or(JsonbError("an object key is not a string"))?;
            let (kind, payload) = self.header()?;
            map.insert(key, value(kind, payload, depth)?);
        }
        Ok(map)
    }
}

fn text(payload: &[u8]) -> Result<&str, JsonbError> {
    std::str::from_utf8(payload).map_err(|_| JsonbError("text is not UTF-8"))
}

/// The string of a text element (`None` if the element is not text).
fn string(kind: u8, payload: &[u8]) -> Result<Option<String>, JsonbError> {
    Ok(Some(match kind {
        TEXT | TEXTRAW => text(payload)?.to_owned(),
        // JSON escapes: let serde_json read them as the string literal they are.
        TEXTJ | TEXT5 => {
            let mut quoted = String::with_capacity(payload.len() + 2);
            quoted.push('"');
            quoted.push_str(text(payload)?);
            quoted.push('"');
            serde_json::from_str(&quoted).map_err(|_| JsonbError("bad escape in text"))?
        }
        _ => return Ok(None),
    }))
}

fn value(kind: u8, payload: &[u8], depth: usize) -> Result<Value, JsonbError> {
    Ok(match kind {
        NULL => Value::Null,
        TRUE => Value::Bool(true),
        FALSE => Value::Bool(false),
        INT | INT5 | FLOAT | FLOAT5 => Value::Number(number(kind, payload)?),
        TEXT | TEXTJ | TEXT5 | TEXTRAW => Value::String(string(kind, payload)?.unwrap_or_default()),
        ARRAY | OBJECT if depth >= MAX_DEPTH => return Err(JsonbError("nested too deeply")),
        ARRAY => {
            let mut reader = Reader { bytes: payload, pos: 0 };
            let mut items = Vec::new();
            while !reader.at_end() {
                let (kind, payload) = reader.header()?;
                items.push(value(kind, payload, depth + 1)?);
            }
            Value::Array(items)
        }
        OBJECT => Value::Object(Reader { bytes: payload, pos: 0 }.object(depth + 1)?),
        _ => return Err(JsonbError("unknown element type")),
    })
}

fn number(kind: u8, payload: &[u8]) -> Result<Number, JsonbError> {
    let text = text(payload)?;
    if kind == INT {
        if let Ok(n) = text.parse::<i64>() {
            return Ok(n.into());
        }
        if let Ok(n) = text.parse::<u64>() {
            return Ok(n.into());
        }
    }
    // As a text parse reads it (larger integers become floats); JSON5 forms that are not
    // JSON (hexadecimal, `Infinity`, ...) are rejected.
    serde_json::from_str(text).map_err(|_| JsonbError("a number is not a JSON number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jsonb(conn: &rusqlite::Connection, text: &str) -> Vec<u8> {
        conn.query_row("SELECT jsonb(?1)", [text], |r| r.get(0)).unwrap()
    }

    #[test]
    fn documents_round_trip_through_sqlite_jsonb() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let big = "x".repeat(70_000);
        let docs = [
            json!({}),
            json!({"id": "u1", "active": true, "gone": false, "nothing": null, "n": -3, "big": 18446744073709551615u64,
                   "huge": 1e300, "f": 0.1, "neg": -0.5, "quote": "a \"b\" \\ c\n\t\u{1}", "uni": "ünïcode ☃ 😀",
                   "empty": "", "list": [1, "two", [3], {"four": 4}, [], {}], "long": big,
                   "nested": {"a": {"b": {"c": [true, false, null]}}}}),
        ];
        for doc in docs {
            let text = serde_json::to_string(&doc).unwrap();
            let decoded = decode_object(&jsonb(&conn, &text)).unwrap();
            let reparsed: Map<String, Value> = serde_json::from_str(&text).unwrap();
            assert_eq!(decoded, reparsed, "{text:.200}");
        }
    }

    #[test]
    fn encoded_documents_are_jsonb_to_sqlite_and_decode_to_themselves() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let docs = [
            json!({}),
            json!({"id": "u1", "active": true, "gone": false, "nothing": null, "n": -3, "big": 18446744073709551615u64,
                   "min": i64::MIN, "huge": 1e300, "tiny": 5e-324, "f": 0.1, "one": 1.0, "quote": "a \"b\" \\ c\n\t\u{1}\u{7f}",
                   "uni": "ünïcode ☃ 😀", "empty": "", "list": [1, "two", [3], {"four": 4}, [], {}],
                   "eleven": "abcdefghijk", "twelve": "abcdefghijkl", "long": "y".repeat(300), "longer": "z".repeat(70_000),
                   "nested": {"a": {"b": {"c": [true, false, null]}}}}),
        ];
        for doc in docs {
            let map = doc.as_object().unwrap();
            let bytes = encode_object(map);
            let valid: i64 = conn.query_row("SELECT json_valid(?1, 8)", [&bytes], |r| r.get(0)).unwrap();
            assert_eq!(valid, 1, "{doc}");
            let text: String = conn.query_row("SELECT json(?1)", [&bytes], |r| r.get(0)).unwrap();
            assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), doc);
            assert_eq!(&decode_object(&bytes).unwrap(), map);
            if let Some(quote) = doc.get("quote") {
                // SQL reads raw text as the string it is.
                let read: String =
                    conn.query_row("SELECT json_extract(?1, '$.quote')", [&bytes], |r| r.get(0)).unwrap();
                assert_eq!(quote, &read);
            }
        }
    }

    #[test]
    fn integers_beyond_u64_read_as_a_text_parse_does() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let text = r#"{"n":123456789012345678901234567890}"#;
        let reparsed: Map<String, Value> = serde_json::from_str(text).unwrap();
        assert_eq!(decode_object(&jsonb(&conn, text)).unwrap(), reparsed);
    }

    #[test]
    fn json5_elements_decode_when_they_are_json_and_fail_otherwise() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let ok = decode_object(&jsonb(&conn, r#"{a:'x\'y',"b":+1.5}"#));
        assert!(ok.is_err() || ok.as_ref().is_ok_and(|m| m["a"] == "x'y"), "{ok:?}");
        assert!(decode_object(&jsonb(&conn, r#"{"h":0x1F}"#)).is_err());
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let good = jsonb(&conn, r#"{"a":[1,2,{"b":"c"}],"d":"e"}"#);
        for cut in 0..good.len() {
            let _ = decode_object(&good[..cut]);
        }
        for i in 0..good.len() {
            for b in [0x00, 0x0c, 0x0f, 0xcb, 0xfc, 0xff] {
                let mut bad = good.clone();
                bad[i] = b;
                let _ = decode_object(&bad);
            }
        }
        assert!(decode_object(b"").is_err());
        assert!(decode_object(&[0x0b]).is_err(), "an array is not a document");
        assert!(decode_object(&[0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        // Deep nesting fails cleanly.
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(990), "]".repeat(990));
        let nested = decode_object(&jsonb(&conn, &deep)).unwrap();
        assert!(nested["a"].is_array());
        // Deeper than SQLite writes: an error, not a stack overflow.
        let wrap = |kind: u8, payload: Vec<u8>| {
            let mut out = vec![0xe0 | kind];
            out.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
            out.extend(payload);
            out
        };
        let mut nested = vec![NULL];
        for _ in 0..1100 {
            nested = wrap(ARRAY, nested);
        }
        let doc = wrap(OBJECT, [&[0x17, b'a'][..], &nested].concat());
        assert!(decode_object(&doc).is_err());
        assert!(decode_object(&wrap(OBJECT, [&[0x17, b'a'][..], &wrap(ARRAY, vec![NULL])].concat())).is_ok());
    }
}
