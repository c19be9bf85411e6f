//! JSON Canonicalization Scheme ([RFC 8785]), the "transformation" of `eddsa-jcs-2022`.
//!
//! Hand-rolled rather than taken from a crate so that the signing path depends on nothing
//! whose output could change under us; the test suite checks it against the RFC's examples
//! and against the independent `serde_jcs` implementation.
//!
//! [RFC 8785]: https://www.rfc-editor.org/rfc/rfc8785

use std::fmt::Write as _;

use serde_json::{Number, Value};

use crate::error::{CredentialError, Result};

/// Serializes `value` in its RFC 8785 canonical form.
///
/// * Object members are sorted by their names compared as arrays of UTF-16 code units
///   (§3.2.3), which differs from Rust's UTF-8 ordering for characters beyond U+FFFF.
/// * Strings escape only `"`, `\` and U+0000–U+001F, the latter as `\b \t \n \f \r` or as
///   lowercase `\u00xx` (§3.2.2.2); everything else, `/` and non-ASCII included, is literal.
/// * Numbers are serialized as ECMAScript's `Number.prototype.toString` does (§3.2.2.3):
///   `1`, `-0.5`, `1e+21`, `5e-324`, `-0` as `0`.
/// * No whitespace.
///
/// # Errors
///
/// RFC 8785 treats every number as an IEEE 754 double. An integer that a double cannot hold
/// exactly (beyond 2^53 and not a multiple of the lost precision) would be silently changed by
/// canonicalization, so it is refused with [`CredentialError::Canonicalization`] instead.
pub fn canonicalize(value: &Value) -> Result<String> {
    let mut out = String::new();
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut String) -> Result<()> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (name, member)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(name, out);
                out.push(':');
                write_value(member, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                // Infallible: writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_number(n: &Number, out: &mut String) -> Result<()> {
    let refuse = |why: &str| CredentialError::Canonicalization(format!("the number {n} {why}"));
    let double = if let Some(i) = n.as_i64() {
        #[allow(clippy::cast_precision_loss)]
        let d = i as f64;
        // `d as i64` saturates at i64::MAX, which is 2^63 - 1 ≠ 2^63 = d: still caught.
        #[allow(clippy::cast_possible_truncation)]
        let exact = d as i64 == i && d != 9_223_372_036_854_775_808.0;
        if !exact {
            return Err(refuse("is not exactly representable as an IEEE 754 double"));
        }
        d
    } else if let Some(u) = n.as_u64() {
        #[allow(clippy::cast_precision_loss)]
        let d = u as f64;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let exact = d as u64 == u && d != 18_446_744_073_709_551_616.0;
        if !exact {
            return Err(refuse("is not exactly representable as an IEEE 754 double"));
        }
        d
    } else if let Some(f) = n.as_f64() {
        f
    } else {
        return Err(refuse("cannot be read as a number"));
    };
    write_double(double, out).map_err(|()| refuse("is not finite"))
}

/// ECMAScript `Number::toString(x)` (ECMA-262 §6.1.6.1.20) for a finite double.
fn write_double(x: f64, out: &mut String) -> Result<(), ()> {
    if !x.is_finite() {
        return Err(());
    }
    if x == 0.0 {
        // Both +0 and -0.
        out.push('0');
        return Ok(());
    }
    if x < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` prints the shortest digit string that round-trips, the closest to the
    // value when several are as short: the `s`, `k` and `n` of the ECMAScript algorithm,
    // except for exact ties, settled below.
    let (mut digits, mut n) = significant_digits(&format!("{:e}", x.abs()))?;
    // When two shortest digit strings are equally close, ECMAScript takes the even one.
    if let Some((even, even_n)) = even_tie_alternative(x.abs(), &digits, n)? {
        digits = even;
        n = even_n;
    }
    let digits = digits.as_str();
    let k = i32::try_from(digits.len()).map_err(|_| ())?;
    if k <= n && n <= 21 {
        // Integer: the digits followed by n - k zeros.
        out.push_str(digits);
        out.extend(std::iter::repeat_n(
            '0',
            usize::try_from(n - k).map_err(|_| ())?,
        ));
    } else if 0 < n && n <= 21 {
        // Decimal point inside the digits.
        let split = usize::try_from(n).map_err(|_| ())?;
        out.push_str(&digits[..split]);
        out.push('.');
        out.push_str(&digits[split..]);
    } else if -6 < n && n <= 0 {
        // 0.000ddd
        out.push_str("0.");
        out.extend(std::iter::repeat_n(
            '0',
            usize::try_from(-n).map_err(|_| ())?,
        ));
        out.push_str(digits);
    } else {
        // Exponential: d[.ddd]e±(n-1)
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n - 1 < 0 { '-' } else { '+' });
        let _ = write!(out, "{}", (n - 1).unsigned_abs());
    }
    Ok(())
}

/// The significant digits (no trailing zeros) and the ECMAScript `n` (value = 0.digits ×
/// 10^n) of a Rust `{:e}` rendering such as `1.2345e-7`.
fn significant_digits(scientific: &str) -> Result<(String, i32), ()> {
    let (mantissa, exponent) = scientific.split_once('e').ok_or(())?;
    let exponent: i32 = exponent.parse().map_err(|_| ())?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    Ok((digits.to_owned(), exponent + 1))
}

/// ECMA-262 `Number::toString` step 5: among the shortest digit strings that round-trip,
/// the closest to the value, and of two equally close the even one. Rust's shortest
/// formatting settles such exact ties the other way in some cases (RFC 8785 Appendix B,
/// 1424953923781206.25 → `…206.2`), so when the value lies exactly halfway between the
/// shortest rendering and its neighbour, the even neighbour is returned if it round-trips.
fn even_tie_alternative(x: f64, digits: &str, n: i32) -> Result<Option<(String, i32)>, ()> {
    let last = digits.bytes().last().ok_or(())?;
    if (last - b'0').is_multiple_of(2) {
        return Ok(None);
    }
    let k = digits.len();
    // A tie means x is exactly a (k+1)-digit decimal ending in 5: check cheaply, then exactly
    // (a double's exact decimal expansion has at most 767 significant digits).
    let (near, near_n) = significant_digits(&format!("{x:.k$e}"))?;
    if near.len() != k + 1 || !near.ends_with('5') {
        return Ok(None);
    }
    let (exact, exact_n) = significant_digits(&format!("{x:.800e}"))?;
    if exact != near || exact_n != near_n {
        return Ok(None);
    }
    // x = 0.P5 × 10^near_n: the candidates are P and P + 1 at that scale.
    let lower = &near[..k];
    let (mut alternative, alternative_n) = if lower == digits && near_n == n {
        let (incremented, carry) = increment(lower);
        (incremented, near_n + carry)
    } else {
        (lower.to_owned(), near_n)
    };
    let trimmed_len = alternative.trim_end_matches('0').len();
    alternative.truncate(trimmed_len.max(1));
    let shift = alternative_n - i32::try_from(alternative.len()).map_err(|_| ())?;
    let round_trips = format!("{alternative}e{shift}").parse::<f64>() == Ok(x);
    let even = alternative
        .bytes()
        .last()
        .is_some_and(|d| (d - b'0').is_multiple_of(2));
    Ok((round_trips && even).then_some((alternative, alternative_n)))
}

/// Adds one to a decimal digit string; returns the digits and how much `n` grows (0 or 1).
fn increment(digits: &str) -> (String, i32) {
    let mut bytes = digits.as_bytes().to_vec();
    for byte in bytes.iter_mut().rev() {
        if *byte == b'9' {
            *byte = b'0';
        } else {
            *byte += 1;
            return (String::from_utf8_lossy(&bytes).into_owned(), 0);
        }
    }
    bytes.insert(0, b'1');
    (String::from_utf8_lossy(&bytes).into_owned(), 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn double(bits: u64) -> String {
        let mut out = String::new();
        write_double(f64::from_bits(bits), &mut out).unwrap();
        out
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical serializations.
    #[test]
    fn numbers_serialize_as_ecmascript_does() {
        let cases = [
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, expected) in cases {
            assert_eq!(double(bits), expected, "bits {bits:016x}");
        }
    }

    #[test]
    fn non_finite_numbers_are_refused() {
        let mut out = String::new();
        assert!(write_double(f64::NAN, &mut out).is_err());
        assert!(write_double(f64::INFINITY, &mut out).is_err());
    }

    #[test]
    fn integers_a_double_cannot_hold_are_refused_not_rounded() {
        assert_eq!(
            canonicalize(&json!(9_007_199_254_740_992_u64)).unwrap(),
            "9007199254740992"
        );
        assert!(canonicalize(&json!(9_007_199_254_740_993_u64)).is_err());
        assert!(canonicalize(&json!(i64::MAX)).is_err());
        assert!(canonicalize(&json!(u64::MAX)).is_err());
        assert_eq!(
            canonicalize(&json!(i64::MIN)).unwrap(),
            "-9223372036854776000"
        );
        assert_eq!(canonicalize(&json!(-42)).unwrap(), "-42");
    }
}
