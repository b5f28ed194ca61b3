//! Valid but extreme modules, built in code rather than committed: deep
//! nesting (a big `switch` compiles to a ladder of blocks), and functions
//! with very many locals live across a suspension. Text in the flat form
//! (`block` ... `end`), which the text parser reads without recursion.

/// `main` returns 7 after calling the suspending import `env.sleep` inside
/// `depth` nested blocks.
pub fn nested_blocks(depth: usize) -> String {
    let mut wat = String::with_capacity(depth * 10 + 200);
    wat.push_str(
        "(module (import \"env\" \"sleep\" (func $sleep)) (memory (export \"memory\") 1)\n\
         (func (export \"main\") (result i32)\n",
    );
    for _ in 0..depth {
        wat.push_str("block\n");
    }
    wat.push_str("call $sleep\n");
    for _ in 0..depth {
        wat.push_str("end\n");
    }
    wat.push_str("i32.const 7))\n");
    wat
}

/// `main` sets `count` locals to `1..=count`, calls the suspending import
/// `env.sleep`, and returns their sum (wrapping): every local is live
/// across the suspension.
pub fn many_live_locals(count: usize) -> String {
    let mut wat = String::with_capacity(count * 40 + 200);
    wat.push_str(
        "(module (import \"env\" \"sleep\" (func $sleep)) (memory (export \"memory\") 1)\n\
         (func (export \"main\") (result i32)\n",
    );
    wat.push_str(&format!("(local {})\n", "i32 ".repeat(count)));
    for i in 0..count {
        wat.push_str(&format!("i32.const {}\nlocal.set {i}\n", i + 1));
    }
    wat.push_str("call $sleep\ni32.const 0\n");
    for i in 0..count {
        wat.push_str(&format!("local.get {i}\ni32.add\n"));
    }
    wat.push_str("))\n");
    wat
}
