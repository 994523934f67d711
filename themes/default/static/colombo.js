// Live time in Colombo, Sri Lanka (Asia/Colombo, UTC+05:30), whatever the visitor's own time zone.
// Replaces the server-rendered sentence in [data-colombo-clock] and updates on every second.
(function () {
  "use strict";

  var TIME_ZONE = "Asia/Colombo";
  var clock = document.querySelector("[data-colombo-clock]");
  if (!clock) return;

  var partsFormat;
  var dateFormat;
  try {
    partsFormat = new Intl.DateTimeFormat("en-GB", {
      timeZone: TIME_ZONE,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    dateFormat = new Intl.DateTimeFormat("en-GB", {
      timeZone: TIME_ZONE,
      weekday: "long",
      day: "numeric",
      month: "long",
      year: "numeric",
    });
  } catch (error) {
    clock.textContent = "Your browser cannot show the time in Colombo (UTC+05:30).";
    return;
  }

  // Build the markup once; only the text nodes and the datetime attribute change afterwards.
  clock.textContent = "";
  var lead = document.createElement("span");
  lead.className = "visually-hidden";
  lead.textContent = "The time in Colombo is ";
  var time = document.createElement("time");
  time.className = "clock-time";
  time.setAttribute("data-colombo-time", "");
  var date = document.createElement("span");
  date.className = "clock-date";
  date.setAttribute("data-colombo-date", "");
  clock.append(lead, time, date);

  function parts(now) {
    var out = {};
    partsFormat.formatToParts(now).forEach(function (part) {
      out[part.type] = part.value;
    });
    return out;
  }

  function tick() {
    var now = new Date();
    var p = parts(now);
    var hms = p.hour + ":" + p.minute + ":" + p.second;
    time.textContent = hms;
    time.setAttribute("datetime", p.year + "-" + p.month + "-" + p.day + "T" + hms + "+05:30");
    date.textContent = dateFormat.format(now) + " (UTC+05:30)";
    // Wake up at the next whole second (a timer that fires a little early just runs again).
    window.setTimeout(tick, 1000 - (now.getTime() % 1000));
  }

  tick();
})();
