//! The name tables of Rewind's diagnostic builds: custom sections that map
//! the ids a module passes at run time to function names (`rewind.asserts`
//! for `--asserts`, `rewind.unwound` for recorded unwinds). UTF-8 text, one
//! item a line: a header, the extra lines its format has, then one name a
//! line, id 0 first.
//!
//! A missing or malformed table is no error: ids it cannot name are shown
//! as `#ID`.

/// One table: its extra lines and its names.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameTable {
    extra: Vec<String>,
    names: Vec<String>,
}

impl NameTable {
    /// The table in `module`'s custom section `section` whose first line
    /// is `header`, followed by `extra` lines; `None` when the module has
    /// no such section.
    pub fn read(module: &wasmi::Module, section: &str, header: &str, extra: usize) -> Option<Self> {
        let data = module
            .custom_sections()
            .find(|custom| custom.name() == section)?
            .data();
        let text = String::from_utf8_lossy(data);
        let mut lines = text.lines();
        if lines.next() != Some(header) {
            return None;
        }
        let extra = lines.by_ref().take(extra).map(str::to_string).collect();
        let names = lines.map(str::to_string).collect();
        Some(Self { extra, names })
    }

    /// The lines between the header and the names.
    pub fn extra(&self) -> &[String] {
        &self.extra
    }

    /// The name of `id`, or `#ID` when the table does not have it.
    pub fn name(&self, id: i32) -> String {
        usize::try_from(id)
            .ok()
            .and_then(|index| self.names.get(index))
            .cloned()
            .unwrap_or_else(|| format!("#{id}"))
    }
}

#[cfg(test)]
mod tests {
    use super::NameTable;

    fn module(section: &str, text: &str) -> wasmi::Module {
        let wat = format!(
            "(module (@custom \"{section}\" \"{}\"))",
            text.replace('\n', "\\n")
        );
        let wasm = wat::parse_str(wat).unwrap();
        wasmi::Module::new(&wasmi::Engine::default(), wasm).unwrap()
    }

    #[test]
    fn reads_the_extra_lines_and_the_names() {
        let m = module("t", "head 1\nextra line\nzero\none\n");
        let table = NameTable::read(&m, "t", "head 1", 1).unwrap();
        assert_eq!(table.extra(), ["extra line"]);
        assert_eq!(table.name(0), "zero");
        assert_eq!(table.name(1), "one");
        assert_eq!(table.name(2), "#2");
        assert_eq!(table.name(-1), "#-1");
    }

    #[test]
    fn another_header_or_section_is_no_table() {
        let m = module("t", "head 2\nzero\n");
        assert!(NameTable::read(&m, "t", "head 1", 0).is_none());
        assert!(NameTable::read(&m, "other", "head 2", 0).is_none());
    }
}
