/**
 * Live Code for the book: the page's code cells become editable cells that run on a Binder
 * kernel. This file replaces sphinx-thebe's script of the same name (html_extra_path copies
 * it over that one) so that thebe is loaded from the book's own vendored copy
 * (_static/vendor/thebe, tools/vendor/update.sh) and never from a CDN: pressing Live Code
 * contacts mybinder.org and nothing else. When Binder cannot be reached, or the kernel does
 * not start, the button says so in words instead of spinning.
 *
 * sphinx-book-theme's launch menu calls initThebe() (through initThebeSBT); the page defines
 * thebe_selector, thebe_selector_input, thebe_selector_output and kernelName, and holds the
 * thebe configuration in <script type="text/x-thebe-config">.
 */
(function () {
  "use strict";
  const here = document.currentScript ? document.currentScript.src : document.baseURI;
  const vendor = new URL("vendor/thebe/", here);
  const FAILED = "Live Code could not start: mybinder.org could not be reached or did not " +
    "start a kernel. Download the notebook (the download button at the top of the page) to " +
    "run it on your own machine, or try again later.";
  let started = false;

  const button = () => document.querySelector(".thebe-launch-button");

  function say(text, status) {
    const b = button();
    if (!b) return;
    b.textContent = text;
    b.dataset.status = status;
    b.classList.toggle("thebe-failed", status === "failed");
  }

  function fail(why) {
    console.warn("[live code]", why);
    say(FAILED, "failed");
  }

  function onStatus(evt, data) {
    const status = String((data && data.status) || "");
    const message = String((data && data.message) || "");
    if (/fail|error|dead|disconnect/i.test(status)) {
      fail(status + (message ? ": " + message : ""));
      return;
    }
    say("Live Code, from mybinder.org: " + (message || status), status);
    if (status === "ready") {
      document.querySelectorAll(".thebe-init, .tag_thebe-init").forEach((cell) => {
        const run = cell.querySelector(".thebelab-run-button, .thebe-run-button");
        if (run) run.click();
      });
    }
  }

  function markCells() {
    // the page's code cells: sphinx-thebe's selectors, as the page declares them
    document.querySelectorAll(thebe_selector).forEach((cell, index) => {
      cell.id = cell.id || "codecell" + index;
      const input = cell.querySelector(thebe_selector_input);
      const output = cell.querySelector(thebe_selector_output);
      if (!input) return;
      input.setAttribute("data-language", /python/.test(kernelName) ? "python" : kernelName);
      input.setAttribute("data-executable", "true");
      if (output) {
        output.setAttribute("data-output", "");
        input.insertAdjacentElement("afterend", output);
      }
      cell.querySelectorAll("button.copybtn").forEach((el) => el.remove());
    });
  }

  function boot() {
    try {
      window.thebe.on("status", onStatus);
      window.thebe.on("error", (evt, data) => fail((data && data.message) || "error"));
      markCells();
      // mathjaxUrl "": thebe would otherwise fetch MathJax 2 from a CDN for its outputs
      Promise.resolve(window.thebe.bootstrap({ mathjaxUrl: "" })).catch((err) => fail(err));
    } catch (err) {
      fail(err);
    }
  }

  window.initThebe = function () {
    if (started) return;
    started = true;
    say("Loading Live Code...", "loading");
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = new URL("thebe.css", vendor).href;
    document.head.appendChild(css);
    if (window.thebe && window.thebe.bootstrap) {
      boot();
      return;
    }
    const script = document.createElement("script");
    script.src = new URL("index.js", vendor).href;
    script.addEventListener("load", boot);
    script.addEventListener("error", () => fail("the vendored thebe did not load"));
    document.head.appendChild(script);
  };
})();
