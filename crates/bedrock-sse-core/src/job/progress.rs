//! How far a job has got.

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

/// A job's progress, in either documented form.
///
/// The stream sends a number from 0 to 1 (`"progress":0.25`); the MCP tool
/// sends counts (`"progress":{"completed":3,"total":12}`). Both are kept as
/// sent; [`fraction`](Self::fraction) gives a 0..=1 value either way.
///
/// ```
/// use bedrock_sse_core::job::Progress;
///
/// assert_eq!(Progress::Fraction(0.25).fraction(), Some(0.25));
/// assert_eq!(Progress::Counts { completed: 3, total: 12 }.fraction(), Some(0.25));
/// assert_eq!(Progress::Counts { completed: 0, total: 0 }.fraction(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress {
    /// A number, as sent (normally within 0..=1).
    Fraction(f64),
    /// Units done out of a total, e.g. sheets.
    Counts {
        /// Units done.
        completed: u64,
        /// Units in all.
        total: u64,
    },
}

impl Progress {
    /// The progress as a fraction clamped to 0..=1; `None` when it cannot be
    /// known (a total of zero, or a number that is not finite).
    pub fn fraction(&self) -> Option<f64> {
        let f = match *self {
            Progress::Fraction(f) => f,
            Progress::Counts { total: 0, .. } => return None,
            Progress::Counts { completed, total } => completed as f64 / total as f64,
        };
        f.is_finite().then(|| f.clamp(0.0, 1.0))
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Progress::Counts { completed, total } => write!(f, "{completed}/{total}"),
            Progress::Fraction(_) => match self.fraction() {
                Some(x) => write!(f, "{:.0}%", x * 100.0),
                None => f.write_str("?"),
            },
        }
    }
}

impl<'de> Deserialize<'de> for Progress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Progress;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or an object {completed, total}")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Progress, E> {
                Ok(Progress::Fraction(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Progress, E> {
                Ok(Progress::Fraction(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Progress, E> {
                Ok(Progress::Fraction(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Progress, A::Error> {
                let (mut completed, mut total) = (None, None);
                while let Some(key) = map.next_key::<super::raw::CowStr<'de>>()? {
                    match &*key.0 {
                        "completed" => completed = Some(map.next_value()?),
                        "total" => total = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                match (completed, total) {
                    (Some(completed), Some(total)) => Ok(Progress::Counts { completed, total }),
                    (None, _) => Err(de::Error::missing_field("completed")),
                    (_, None) => Err(de::Error::missing_field("total")),
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms() {
        let p: Progress = serde_json::from_str("0.42").unwrap();
        assert_eq!(p, Progress::Fraction(0.42));
        let p: Progress = serde_json::from_str("1").unwrap();
        assert_eq!(p.fraction(), Some(1.0));
        let p: Progress =
            serde_json::from_str(r#"{"completed":3,"total":8,"unit":"pair"}"#).unwrap();
        assert_eq!(
            p,
            Progress::Counts {
                completed: 3,
                total: 8
            }
        );
        assert_eq!(p.fraction(), Some(0.375));
        assert!(serde_json::from_str::<Progress>(r#"{"completed":3}"#).is_err());
        assert!(serde_json::from_str::<Progress>(r#""half""#).is_err());
    }

    #[test]
    fn fraction_is_clamped() {
        assert_eq!(Progress::Fraction(1.5).fraction(), Some(1.0));
        assert_eq!(Progress::Fraction(-0.1).fraction(), Some(0.0));
        assert_eq!(
            Progress::Counts {
                completed: 9,
                total: 8
            }
            .fraction(),
            Some(1.0)
        );
        assert_eq!(Progress::Fraction(f64::NAN).fraction(), None);
        assert_eq!(alloc::format!("{}", Progress::Fraction(0.25)), "25%");
    }
}
