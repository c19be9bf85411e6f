//! The JSON Canonicalization Scheme against RFC 8785's own examples, and against the
//! independent `serde_jcs` implementation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use credentials::canonicalize;
use serde_json::{Value, json};

fn canonical(json_text: &str) -> String {
    let value: Value = serde_json::from_str(json_text).unwrap();
    canonicalize(&value).unwrap()
}

/// RFC 8785 §3.2.3: names sort by UTF-16 code units, so the emoji (a surrogate pair starting
/// 0xD83D) sorts before U+FB33 although its code point is larger.
#[test]
fn object_members_sort_by_utf16_code_units() {
    let input = r#"{
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
        \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
        \"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
    assert_eq!(canonical(input), expected);
}

/// RFC 8785 §3.2.4: the complete example (number formatting, string escaping, literals,
/// member order).
#[test]
fn the_rfc_8785_example_canonicalizes_exactly() {
    let input = r#"{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
    }"#;
    let expected = r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#;
    assert_eq!(canonical(input), expected);
}

#[test]
fn strings_escape_only_quotes_backslashes_and_control_characters() {
    let value = json!("tab\there\u{1}\u{1f}\u{7f}\u{8}\u{c}/\u{2028}é");
    assert_eq!(
        canonicalize(&value).unwrap(),
        "\"tab\\there\\u0001\\u001f\u{7f}\\b\\f/\u{2028}é\""
    );
}

#[test]
fn integers_print_without_fraction_or_exponent() {
    assert_eq!(
        canonical("[0, -0, 1, -1, 10, 100.0, 1e3, 131072, 9007199254740991]"),
        "[0,0,1,-1,10,100,1000,131072,9007199254740991]"
    );
    assert_eq!(
        canonical("[-0.0, 1e21, 1e20, 0.1, 1e-7, 123e-10]"),
        "[0,1e+21,100000000000000000000,0.1,1e-7,1.23e-8]"
    );
}

#[test]
fn nesting_and_whitespace_do_not_matter() {
    let a = canonical(r#"{ "b" : [ 1 , { "y":true, "x":null } ], "a" : "" }"#);
    let b = canonical(r#"{"a":"","b":[1,{"x":null,"y":true}]}"#);
    assert_eq!(a, b);
    assert_eq!(a, r#"{"a":"","b":[1,{"x":null,"y":true}]}"#);
}

/// A small deterministic generator, so the comparison is reproducible.
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn doubles_canonicalize_as_the_serde_jcs_crate_does() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut checked = 0;
    while checked < 100_000 {
        let bits = rng.next();
        // Every third value is a "human" decimal rather than random bits.
        let x = if checked % 3 == 0 {
            let mantissa = (bits % 2_000_000) as f64 - 1_000_000.0;
            let exponent = ((bits >> 32) % 60) as i32 - 30;
            mantissa * 10f64.powi(exponent)
        } else {
            f64::from_bits(bits)
        };
        if !x.is_finite() {
            continue;
        }
        let ours = canonicalize(&json!(x)).unwrap();
        let theirs = serde_jcs::to_string(&x).unwrap();
        assert_eq!(ours, theirs, "{x:e} ({bits:016x})");
        checked += 1;
    }
}

#[test]
fn documents_canonicalize_as_the_serde_jcs_crate_does() {
    let document = json!({
        "z": {"\u{10000}": 1, "\u{ffff}": 2, "a": [1.5, -2, "x\u{0}y"]},
        "é": null,
        "A": [true, false, {"k": "v"}],
        "": 0.000001,
        "emoji 😀": "\u{1f}\"\\",
    });
    assert_eq!(
        canonicalize(&document).unwrap(),
        serde_jcs::to_string(&document).unwrap()
    );
}

/// Between 2^50 and 2^51 doubles are multiples of 0.25, so N.25 and N.75 lie exactly halfway
/// between two 17-digit renderings that both round-trip: ECMAScript takes the even one.
#[test]
fn exact_ties_round_to_the_even_digit_as_ecmascript_does() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    for _ in 0..10_000 {
        let n = (1u64 << 50) + rng.next() % (1u64 << 49);
        for (fraction, digit) in [(0.25, 2), (0.75, 8)] {
            let x = n as f64 + fraction;
            let expected = format!("{n}.{digit}");
            assert_eq!(canonicalize(&json!(x)).unwrap(), expected);
            assert_eq!(serde_jcs::to_string(&x).unwrap(), expected);
        }
    }
}
