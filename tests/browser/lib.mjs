// Shared helpers for the browser suite. scripts/test.d/50-browser.sh generates dist/, starts the
// real nginx on it and sets TOUCHLINE_URL, TOUCHLINE_DIST, TOUCHLINE_ROOT and TOUCHLINE_OUTPUT.
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the suite with scripts/test.d/50-browser.sh`);
  }
  return value;
}

export const BASE_URL = required("TOUCHLINE_URL").replace(/\/$/, "");
export const DIST = required("TOUCHLINE_DIST");
export const ROOT = required("TOUCHLINE_ROOT");
export const OUTPUT = process.env.TOUCHLINE_OUTPUT || join(ROOT, "test-output");
export const CHROME_PATH = process.env.CHROME_PATH || "/usr/bin/chromium";
export const ORIGIN = new URL(BASE_URL).origin;

// The flags every Chromium of this suite runs with (Lighthouse's too).
export const CHROME_FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

mkdirSync(OUTPUT, { recursive: true });

// playwright-core's launch() gives every browser a fresh, temporary user-data-dir of its own
// (and every context is a fresh profile), so nothing carries over between runs.
export async function launch() {
  return chromium.launch({ executablePath: CHROME_PATH, args: CHROME_FLAGS });
}

// Every page path the site serves, from the generator's route manifest, plus the 404 page.
export function routes() {
  const manifest = JSON.parse(readFileSync(join(DIST, "_routes.json"), "utf8"));
  const pages = Array.isArray(manifest) ? manifest : manifest.pages;
  if (!Array.isArray(pages) || pages.length === 0) throw new Error("_routes.json lists no pages");
  return [...pages, "/404.html"];
}

// The 20 clubs from content/data/clubs.toml (a small reader for its flat [[clubs]] tables).
export function clubs() {
  const text = readFileSync(join(ROOT, "content/data/clubs.toml"), "utf8");
  return text
    .split(/^\[\[clubs\]\]\s*$/m)
    .slice(1)
    .map((block) => {
      const club = {};
      for (const line of block.split("\n")) {
        const m = line.match(/^(\w+)\s*=\s*(.+?)\s*$/);
        if (!m) continue;
        const [, key, raw] = m;
        if (/^-?\d+$/.test(raw)) club[key] = Number(raw);
        else if (/^"(.*)"$/.test(raw)) club[key] = raw.slice(1, -1);
      }
      return club;
    })
    .sort((a, b) => a.position - b.position);
}

// Watches a page for console errors, uncaught exceptions, CSP violations and requests to any
// other origin than `origin` (which are also blocked, so nothing leaves the machine). Call
// before goto().
export async function watch(page, origin = ORIGIN) {
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught exception: ${error.message}`));
  await page.context().route(
    (url) => url.origin !== origin && url.protocol !== "data:",
    (route) => {
      problems.push(`request to another origin: ${route.request().url()}`);
      return route.abort();
    },
  );
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
    });
  });
  return {
    problems,
    async check() {
      const csp = await page.evaluate(() => window.__cspViolations || []).catch(() => []);
      return [...problems, ...csp.map((v) => `CSP violation: ${v}`)];
    },
  };
}

export function url(path) {
  return BASE_URL + path;
}
