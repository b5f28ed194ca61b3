//! What the `rewind-guest` examples share (wasm32 only):
//!
//! * [`println!`]: one call of the import `env.print(ptr, len)` per line,
//!   so a host can record the program's trace;
//! * a panic handler that prints `panic: MESSAGE` and traps;
//! * the global allocator: talc, wrapped in a
//!   [`CountingAllocator`](rewind_guest::heap::CountingAllocator) so that
//!   examples can show that switching allocates nothing.
#![no_std]

use core::fmt::{self, Write};

use rewind_guest::heap::{CountingAllocator, TalcAllocator, talc_allocator};

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    #[link_name = "print"]
    fn env_print(ptr: *const u8, len: usize);
}

/// The global allocator.
#[global_allocator]
pub static ALLOCATOR: CountingAllocator<TalcAllocator> = CountingAllocator::new(talc_allocator());

/// Calls of the global allocator so far (alloc + dealloc + realloc).
pub fn allocator_calls() -> usize {
    ALLOCATOR.calls()
}

/// Prints one line (without the newline).
pub fn print(line: &str) {
    // SAFETY: the host reads `len` bytes at `ptr` in this module's memory.
    unsafe { env_print(line.as_ptr(), line.len()) }
}

/// A line being formatted, on the stack (no allocation).
struct Line {
    buf: [u8; 256],
    len: usize,
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Formats and prints one line. Use [`println!`].
pub fn print_fmt(args: fmt::Arguments<'_>) {
    let mut line = Line {
        buf: [0; 256],
        len: 0,
    };
    let _ = line.write_fmt(args);
    // SAFETY: see `print`; the bytes are valid UTF-8 unless truncated mid
    // character, and the host only displays them.
    unsafe { env_print(line.buf.as_ptr(), line.len) }
}

/// Prints one formatted line through `env.print`.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::print_fmt(format_args!($($arg)*))
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    print_fmt(format_args!("panic: {}", info.message()));
    core::arch::wasm32::unreachable()
}
