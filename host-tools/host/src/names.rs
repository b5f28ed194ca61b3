//! Reading global names from a module's `name` custom section, to learn
//! whether the module has a shadow stack (`__stack_pointer`).
//!
//! Only the global-names subsection (id 7) is read; anything malformed
//! counts as "no information", never as an error.

/// Subsection id of global names in the extended name section.
const GLOBAL_NAMES: u8 = 7;

/// The names of the module's globals, if the name section lists them.
/// `None` when there is no name section or no global-names subsection.
pub(crate) fn global_names(name_section: &[u8]) -> Option<Vec<String>> {
    let mut reader = Reader { data: name_section };
    while !reader.data.is_empty() {
        let id = reader.byte()?;
        let size = reader.leb_u32()? as usize;
        let payload = reader.take(size)?;
        if id != GLOBAL_NAMES {
            continue;
        }
        let mut sub = Reader { data: payload };
        let count = sub.leb_u32()?;
        let mut names = Vec::new();
        for _ in 0..count {
            let _index = sub.leb_u32()?;
            let len = sub.leb_u32()? as usize;
            let bytes = sub.take(len)?;
            names.push(String::from_utf8_lossy(bytes).into_owned());
        }
        return Some(names);
    }
    None
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.data.split_first()?;
        self.data = rest;
        Some(first)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.data.len() {
            return None;
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Some(head)
    }

    fn leb_u32(&mut self) -> Option<u32> {
        let mut result: u32 = 0;
        for shift in (0..35).step_by(7) {
            let byte = self.byte()?;
            result |= u32::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(result);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_global_names_and_skips_other_subsections() {
        // module name "m" (id 0), then global names {0: "__stack_pointer", 1: "g"}.
        let mut section = vec![0, 2, 1, b'm'];
        let mut globals = vec![2, 0, 15];
        globals.extend_from_slice(b"__stack_pointer");
        globals.extend_from_slice(&[1, 1, b'g']);
        section.push(7);
        section.push(globals.len() as u8);
        section.extend_from_slice(&globals);
        assert_eq!(
            global_names(&section),
            Some(vec!["__stack_pointer".to_string(), "g".to_string()])
        );
    }

    #[test]
    fn malformed_or_missing_means_unknown() {
        assert_eq!(global_names(&[]), None);
        assert_eq!(global_names(&[7, 10, 1]), None);
        assert_eq!(global_names(&[0, 2, 1, b'm']), None);
    }
}
