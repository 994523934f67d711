// Home page: the 20 club badges, the carousel (buttons, arrow keys, autoplay and its pauses,
// reduced motion, no JavaScript) and the final league table.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, url, clubs, watch } from "./lib.mjs";

const CLUBS = clubs();
const INTERVAL = 4000; // the template's data-interval

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function open(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const watcher = await watch(page);
  const response = await page.goto(url("/"));
  assert.equal(response.status(), 200);
  return { context, page, watcher };
}

async function close({ context, watcher }) {
  const problems = await watcher.check();
  await context.close();
  assert.deepEqual(problems, [], "the page logged errors or reached another origin");
}

const scrollLeft = (page) => page.locator("[data-carousel-track]").evaluate((t) => Math.round(t.scrollLeft));
const maxScroll = (page) =>
  page.locator("[data-carousel-track]").evaluate((t) => Math.round(t.scrollWidth - t.clientWidth));
const state = (page) =>
  page.locator("[data-carousel]").evaluate((c) => ({
    state: c.getAttribute("data-state"),
    pausedBy: c.getAttribute("data-paused-by"),
  }));

describe("home page", () => {
  it("shows all 20 club badges, each linking to that club's page", async () => {
    assert.equal(CLUBS.length, 20, "clubs.toml has 20 clubs");
    const session = await open({ reducedMotion: "reduce" });
    const { page } = session;
    const slides = page.locator(".carousel-slide");
    assert.equal(await slides.count(), 20);
    for (const [i, club] of CLUBS.entries()) {
      const link = slides.nth(i).locator("a");
      assert.equal(await link.getAttribute("href"), `/teams/${club.slug}`);
      const img = link.locator("img");
      assert.equal(await img.getAttribute("src"), `/badges/${club.slug}.svg`);
      assert.match(await img.getAttribute("alt"), new RegExp(club.name.replace(/[&.]/g, "\\$&")));
      const loaded = await img.evaluate((el) => el.complete && el.naturalWidth > 0);
      assert.ok(loaded, `${club.slug}'s badge image loaded`);
    }
    // Each badge link leads to that club's page.
    for (const club of CLUBS) {
      const link = page.locator(`.carousel-slide a[href="/teams/${club.slug}"]`);
      await link.scrollIntoViewIfNeeded();
      await Promise.all([page.waitForURL(url(`/teams/${club.slug}`)), link.click()]);
      assert.equal((await page.locator("h1").textContent()).trim(), club.name);
      assert.equal(await page.locator(".club-header img").getAttribute("src"), `/badges/${club.slug}.svg`);
      await page.goBack();
    }
    await close(session);
  });

  it("has the final league table: 20 rows in final order", async () => {
    const session = await open({ javaScriptEnabled: false });
    const { page } = session;
    const table = page.locator("table.league-table");
    assert.match(await table.locator("caption").textContent(), /Premier League 2023\/24/);
    assert.equal(await table.locator("thead th[scope=col]").count(), 10);
    const rows = await table.locator("tbody tr").evaluateAll((trs) =>
      trs.map((tr) => ({
        slug: tr.dataset.slug,
        cls: tr.className,
        cells: [...tr.children].map((c) => c.textContent.replace(/\s+/g, " ").trim()),
      })),
    );
    assert.equal(rows.length, 20);
    rows.forEach((row, i) => {
      const club = CLUBS[i];
      assert.equal(row.slug, club.slug, `row ${i + 1} is ${club.slug}`);
      const gd = club.goals_for - club.goals_against;
      const gdText = gd > 0 ? `+${gd}` : gd < 0 ? `−${-gd}` : "0";
      assert.deepEqual(row.cells.slice(0, 9), [
        String(club.position),
        row.cells[1],
        String(club.played),
        String(club.won),
        String(club.drawn),
        String(club.lost),
        String(club.goals_for),
        String(club.goals_against),
        gdText,
      ]);
      assert.ok(row.cells[1].startsWith(club.name), `row ${i + 1} names ${club.name}`);
      assert.ok(row.cells[9].startsWith(String(club.points)), `row ${i + 1} has ${club.points} points`);
      assert.equal(row.cells[9].includes("deduction"), club.points_deducted > 0);
    });
    assert.equal(rows[0].cls, "champions");
    assert.deepEqual(
      rows.filter((r) => r.cls === "relegated").map((r) => r.slug),
      ["luton-town", "burnley", "sheffield-united"],
    );
    const notes = await page.locator(".table-notes").textContent();
    assert.match(notes, /Everton were deducted 8 points/);
    assert.match(notes, /Nottingham Forest were deducted 4 points/);
    await close(session);
  });

  it("moves the carousel with the previous and next buttons", async () => {
    const session = await open({ reducedMotion: "reduce" });
    const { page } = session;
    const next = page.locator("[data-carousel-next]");
    const prev = page.locator("[data-carousel-prev]");
    await next.waitFor({ state: "visible" });
    assert.equal(await next.getAttribute("aria-controls"), "carousel-track");
    assert.equal(await scrollLeft(page), 0);
    const step = await page.locator(".carousel-slide").nth(1).evaluate((s) => s.offsetLeft - s.previousElementSibling.offsetLeft);
    await next.click();
    await page.waitForFunction(() => document.querySelector("[data-carousel-track]").scrollLeft > 0);
    assert.equal(await scrollLeft(page), step);
    await next.click();
    await page.waitForFunction((s) => Math.round(document.querySelector("[data-carousel-track]").scrollLeft) === 2 * s, step);
    await prev.click();
    await page.waitForFunction((s) => Math.round(document.querySelector("[data-carousel-track]").scrollLeft) === s, step);
    await prev.click();
    await page.waitForFunction(() => document.querySelector("[data-carousel-track]").scrollLeft === 0);
    // At the start, "previous" wraps round to the end; at the end, "next" wraps to the start.
    await prev.click();
    const max = await maxScroll(page);
    assert.ok(max > 0);
    await page.waitForFunction((m) => Math.round(document.querySelector("[data-carousel-track]").scrollLeft) >= m - 1, max);
    await next.click();
    await page.waitForFunction(() => document.querySelector("[data-carousel-track]").scrollLeft === 0);
    await close(session);
  });

  it("moves the carousel with the arrow keys", async () => {
    const session = await open({ reducedMotion: "reduce", viewport: { width: 390, height: 844 } });
    const { page } = session;
    const links = page.locator(".carousel-slide a");
    await links.first().focus();
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("href")), `/teams/${CLUBS[1].slug}`);
    await page.waitForFunction(() => document.querySelector("[data-carousel-track]").scrollLeft > 0);
    const afterOne = await scrollLeft(page);
    await page.keyboard.press("ArrowRight");
    await page.waitForFunction((a) => document.querySelector("[data-carousel-track]").scrollLeft > a, afterOne);
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("ArrowLeft");
    await page.waitForFunction(() => document.querySelector("[data-carousel-track]").scrollLeft === 0);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("href")), `/teams/${CLUBS[0].slug}`);
    // ArrowLeft on the first badge wraps to the last one; End and Home jump.
    await page.keyboard.press("ArrowLeft");
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("href")), `/teams/${CLUBS[19].slug}`);
    const max = await maxScroll(page);
    await page.waitForFunction((m) => Math.round(document.querySelector("[data-carousel-track]").scrollLeft) >= m - 1, max);
    await page.keyboard.press("Home");
    await page.waitForFunction(() => document.querySelector("[data-carousel-track]").scrollLeft === 0);
    await page.keyboard.press("End");
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("href")), `/teams/${CLUBS[19].slug}`);
    // The badge in focus is inside the visible part of the track.
    const visible = await page.evaluate(() => {
      const a = document.activeElement.getBoundingClientRect();
      const t = document.querySelector("[data-carousel-track]").getBoundingClientRect();
      return a.left >= t.left - 1 && a.right <= t.right + 1;
    });
    assert.ok(visible, "the focused badge is scrolled into view");
    await close(session);
  });

  it("scrolls by mouse drag without following the badge link under the pointer", async () => {
    const session = await open({ reducedMotion: "reduce" });
    const { page } = session;
    const box = await page.locator(".carousel-slide").nth(2).boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width / 2 - 30 * i, box.y + box.height / 2);
    await page.mouse.up();
    await page.waitForTimeout(300);
    assert.equal(page.url(), url("/"), "the drag did not open a club page");
    const left = await scrollLeft(page);
    assert.ok(left > 0, "the track scrolled");
    // It settles on a snap position: a slide's left edge.
    const offsets = await page.locator(".carousel-slide").evaluateAll((slides) => slides.map((s) => s.offsetLeft - slides[0].offsetLeft));
    assert.ok(offsets.some((o) => Math.abs(o - left) <= 1), `${left} is a slide's position`);
    // A plain click still follows the link.
    await Promise.all([page.waitForURL(/\/teams\//), page.locator(".carousel-slide a").nth(3).click()]);
    await close(session);
  });

  it("autoplays, and pauses on the pause button, on hover and on focus", async () => {
    const session = await open({ reducedMotion: "no-preference" });
    const { page } = session;
    assert.deepEqual(await state(page), { state: "playing", pausedBy: "" });
    // It advances by itself.
    await page.waitForFunction(() => document.querySelector("[data-carousel-track]").scrollLeft > 0, null, {
      timeout: INTERVAL * 2,
    });

    // The pause button (clicked without moving the mouse or focus onto the carousel).
    const toggle = page.locator("[data-carousel-toggle]");
    await toggle.dispatchEvent("click");
    assert.deepEqual(await state(page), { state: "paused", pausedBy: "user" });
    assert.match(await toggle.textContent(), /Start automatic scrolling/);
    await page.waitForTimeout(1000); // let a smooth scroll in flight settle
    const paused = await scrollLeft(page);
    await page.waitForTimeout(INTERVAL + 1000);
    assert.equal(await scrollLeft(page), paused, "no movement while paused");
    await toggle.dispatchEvent("click");
    assert.deepEqual(await state(page), { state: "playing", pausedBy: "" });
    assert.match(await toggle.textContent(), /Pause automatic scrolling/);

    // Hover.
    const box = await page.locator("[data-carousel-track]").boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    assert.deepEqual(await state(page), { state: "paused", pausedBy: "hover" });
    await page.mouse.move(5, 5);
    assert.deepEqual(await state(page), { state: "playing", pausedBy: "" });

    // Focus.
    await page.locator(".carousel-slide a").first().focus();
    assert.deepEqual(await state(page), { state: "paused", pausedBy: "focus" });
    await page.locator("h1").click();
    await page.mouse.move(5, 5);
    assert.deepEqual(await state(page), { state: "playing", pausedBy: "" });
    await close(session);
  });

  it("stops autoplay when the track is touched, until play is pressed", async () => {
    const session = await open({ reducedMotion: "no-preference", hasTouch: true, viewport: { width: 390, height: 844 } });
    const { page } = session;
    assert.deepEqual(await state(page), { state: "playing", pausedBy: "" });
    await page.locator(".carousel-slide").first().dispatchEvent("pointerdown", { pointerType: "touch", isPrimary: true });
    assert.deepEqual(await state(page), { state: "paused", pausedBy: "touch" });
    const toggle = page.locator("[data-carousel-toggle]");
    assert.match(await toggle.textContent(), /Start automatic scrolling/);
    await toggle.dispatchEvent("click");
    assert.deepEqual(await state(page), { state: "playing", pausedBy: "" });
    await close(session);
  });

  it("does not autoplay under prefers-reduced-motion: reduce", async () => {
    const session = await open({ reducedMotion: "reduce" });
    const { page } = session;
    assert.deepEqual(await state(page), { state: "paused", pausedBy: "reduced-motion" });
    assert.match(await page.locator("[data-carousel-toggle]").textContent(), /Start automatic scrolling/);
    await page.waitForTimeout(INTERVAL + 1500);
    assert.equal(await scrollLeft(page), 0, "the carousel stayed still");
    await close(session);
  });

  it("without JavaScript, keeps every badge reachable by scrolling", async () => {
    const session = await open({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const { page } = session;
    assert.equal(await page.locator("[data-carousel-controls]").isVisible(), false, "no dead buttons");
    const track = page.locator("[data-carousel-track]");
    const overflow = await track.evaluate((t) => getComputedStyle(t).overflowX);
    assert.equal(overflow, "auto");
    const trackBox = await track.boundingBox();
    // Keyboard: tabbing through the badges scrolls each one into view.
    await page.locator(".carousel-slide a").first().focus();
    for (let i = 1; i < 20; i++) {
      await page.keyboard.press("Tab");
      const link = page.locator(".carousel-slide a").nth(i);
      assert.equal(await link.evaluate((a) => a === document.activeElement), true);
      const box = await link.boundingBox();
      assert.ok(box.x >= trackBox.x - 1 && box.x + box.width <= trackBox.x + trackBox.width + 1, `badge ${i + 1} is in view`);
    }
    // Mouse wheel / touchpad: horizontal scrolling reaches the last badge.
    await page.locator(".carousel-slide a").first().focus();
    await page.mouse.move(trackBox.x + 20, trackBox.y + 20);
    for (let i = 0; i < 40; i++) await page.mouse.wheel(400, 0);
    await page.waitForTimeout(300);
    const last = await page.locator(".carousel-slide a").last().boundingBox();
    assert.ok(last.x + last.width <= trackBox.x + trackBox.width + 1, "the last badge is scrolled into view");
    await close(session);
  });
});
