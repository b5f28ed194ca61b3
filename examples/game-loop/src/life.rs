//! Conway's Game of Life on a small torus, rendered as ASCII text.

/// Columns of the grid.
pub const WIDTH: usize = 32;
/// Rows of the grid.
pub const HEIGHT: usize = 10;
/// Bytes of one rendered frame: a status line, then one line per row.
pub const FRAME_LEN: usize = STATUS_LEN + (WIDTH + 1) * HEIGHT;
/// Room for `generation 123456  alive 320\n`.
const STATUS_LEN: usize = 40;

/// A live cell and a dead one, as rendered.
pub const LIVE: u8 = b'#';
/// A dead cell, as rendered.
pub const DEAD: u8 = b'.';

/// The world: which cells live, and how many generations have passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct World {
    cells: [[bool; WIDTH]; HEIGHT],
    generation: u32,
}

/// The starting pattern: a glider, a lightweight spaceship, a blinker and
/// a beacon, as `(row, column)` of live cells.
#[rustfmt::skip]
const START: &[(usize, usize)] = &[
    // glider, heading down and right
    (0, 2), (1, 0), (1, 2), (2, 1), (2, 2),
    // lightweight spaceship, heading left
    (5, 13), (5, 16), (6, 12), (7, 12), (7, 16), (8, 12), (8, 13), (8, 14), (8, 15),
    // blinker
    (2, 18), (2, 19), (2, 20),
    // beacon
    (5, 26), (5, 27), (6, 26), (7, 29), (8, 28), (8, 29),
];

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    /// Generation 0: the starting pattern.
    pub fn new() -> Self {
        let mut cells = [[false; WIDTH]; HEIGHT];
        for &(row, col) in START {
            cells[row][col] = true;
        }
        Self {
            cells,
            generation: 0,
        }
    }

    /// Generation 0 for `seed`: seed 0 is the starting pattern ([`World::new`]),
    /// any other a random soup (about one cell in three alive) that only
    /// depends on the seed, so every host draws the same frames from it.
    pub fn from_seed(seed: u32) -> Self {
        if seed == 0 {
            return Self::new();
        }
        let mut random = XorShift(seed);
        let mut cells = [[false; WIDTH]; HEIGHT];
        for cell in cells.iter_mut().flatten() {
            *cell = random.next() % 3 == 0;
        }
        Self {
            cells,
            generation: 0,
        }
    }

    /// The number of generations so far.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Whether the cell at `row`, `col` lives.
    pub fn is_alive(&self, row: usize, col: usize) -> bool {
        self.cells[row % HEIGHT][col % WIDTH]
    }

    /// The number of live cells.
    pub fn alive(&self) -> usize {
        self.cells.iter().flatten().filter(|&&c| c).count()
    }

    /// Advances one generation (the grid wraps around at its edges).
    pub fn update(&mut self) {
        let mut next = [[false; WIDTH]; HEIGHT];
        for (row, line) in next.iter_mut().enumerate() {
            for (col, cell) in line.iter_mut().enumerate() {
                let mut neighbours = 0;
                for dr in [HEIGHT - 1, 0, 1] {
                    for dc in [WIDTH - 1, 0, 1] {
                        if (dr, dc) != (0, 0) && self.is_alive(row + dr, col + dc) {
                            neighbours += 1;
                        }
                    }
                }
                *cell = matches!((self.cells[row][col], neighbours), (true, 2) | (_, 3));
            }
        }
        self.cells = next;
        self.generation += 1;
    }

    /// Writes the frame into `out` and returns its length: a status line
    /// (`generation N  alive M`), then the rows, `#` for a live cell and
    /// `.` for a dead one, each ending in `\n`.
    pub fn render_to_text(&self, out: &mut [u8; FRAME_LEN]) -> usize {
        let mut len = 0;
        let mut put = |bytes: &[u8]| {
            out[len..len + bytes.len()].copy_from_slice(bytes);
            len += bytes.len();
        };
        put(b"generation ");
        put(decimal(self.generation as usize, &mut [0; 10]));
        put(b"  alive ");
        put(decimal(self.alive(), &mut [0; 10]));
        put(b"\n");
        for line in &self.cells {
            for &cell in line {
                put(&[if cell { LIVE } else { DEAD }]);
            }
            put(b"\n");
        }
        len
    }
}

/// Marsaglia's xorshift32: a tiny generator whose sequence is fixed by its
/// (non-zero) seed.
struct XorShift(u32);

impl XorShift {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}

/// `n` in decimal, written at the end of `buf`.
fn decimal(mut n: usize, buf: &mut [u8; 10]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[start..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(world: &World) -> String {
        let mut out = [0; FRAME_LEN];
        let len = world.render_to_text(&mut out);
        String::from_utf8(out[..len].to_vec()).unwrap()
    }

    #[test]
    fn a_blinker_oscillates_with_period_two() {
        let mut world = World::new();
        let row = |w: &World| (17..22).map(|c| w.is_alive(2, c)).collect::<Vec<_>>();
        assert_eq!(row(&world), [false, true, true, true, false]);
        world.update();
        assert_eq!(row(&world), [false, false, true, false, false]);
        world.update();
        assert_eq!(row(&world), [false, true, true, true, false]);
    }

    #[test]
    fn the_frame_has_a_status_line_and_every_row() {
        let world = World::new();
        let frame = text(&world);
        let mut lines = frame.lines();
        assert_eq!(lines.next(), Some("generation 0  alive 23"));
        assert_eq!(lines.clone().count(), HEIGHT);
        assert!(lines.all(|l| l.len() == WIDTH));
        assert_eq!(frame.matches('#').count(), START.len());
    }

    #[test]
    fn a_seed_fixes_the_soup() {
        assert_eq!(World::from_seed(0), World::new());
        assert_eq!(World::from_seed(7), World::from_seed(7));
        assert_ne!(World::from_seed(7), World::from_seed(8));
        let alive = World::from_seed(7).alive();
        assert!(
            (WIDTH * HEIGHT / 5..WIDTH * HEIGHT / 2).contains(&alive),
            "{alive}"
        );
    }

    #[test]
    fn the_pattern_stays_alive() {
        let mut world = World::new();
        for _ in 0..100 {
            world.update();
        }
        assert_eq!(world.generation(), 100);
        assert!(world.alive() > 0);
    }
}
