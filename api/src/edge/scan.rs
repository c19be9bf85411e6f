//! Nesting depth of a GraphQL document or a JSON text, found by one flat pass over its
//! bytes. The parsers that run afterwards are recursive: a few kilobytes of `[[[[…` would
//! overflow a worker thread's stack before any limit of theirs could look at the tree.

/// How deeply brackets nest in a GraphQL document: `{`, `[` and `(`, outside strings,
/// block strings and comments. Stops counting at `limit + 1`.
pub fn graphql_nesting(text: &str, limit: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > limit {
                    return deepest;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// How deeply `{` and `[` nest in a JSON text, outside strings. Stops counting at
/// `limit + 1`.
pub fn json_nesting(bytes: &[u8], limit: usize) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                    if deepest > limit {
                        return deepest;
                    }
                }
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        i += 1;
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_brackets_of_every_kind_count() {
        assert_eq!(graphql_nesting("{ a }", 32), 1);
        assert_eq!(graphql_nesting("{ a(x: [[{ b: 1 }]]) { c } }", 32), 5);
        assert_eq!(graphql_nesting("query($v: [[Int]]) { a }", 32), 3);
    }

    #[test]
    fn brackets_in_strings_block_strings_and_comments_do_not_count() {
        assert_eq!(graphql_nesting(r#"{ a(x: "[[[[{{{(") }"#, 32), 2);
        assert_eq!(graphql_nesting(r#"{ a(x: "\"[[[") }"#, 32), 2);
        assert_eq!(
            graphql_nesting("{ a(x: \"\"\"[[[ \\\"\"\" [[[\"\"\") }", 32),
            2
        );
        assert_eq!(graphql_nesting("{ a # [[[[[\n }", 32), 1);
    }

    #[test]
    fn counting_stops_just_past_the_limit() {
        let deep = format!(
            "{{ a(x: {}1{}) }}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(graphql_nesting(&deep, 32), 33);
        let unclosed = "{".repeat(10);
        assert_eq!(graphql_nesting(&unclosed, 32), 10);
    }

    #[test]
    fn json_nesting_skips_strings() {
        assert_eq!(
            json_nesting(br#"{"query":"{ [[[[ }","variables":{"a":[1]}}"#, 32),
            3
        );
        assert_eq!(json_nesting(br#"{"a":"\"[[["}"#, 32), 1);
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(json_nesting(deep.as_bytes(), 32), 33);
    }
}
