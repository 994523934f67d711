// `touchline serve`: an open page updates by itself when its Markdown is edited, shows a broken
// edit's error (styled from a file, so the CSP holds) and recovers, in every open tab, with no
// console error or CSP violation. Runs the real binary on a copy of the site.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { launch, watch, ROOT } from "./lib.mjs";

// 50-browser.sh's binary; a relative path is from the repository's root, where it was checked.
const BIN = process.env.TOUCHLINE_BIN && resolve(ROOT, process.env.TOUCHLINE_BIN);
// Edits reach the page in well under a second; the margin is for a loaded machine.
const UPDATE_TIMEOUT = 20_000;

let browser;
let server;
let site;
let base;

// Starts `touchline serve --port 0` in `dir` and resolves with its URL once it says it serves.
function serve(dir) {
  return new Promise((resolve, reject) => {
    // Without the suite's TOUCHLINE_ROOT (which --root reads): serve the copy in `dir`.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TOUCHLINE_")));
    const child = spawn(BIN, ["serve", "--port", "0"], { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`touchline serve did not start:\n${seen}`)), 60_000);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      seen += chunk;
      const m = seen.match(/serving .* at (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], log: () => seen });
      }
    });
    child.on("exit", (code) => reject(new Error(`touchline serve exited (${code}):\n${seen}`)));
  });
}

before(async () => {
  assert.ok(BIN, "TOUCHLINE_BIN is not set: run the suite with scripts/test.d/50-browser.sh");
  site = mkdtempSync(join(tmpdir(), "touchline-serve-"));
  for (const part of ["site.toml", "content", "themes"]) {
    cpSync(join(ROOT, part), join(site, part), { recursive: true });
  }
  server = await serve(site);
  base = server.url;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (server) {
    const exited = new Promise((resolve) => server.child.once("exit", resolve));
    server.child.kill("SIGINT");
    await exited;
  }
  if (site) rmSync(site, { recursive: true, force: true });
});

const PAGE = "content/gandalf.md";

// Saves in one rename, as editors do: a build never reads the page half-written.
function edit(text) {
  const staged = join(site, ".staged");
  writeFileSync(staged, text);
  renameSync(staged, join(site, PAGE));
}

// Counts full page loads, to tell the script's reload from the first load.
function loads(page) {
  const counter = { n: 0 };
  page.on("load", () => counter.n++);
  return counter;
}

describe("touchline serve", () => {
  it("updates an open page when its Markdown changes, without a manual reload", async () => {
    const original = readFileSync(join(site, PAGE), "utf8");
    const context = await browser.newContext();
    const page = await context.newPage();
    const watcher = await watch(page, base);
    const loaded = loads(page);
    const response = await page.goto(`${base}/gandalf`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()["content-security-policy"], /script-src 'self'/);
    assert.equal(await page.locator('script[src="/__touchline/reload.js"]').count(), 1);
    assert.equal(loaded.n, 1);

    const marker = `Edited while open ${Date.now()}`;
    const started = Date.now();
    edit(`${original}\n${marker}.\n`);
    await page.getByText(marker).waitFor({ timeout: UPDATE_TIMEOUT });
    const took = Date.now() - started;
    assert.ok(loaded.n >= 2, "the page was reloaded by the script");
    console.log(`# edit to updated page: ${took} ms`);

    const problems = await watcher.check();
    await context.close();
    assert.deepEqual(problems, []);
  });

  it("shows a broken edit's error over the last good page, then recovers, in every tab", async () => {
    const original = readFileSync(join(site, PAGE), "utf8");
    const context = await browser.newContext();
    const first = await context.newPage();
    const second = await context.newPage();
    const watchers = [await watch(first, base), await watch(second, base)];
    await first.goto(`${base}/gandalf`);
    await second.goto(`${base}/`);
    const title = await first.title();

    edit(original.replace(/^\+\+\+\n/, "+++\nnot_a_key = 1\n"));
    for (const page of [first, second]) {
      const panel = page.locator(".touchline-serve-error");
      await panel.waitFor({ timeout: UPDATE_TIMEOUT });
      assert.match(await panel.textContent(), /content\/gandalf\.md:2:/);
      // Its style came from /__touchline/reload.css: fixed over the page, not inline.
      assert.equal(await panel.evaluate((el) => getComputedStyle(el).position), "fixed");
      assert.equal(await panel.getAttribute("style"), null);
    }
    assert.equal(await first.title(), title, "the last good page stays");

    const marker = `Mended ${Date.now()}`;
    edit(`${original}\n${marker}.\n`);
    await first.getByText(marker).waitFor({ timeout: UPDATE_TIMEOUT });
    await second.locator(".touchline-serve-error").waitFor({ state: "detached", timeout: UPDATE_TIMEOUT });
    for (const page of [first, second]) {
      assert.equal(await page.locator(".touchline-serve-error").count(), 0);
    }

    const problems = (await Promise.all(watchers.map((w) => w.check()))).flat();
    await context.close();
    assert.deepEqual(problems, []);
  });
});
