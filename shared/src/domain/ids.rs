//! Id newtypes, so a target id can never be passed where a source id is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Accepts 1–64 characters of `[A-Za-z0-9_-]`, which keeps ids safe in URLs, keys and logs.
            pub fn parse(value: impl Into<String>) -> Result<Self, InvalidId> {
                let value = value.into();
                let ok = !value.is_empty()
                    && value.len() <= 64
                    && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if ok { Ok(Self(value)) } else { Err(InvalidId { kind: stringify!($name), value }) }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// The id in `POST /hooks/{source_id}`.
    SourceId
);
string_id!(
    /// A delivery target's id.
    TargetId
);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{kind} must be 1-64 characters of letters, digits, '-' or '_' (got {value:?})")]
pub struct InvalidId {
    kind: &'static str,
    value: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_url_safe_names_only() {
        assert!(SourceId::parse("kinescope-main_1").is_ok());
        for bad in ["", "a/b", "a b", "é", &"x".repeat(65)] {
            let err = SourceId::parse(bad).unwrap_err();
            assert!(err.to_string().starts_with("SourceId must be"), "{err}");
        }
    }
}
