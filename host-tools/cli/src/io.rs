//! The input and output of the commands that rewrite a module (`rewind
//! asyncify`, `rewind fuel`): the IN, `-o OUT` and `--wat` arguments, which
//! those commands flatten into their own, and reading and writing modules
//! through them (as wasm-tools' `InputOutput` does).
//!
//! IN is binary or text, `-` reads stdin; OUT is binary unless `--wat` asks
//! for text, `-` writes stdout. The commands write OUT only when everything
//! else succeeded, so a failed run never leaves a half-written or stale
//! module behind under OUT's name (an existing OUT is left as it was).

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

/// The module a command reads and the one it writes.
#[derive(Debug, Args)]
pub struct IoArgs {
    /// The input module, binary (.wasm) or text (.wat); `-` reads stdin
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// Where to write the output module; `-` writes to stdout
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,

    /// Write the text format instead of the binary format
    #[arg(short = 't', long = "wat")]
    wat: bool,
}

impl IoArgs {
    /// IN as messages name it: its path, or `<stdin>`.
    pub fn input_name(&self) -> String {
        self.input().name
    }

    /// Reads IN, binary or text. Text is parsed here rather than in the
    /// transform so that parse errors point at `file:line:column`.
    pub fn read_module(&self) -> Result<Vec<u8>> {
        let input = self.input();
        let bytes = input.read()?;
        let wasm = wat::Parser::new()
            .parse_bytes(input.path, &bytes)
            .with_context(|| format!("failed to parse `{}`", input.name))?;
        // A binary comes back borrowed: keep the bytes read rather than
        // copying them (freeing a large buffer also makes glibc keep later
        // large allocations on its heap, where they stay resident).
        Ok(match wasm {
            std::borrow::Cow::Borrowed(_) => bytes,
            std::borrow::Cow::Owned(binary) => binary,
        })
    }

    /// Writes `wasm` to OUT, as text with `--wat`.
    pub fn write_module(&self, wasm: &[u8]) -> Result<()> {
        let output = Endpoint::new(&self.output, "<stdout>");
        if self.wat {
            let text = wasmprinter::print_bytes(wasm)
                .context("failed to print the output module as text")?;
            output.write(text.as_bytes())
        } else {
            output.write(wasm)
        }
    }

    fn input(&self) -> Endpoint<'_> {
        Endpoint::new(&self.input, "<stdin>")
    }
}

/// A file path, or `-` for stdin/stdout, with its name for messages.
struct Endpoint<'a> {
    path: Option<&'a Path>,
    name: String,
}

impl<'a> Endpoint<'a> {
    fn new(path: &'a Path, stdio_name: &str) -> Self {
        if path.as_os_str() == "-" {
            Endpoint {
                path: None,
                name: stdio_name.to_owned(),
            }
        } else {
            Endpoint {
                path: Some(path),
                name: path.display().to_string(),
            }
        }
    }

    fn read(&self) -> Result<Vec<u8>> {
        let result = match self.path {
            Some(path) => std::fs::read(path),
            None => {
                let mut bytes = Vec::new();
                io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes)
            }
        };
        result.with_context(|| format!("failed to read `{}`", self.name))
    }

    fn write(&self, bytes: &[u8]) -> Result<()> {
        let result = match self.path {
            Some(path) => std::fs::write(path, bytes),
            None => {
                let mut stdout = io::stdout().lock();
                stdout.write_all(bytes).and_then(|()| stdout.flush())
            }
        };
        result.with_context(|| format!("failed to write `{}`", self.name))
    }
}
