//! A minimal block-style YAML writer for the dataset card's front matter. Keys keep their
//! insertion order (the card reads top-down: config name first), and every string is
//! written as a JSON string, which YAML reads as a double-quoted scalar, so no value can
//! be misread as a number, a boolean or a comment.

/// A YAML value with ordered maps.
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    Null,
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    pub fn str(s: impl Into<String>) -> Yaml {
        Yaml::Str(s.into())
    }

    /// A map from (key, value) pairs, in order.
    pub fn map<const N: usize>(entries: [(&str, Yaml); N]) -> Yaml {
        Yaml::Map(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// The value as a YAML document body (no `---` markers), ending with a newline.
    pub fn to_block(&self) -> String {
        let mut out = String::new();
        write_block(self, 0, &mut out);
        out
    }

    fn is_scalar(&self) -> bool {
        !matches!(self, Yaml::List(items) if !items.is_empty())
            && !matches!(self, Yaml::Map(entries) if !entries.is_empty())
    }

    fn scalar(&self) -> String {
        match self {
            Yaml::Null => "null".to_string(),
            Yaml::Int(i) => i.to_string(),
            Yaml::Float(f) => serde_json::Value::from(*f).to_string(),
            Yaml::Str(s) => serde_json::Value::from(s.as_str()).to_string(),
            Yaml::List(_) => "[]".to_string(),
            Yaml::Map(_) => "{}".to_string(),
        }
    }
}

fn write_block(value: &Yaml, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Yaml::Map(entries) if !entries.is_empty() => {
            for (key, v) in entries {
                out.push_str(&format!("{pad}{key}:"));
                write_child(v, indent + 2, out);
            }
        }
        Yaml::List(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&format!("{pad}-"));
                match item {
                    // A map item starts on the dash line: `- name: x` then aligned keys.
                    Yaml::Map(entries) if !entries.is_empty() => {
                        let mut nested = String::new();
                        write_block(item, indent + 2, &mut nested);
                        out.push(' ');
                        out.push_str(nested.trim_start());
                    }
                    _ => write_child(item, indent + 2, out),
                }
            }
        }
        scalar => out.push_str(&format!("{pad}{}\n", scalar.scalar())),
    }
}

fn write_child(value: &Yaml, indent: usize, out: &mut String) {
    if value.is_scalar() {
        out.push_str(&format!(" {}\n", value.scalar()));
    } else {
        out.push('\n');
        write_block(value, indent, out);
    }
}
