//! Name patterns of the option lists: literal names with `*` wildcards.

/// Whether `name` matches `pattern`, where `*` matches any run of characters
/// (including none) and every other character matches itself.
pub fn matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn literal_names_match_only_themselves() {
        assert!(matches("env.sleep", "env.sleep"));
        assert!(!matches("env.sleep", "env.sleeps"));
        assert!(!matches("env.sleep", "xenv.sleep"));
    }

    #[test]
    fn wildcards_match_any_run() {
        assert!(matches("env.*", "env.sleep"));
        assert!(matches("*", ""));
        assert!(matches("*_read*", "wasi.fd_read_v2"));
        assert!(!matches("*.read*", "wasi.fd_read_v2"));
        assert!(matches("a*b*c", "abc"));
        assert!(matches("a*b*c", "a__b__c"));
        assert!(!matches("a*b*c", "a__c__b"));
        assert!(!matches("ab*ba", "aba"));
    }
}
