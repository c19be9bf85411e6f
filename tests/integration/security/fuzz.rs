//! A bounded fuzz of the HTTP edge. Random and adversarial GraphQL documents and bodies
//! (deep brackets, deep input objects, aliases by the thousand, fragment cycles and bombs,
//! huge strings, broken escapes, odd unicode, token soup from the schema's own names,
//! deep variables), then a hostile string in every string input of every mutation, as an
//! anonymous caller, a candidate and a program officer. Whatever arrives, the server
//! answers 200, 400, 401 or 413 with JSON whose every error carries a code, goes on
//! serving, and afterwards an ordinary email still goes out.
//!
//! `FUZZ_CASES` sets the number of random documents (default 400; more than that also sends
//! every mutation case as every actor rather than one in turn); `FUZZ_SEED` replays a run:
//! the seed is printed at the start and named in every failure.

use crate::support::graphql::User;
use crate::support::{TestApp, data};
use serde_json::{Map, Value, json};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const DEFAULT_CASES: usize = 400;

/// Mutations that would end the fuzzing actor's own session or roles, leaving the rest of
/// the run to exercise nothing but the sign-in check.
const SESSION_ENDING: &[&str] = &["logout", "changePassword", "revokeRole"];

/// splitmix64: deterministic from its seed, and no crate for a test.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    /// 1..=max, spread evenly over orders of magnitude so that both tiny and huge sizes
    /// come up in a short run.
    fn size(&mut self, max: usize) -> usize {
        let bits = (usize::BITS - max.leading_zeros()) as usize;
        let cap = 1usize << self.below(bits + 1);
        (1 + self.below(cap)).min(max)
    }
}

fn env_seed() -> u64 {
    let given = std::env::var("FUZZ_SEED").ok().and_then(|s| {
        let s = s.trim();
        match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        }
    });
    given.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    })
}

fn env_cases() -> usize {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

// ---------------------------------------------------------------------------------------
// The schema, as introspection tells it.

#[derive(Debug, Clone)]
enum Ty {
    NonNull(Box<Ty>),
    List(Box<Ty>),
    Named(String),
}

impl Ty {
    fn parse(v: &Value) -> Self {
        match v["kind"].as_str() {
            Some("NON_NULL") => Self::NonNull(Box::new(Self::parse(&v["ofType"]))),
            Some("LIST") => Self::List(Box::new(Self::parse(&v["ofType"]))),
            _ => Self::Named(v["name"].as_str().unwrap_or_default().to_owned()),
        }
    }

    fn text(&self) -> String {
        match self {
            Self::NonNull(t) => format!("{}!", t.text()),
            Self::List(t) => format!("[{}]", t.text()),
            Self::Named(n) => n.clone(),
        }
    }

    fn required(&self) -> bool {
        matches!(self, Self::NonNull(_))
    }

    fn named(&self) -> &str {
        match self {
            Self::NonNull(t) | Self::List(t) => t.named(),
            Self::Named(n) => n,
        }
    }
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    ty: Ty,
}

#[derive(Debug, Clone)]
struct Operation {
    name: String,
    args: Vec<Field>,
    /// Whether the result needs a selection set.
    composite: bool,
}

#[derive(Debug, Default)]
struct TypeDef {
    kind: String,
    enum_values: Vec<String>,
    input_fields: Vec<Field>,
}

struct Schema {
    queries: Vec<Operation>,
    mutations: Vec<Operation>,
    types: HashMap<String, TypeDef>,
    /// Every field, argument and type name, for token soup.
    names: Vec<String>,
}

const TYPE_REF: &str = "fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }";

async fn introspect(app: &TestApp) -> Schema {
    let query = format!(
        "{{ __schema {{
            queryType {{ fields {{ name args {{ name type {{ ...T }} }} type {{ ...T }} }} }}
            mutationType {{ fields {{ name args {{ name type {{ ...T }} }} type {{ ...T }} }} }}
            types {{ kind name enumValues {{ name }} inputFields {{ name type {{ ...T }} }} }}
        }} }}
        {TYPE_REF}"
    );
    let r = app.gql(&query, json!({})).await;
    let schema = &data(&r)["__schema"];
    let fields = |v: &Value| -> Vec<Field> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|f| Field {
                name: f["name"].as_str().unwrap_or_default().to_owned(),
                ty: Ty::parse(&f["type"]),
            })
            .collect()
    };
    let mut types = HashMap::new();
    for t in schema["types"].as_array().into_iter().flatten() {
        types.insert(
            t["name"].as_str().unwrap_or_default().to_owned(),
            TypeDef {
                kind: t["kind"].as_str().unwrap_or_default().to_owned(),
                enum_values: t["enumValues"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e["name"].as_str().map(str::to_owned))
                    .collect(),
                input_fields: fields(&t["inputFields"]),
            },
        );
    }
    let operations = |root: &Value| -> Vec<Operation> {
        root["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                let ty = Ty::parse(&f["type"]);
                let composite = types
                    .get(ty.named())
                    .is_some_and(|d| matches!(d.kind.as_str(), "OBJECT" | "INTERFACE" | "UNION"));
                Operation {
                    name: f["name"].as_str().unwrap_or_default().to_owned(),
                    args: fields(&f["args"]),
                    composite,
                }
            })
            .collect()
    };
    let queries = operations(&schema["queryType"]);
    let mutations = operations(&schema["mutationType"]);
    let mut names: Vec<String> = Vec::new();
    for op in queries.iter().chain(&mutations) {
        if SESSION_ENDING.contains(&op.name.as_str()) {
            continue;
        }
        names.push(op.name.clone());
        names.extend(op.args.iter().map(|a| a.name.clone()));
    }
    for (name, def) in &types {
        names.push(name.clone());
        names.extend(def.input_fields.iter().map(|f| f.name.clone()));
        names.extend(def.enum_values.iter().cloned());
    }
    names.sort();
    names.dedup();
    assert!(
        queries.len() > 5 && mutations.len() > 5 && !names.is_empty(),
        "introspection found too little: {r}"
    );
    Schema {
        queries,
        mutations,
        types,
        names,
    }
}

// ---------------------------------------------------------------------------------------
// Sending and judging one request.

/// What is posted: a GraphQL request as JSON, or bytes as they are.
enum Body {
    Json(Value),
    Raw {
        bytes: Vec<u8>,
        content_type: Option<&'static str>,
    },
}

impl Body {
    fn raw_json(text: String) -> Self {
        Self::Raw {
            bytes: text.into_bytes(),
            content_type: Some("application/json"),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Self::Json(v) => serde_json::to_vec(v).unwrap(),
            Self::Raw { bytes, .. } => bytes.clone(),
        }
    }

    fn content_type(&self) -> Option<&'static str> {
        match self {
            Self::Json(_) => Some("application/json"),
            Self::Raw { content_type, .. } => *content_type,
        }
    }
}

/// A readable excerpt of an input for a failure message: long enough to recognise, short
/// enough to read; control characters escaped.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text.chars().take(400).collect();
    if text.chars().count() > 400 {
        let _ = write!(out, "… ({} bytes in all)", bytes.len());
    }
    format!("{out:?}")
}

struct Fuzz<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    seed: u64,
    max_body: usize,
    requests: Cell<usize>,
    /// Inputs answered `INTERNAL`: what was sent and by whom, and the input.
    internal: RefCell<Vec<(String, String)>>,
}

impl Fuzz<'_> {
    fn fail(&self, label: &str, bytes: &[u8], why: &str) -> ! {
        panic!(
            "fuzz failure (replay with FUZZ_SEED={}) in {label}: {why}\ninput: {}",
            self.seed,
            excerpt(bytes)
        );
    }

    /// Posts `body` as the holder of `token` and checks the answer against the edge's
    /// promises; returns the answer (None when the server rightly hung up on an oversized
    /// body).
    async fn check(&self, label: &str, token: Option<&str>, body: &Body) -> Option<Value> {
        self.requests.set(self.requests.get() + 1);
        let bytes = body.bytes();
        let mut request = self.http.post(self.app.url("/graphql")).body(bytes.clone());
        if let Some(content_type) = body.content_type() {
            request = request.header("content-type", content_type);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = match request.send().await {
            Ok(response) => response,
            // An oversized body is refused before it is read; the server may close while
            // the client is still writing it.
            Err(_) if bytes.len() > self.max_body => return None,
            Err(e) => self.fail(label, &bytes, &format!("the connection failed: {e}")),
        };
        let status = response.status().as_u16();
        let text = match response.text().await {
            Ok(text) => text,
            Err(_) if bytes.len() > self.max_body => return None,
            Err(e) => self.fail(
                label,
                &bytes,
                &format!("HTTP {status}, body unreadable: {e}"),
            ),
        };
        if ![200, 400, 401, 413].contains(&status) {
            self.fail(label, &bytes, &format!("HTTP {status}: {text}"));
        }
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            self.fail(
                label,
                &bytes,
                &format!("HTTP {status}, not JSON ({e}): {text}"),
            )
        });
        let errors = value.get("errors").filter(|e| !e.is_null());
        match errors {
            Some(Value::Array(errors)) if !errors.is_empty() => {
                for error in errors {
                    let code = error["extensions"]["code"].as_str().unwrap_or_default();
                    if code.is_empty() {
                        self.fail(label, &bytes, &format!("an error without a code: {value}"));
                    }
                    // A coded internal error is still the server failing on client input;
                    // failed at the end rather than here, so that one run lists them all.
                    if code == "INTERNAL" {
                        self.internal
                            .borrow_mut()
                            .push((label.to_owned(), excerpt(&bytes)));
                    }
                }
            }
            Some(_) => self.fail(label, &bytes, &format!("malformed errors: {value}")),
            None if status != 200 => self.fail(
                label,
                &bytes,
                &format!("HTTP {status} without errors: {value}"),
            ),
            None if value.get("data").is_none() => {
                self.fail(label, &bytes, &format!("neither data nor errors: {value}"))
            }
            None => {}
        }
        Some(value)
    }

    /// The server still executes an ordinary query.
    async fn alive(&self, after: &str) {
        let body = Body::Json(json!({ "query": "{ __typename }" }));
        let r = self
            .check(&format!("the liveness check after {after}"), None, &body)
            .await;
        let r = r.unwrap_or_default();
        assert_eq!(
            r["data"]["__typename"],
            json!("Query"),
            "fuzz (FUZZ_SEED={}): the server stopped serving after {after}: {r}",
            self.seed
        );
    }
}

// ---------------------------------------------------------------------------------------
// Adversarial documents.

/// Characters that trip code written for ASCII: direction overrides, joiners, combining
/// marks, astral emoji, NUL and other controls, JavaScript's line separators, a BOM,
/// noncharacters, and letters whose case mapping changes their length.
const ODD: &[&str] = &[
    "\u{200F}",
    "\u{202E}",
    "\u{200D}",
    "\u{200B}",
    "e\u{0301}\u{0301}\u{0301}",
    "\u{1F600}",
    "\u{1F469}\u{200D}\u{1F4BB}",
    "\u{0}",
    "\u{1}",
    "\u{7F}",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{FEFF}",
    "\u{FFFD}",
    "\u{FFFF}",
    "\u{10FFFF}",
    "\u{E000}",
    "\r",
    "\r\n",
    "\t",
    "\u{B}",
    "ß",
    "İ",
    "\u{FDFD}",
    "ä€😀",
];

/// Escape sequences a GraphQL string may hold, and several it may not.
const ESCAPES: &[&str] = &[
    "\\uD800",
    "\\uDFFF",
    "\\uD800\\uDC00",
    "\\uDBFF\\uDFFF\\uDBFF",
    "\\u0000",
    "\\u{1F600}",
    "\\u{110000}",
    "\\u{D800}",
    "\\u{}",
    "\\u{FFFFFFFFFFFF}",
    "\\u12",
    "\\uZZZZ",
    "\\x41",
    "\\0",
    "\\",
    "\\\"",
    "\\n\\r\\t\\b\\f\\/",
];

const KEYWORDS: &[&str] = &[
    "query",
    "mutation",
    "subscription",
    "fragment",
    "on",
    "true",
    "false",
    "null",
    "schema",
    "type",
    "input",
    "extend",
    "directive",
    "__typename",
    "__schema",
    "__type",
];

const PUNCTUATION: &[&str] = &[
    "{", "}", "(", ")", "[", "]", ":", "!", "$", "@", "...", "..", "=", "|", "&", ",", "\"",
    "\"\"\"", "#", "-", ".",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "99999999999999999999999999999999999999",
    "1e999999",
    "-1e-999999",
    "1.7976931348623157e309",
    "NaN",
    "Infinity",
    "0x1F",
    "01",
    "1.",
    ".5",
    "1e",
];

const DIRECTIVES: &[&str] = &[
    "@include(if: true)",
    "@skip(if: false)",
    "@skip(if: $v)",
    "@deprecated",
    "@oneOf",
    "@unknown",
    "@include",
    "@defer",
    "@stream(initialCount: 1)",
];

fn odd_text(r: &mut Rng, len: usize) -> String {
    let mut out = String::new();
    while out.len() < len {
        if r.chance(60) {
            out.push(char::from(b'a' + r.below(26) as u8));
        } else {
            out.push_str(r.pick_str(ODD));
        }
    }
    out
}

/// A GraphQL string literal of odd content: escaped so that it still parses as a string
/// unless `broken` escapes are mixed in.
fn string_literal(r: &mut Rng, len: usize) -> String {
    let mut out = String::from("\"");
    for c in odd_text(r, len).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 && r.chance(70) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
        if r.chance(3) {
            out.push_str(r.pick_str(ESCAPES));
        }
    }
    out.push('"');
    out
}

fn brackets(r: &mut Rng, depth: usize, mismatched: bool) -> (String, String) {
    const KINDS: [(char, char); 3] = [('{', '}'), ('[', ']'), ('(', ')')];
    let uniform = r.chance(60);
    let first = r.below(3);
    let mut open = String::with_capacity(depth);
    let mut close = Vec::with_capacity(depth);
    for _ in 0..depth {
        let (o, c) = KINDS[if uniform { first } else { r.below(3) }];
        open.push(o);
        close.push(if mismatched && r.chance(10) {
            KINDS[r.below(3)].1
        } else {
            c
        });
    }
    close.reverse();
    (open, close.into_iter().collect())
}

/// A query field that takes arguments, with one of them, for putting values where the
/// parser has to read them.
fn field_with_arg<'a>(r: &mut Rng, schema: &'a Schema) -> (&'a str, &'a str) {
    let with_args: Vec<&Operation> = schema
        .queries
        .iter()
        .filter(|q| !q.args.is_empty())
        .collect();
    let op = *r.pick(&with_args);
    (&op.name, &r.pick(&op.args).name)
}

fn deep_brackets(r: &mut Rng, schema: &Schema) -> String {
    let depth = r.size(20_000);
    let mismatched = r.chance(20);
    let (open, close) = brackets(r, depth, mismatched);
    let close = if r.chance(15) { String::new() } else { close };
    match r.below(4) {
        0 => {
            let (field, arg) = field_with_arg(r, schema);
            format!("{{ {field}({arg}: {open}\"x\"{close}) {{ __typename }} }}")
        }
        1 => format!("{open}{close}"),
        2 => format!(
            "query {}{}",
            "a { ".repeat(depth.min(8000)),
            "}".repeat(depth.min(8000))
        ),
        _ => format!(
            "{{ {} __typename {} }}",
            "... on Query { ".repeat(depth.min(2000)),
            "}".repeat(depth.min(2000))
        ),
    }
}

fn deep_input_object(r: &mut Rng, schema: &Schema) -> String {
    let depth = r.size(5000);
    let (field, arg) = field_with_arg(r, schema);
    let key = r.pick(&schema.names).clone();
    let mut value = String::new();
    for _ in 0..depth {
        let _ = write!(value, "{{{key}: ");
        if r.chance(10) {
            value.push('[');
        }
    }
    value.push_str("null");
    // Closers in the right order are what the parser expects; sometimes it gets none.
    if r.chance(85) {
        let closing: String = value
            .chars()
            .rev()
            .filter_map(|c| match c {
                '{' => Some('}'),
                '[' => Some(']'),
                _ => None,
            })
            .collect();
        value.push_str(&closing);
    }
    format!("{{ {field}({arg}: {value}) {{ __typename }} }}")
}

fn aliases(r: &mut Rng, schema: &Schema) -> String {
    let n = r.size(5000);
    let mut out = String::from(if r.chance(20) { "mutation { " } else { "{ " });
    for i in 0..n {
        let alias = if r.chance(5) {
            format!("a{}{i}", r.pick(ODD))
        } else {
            format!("a{i}")
        };
        let field = if r.chance(70) {
            "__typename".to_owned()
        } else {
            let op = r.pick(&schema.queries);
            if op.composite {
                format!("{} {{ __typename }}", op.name)
            } else {
                op.name.clone()
            }
        };
        let _ = write!(out, "{alias}: {field} ");
    }
    out.push('}');
    out
}

fn fragments(r: &mut Rng, schema: &Schema) -> String {
    match r.below(5) {
        // A cycle of some length.
        0 => {
            let n = r.size(50);
            let mut out = String::from("{ ...F0 }\n");
            for i in 0..n {
                let _ = writeln!(
                    out,
                    "fragment F{i} on Query {{ __typename ...F{} }}",
                    (i + 1) % n
                );
            }
            out
        }
        // Each level spreads the next several times: width^depth fields in a few hundred
        // bytes.
        1 => {
            let width = 2 + r.below(4);
            let depth = r.size(64);
            let mut out = String::from("query { ...F0 }\n");
            for i in 0..depth {
                let spreads = format!("...F{} ", i + 1).repeat(width);
                let _ = writeln!(out, "fragment F{i} on Query {{ {spreads} }}");
            }
            let _ = writeln!(out, "fragment F{depth} on Query {{ __typename }}");
            out
        }
        2 => "{ ...A } fragment A on Query { ...A }".to_owned(),
        3 => {
            let op = r.pick(&schema.mutations).name.clone();
            format!(
                "mutation {{ ...M ...M }} fragment M on Mutation {{ {op} {{ __typename }} ...N }} fragment N on Mutation {{ ...M }}"
            )
        }
        _ => format!(
            "{{ ...Missing }} fragment X on {} {{ __typename }} fragment X on Query {{ a }}",
            r.pick(&schema.names)
        ),
    }
}

fn huge_string(r: &mut Rng, schema: &Schema) -> String {
    let len = r.size(60_000);
    let literal = string_literal(r, len);
    let (field, arg) = field_with_arg(r, schema);
    match r.below(3) {
        0 => format!("{{ {field}({arg}: {literal}) {{ __typename }} }}"),
        1 => format!("{{ __typename }} # {}", odd_text(r, len)),
        _ => format!(
            "{{ {field}({arg}: \"\"\"{}\"\"\") {{ __typename }} }}",
            odd_text(r, len)
        ),
    }
}

fn escapes(r: &mut Rng, schema: &Schema) -> String {
    let (field, arg) = field_with_arg(r, schema);
    let n = 1 + r.below(8);
    let inside: String = (0..n).map(|_| r.pick_str(ESCAPES)).collect();
    format!("{{ {field}({arg}: \"{inside}\") {{ __typename }} }}")
}

/// A valid document with odd characters dropped between and inside its tokens.
fn odd_unicode(r: &mut Rng, schema: &Schema) -> String {
    let (field, arg) = field_with_arg(r, schema);
    let base =
        format!("query Q($v: String) {{ __typename {field}({arg}: \"x\") {{ __typename }} }}");
    let mut chars: Vec<String> = base.chars().map(String::from).collect();
    for _ in 0..1 + r.below(6) {
        let at = r.below(chars.len() + 1);
        chars.insert(at, r.pick_str(ODD).to_owned());
    }
    chars.concat()
}

fn block_strings_and_comments(r: &mut Rng, schema: &Schema) -> String {
    let (field, arg) = field_with_arg(r, schema);
    let len = r.size(2000);
    let body = odd_text(r, len).replace("\"\"\"", "\\\"\"\"");
    let mut out = match r.below(4) {
        0 => format!("{{ {field}({arg}: \"\"\"{body}\\\"\"\"\"\"\") {{ __typename }} }}"),
        1 => format!("# {body}\r{{ __typename }}\r# {body}"),
        2 => format!("{{ __typename # {body}\n}}"),
        _ => format!("\"\"\"{body}\"\"\" query {{ __typename }}"),
    };
    if r.chance(20) {
        out.push_str("\"\"\"");
    }
    out
}

fn unterminated(r: &mut Rng, schema: &Schema) -> String {
    let (field, arg) = field_with_arg(r, schema);
    let cut = format!("{{ {field}({arg}: \"{}", odd_text(r, 20));
    let choices = [
        cut,
        format!("{{ {field}({arg}: \"\"\"abc"),
        "{".to_owned(),
        "\"".to_owned(),
        "query (".to_owned(),
        "query ($".to_owned(),
        "{ ...".to_owned(),
        "{ a(b: $".to_owned(),
        "{ a(b: [1, 2".to_owned(),
        "{ a(b: {c: 1".to_owned(),
        "{ __typename @".to_owned(),
        String::new(),
        " ".to_owned(),
        "\u{FEFF}".to_owned(),
        "#".to_owned(),
    ];
    r.pick(&choices).clone()
}

fn token_soup(r: &mut Rng, schema: &Schema) -> String {
    let n = r.size(400);
    let mut out = String::new();
    if r.chance(50) {
        out.push_str(r.pick_str(&["{ ", "query { ", "mutation { ", "subscription { "]));
    }
    for _ in 0..n {
        let token = match r.below(12) {
            0..=3 => r.pick(&schema.names).clone(),
            4 => r.pick_str(KEYWORDS).to_owned(),
            5..=6 => r.pick_str(PUNCTUATION).to_owned(),
            7 => r.pick_str(NUMBERS).to_owned(),
            8 => {
                let len = r.size(40);
                string_literal(r, len)
            }
            9 => format!("${}", r.pick(&schema.names)),
            10 => r.pick_str(DIRECTIVES).to_owned(),
            _ => r.pick_str(ODD).to_owned(),
        };
        out.push_str(&token);
        out.push_str(r.pick_str(&[" ", " ", "\n", ",", "\t", "", "\u{FEFF}", "\r"]));
    }
    if r.chance(50) {
        out.push_str(" }");
    }
    out
}

fn directives_and_operations(r: &mut Rng, _schema: &Schema) -> String {
    let n = r.size(2000);
    match r.below(4) {
        0 => format!("{{ __typename {} }}", r.pick(DIRECTIVES).repeat(n)),
        1 => "query A { __typename } query A { __typename } { __typename }".to_owned(),
        2 => "subscription { __typename }".to_owned(),
        _ => format!(
            "query Q({}) {{ __typename }}",
            (0..n)
                .map(|i| format!("$v{i}: String "))
                .collect::<String>()
        ),
    }
}

/// A request whose variables, or the request object itself, hold deep or odd JSON: built
/// as text, because building and dropping a deep `serde_json::Value` would recurse in the
/// test itself.
fn deep_variables(r: &mut Rng) -> Body {
    let depth = r.size(20_000);
    let (open, close): (String, String) = if r.chance(50) {
        ("[".repeat(depth), "]".repeat(depth))
    } else {
        ("{\"a\":".repeat(depth), "}".repeat(depth))
    };
    let close = if r.chance(10) { String::new() } else { close };
    let leaf = r.pick_str(&[
        "1",
        "null",
        "\"x\"",
        "1e999",
        "-0",
        "18446744073709551616",
        "\"\\ud800\"",
    ]);
    let deep = format!("{open}{leaf}{close}");
    let query = r#""query($v: String) { __typename }""#;
    let text = match r.below(4) {
        0 => format!(r#"{{"query":{query},"variables":{{"v":{deep}}}}}"#),
        1 => format!(r#"{{"query":{query},"extensions":{deep}}}"#),
        2 => format!(r#"{{"query":{query},"variables":{deep}}}"#),
        _ => format!(r#"{{"query":{query},"operationName":{deep}}}"#),
    };
    Body::raw_json(text)
}

/// Bodies that are not the request the endpoint expects.
fn odd_body(r: &mut Rng) -> Body {
    let raw = |bytes: &[u8], content_type| Body::Raw {
        bytes: bytes.to_vec(),
        content_type,
    };
    let json = Some("application/json");
    match r.below(22) {
        0 => raw(b"[]", json),
        1 => raw(b"[{\"query\":\"{ __typename }\"},{\"query\":\"{ __typename }\"}]", json),
        2 => raw(b"null", json),
        3 => raw(b"\"{ __typename }\"", json),
        4 => raw(b"{}", json),
        5 => raw(b"{\"query\":null}", json),
        6 => raw(b"{\"query\":5}", json),
        7 => raw(b"{\"query\":\"{ __typename }\",\"variables\":\"x\"}", json),
        8 => raw(b"{\"query\":\"{ __typename }\",\"variables\":[1]}", json),
        9 => raw(
            b"{\"query\":\"{ __typename }\",\"extensions\":{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"00\"}}}",
            json,
        ),
        10 => raw(b"{\"query\":\"{ __typename }\"", json),
        11 => raw(b"{\"query\":\"{ __typename }\"} trailing", json),
        12 => raw(b"\xEF\xBB\xBF{\"query\":\"{ __typename }\"}", json),
        13 => raw(b"{\"query\":\"{ a(b: \\\"\xff\xfe\\\") }\"}", json),
        14 => raw(b"{\"query\":\"{ a(b: \\\"\\ud800\\\") }\"}", json),
        15 => raw(b"{\"query\":\"{ __typename }\",\"query\":\"mutation { logout { ok } }\"}", json),
        16 => raw(b"{ __typename }", Some("application/graphql")),
        17 => raw(b"query={ __typename }", Some("application/x-www-form-urlencoded")),
        18 => raw(b"{\"query\":\"{ __typename }\"}", None),
        19 => raw(
            b"--b\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"{ __typename }\"}\r\n--b--\r\n",
            Some("multipart/form-data; boundary=b"),
        ),
        20 => raw(b"--x\r\n\r\n", Some("multipart/form-data")),
        // Past the body limit: refused with 413 before it is read.
        _ => {
            let mut body = b"{\"query\":\"{ __typename }\",\"variables\":{\"v\":\"".to_vec();
            body.extend(std::iter::repeat_n(b'x', 1024 * 1024 + 1 + r.below(1024 * 1024)));
            body.extend_from_slice(b"\"}}");
            raw(&body, json)
        }
    }
}

/// A request with variables of odd values and odd names, against a real field.
fn odd_variable_values(r: &mut Rng, schema: &Schema) -> Body {
    let (field, arg) = field_with_arg(r, schema);
    let len = r.size(20_000);
    let value = match r.below(7) {
        0 => json!(odd_text(r, len)),
        1 => json!({ r.pick(&schema.names).clone(): odd_text(r, 10) }),
        2 => json!([1, "x", null, {"a": []}]),
        3 => json!(i64::MIN),
        4 => json!(f64::MAX),
        5 => json!(true),
        _ => json!(null),
    };
    let ty = r.pick_str(&[
        "String", "String!", "ID", "Int", "[String]", "JSON", "Upload", "Nope",
    ]);
    Body::Json(json!({
        "query": format!("query($v: {ty}) {{ {field}({arg}: $v) {{ __typename }} }}"),
        "variables": { "v": value, odd_text(r, 5): 1 },
        "operationName": if r.chance(20) { json!(odd_text(r, 5)) } else { Value::Null },
    }))
}

fn random_body(r: &mut Rng, schema: &Schema) -> (&'static str, Body) {
    let document = |f: fn(&mut Rng, &Schema) -> String, r: &mut Rng| {
        Body::Json(json!({ "query": f(r, schema) }))
    };
    match r.below(15) {
        0 => ("deep brackets", document(deep_brackets, r)),
        1 => ("deep input object", document(deep_input_object, r)),
        2 => ("aliases", document(aliases, r)),
        3 => ("fragments", document(fragments, r)),
        4 => ("huge string", document(huge_string, r)),
        5 => ("escapes", document(escapes, r)),
        6 => ("odd unicode", document(odd_unicode, r)),
        7 => (
            "block strings and comments",
            document(block_strings_and_comments, r),
        ),
        8 => ("unterminated", document(unterminated, r)),
        9 | 10 => ("token soup", document(token_soup, r)),
        11 => (
            "directives and operations",
            document(directives_and_operations, r),
        ),
        12 => ("deep variables", deep_variables(r)),
        13 => ("odd variable values", odd_variable_values(r, schema)),
        _ => ("odd body", odd_body(r)),
    }
}

// ---------------------------------------------------------------------------------------
// Every string input of every mutation.

/// Scalars a client sends as strings.
const STRINGY: &[&str] = &["String", "ID", "DateTime", "NaiveDate"];

fn hostile_strings() -> Vec<(&'static str, String)> {
    vec![
        ("header injection", "a\r\nBcc: x@evil.example".to_owned()),
        (
            "address header injection",
            "fuzz@example.org\r\nBcc: x@evil.example".to_owned(),
        ),
        ("NUL", "\u{0}".to_owned()),
        ("right-to-left override", "\u{202E}".to_owned()),
        // Multi-byte characters whose boundaries fall off every power of two, for code
        // that cuts by bytes.
        ("10 KB", "ä€😀".repeat(1138)),
        ("formula", "=cmd|' /C calc'!A0".to_owned()),
    ]
}

/// Paths (field names from the argument down) to every string-like leaf of `ty`.
fn string_paths(
    schema: &Schema,
    ty: &Ty,
    path: &mut Vec<String>,
    visiting: &mut Vec<String>,
    out: &mut Vec<Vec<String>>,
) {
    let name = ty.named();
    if STRINGY.contains(&name) {
        out.push(path.clone());
        return;
    }
    if let Some(def) = schema.types.get(name)
        && def.kind == "INPUT_OBJECT"
        && !visiting.iter().any(|v| v == name)
    {
        visiting.push(name.to_owned());
        for f in &def.input_fields {
            path.push(f.name.clone());
            string_paths(schema, &f.ty, path, visiting, out);
            path.pop();
        }
        visiting.pop();
    }
}

/// A value a form would plausibly hold, so that validation reaches the hostile field.
fn plausible(scalar: &str, field: &str) -> Value {
    let field = field.to_ascii_lowercase();
    match scalar {
        "ID" => json!("1"),
        "Int" => json!(1),
        "Float" => json!(1.5),
        "Boolean" => json!(true),
        "DateTime" => json!("2030-01-01T09:00:00Z"),
        "NaiveDate" => json!("2030-01-01"),
        "JSON" => json!({}),
        "Upload" => Value::Null,
        _ if field.contains("email") => json!("fuzz.someone@example.org"),
        _ if field.contains("password") => json!("a fine long passphrase 42"),
        _ if field.contains("url") || field.contains("website") => json!("https://example.org"),
        _ if field.contains("phone") => json!("+15555550100"),
        _ if field.contains("country") => json!("GB"),
        _ if field.contains("currency") => json!("GBP"),
        _ => json!("Plausible text"),
    }
}

/// A value of `ty` with its required fields filled plausibly and `hostile` at `target`
/// (a path below this value), creating the optional objects on the way to it.
fn value_of(
    schema: &Schema,
    ty: &Ty,
    field: &str,
    target: Option<&[String]>,
    hostile: &str,
    depth: usize,
) -> Value {
    if depth > 12 {
        return Value::Null;
    }
    match ty {
        Ty::NonNull(t) => value_of(schema, t, field, target, hostile, depth),
        Ty::List(t) => Value::Array(vec![value_of(schema, t, field, target, hostile, depth + 1)]),
        Ty::Named(name) => {
            if target.is_some_and(<[String]>::is_empty) {
                return json!(hostile);
            }
            match schema.types.get(name) {
                Some(def) if def.kind == "INPUT_OBJECT" => {
                    let mut object = Map::new();
                    for f in &def.input_fields {
                        let below = target
                            .and_then(<[String]>::split_first)
                            .filter(|(head, _)| **head == f.name)
                            .map(|(_, rest)| rest);
                        if f.ty.required() || below.is_some() {
                            let v = value_of(schema, &f.ty, &f.name, below, hostile, depth + 1);
                            object.insert(f.name.clone(), v);
                        }
                    }
                    Value::Object(object)
                }
                Some(def) if def.kind == "ENUM" => json!(def.enum_values.first()),
                _ => plausible(name, field),
            }
        }
    }
}

struct MutationCase {
    mutation: String,
    target: String,
    hostile: &'static str,
    /// Which actor sends this case when not every actor sends every case: consecutive
    /// hostile strings for one input go to different actors.
    rotation: usize,
    query: String,
    variables: Value,
}

/// One request per mutation × string-like input × hostile string.
fn mutation_cases(schema: &Schema) -> Vec<MutationCase> {
    let hostile = hostile_strings();
    let mut cases = Vec::new();
    let mut rotation = 0;
    for op in &schema.mutations {
        if SESSION_ENDING.contains(&op.name.as_str()) || op.args.is_empty() {
            continue;
        }
        let declarations: Vec<String> = op
            .args
            .iter()
            .map(|a| format!("${}: {}", a.name, a.ty.text()))
            .collect();
        let arguments: Vec<String> = op
            .args
            .iter()
            .map(|a| format!("{0}: ${0}", a.name))
            .collect();
        let selection = if op.composite { " { __typename }" } else { "" };
        let query = format!(
            "mutation Fuzz({}) {{ {}({}){selection} }}",
            declarations.join(", "),
            op.name,
            arguments.join(", ")
        );
        let mut targets = Vec::new();
        for arg in &op.args {
            let mut path = vec![arg.name.clone()];
            string_paths(schema, &arg.ty, &mut path, &mut Vec::new(), &mut targets);
        }
        for target in targets {
            rotation += 1;
            for (i, (what, text)) in hostile.iter().enumerate() {
                let mut variables = Map::new();
                for arg in &op.args {
                    let below = target
                        .split_first()
                        .filter(|(head, _)| **head == arg.name)
                        .map(|(_, rest)| rest);
                    if arg.ty.required() || below.is_some() {
                        let v = value_of(schema, &arg.ty, &arg.name, below, text, 0);
                        variables.insert(arg.name.clone(), v);
                    }
                }
                cases.push(MutationCase {
                    mutation: op.name.clone(),
                    target: target.join("."),
                    hostile: what,
                    rotation: rotation + i,
                    query: query.clone(),
                    variables: Value::Object(variables),
                });
            }
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn hostile_documents_and_inputs_never_break_the_edge_or_the_mail() {
    let seed = env_seed();
    let cases = env_cases();
    println!("fuzz: FUZZ_SEED={seed} FUZZ_CASES={cases}");
    let app = TestApp::start().await;
    let candidate: User = app
        .signed_up_user("fuzz.candidate@example.org", "Fay Fuzz")
        .await;
    let officer: User = app.officer("fuzz.officer@example.org").await;
    let schema = introspect(&app).await;
    let fuzz = Fuzz {
        app: &app,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        seed,
        max_body: infra::settings::EdgeSettings::default().max_body_bytes,
        requests: Cell::new(0),
        internal: RefCell::new(Vec::new()),
    };
    let started = Instant::now();

    // Each case draws from its own stream, so a failing case replays from the seed alone.
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for case in 0..cases {
        let mut r = Rng::new(seed ^ (case as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let (kind, body) = random_body(&mut r, &schema);
        *kinds.entry(kind).or_default() += 1;
        let label = format!("case {case} ({kind})");
        fuzz.check(&format!("{label}, anonymous"), None, &body)
            .await;
        fuzz.check(
            &format!("{label}, signed in"),
            Some(&candidate.token),
            &body,
        )
        .await;
        fuzz.alive(&label).await;
    }
    let documents_took = started.elapsed();

    // The candidate's session survived the documents, so the mutations below run signed in.
    let me = app.me(&candidate.token).await;
    assert_eq!(data(&me)["me"]["id"], json!(candidate.id), "{me}");

    let mutation_started = Instant::now();
    let cases_by_mutation = mutation_cases(&schema);
    let mut slowest = (Duration::ZERO, String::new());
    let actors = [
        ("anonymous", None),
        ("candidate", Some(candidate.token.as_str())),
        ("officer", Some(officer.token.as_str())),
    ];
    // By default each hostile string reaches each input once, from one of the actors in
    // turn (the turn offset by the seed); a longer run sends every case as every actor.
    let every_actor = cases > DEFAULT_CASES;
    let offset = (seed % 3) as usize;
    // One request at a time, so that a seed replays the same answers; running these
    // concurrently made them no faster on two cores.
    for group in cases_by_mutation.chunk_by(|a, b| a.mutation == b.mutation) {
        for case in group {
            for (i, (actor, token)) in actors.iter().enumerate() {
                if !every_actor && (case.rotation + offset) % 3 != i {
                    continue;
                }
                let label = format!(
                    "{} with a hostile {} ({}), as {actor}",
                    case.mutation, case.target, case.hostile
                );
                let body = Body::Json(json!({ "query": case.query, "variables": case.variables }));
                let one = Instant::now();
                fuzz.check(&label, *token, &body).await;
                let took = one.elapsed();
                if took > slowest.0 {
                    slowest = (took, label);
                }
            }
        }
        fuzz.alive(&group[0].mutation).await;
    }
    let mutations_took = mutation_started.elapsed();

    // The worker is still delivering, ahead of whatever the fuzz queued: an ordinary
    // registration's email arrives.
    app.register(
        "after.fuzz@example.org",
        "Afton After",
        crate::support::PASSWORD,
    )
    .await;
    app.verification_token("after.fuzz@example.org").await;
    // No hostile header reached a message.
    let messages = app.smtp.messages();
    for m in &messages {
        assert!(
            !m.recipients.iter().any(|r| r.contains("evil.example")),
            "fuzz (FUZZ_SEED={seed}): a message went to {:?}",
            m.recipients
        );
        let head = m.raw.split("\r\n\r\n").next().unwrap_or_default();
        assert!(
            !head
                .split("\r\n")
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "fuzz (FUZZ_SEED={seed}): a message carries an injected header:\n{head}"
        );
    }

    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort();
    println!(
        "fuzz: seed {seed}: {cases} documents ×2 actors in {:.1}s, {} mutation inputs ×{} in {:.1}s (slowest {:.2}s: {}), {} requests, {} emails delivered, {:.1}s in all; kinds {kinds:?}",
        documents_took.as_secs_f64(),
        cases_by_mutation.len(),
        if every_actor {
            "3 actors"
        } else {
            "1 actor in turn"
        },
        mutations_took.as_secs_f64(),
        slowest.0.as_secs_f64(),
        slowest.1,
        fuzz.requests.get(),
        messages.len(),
        started.elapsed().as_secs_f64(),
    );
    // Printed after the summary so that a failing run still reports its size and time.
    let internal = fuzz.internal.take();
    if !internal.is_empty() {
        let labels: Vec<&str> = internal.iter().map(|(label, _)| label.as_str()).collect();
        let inputs: Vec<&str> = internal
            .iter()
            .take(3)
            .map(|(_, input)| input.as_str())
            .collect();
        panic!(
            "fuzz (FUZZ_SEED={seed}): {} inputs were answered INTERNAL (a client's mistake \
             reported and logged as the server's):\n{}\nthe first inputs:\n{}",
            internal.len(),
            labels.join("\n"),
            inputs.join("\n")
        );
    }
    app.stop().await;
}
