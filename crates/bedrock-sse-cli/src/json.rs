//! Raw JSON made to fit on one line, exactly as sent otherwise.

/// `raw` (valid JSON, as the core checked it) without the whitespace
/// outside its strings: one line whatever the server's formatting, with
/// every number and string kept byte for byte (nothing goes through
/// `f64`, so `1.10` stays `1.10` and `1e400` stays `1e400`).
pub(crate) fn compact(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in raw.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::compact;

    #[test]
    fn drops_only_the_whitespace_outside_strings() {
        let pretty =
            "{\n  \"a\" : [ 1.10 , 1e400, -0.0 ],\r\n\t\"s\": \"x  y\\\" \\n z\",\n  \"e\": {}\n}";
        assert_eq!(
            compact(pretty),
            r#"{"a":[1.10,1e400,-0.0],"s":"x  y\" \n z","e":{}}"#
        );
        assert_eq!(compact(r#""\\" "#), r#""\\""#);
        assert_eq!(compact(" true "), "true");
        assert_eq!(compact(r#"{"k":"é 日本"}"#), r#"{"k":"é 日本"}"#);
    }
}
