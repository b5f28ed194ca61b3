//! A table of names written to a custom section, for hosts that report
//! functions by id: `--asserts` (`rewind.asserts`) and unwind recording
//! (`rewind.unwound`). Text, one item a line: a header, any extra lines,
//! then one name a line, id 0 first (a newline in a name is written
//! `\n`).

use std::collections::HashMap;

use walrus::{Module, RawCustomSection};

/// Names and their ids, in the order they were first asked for.
#[derive(Debug, Default)]
pub(crate) struct NameTable {
    list: Vec<String>,
    ids: HashMap<String, i32>,
}

impl NameTable {
    /// The id of `name`, given it if new.
    pub fn id(&mut self, name: String) -> i32 {
        let name = name.replace('\n', "\\n");
        if let Some(id) = self.ids.get(&name) {
            return *id;
        }
        let id = self.list.len() as i32;
        self.ids.insert(name.clone(), id);
        self.list.push(name);
        id
    }

    /// Adds the table to `module` as the custom section `section`.
    pub fn write(self, module: &mut Module, section: &str, header: &[String]) {
        let mut text = String::new();
        for line in header.iter().chain(&self.list) {
            text.push_str(line);
            text.push('\n');
        }
        module.customs.add(RawCustomSection {
            name: section.to_string(),
            data: text.into_bytes(),
        });
    }
}
