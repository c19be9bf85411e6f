//! Parsed GraphQL documents kept by their text, so that the handful of operations a client
//! sends over and over are parsed once, not on every request.
//!
//! Parsing was a measurable share of the API's CPU for a candidate's progress page.
//! Validation, the depth and complexity limits and execution still run for every request:
//! only the text-to-tree step is skipped. The cache is bounded in entries and in the size
//! of a text it keeps; when full, the entry used longest ago makes room.

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;
use std::collections::HashMap;
use std::sync::Mutex;

/// Texts longer than this are parsed every time: a client's own operations are far
/// shorter, and a bound keeps the cache's memory small whatever is sent.
const MAX_TEXT: usize = 16 * 1024;

pub struct ParsedDocuments {
    capacity: usize,
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    /// Document and the tick of its last use.
    by_text: HashMap<String, (ExecutableDocument, u64)>,
    tick: u64,
}

impl ParsedDocuments {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Entries::default()),
        }
    }

    /// `request` with its document parsed: from the cache, or parsed now and kept. A text
    /// that does not parse is left for the executor to report as it always does.
    pub fn prepare(&self, mut request: Request) -> Request {
        if self.capacity == 0 || request.query.len() > MAX_TEXT {
            return request;
        }
        if let Some(doc) = self.get(&request.query) {
            request.set_parsed_query(doc);
            return request;
        }
        let parsed = request.parsed_query().ok().cloned();
        if let Some(doc) = parsed {
            self.put(request.query.clone(), doc);
        }
        request
    }

    fn get(&self, text: &str) -> Option<ExecutableDocument> {
        let mut entries = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        entries.tick += 1;
        let tick = entries.tick;
        let (doc, used) = entries.by_text.get_mut(text)?;
        *used = tick;
        Some(doc.clone())
    }

    fn put(&self, text: String, doc: ExecutableDocument) {
        let mut entries = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if entries.by_text.len() >= self.capacity && !entries.by_text.contains_key(&text) {
            let oldest = entries
                .by_text
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                entries.by_text.remove(&k);
            }
        }
        entries.tick += 1;
        let tick = entries.tick;
        entries.by_text.insert(text, (doc, tick));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .by_text
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(cache: &ParsedDocuments, text: &str) -> Request {
        cache.prepare(Request::new(text))
    }

    #[test]
    fn a_text_seen_before_comes_back_parsed_without_parsing() {
        let cache = ParsedDocuments::new(4);
        let mut first = prepared(&cache, "{ a }");
        assert!(first.parsed_query().is_ok());
        assert_eq!(cache.len(), 1);
        // The cached document answers even though this request's text was never parsed:
        // kept under another text, it is what that text gets.
        let other = async_graphql::parser::parse_query("{ b }").expect("parses");
        cache.put("{ a }".to_owned(), other.clone());
        let mut again = prepared(&cache, "{ a }");
        let doc = again.parsed_query().expect("cached").clone();
        assert_eq!(format!("{doc:?}"), format!("{other:?}"));
        assert_ne!(
            format!("{doc:?}"),
            format!("{:?}", first.parsed_query().unwrap())
        );
    }

    #[test]
    fn a_text_that_does_not_parse_is_left_to_the_executor_and_not_kept() {
        let cache = ParsedDocuments::new(4);
        let mut r = prepared(&cache, "{ a ");
        assert!(r.parsed_query().is_err());
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn when_full_the_entry_used_longest_ago_makes_room() {
        let cache = ParsedDocuments::new(2);
        prepared(&cache, "{ a }");
        prepared(&cache, "{ b }");
        prepared(&cache, "{ a }");
        prepared(&cache, "{ c }");
        assert_eq!(cache.len(), 2);
        let entries = cache.inner.lock().unwrap();
        assert!(entries.by_text.contains_key("{ a }"));
        assert!(entries.by_text.contains_key("{ c }"));
        assert!(!entries.by_text.contains_key("{ b }"));
    }

    #[test]
    fn long_texts_and_a_zero_capacity_are_not_kept() {
        let long = format!("{{ {} }}", "a ".repeat(MAX_TEXT));
        let cache = ParsedDocuments::new(2);
        prepared(&cache, &long);
        assert_eq!(cache.len(), 0);
        let none = ParsedDocuments::new(0);
        prepared(&none, "{ a }");
        assert_eq!(none.len(), 0);
    }
}
