// /tasks: add, edit, complete and delete by keyboard; kept across reloads; empty tasks refused;
// markup in a task shows as text.
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

async function open() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const watcher = await watch(page);
  const dialogs = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss();
  });
  await page.goto(url("/tasks"));
  await page.locator("[data-task-board]").waitFor({ state: "visible" });
  return { context, page, watcher, dialogs };
}

const board = (page) =>
  page.locator(".task").evaluateAll((items) =>
    items.map((li) => ({
      text: li.querySelector(".task-text").textContent,
      done: li.querySelector("input[type=checkbox]").checked,
    })),
  );

async function add(page, text) {
  const input = page.locator("#new-task");
  await input.focus();
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

describe("/tasks", () => {
  it("adds, edits, completes and deletes by keyboard, and keeps the board across reloads", async () => {
    const { context, page, watcher } = await open();
    assert.equal(await page.locator("[data-js-required]").isVisible(), false);
    await add(page, "Book the away tickets");
    await add(page, "Wash the kit");
    await add(page, "Renew the season ticket");
    assert.deepEqual(await board(page), [
      { text: "Book the away tickets", done: false },
      { text: "Wash the kit", done: false },
      { text: "Renew the season ticket", done: false },
    ]);
    assert.equal(await page.evaluate(() => document.activeElement.id), "new-task", "focus stays in the field");

    // Edit the second task: Enter on its Edit button, retype, Enter to save.
    const second = page.locator(".task").nth(1);
    await second.getByRole("button", { name: /^Edit/ }).focus();
    await page.keyboard.press("Enter");
    const field = page.locator("[data-edit-input]");
    assert.equal(await field.evaluate((f) => f === document.activeElement), true, "the edit field has focus");
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.type("Wash and iron the kit");
    await page.keyboard.press("Enter");
    assert.equal(
      await page.evaluate(() => document.activeElement.textContent),
      "Edit “Wash and iron the kit”",
      "focus returns to the task's Edit button",
    );

    // Complete the first with Space on its checkbox.
    await page.locator(".task").nth(0).locator("input[type=checkbox]").focus();
    await page.keyboard.press("Space");

    // Delete the third with Enter on its Delete button.
    await page.locator(".task").nth(2).getByRole("button", { name: /^Delete/ }).focus();
    await page.keyboard.press("Enter");
    assert.match(await page.locator("[data-task-message]").textContent(), /Deleted “Renew the season ticket”/);

    const expected = [
      { text: "Book the away tickets", done: true },
      { text: "Wash and iron the kit", done: false },
    ];
    assert.deepEqual(await board(page), expected);
    assert.match(await page.locator("[data-task-count]").textContent(), /2 tasks, 1 done/);

    await page.reload();
    await page.locator(".task").first().waitFor();
    assert.deepEqual(await board(page), expected, "the board is as it was left");

    // Escape cancels an edit without changing the task.
    await page.locator(".task").nth(1).getByRole("button", { name: /^Edit/ }).focus();
    await page.keyboard.press("Enter");
    await page.keyboard.type(" and fold it");
    await page.keyboard.press("Escape");
    assert.deepEqual(await board(page), expected);

    const problems = await watcher.check();
    await context.close();
    assert.deepEqual(problems, []);
  });

  it("refuses empty and whitespace-only tasks with a visible message", async () => {
    const { context, page, watcher } = await open();
    const message = page.locator("[data-task-message]");
    assert.equal(await message.getAttribute("aria-live"), "polite");
    for (const text of ["", "   ", "\t \t"]) {
      await page.locator("#new-task").fill(text);
      await page.locator("#new-task").press("Enter");
      assert.ok(await message.isVisible());
      assert.match(await message.textContent(), /empty task/i);
      assert.equal(await page.locator("#new-task").getAttribute("aria-invalid"), "true");
      assert.equal(await page.locator(".task").count(), 0, `"${text}" was not added`);
    }
    // The Add button refuses the same way.
    await page.locator("#new-task").fill("  ");
    await page.getByRole("button", { name: "Add task" }).click();
    assert.equal(await page.locator(".task").count(), 0);

    // Editing a task down to nothing is refused too.
    await add(page, "Scout the opposition");
    await page.locator(".task").first().getByRole("button", { name: /^Edit/ }).click();
    await page.locator("[data-edit-input]").fill("   ");
    await page.locator("[data-edit-input]").press("Enter");
    assert.match(await message.textContent(), /empty task/i);
    await page.locator("[data-edit-input]").press("Escape");
    assert.deepEqual(await board(page), [{ text: "Scout the opposition", done: false }]);

    const problems = await watcher.check();
    await context.close();
    assert.deepEqual(problems, []);
  });

  it("shows a task containing <script> as text", async () => {
    const { context, page, watcher, dialogs } = await open();
    const text = '<script>alert("owned")</script><img src=x onerror=alert(1)><b>bold</b>';
    await page.locator("#new-task").fill(text);
    await page.locator("#new-task").press("Enter");
    const label = page.locator(".task .task-text").first();
    assert.equal(await label.textContent(), text);
    assert.equal(await page.locator(".task-list script, .task-list img, .task-list b").count(), 0);
    await page.reload();
    assert.equal(await page.locator(".task .task-text").first().textContent(), text);
    assert.equal(await page.locator(".task-list script, .task-list img, .task-list b").count(), 0);
    assert.deepEqual(dialogs, [], "no script ran");
    const problems = await watcher.check();
    await context.close();
    assert.deepEqual(problems, []);
  });

  it("says the board needs JavaScript when it is off", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(url("/tasks"));
    assert.match(await page.locator("[data-js-required]").textContent(), /needs JavaScript/);
    assert.equal(await page.locator("[data-task-board]").isVisible(), false);
    await context.close();
  });
});
