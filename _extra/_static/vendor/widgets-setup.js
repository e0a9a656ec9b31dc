/*
 * Glue between the widgets embedded in the static pages and the local copies of RequireJS,
 * @jupyter-widgets/html-manager and MathJax 3 in _static/vendor.
 *
 * Loaded on pages with widgets, after require.min.js and before embed-amd.js (see
 * `nb_ipywidgets_js` in _config.yml).  Every URL is derived from this script's own URL, so
 * the site works from any path (http://host/, http://host/some/prefix/, file://...).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var vendor = script.src.replace(/[?#].*$/, "").replace(/[^\/]*$/, ""); // .../_static/vendor/

  // embed-amd.js defines several modules (html-manager, its dist/libembed-amd, base,
  // controls), and each derives its asset path (the Font Awesome fonts of the widget CSS)
  // from the URL RequireJS gives it; by default that is in the page's own folder, where the
  // fonts are not.  All of them point at the folder the fonts are in (nothing is fetched from
  // these URLs: the modules are all in embed-amd.js).
  var fonts = vendor + "html-manager";
  window.requirejs.config({
    paths: {
      "@jupyter-widgets/html-manager/dist": fonts,
      "@jupyter-widgets/html-manager": fonts + "/html-manager",
      "@jupyter-widgets/base": fonts + "/base",
      "@jupyter-widgets/controls": fonts + "/controls",
    },
  });

  // Where embed-amd.js looks for a third-party widget module (NAME@VERSION/dist/index.js):
  // here, never a CDN.  The book only uses @jupyter-widgets/base and controls, which are
  // bundled in embed-amd.js.
  script.setAttribute("data-jupyter-widgets-cdn", vendor + "widgets/");

  // The widget labels are typeset through the MathJax 2 API (MathJax.Hub.Queue), which
  // MathJax 3 no longer has (jupyter-widgets/ipywidgets#3829).  MathJax is loaded with
  // `defer`, so it is in place once the document is parsed, before widgets render on `load`.
  // With lazy typesetting (ui/lazy) a label is typeset when it comes into view, like the text.
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || mj.Hub) {
      return;
    }
    if (!mj.version || !mj.startup) {
      // Only the configuration is there: MathJax itself did not load (blocked, or a network
      // error).  The widgets still render, with their labels as written.
      mj.Hub = { Queue: function () {} };
      return;
    }
    mj.Hub = {
      Queue: function () {
        var elements = [];
        Array.prototype.forEach.call(arguments, function (command) {
          if (Array.isArray(command) && command[0] === "Typeset" && command[2]) {
            elements.push(command[2]);
          }
        });
        if (elements.length) {
          mj.startup.promise = mj.startup.promise.then(function () {
            return mj.typesetPromise(elements);
          });
        }
      },
    };
  });
})();
