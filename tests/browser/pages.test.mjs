// Every page the site serves: no console error, no CSP violation, no request to another origin,
// no axe violation (light and dark); screenshots; the home page's transferred weight.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import http from "node:http";
import { AxeBuilder } from "@axe-core/playwright";
import { launch, url, routes, watch, OUTPUT, ROOT, ORIGIN } from "./lib.mjs";

const ROUTES = routes();
const WEIGHT_LIMIT = 60 * 1024;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

function formatViolations(violations) {
  return violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n` + v.nodes.map((n) => `    ${n.target.join(" ")}: ${n.failureSummary}`).join("\n"))
    .join("\n");
}

async function axe(page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations;
}

describe("every page", () => {
  it(`serves all ${ROUTES.length} pages without console errors, CSP violations or other origins, and passes axe`, async () => {
    assert.ok(ROUTES.includes("/") && ROUTES.includes("/gandalf") && ROUTES.includes("/colombo") && ROUTES.includes("/tasks"));
    assert.equal(ROUTES.filter((r) => r.startsWith("/teams/")).length, 20);
    const failures = [];
    for (const route of ROUTES) {
      const context = await browser.newContext({ reducedMotion: "reduce" });
      const page = await context.newPage();
      const watcher = await watch(page);
      const response = await page.goto(url(route), { waitUntil: "load" });
      if (response.status() !== 200) failures.push(`${route}: HTTP ${response.status()}`);
      const csp = response.headers()["content-security-policy"] || "";
      if (!/script-src 'self'/.test(csp) || !/style-src 'self'/.test(csp)) failures.push(`${route}: no strict CSP header`);
      await page.waitForTimeout(200); // let deferred scripts run and images settle
      const broken = await page.locator("img").evaluateAll((imgs) =>
        imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.getAttribute("src")),
      );
      if (broken.length) failures.push(`${route}: images not loaded: ${broken.join(", ")}`);
      const violations = await axe(page);
      if (violations.length) failures.push(`${route}: axe:\n${formatViolations(violations)}`);
      for (const p of await watcher.check()) failures.push(`${route}: ${p}`);
      await context.close();
    }
    assert.equal(failures.join("\n"), "", `problems:\n${failures.join("\n")}`);
  });

  it("passes axe in dark mode, at phone width and with the interactive parts in use", async () => {
    const failures = [];
    // Light at desktop width is the first test's; here the three other combinations.
    for (const [colorScheme, width] of [["dark", 1440], ["dark", 390], ["light", 390]]) {
      {
        const context = await browser.newContext({ colorScheme, reducedMotion: "reduce", viewport: { width, height: 900 } });
        const page = await context.newPage();
        const watcher = await watch(page);
        for (const route of ["/", "/gandalf", "/colombo", "/teams/everton", "/404.html"]) {
          await page.goto(url(route));
          await page.waitForTimeout(150);
          const v = await axe(page);
          if (v.length) failures.push(`${route} (${colorScheme}, ${width}px): ${formatViolations(v)}`);
        }
        // The task board with tasks, one done, one being edited, and an error message showing.
        await page.goto(url("/tasks"));
        for (const text of ["Renew the season ticket", "Wash the kit"]) {
          await page.locator("#new-task").fill(text);
          await page.locator("#new-task").press("Enter");
        }
        await page.locator(".task input[type=checkbox]").first().check();
        await page.locator("#new-task").fill(" ");
        await page.locator("#new-task").press("Enter");
        let v = await axe(page);
        if (v.length) failures.push(`/tasks with tasks (${colorScheme}, ${width}px): ${formatViolations(v)}`);
        await page.locator(".task").nth(1).getByRole("button", { name: /^Edit/ }).click();
        v = await axe(page);
        if (v.length) failures.push(`/tasks editing (${colorScheme}, ${width}px): ${formatViolations(v)}`);
        // Focus styles: the focused control has a visible outline.
        await page.locator("#new-task").focus();
        await page.keyboard.press("Shift+Tab");
        const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
        if (outline === "none") failures.push(`/tasks (${colorScheme}): no visible focus outline`);
        for (const p of await watcher.check()) failures.push(`${colorScheme} ${width}px: ${p}`);
        await context.close();
      }
    }
    assert.equal(failures.join("\n"), "", `problems:\n${failures.join("\n")}`);
  });

  it("answers an unknown path with the 404 page, styled and linking home", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watcher = await watch(page);
    const response = await page.goto(url("/no/such/page"));
    assert.equal(response.status(), 404);
    assert.equal((await page.locator("h1").textContent()).trim(), "Page not found");
    assert.equal(await page.locator('main a[href="/"]').count(), 1);
    const styled = await page.evaluate(() => getComputedStyle(document.querySelector(".site-header")).display === "block" && getComputedStyle(document.body).display === "flex");
    assert.ok(styled, "the stylesheet applies on the 404 page");
    // Chromium logs the 404 of the document itself as a console error: that one is expected.
    const problems = (await watcher.check()).filter((p) => !/status of 404/.test(p));
    await context.close();
    assert.deepEqual(problems, []);
  });

  it("skip link moves focus to the main content", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url("/gandalf"));
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to main content");
    assert.ok(await page.locator(".skip-link").isVisible(), "the skip link shows when focused");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.id), "main");
    await context.close();
  });

  it("writes screenshots of the pages at 390 and 1440 px", async () => {
    const shots = [];
    for (const width of [390, 1440]) {
      const context = await browser.newContext({ reducedMotion: "reduce", viewport: { width, height: width === 390 ? 844 : 900 } });
      const page = await context.newPage();
      for (const [name, route] of [
        ["home", "/"],
        ["gandalf", "/gandalf"],
        ["colombo", "/colombo"],
        ["tasks", "/tasks"],
        ["club", "/teams/arsenal"],
      ]) {
        await page.goto(url(route));
        await page.waitForTimeout(150);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.equal(overflow, 0, `${route} at ${width}px has no horizontal page scroll`);
        const file = join(OUTPUT, `${name}-${width}.png`);
        await page.screenshot({ path: file, fullPage: true });
        shots.push(file);
        if (name === "home" && width === 1440) {
          const top = join(OUTPUT, "home-1440-top.png");
          await page.screenshot({ path: top });
          if (process.env.UPDATE_DOCS_SCREENSHOT === "1") copyFileSync(top, join(ROOT, "docs/screenshot-home.png"));
        }
      }
      await context.close();
    }
    for (const file of shots) assert.ok(existsSync(file), file);
    console.log(`screenshots: ${shots.join(", ")}`);
  });
});

// Raw GET (no decompression): the bytes on the wire for this encoding, headers included.
function transferred(target, encoding) {
  return new Promise((resolve, reject) => {
    const req = http.get(target, { headers: { "accept-encoding": encoding } }, (res) => {
      let body = 0;
      res.on("data", (chunk) => (body += chunk.length));
      res.on("end", () => {
        const head = Buffer.byteLength(
          `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n` +
            res.rawHeaders.reduce((s, v, i) => s + v + (i % 2 ? "\r\n" : ": "), "") +
            "\r\n",
        );
        resolve({ status: res.statusCode, encoding: res.headers["content-encoding"] || "identity", body, total: head + body });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

describe("page weight", () => {
  it(`home page with everything it loads stays under ${WEIGHT_LIMIT / 1024} KB transferred (gzip)`, async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const requested = new Set();
    let browserBytes = 0;
    page.on("requestfinished", async (request) => {
      requested.add(request.url());
      const sizes = await request.sizes().catch(() => null);
      if (sizes) browserBytes += sizes.responseHeadersSize + sizes.responseBodySize;
    });
    await page.goto(url("/"), { waitUntil: "networkidle" });
    await page.waitForTimeout(300);
    await context.close();
    requested.add(url("/favicon.svg")); // browsers fetch the icon too, headless or not
    let total = 0;
    const lines = [];
    for (const target of [...requested].sort()) {
      assert.equal(new URL(target).origin, ORIGIN);
      const r = await transferred(target, "gzip");
      assert.equal(r.status, 200, target);
      total += r.total;
      lines.push(`  ${String(r.total).padStart(6)} B  ${r.encoding.padEnd(8)} ${new URL(target).pathname}`);
    }
    console.log(
      `home page weight: ${requested.size} requests, ${(total / 1024).toFixed(1)} KB transferred with gzip ` +
        `(${(browserBytes / 1024).toFixed(1)} KB as Chromium fetched it)\n${lines.join("\n")}`,
    );
    assert.ok(requested.size >= 24, "the page, its CSS and JS and the 20 badges were requested");
    assert.ok(total < WEIGHT_LIMIT, `${total} bytes < ${WEIGHT_LIMIT}`);
  });
});
