// Club badge carousel on the home page.
// Without JavaScript the track is a horizontally scrollable row with scroll snapping. This script
// adds previous/next buttons, autoplay with a pause/play button, arrow keys, mouse dragging,
// and pauses autoplay on hover, on focus, when the tab is hidden and under
// prefers-reduced-motion: reduce (where autoplay never starts by itself); a touch on the track
// stops it until the play button is pressed.
// The root element's data-state ("playing" or "paused") and data-paused-by say why it is paused.
(function () {
  "use strict";

  function setup(root) {
    var track = root.querySelector("[data-carousel-track]");
    var controls = root.querySelector("[data-carousel-controls]");
    var prevButton = root.querySelector("[data-carousel-prev]");
    var nextButton = root.querySelector("[data-carousel-next]");
    var toggleButton = root.querySelector("[data-carousel-toggle]");
    var toggleIcon = root.querySelector("[data-carousel-toggle-icon]");
    var toggleLabel = root.querySelector("[data-carousel-toggle-label]");
    if (!track || !controls || !prevButton || !nextButton || !toggleButton) return;

    var slides = Array.prototype.slice.call(track.children);
    var interval = Number(root.getAttribute("data-interval")) || 5000;
    var motionQuery = window.matchMedia("(prefers-reduced-motion: reduce)");
    var timer = null;
    // Reasons autoplay is paused; it runs only when the set is empty.
    var reasons = new Set();
    if (motionQuery.matches) reasons.add("reduced-motion");

    controls.hidden = false;

    function behavior() {
      return motionQuery.matches ? "auto" : "smooth";
    }

    function maxScroll() {
      return Math.max(0, track.scrollWidth - track.clientWidth);
    }

    function slideOffset(slide) {
      return slide.offsetLeft - slides[0].offsetLeft;
    }

    // Index of the first slide whose left edge is at or after the current scroll position.
    function currentIndex() {
      var left = track.scrollLeft;
      for (var i = 0; i < slides.length; i++) {
        if (slideOffset(slides[i]) >= left - 4) return i;
      }
      return slides.length - 1;
    }

    // Index of the slide whose left edge is nearest the current scroll position.
    function nearestIndex() {
      var best = 0;
      for (var i = 1; i < slides.length; i++) {
        if (Math.abs(slideOffset(slides[i]) - track.scrollLeft) < Math.abs(slideOffset(slides[best]) - track.scrollLeft)) {
          best = i;
        }
      }
      return best;
    }

    function scrollToIndex(index) {
      var left = Math.min(slideOffset(slides[index]), maxScroll());
      track.scrollTo({ left: left, behavior: behavior() });
    }

    function next() {
      if (track.scrollLeft >= maxScroll() - 4) {
        track.scrollTo({ left: 0, behavior: behavior() });
      } else {
        scrollToIndex(Math.min(currentIndex() + 1, slides.length - 1));
      }
    }

    function previous() {
      if (track.scrollLeft <= 4) {
        track.scrollTo({ left: maxScroll(), behavior: behavior() });
      } else {
        var index = currentIndex();
        // When the row is scrolled to its end, the "current" slide may sit past the left edge.
        while (index > 0 && slideOffset(slides[index]) >= track.scrollLeft - 4) index--;
        scrollToIndex(index);
      }
    }

    function render() {
      var playing = reasons.size === 0;
      root.setAttribute("data-state", playing ? "playing" : "paused");
      root.setAttribute("data-paused-by", Array.from(reasons).sort().join(" "));
      var userPaused = reasons.has("user") || reasons.has("reduced-motion") || reasons.has("touch");
      if (toggleIcon) toggleIcon.textContent = userPaused ? "▶" : "❚❚";
      if (toggleLabel) {
        toggleLabel.textContent = userPaused ? "Start automatic scrolling" : "Pause automatic scrolling";
      }
    }

    function update() {
      var playing = reasons.size === 0;
      if (playing && timer === null) {
        timer = window.setInterval(next, interval);
      } else if (!playing && timer !== null) {
        window.clearInterval(timer);
        timer = null;
      }
      render();
    }

    function pause(reason) {
      reasons.add(reason);
      update();
    }

    function resume(reason) {
      reasons.delete(reason);
      update();
    }

    prevButton.addEventListener("click", function () {
      previous();
    });
    nextButton.addEventListener("click", function () {
      next();
    });
    toggleButton.addEventListener("click", function () {
      if (reasons.has("user") || reasons.has("reduced-motion") || reasons.has("touch")) {
        // An explicit request to play overrides the reduced-motion default and a touch swipe.
        reasons.delete("user");
        reasons.delete("reduced-motion");
        reasons.delete("touch");
      } else {
        reasons.add("user");
      }
      update();
    });

    // Hover and focus pause autoplay while they last.
    root.addEventListener("mouseenter", function () {
      pause("hover");
    });
    root.addEventListener("mouseleave", function () {
      resume("hover");
    });
    root.addEventListener("focusin", function () {
      pause("focus");
    });
    root.addEventListener("focusout", function (event) {
      if (!root.contains(event.relatedTarget)) resume("focus");
    });
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) pause("hidden");
      else resume("hidden");
    });
    motionQuery.addEventListener("change", function () {
      if (motionQuery.matches) pause("reduced-motion");
    });

    // Arrow keys: on the track or a badge link, move one slide (and focus follows on links).
    track.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      var key = event.key;
      if (key !== "ArrowRight" && key !== "ArrowLeft" && key !== "Home" && key !== "End") return;
      event.preventDefault();
      var link = event.target.closest ? event.target.closest("a") : null;
      var slide = link ? link.closest(".carousel-slide") : null;
      var from = slide ? slides.indexOf(slide) : currentIndex();
      var to = from;
      if (key === "ArrowRight") to = from + 1 >= slides.length ? 0 : from + 1;
      if (key === "ArrowLeft") to = from - 1 < 0 ? slides.length - 1 : from - 1;
      if (key === "Home") to = 0;
      if (key === "End") to = slides.length - 1;
      scrollToIndex(to);
      var target = slides[to].querySelector("a");
      if (link && target) target.focus({ preventScroll: true });
    });

    // Mouse dragging (touch and pens scroll natively with scroll snapping). Touching the track
    // stops autoplay until the play button is pressed: there is no hover to end on touch screens.
    var drag = null;
    var suppressClick = false;
    track.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "touch" || event.pointerType === "pen") {
        pause("touch");
        return;
      }
      if (event.pointerType !== "mouse" || event.button !== 0) return;
      drag = { x: event.clientX, left: track.scrollLeft, moved: false, id: event.pointerId };
    });
    track.addEventListener("pointermove", function (event) {
      if (!drag || event.pointerId !== drag.id) return;
      var dx = event.clientX - drag.x;
      if (!drag.moved && Math.abs(dx) > 5) {
        drag.moved = true;
        track.classList.add("is-dragging");
        track.setPointerCapture(drag.id);
      }
      if (drag.moved) track.scrollLeft = drag.left - dx;
    });
    function endDrag() {
      if (!drag) return;
      if (drag.moved) {
        suppressClick = true;
        track.classList.remove("is-dragging");
        scrollToIndex(nearestIndex());
        window.setTimeout(function () {
          suppressClick = false;
        }, 0);
      }
      drag = null;
    }
    // Links and images are natively draggable: a native drag would cancel the pointer stream.
    track.addEventListener("dragstart", function (event) {
      event.preventDefault();
    });
    track.addEventListener("pointerup", endDrag);
    track.addEventListener("pointercancel", endDrag);
    track.addEventListener(
      "click",
      function (event) {
        if (suppressClick) {
          event.preventDefault();
          event.stopPropagation();
        }
      },
      true
    );

    update();
  }

  var roots = document.querySelectorAll("[data-carousel]");
  for (var i = 0; i < roots.length; i++) setup(roots[i]);
})();
