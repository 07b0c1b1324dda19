//! NDJSON `_bulk` bodies, written straight into bounded buffers.
//!
//! Invariant: a body never exceeds `max_bytes` unless it holds a single
//! document that is by itself larger (that document is sent alone and the
//! cluster decides). Each body remembers where each of its items starts, so
//! that failed items can be re-sent alone without re-encoding anything.

use bytes::Bytes;

use crate::json::write_str;

/// The bulk action for every document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Action {
    /// `create`: a second delivery of the same `_id` is answered 409 and
    /// nothing is overwritten, which makes Lambda retries idempotent.
    #[default]
    Create,
    /// `index`: a second delivery overwrites.
    Index,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Index => "index",
        }
    }
}

impl std::str::FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "create" => Ok(Action::Create),
            "index" => Ok(Action::Index),
            other => Err(format!(
                "unknown bulk action {other:?} (expected create or index)"
            )),
        }
    }
}

/// One request body and the byte range of each item (action + document).
/// The bytes are shared, not copied, between retries and the HTTP request.
#[derive(Debug, Default, Clone)]
pub struct BulkBody {
    pub bytes: Bytes,
    /// Start offset of each item; item `i` ends where item `i + 1` starts.
    starts: Vec<usize>,
}

impl BulkBody {
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The NDJSON lines (action and document) of item `i`.
    pub fn item(&self, i: usize) -> &[u8] {
        let start = self.starts[i];
        let end = self.starts.get(i + 1).copied().unwrap_or(self.bytes.len());
        &self.bytes[start..end]
    }

    /// The document line of item `i`, without its action line.
    pub fn document(&self, i: usize) -> &[u8] {
        let item = self.item(i);
        let doc = item
            .iter()
            .position(|&b| b == b'\n')
            .map_or(item, |nl| &item[nl + 1..]);
        doc.strip_suffix(b"\n").unwrap_or(doc)
    }

    /// A new body holding only the given items, in order.
    pub fn subset(&self, items: impl IntoIterator<Item = usize>) -> BulkBody {
        let mut bytes = Vec::new();
        let mut starts = Vec::new();
        for i in items {
            starts.push(bytes.len());
            bytes.extend_from_slice(self.item(i));
        }
        BulkBody {
            bytes: Bytes::from(bytes),
            starts,
        }
    }

    /// A body of whole items (each an action line and a document line).
    pub fn from_items<'i>(items: impl IntoIterator<Item = &'i [u8]>) -> BulkBody {
        let mut bytes = Vec::new();
        let mut starts = Vec::new();
        for item in items {
            starts.push(bytes.len());
            bytes.extend_from_slice(item);
        }
        BulkBody {
            bytes: Bytes::from(bytes),
            starts,
        }
    }

    /// Splits the body into two halves (for a cluster that refuses its size).
    pub fn halves(&self) -> (BulkBody, BulkBody) {
        let mid = self.len() / 2;
        (self.subset(0..mid), self.subset(mid..self.len()))
    }
}

/// Encodes documents into bodies of at most `max_bytes`.
///
/// Documents are written in place: [`BulkEncoder::open_item`] hands out the
/// body itself, with room before the document for its action line, as
/// wide as the last one was (the action lines of one stream are nearly
/// always equally wide). The action line needs the index, which needs the
/// document's time, so it is written last, into that room; only when its
/// width differs is the document moved.
pub struct BulkEncoder {
    max_bytes: usize,
    action: Action,
    type_name: Option<String>,
    /// The body being filled, and where each of its items starts.
    buf: Vec<u8>,
    starts: Vec<usize>,
    /// Bytes of bodies still expected, for sizing buffers (a hint).
    expected: usize,
    /// Where the open item starts in `buf`, and the room left there for
    /// its action line.
    item_start: usize,
    room: usize,
    /// The last action line; its first `action_prefix` bytes are those of
    /// every item of `action_index`.
    action_line: Vec<u8>,
    action_prefix: usize,
    action_index: String,
    /// The first item of a group of items that stay in one body (the
    /// documents of one input record: Security Hub's findings of one
    /// event), while the group is open.
    group: Option<usize>,
}

/// Capacity beyond `max_bytes`, so that the document that overflows a
/// body is written without growing (and copying) the whole body.
const HEADROOM: usize = 64 * 1024;

impl BulkEncoder {
    pub fn new(max_bytes: usize, action: Action, type_name: Option<String>) -> Self {
        BulkEncoder {
            max_bytes,
            action,
            type_name,
            buf: Vec::new(),
            starts: Vec::new(),
            expected: 1 << 20,
            item_start: 0,
            room: 0,
            action_line: Vec::with_capacity(256),
            action_prefix: 0,
            action_index: String::new(),
            group: None,
        }
    }

    /// Opens a group: the items closed until [`Self::end_group`] go into
    /// one body. A body may be closed before the group, never inside it;
    /// a group larger than `max_bytes` makes a body that large (bounded by
    /// what one input record holds).
    pub fn begin_group(&mut self) {
        self.group = Some(self.starts.len());
    }

    pub fn end_group(&mut self) {
        self.group = None;
    }

    /// Changes the body size limit for the bodies still to come.
    pub fn set_max_bytes(&mut self, max_bytes: usize) {
        self.max_bytes = max_bytes;
    }

    /// Says that about `bytes` of bodies are coming, so that the first body
    /// is allocated at its final size instead of grown (and copied) to it.
    pub fn expect_bytes(&mut self, bytes: usize) {
        self.expected = bytes;
    }

    /// Room for the body up front: what is expected, or else 1 MiB; once a
    /// body has filled up, the next ones are allocated full-sized.
    fn initial_capacity(&self) -> usize {
        self.max_bytes.min(self.expected).max(4096) + HEADROOM
    }

    /// Adds one document. Returns a full body when adding this document
    /// closed the previous one.
    pub fn push(&mut self, index: &str, id: Option<&str>, doc: &[u8]) -> Option<BulkBody> {
        self.open_item().extend_from_slice(doc);
        self.close_item(index, id)
    }

    /// Opens an item: the caller appends its document (one line, no
    /// newline) to the returned body, then calls [`Self::close_item`] or
    /// [`Self::discard_item`]. Appending is all the caller may do.
    pub fn open_item(&mut self) -> &mut Vec<u8> {
        if self.buf.capacity() == 0 {
            self.buf.reserve(self.initial_capacity());
        }
        self.item_start = self.buf.len();
        self.buf.resize(self.item_start + self.room, b' ');
        &mut self.buf
    }

    /// Forgets the open item (its document is not to be indexed).
    pub fn discard_item(&mut self) {
        self.buf.truncate(self.item_start);
    }

    /// Writes the open item's action line. Returns a full body when this
    /// item closed the previous one.
    pub fn close_item(&mut self, index: &str, id: Option<&str>) -> Option<BulkBody> {
        self.write_action_line(index, id);
        let start = self.item_start;
        let width = self.action_line.len();
        if width != self.room {
            let document = start + self.room..self.buf.len();
            let end = document.end - self.room + width;
            if width > self.room {
                self.buf.resize(end, 0);
            }
            self.buf.copy_within(document, start + width);
            self.buf.truncate(end);
            self.room = width;
        }
        self.buf[start..start + width].copy_from_slice(&self.action_line);
        self.buf.push(b'\n');
        self.starts.push(start);
        // What overflows is carried over: the new item, or its open group.
        let carried = self.group.unwrap_or(self.starts.len() - 1);
        if self.buf.len() <= self.max_bytes || carried == 0 {
            return None;
        }
        // The new item overflowed a body with items before it (or before
        // its group): close the body before it and carry it over into the
        // next one, which will likely fill.
        let from = self.starts[carried];
        self.expected = self.expected.max(self.max_bytes);
        let mut next = Vec::with_capacity(self.initial_capacity().max(self.buf.len() - from));
        next.extend_from_slice(&self.buf[from..]);
        self.buf.truncate(from);
        let moved: Vec<usize> = self.starts.drain(carried..).map(|s| s - from).collect();
        if self.group.is_some() {
            self.group = Some(0);
        }
        let full = BulkBody {
            bytes: Bytes::from(std::mem::replace(&mut self.buf, next)),
            starts: std::mem::replace(&mut self.starts, moved),
        };
        Some(full)
    }

    /// `{"create":{"_index":…,"_type":…,"_id":…}}` into `action_line`. All
    /// but the id is the same from one item to the next of an index: that
    /// part is kept, and rewritten only when the index changes.
    fn write_action_line(&mut self, index: &str, id: Option<&str>) {
        let out = &mut self.action_line;
        if self.action_index != index || out.is_empty() {
            self.action_index.clear();
            self.action_index.push_str(index);
            out.clear();
            out.extend_from_slice(b"{\"");
            out.extend_from_slice(self.action.name().as_bytes());
            out.extend_from_slice(b"\":{\"_index\":");
            write_str(out, index);
            if let Some(t) = &self.type_name {
                out.extend_from_slice(b",\"_type\":");
                write_str(out, t);
            }
            self.action_prefix = out.len();
        }
        out.truncate(self.action_prefix);
        if let Some(id) = id {
            out.extend_from_slice(b",\"_id\":");
            write_str(out, id);
        }
        out.extend_from_slice(b"}}\n");
    }

    /// The last, partly filled body, if any.
    pub fn finish(&mut self) -> Option<BulkBody> {
        if self.starts.is_empty() {
            return None;
        }
        Some(BulkBody {
            bytes: Bytes::from(std::mem::take(&mut self.buf)),
            starts: std::mem::take(&mut self.starts),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(body: &BulkBody) -> Vec<serde_json::Value> {
        body.bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("each line is JSON"))
            .collect()
    }

    #[test]
    fn action_lines() {
        let mut enc = BulkEncoder::new(1 << 20, Action::Create, Some("_doc".into()));
        assert!(enc.push("idx", Some("a\"b"), b"{\"x\":1}").is_none());
        let body = enc.finish().expect("one body");
        let l = lines(&body);
        assert_eq!(
            l[0],
            serde_json::json!({"create":{"_index":"idx","_type":"_doc","_id":"a\"b"}})
        );
        assert_eq!(l[1], serde_json::json!({"x":1}));
        assert_eq!(body.document(0), b"{\"x\":1}");
        assert!(enc.finish().is_none());
    }

    #[test]
    fn bodies_stay_under_the_limit() {
        let max = 1000;
        let mut enc = BulkEncoder::new(max, Action::Index, None);
        let doc = vec![b'1'; 100];
        let mut bodies = Vec::new();
        for i in 0..100 {
            bodies.extend(enc.push("i", Some(&i.to_string()), &doc));
        }
        bodies.extend(enc.finish());
        assert!(bodies.len() > 10);
        assert!(bodies.iter().all(|b| b.bytes.len() <= max));
        assert_eq!(bodies.iter().map(BulkBody::len).sum::<usize>(), 100);
        let ids: Vec<String> = bodies
            .iter()
            .flat_map(lines)
            .filter_map(|l| l["index"]["_id"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(ids, (0..100).map(|i| i.to_string()).collect::<Vec<_>>());
    }

    #[test]
    fn a_group_stays_in_one_body() {
        let max = 1000;
        let mut enc = BulkEncoder::new(max, Action::Index, None);
        let doc = vec![b'1'; 100];
        let mut bodies = Vec::new();
        for i in 0..7 {
            bodies.extend(enc.push("i", Some(&format!("a{i}")), &doc));
        }
        // Five items of one group: the body closes before them, not inside.
        enc.begin_group();
        for i in 0..5 {
            bodies.extend(enc.push("i", Some(&format!("g{i}")), &doc));
        }
        enc.end_group();
        // A group larger than a body is one body, as large as it is.
        enc.begin_group();
        for i in 0..12 {
            bodies.extend(enc.push("i", Some(&format!("h{i}")), &doc));
        }
        enc.end_group();
        bodies.extend(enc.push("i", Some("z"), &doc));
        bodies.extend(enc.finish());
        let ids: Vec<Vec<String>> = bodies
            .iter()
            .map(|b| {
                lines(b)
                    .iter()
                    .filter_map(|l| l["index"]["_id"].as_str().map(str::to_owned))
                    .collect()
            })
            .collect();
        let first = |body: &[String]| body.first().cloned().unwrap_or_default();
        assert_eq!(ids[0].len(), 7, "{ids:?}");
        assert_eq!(first(&ids[1]), "g0", "{ids:?}");
        assert!(ids[1].iter().filter(|i| i.starts_with('g')).count() == 5);
        let h: Vec<_> = ids
            .iter()
            .filter(|b| b.iter().any(|i| i.starts_with('h')))
            .collect();
        assert_eq!(h.len(), 1, "the large group in one body: {ids:?}");
        assert_eq!(h[0].iter().filter(|i| i.starts_with('h')).count(), 12);
        assert_eq!(ids.iter().map(Vec::len).sum::<usize>(), 25);
        // Every body but the large group's stays under the limit, and each
        // body's items are where its starts say.
        for body in &bodies {
            for i in 0..body.len() {
                assert!(body.item(i).starts_with(b"{\"index\""));
            }
        }
        assert_eq!(bodies.iter().filter(|b| b.bytes.len() > max).count(), 1);
    }

    #[test]
    fn an_oversized_document_goes_alone() {
        let mut enc = BulkEncoder::new(50, Action::Create, None);
        assert!(enc.push("i", None, b"{}").is_none());
        let big = format!("{{\"k\":\"{}\"}}", "x".repeat(100));
        let first = enc
            .push("i", None, big.as_bytes())
            .expect("closes the small body");
        assert_eq!(first.len(), 1);
        let second = enc.push("i", None, b"{}").expect("closes the big body");
        assert_eq!(second.len(), 1);
        assert_eq!(second.document(0), big.as_bytes());
    }

    #[test]
    fn documents_written_in_place_take_action_lines_of_any_width() {
        let mut enc = BulkEncoder::new(1 << 20, Action::Create, None);
        let ids = ["a", "bbbbbbbbbbbb", "cc", "", "dddddd"];
        for (n, id) in ids.iter().enumerate() {
            let out = enc.open_item();
            out.extend_from_slice(format!("{{\"n\":{n}}}").as_bytes());
            if n == 2 {
                enc.discard_item();
                continue;
            }
            let id = (!id.is_empty()).then_some(*id);
            assert!(enc.close_item("i", id).is_none());
        }
        let body = enc.finish().expect("body");
        let l = lines(&body);
        assert_eq!(l.len(), 8, "four items, the discarded one left out");
        assert_eq!(l[0]["create"]["_id"], "a");
        assert_eq!(l[2]["create"]["_id"], "bbbbbbbbbbbb");
        assert_eq!(l[4], serde_json::json!({"create":{"_index":"i"}}));
        assert_eq!(l[5], serde_json::json!({"n":3}));
        assert_eq!(l[7], serde_json::json!({"n":4}));
        assert_eq!(body.document(1), b"{\"n\":1}");
    }

    #[test]
    fn ids_that_need_escaping_alternate_with_plain_ids() {
        // The first two are equally wide once escaped, so the room is reused.
        let ids = ["a\"b", "ab\\", "plain", "\u{1}", "", "a\nlonger one", "x"];
        let mut enc = BulkEncoder::new(1 << 20, Action::Create, Some("_doc".into()));
        for (n, id) in ids.iter().enumerate() {
            let id = (!id.is_empty()).then_some(*id);
            enc.push("i", id, format!("{{\"n\":{n}}}").as_bytes());
        }
        let body = enc.finish().expect("body");
        for (n, id) in ids.iter().enumerate() {
            let mut expected = serde_json::json!({"create":{"_index":"i","_type":"_doc"}});
            if !id.is_empty() {
                expected["create"]["_id"] = serde_json::json!(id);
            }
            let item = body.item(n);
            let action = &item[..item.len() - body.document(n).len() - 1];
            assert_eq!(action.last(), Some(&b'\n'), "item {n}");
            let action: serde_json::Value = serde_json::from_slice(action).expect("action JSON");
            assert_eq!(action, expected, "item {n}");
            assert_eq!(body.document(n), format!("{{\"n\":{n}}}").as_bytes());
        }
    }

    #[test]
    fn the_kept_action_line_follows_the_index() {
        let mut enc = BulkEncoder::new(1 << 20, Action::Index, Some("_doc".into()));
        let items = [
            ("a", Some("1")),
            ("a", None),
            ("b\"", Some("2")),
            ("a", Some("3")),
        ];
        for (index, id) in items {
            enc.push(index, id, b"{}");
        }
        let body = enc.finish().expect("body");
        let actions: Vec<_> = lines(&body).into_iter().step_by(2).collect();
        let expected: Vec<_> = items
            .iter()
            .map(|(index, id)| match id {
                Some(id) => serde_json::json!({"index":{"_index":index,"_type":"_doc","_id":id}}),
                None => serde_json::json!({"index":{"_index":index,"_type":"_doc"}}),
            })
            .collect();
        assert_eq!(actions, expected);
    }

    #[test]
    fn subsets_and_halves_keep_items_whole() {
        let mut enc = BulkEncoder::new(1 << 20, Action::Create, None);
        for i in 0..5 {
            enc.push(
                "i",
                Some(&i.to_string()),
                format!("{{\"n\":{i}}}").as_bytes(),
            );
        }
        let body = enc.finish().expect("body");
        let sub = body.subset([1, 3]);
        assert_eq!(sub.len(), 2);
        assert_eq!(sub.document(1), b"{\"n\":3}");
        let (a, b) = body.halves();
        assert_eq!((a.len(), b.len()), (2, 3));
        assert_eq!([a.bytes, b.bytes].concat(), body.bytes.to_vec());
    }
}
