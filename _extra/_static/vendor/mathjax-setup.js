/*
 * The book's MathJax settings that take code (the others are `mathjax3_config` in
 * _config.yml, which is JSON).  MathJax's loader loads this file with ui/lazy, before it
 * sets up the page.
 *
 * Lazy typesetting (ui/lazy) leaves a placeholder for every formula and typesets the ones
 * that come into view in an idle callback.  While a page loads, the browser is seldom idle
 * (the widgets render, the theme sets up), so the first screen's math would wait for all of
 * that.  Here the formulas on the first screen are typeset with the page's first typeset,
 * and for the screens the reader scrolls to, the idle callback gets a deadline of
 * DEADLINE_MS.  Everything used below belongs to ui/lazy (MathJax 3.2); should a future
 * MathJax lack it, nothing changes and lazy typesetting works as it comes.
 */
(function () {
  "use strict";
  var DEADLINE_MS = 100;
  var mj = window.MathJax;
  mj.loader.checkVersion("[book]/mathjax-setup", mj.version, "book");  // the loader asks

  function lazy(doc) {
    return doc && doc.lazySet && doc.lazyList && typeof doc.lazyHandleSet === "function";
  }

  var startup = mj.config.startup;
  var ready = startup.ready;
  startup.ready = function () {
    ready.apply(this, arguments);
    var doc = mj.startup.document;
    if (lazy(doc) && window.requestIdleCallback) {
      var handle = doc.lazyHandleSet.bind(doc);
      doc.lazyProcessSet = function () {
        return window.requestIdleCallback(handle, { timeout: DEADLINE_MS });
      };
    }
  };

  var pageReady = startup.pageReady;
  startup.pageReady = function () {
    return pageReady.apply(this, arguments).then(function () {
      var doc = mj.startup.document;
      if (!lazy(doc)) {
        return;
      }
      var margin = parseFloat(doc.options.lazyMargin) || 0;
      var bottom = window.innerHeight + margin;
      var found = false;
      Array.from(doc.math).forEach(function (item) {
        var marker = item.lazyMarker;
        if (!item.lazyTypeset || !marker || !marker.isConnected) {
          return;
        }
        var box = marker.getBoundingClientRect();
        var shown = marker.parentElement && marker.parentElement.checkVisibility();
        if (shown && box.top <= bottom && box.bottom >= -margin) {
          doc.lazySet.add(marker.getAttribute("data-mjx-lazy"));
          found = true;
        }
      });
      if (found) {
        doc.lazyHandleSet();
        return doc.lazyPromise;
      }
    });
  };
})();
