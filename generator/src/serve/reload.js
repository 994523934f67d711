// touchline serve: reloads this page after each rebuild that changed the site, and shows a
// failed build's errors over the page until the next good build. The server adds this script
// to the HTML it serves; the files `touchline generate` writes never contain it.
//
// The server says what it serves on an event stream: {"build": id, "error": text or null}.
// One tab per browser holds that stream (elected with a Web Lock) and relays it to the other
// tabs on a BroadcastChannel, because a browser opens at most six HTTP/1.1 connections to one
// server: a stream per tab would leave none for loading pages once six tabs were open.
(() => {
  "use strict";
  const NAME = "touchline-serve";
  const me = document.currentScript;
  const pageBuild = me ? me.dataset.build : "";
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(NAME) : null;
  let last = null;
  let panel = null;

  function apply(state) {
    if (!state || typeof state.build !== "string") return;
    if (state.build !== pageBuild) {
      location.reload();
      return;
    }
    show(state.error);
  }

  // Styles come from a file, never a style attribute: the site's CSP allows only 'self'.
  function show(error) {
    if (!error) {
      if (panel) panel.remove();
      panel = null;
      return;
    }
    if (!document.querySelector("link[data-touchline-serve]")) {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = "/__touchline/reload.css";
      link.dataset.touchlineServe = "";
      document.head.append(link);
    }
    if (!panel) {
      panel = document.createElement("aside");
      panel.className = "touchline-serve-error";
      panel.setAttribute("role", "alert");
      const title = document.createElement("p");
      title.textContent =
        "touchline serve: the last edit broke the build, so this page is from the last good one. " +
        "Fix the problem below and the page updates.";
      panel.append(title, document.createElement("pre"));
      document.body.append(panel);
    }
    panel.querySelector("pre").textContent = error;
  }

  function listen() {
    const source = new EventSource("/__touchline/events");
    source.addEventListener("state", (event) => {
      let state;
      try {
        state = JSON.parse(event.data);
      } catch {
        return;
      }
      last = state;
      if (channel) channel.postMessage(state);
      apply(state);
    });
    // Held for the page's lifetime: when it goes, the next tab in line takes the stream over.
    return new Promise(() => {});
  }

  if (channel) {
    channel.onmessage = (event) => {
      if (event.data === "ask") {
        if (last) channel.postMessage(last);
      } else {
        apply(event.data);
      }
    };
  }
  if (channel && navigator.locks) {
    // A tab that opens while a build is broken asks the stream's holder for the news.
    channel.postMessage("ask");
    navigator.locks.request(NAME, listen).catch(listen);
  } else {
    listen();
  }
})();
