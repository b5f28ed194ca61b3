// browser.mjs: drives headless Chromium through the pages that
// `rewind demo --web` writes, for tests/web.rs, which serves them and runs
//
//   node browser.mjs URL CHROMIUM NODE_MODULES EXPECTED_DIR
//
// URL: where the site is served; CHROMIUM: the browser to start;
// NODE_MODULES: where playwright-core is installed; EXPECTED_DIR: holds
// frames-SEED.txt, `rewind demo --raw --frames 40 --seed SEED` for the
// seeds below. Checks, printing one line each:
//
// * index.html?seed=S&frames=N, for a few S and N: both games (Rewind and
//   JSPI) draw exactly N frames, and each canvas shows frame N of
//   `rewind demo` for seed S, cell by cell (a live cell's centre pixel is
//   bright, a dead one's dark), with its status line;
// * index.html: frames keep coming and a frames-per-second readout appears;
// * bench.html with small sizes: both engines are measured;
// * no page logged an error or threw.
//
// Exits 1 with what went wrong on the first failed check.

import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

const [url, chromiumPath, nodeModules, expectedDir] = process.argv.slice(2);
const { chromium } = createRequire(join(nodeModules, "playwright-core", "package.json"))("playwright-core");

/** The flags that work here: no sandbox (root), and no network beyond localhost. */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Seed and frame count of each canvas check. */
const CASES = [
  [0, 1],
  [0, 40],
  [7, 23],
];
const TIMEOUT = 60000;

let browser;
try {
  browser = await chromium.launch({ executablePath: chromiumPath, args: FLAGS, timeout: TIMEOUT });
} catch (error) {
  fail(`cannot start the browser ${chromiumPath}: ${error.message}`);
}
const problems = [];
try {
  for (const [seed, frames] of CASES) {
    await checkFrames(seed, frames);
  }
  await checkAnimation();
  await checkBench();
  if (problems.length > 0) {
    fail(`the pages reported errors:\n${problems.join("\n")}`);
  }
  console.log("ok: no errors on the console");
} finally {
  await browser.close();
}

/** A new page at `path` whose console errors and exceptions are collected. */
async function open(path) {
  const page = await browser.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`${path}: console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${path}: ${error.message}`));
  await page.goto(`${url}/${path}`, { timeout: TIMEOUT });
  return page;
}

/** Frame `frames` of seed `seed` on both canvases equals `rewind demo`'s. */
async function checkFrames(seed, frames) {
  const path = `index.html?seed=${seed}&frames=${frames}`;
  const page = await open(path);
  await page.waitForFunction(
    (n) => document.body.dataset.frames === String(n) && document.body.dataset.jspiFrames === String(n),
    frames,
    { timeout: TIMEOUT },
  );
  const expected = await expectedFrame(seed, frames);
  for (const id of ["rewind", "jspi"]) {
    const shown = await page.evaluate(readCanvas, { id, columns: expected.rows[0].length, rows: expected.rows.length });
    if (shown.colors < 2) fail(`${path}: the ${id} canvas is blank`);
    if (shown.rows.join("\n") !== expected.rows.join("\n")) {
      fail(`${path}: the ${id} canvas shows\n${shown.rows.join("\n")}\ninstead of frame ${frames}:\n${expected.rows.join("\n")}`);
    }
    if (shown.status !== `frame ${frames} · ${expected.status}`) {
      fail(`${path}: the ${id} status reads "${shown.status}", not "frame ${frames} · ${expected.status}"`);
    }
  }
  console.log(`ok: ${path}: both canvases show frame ${frames} of seed ${seed}`);
  // Stopped: no further frame comes.
  await page.waitForTimeout(200);
  const after = await page.evaluate(() => document.body.dataset.frames);
  if (after !== String(frames)) fail(`${path}: ${after} frames drawn, ${frames} asked for`);
  await page.close();
}

/** The `rewind demo --raw` frame `n` of `seed`: its status line and rows. */
async function expectedFrame(seed, n) {
  const text = await readFile(join(expectedDir, `frames-${seed}.txt`), "utf8");
  const frame = text.split(/^=== frame \d+ ===\n/m)[n];
  if (frame === undefined) fail(`frames-${seed}.txt has no frame ${n}`);
  const [status, ...rows] = frame.trimEnd().split("\n");
  return { status, rows };
}

/**
 * In the page: the cells of the canvas in figure `id`, read from the centre
 * pixel of each, as `#` and `.` rows; how many colours it has; its status.
 */
function readCanvas({ id, columns, rows }) {
  const figure = document.getElementById(id);
  const canvas = figure.querySelector("canvas");
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  const pixel = (x, y) => {
    const i = (Math.floor(y) * canvas.width + Math.floor(x)) * 4;
    return [data[i], data[i + 1], data[i + 2]];
  };
  const colors = new Set();
  for (let i = 0; i < data.length; i += 4) colors.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
  const cell = canvas.width / columns;
  const lines = [];
  for (let row = 0; row < rows; row++) {
    let line = "";
    for (let column = 0; column < columns; column++) {
      const [r, g, b] = pixel((column + 0.5) * cell, (row + 0.5) * cell);
      line += r + g + b > 3 * 128 ? "#" : ".";
    }
    lines.push(line);
  }
  return { rows: lines, colors: colors.size, status: figure.querySelector(".status").textContent };
}

/** Without a frame limit the games keep going, and the page shows their rate. */
async function checkAnimation() {
  const page = await open("index.html");
  const count = () => page.evaluate(() => Number(document.body.dataset.frames ?? 0));
  await page.waitForFunction(() => Number(document.body.dataset.frames) >= 2, null, { timeout: TIMEOUT });
  const first = await count();
  await page.waitForFunction(
    () => [...document.querySelectorAll(".fps")].every((e) => / frames per second$/.test(e.textContent)),
    null,
    { timeout: TIMEOUT },
  );
  const later = await count();
  if (!(later > first)) fail(`index.html: frames did not advance (${first}, then ${later})`);
  const rates = await page.evaluate(() => [...document.querySelectorAll(".fps")].map((e) => e.textContent));
  console.log(`ok: index.html: frames advance (${first}, then ${later}); ${rates.join(", ")}`);
  await page.close();
}

/** The benchmark page measures both engines. */
async function checkBench() {
  const page = await open("bench.html?rounds=3&yields=20000&frames=1000");
  await page.waitForFunction(() => document.body.dataset.results, null, { timeout: TIMEOUT });
  const results = JSON.parse(await page.evaluate(() => document.body.dataset.results));
  const names = results.map((r) => r.name).join(", ");
  if (names !== "Rewind (Asyncify), JSPI") fail(`bench.html measured ${names}`);
  for (const r of results) {
    for (const value of [r.roundTripNs.median, r.frameUs.median]) {
      if (!(value > 0 && Number.isFinite(value))) fail(`bench.html: ${r.name}: ${JSON.stringify(r)}`);
    }
  }
  console.log(`ok: bench.html, small sizes (numbers only indicative):\n${await page.evaluate(() => document.getElementById("results").textContent)}`);
  await page.close();
}

/** Reports `message` and exits 1. */
function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}
