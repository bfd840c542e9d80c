// MLC Cockpit: the little JavaScript the pages use. No build step, no dependencies.
"use strict";

// Ask before destructive form posts (cancel an instance).
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Keep the instance diagram live: fetch the server-rendered SVG again every few seconds.
window.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-refresh]");
  if (!box) {
    return;
  }
  const refresh = async () => {
    try {
      const response = await fetch(box.getAttribute("data-refresh"), {
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const svg = await response.text();
        if (svg !== box.innerHTML) {
          box.innerHTML = svg;
        }
      }
    } catch (error) {
      // The server may be restarting; try again at the next tick.
    }
  };
  window.setInterval(refresh, 5000);
});
