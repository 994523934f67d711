// /colombo: the time in Colombo (UTC+05:30) for the browser's clock, whatever its time zone.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, url, watch } from "./lib.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

describe("/colombo", () => {
  it("shows Colombo's time for a fixed instant in a Los Angeles browser, and ticks", async () => {
    const context = await browser.newContext({ timezoneId: "America/Los_Angeles", locale: "en-US" });
    const page = await context.newPage();
    const watcher = await watch(page);
    // 14:30:00 UTC is 07:30:00 in Los Angeles (PDT) and 20:00:00 in Colombo.
    const instant = Date.parse("2024-05-19T14:30:00Z");
    await page.clock.install({ time: instant - 60_000 });
    await page.clock.pauseAt(instant);
    await page.goto(url("/colombo"));
    assert.equal(await page.evaluate(() => new Date().getHours()), 7, "the browser itself is in Los Angeles");

    const time = page.locator("[data-colombo-clock] time");
    await time.waitFor();
    assert.equal(await time.textContent(), "20:00:00");
    assert.equal(await time.getAttribute("datetime"), "2024-05-19T20:00:00+05:30");
    assert.match(await page.locator("[data-colombo-clock]").textContent(), /Sunday(,)? 19 May 2024 \(UTC\+05:30\)/);
    assert.doesNotMatch(
      await page.locator("[data-colombo-clock]").textContent(),
      /Enable JavaScript/,
      "the no-JavaScript sentence is replaced",
    );

    // It ticks every second.
    await page.clock.runFor(1000);
    assert.equal(await time.textContent(), "20:00:01");
    await page.clock.runFor(2000);
    assert.equal(await time.textContent(), "20:00:03");
    await page.clock.runFor(57_000);
    assert.equal(await time.textContent(), "20:01:00");
    assert.equal(await time.getAttribute("datetime"), "2024-05-19T20:01:00+05:30");

    // Across midnight in Colombo (18:29:59 UTC is 23:59:59 there).
    await page.clock.pauseAt(Date.parse("2024-05-19T18:29:59Z"));
    await page.clock.runFor(1000);
    assert.equal(await time.textContent(), "00:00:00");
    assert.equal(await time.getAttribute("datetime"), "2024-05-20T00:00:00+05:30");

    const problems = await watcher.check();
    await context.close();
    assert.deepEqual(problems, []);
  });

  it("ticks on the real clock too", async () => {
    const context = await browser.newContext({ timezoneId: "Pacific/Auckland" });
    const page = await context.newPage();
    const watcher = await watch(page);
    await page.goto(url("/colombo"));
    const time = page.locator("[data-colombo-clock] time");
    const first = await time.textContent();
    await page.waitForFunction((t) => document.querySelector("[data-colombo-clock] time").textContent !== t, first, {
      timeout: 3000,
    });
    // The shown time is Colombo's (UTC+05:30) for the current instant, within a couple of seconds.
    const [shown, nowUtc] = await page.evaluate(() => [
      document.querySelector("[data-colombo-clock] time").getAttribute("datetime"),
      Date.now(),
    ]);
    assert.ok(Math.abs(Date.parse(shown) - nowUtc) < 2500, `${shown} is now in Colombo`);
    const problems = await watcher.check();
    await context.close();
    assert.deepEqual(problems, []);
  });

  it("says so without JavaScript", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(url("/colombo"));
    assert.equal(
      (await page.locator("[data-colombo-clock]").textContent()).trim(),
      "Enable JavaScript to see the live time in Colombo (UTC+05:30).",
    );
    await context.close();
  });
});
