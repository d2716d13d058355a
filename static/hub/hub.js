/* LLM hub: ARIA tabs (links without JavaScript), confirmations, and telemetry beacons.
 * No dependencies. Tabs follow the WAI-ARIA Authoring Practices "tabs with automatic
 * activation": arrow keys, Home and End move between tabs and show the focused one. */
(function () {
  "use strict";

  var body = document.body;
  var telemetryUrl = body.dataset.telemetryUrl;

  function uuid4() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  /* One event to the ingestion endpoint; telemetry never gets in the user's way. */
  function send(event) {
    if (!telemetryUrl || !window.fetch) { return; }
    event.event_id = uuid4();
    event.occurred_at = new Date().toISOString();
    event.page = body.dataset.page;
    event.cohort = body.dataset.cohort;
    event.path = window.location.pathname;
    try {
      window.fetch(telemetryUrl, {
        method: "POST",
        credentials: "same-origin",
        keepalive: true,
        headers: {"Content-Type": "application/json", "X-CSRFToken": body.dataset.csrf},
        body: JSON.stringify({events: [event]})
      }).catch(function () {});
    } catch (e) { /* ignore */ }
  }

  function reportLoadTime() {
    var nav = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    var duration = nav && nav.loadEventEnd > 0 ? nav.loadEventEnd - nav.startTime : null;
    if (duration === null && performance.timing) {
      duration = performance.timing.loadEventEnd - performance.timing.navigationStart;
    }
    if (duration === null || duration < 0) { return; }
    send({type: "performance", action: "page_load", tab: body.dataset.tab || "",
          duration_ms: Math.round(duration * 10) / 10});
  }

  function setUpTabs(tablist) {
    var tabs = Array.prototype.slice.call(tablist.querySelectorAll("a[aria-controls]"));
    if (!tabs.length) { return; }
    // Upgrade the server's links to ARIA tabs: the links still work without this script.
    tablist.setAttribute("role", "tablist");
    tabs.forEach(function (tab) {
      var selected = tab.getAttribute("aria-current") === "page";
      var panel = document.getElementById(tab.getAttribute("aria-controls"));
      tab.setAttribute("role", "tab");
      tab.removeAttribute("aria-current");
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.tabIndex = selected ? 0 : -1;
      panel.setAttribute("role", "tabpanel");
      panel.tabIndex = 0;
    });

    function select(tab, opts) {
      tabs.forEach(function (other) {
        var selected = other === tab;
        other.setAttribute("aria-selected", selected ? "true" : "false");
        other.tabIndex = selected ? 0 : -1;
        document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
      });
      var slug = tab.id.replace(/^tab-/, "");
      var previous = body.dataset.tab;
      body.dataset.tab = slug;
      if (opts.focus) { tab.focus(); }
      if (opts.push && window.location.pathname !== tab.getAttribute("href")) {
        window.history.pushState({tab: slug}, "", tab.getAttribute("href"));
      }
      if (opts.record && previous !== slug) {
        send({type: "feature_usage", feature: "hub_tab", action: "switch", tab: slug});
      }
    }

    tablist.addEventListener("click", function (event) {
      var tab = event.target.closest('[role="tab"]');
      if (!tab || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
      event.preventDefault();
      select(tab, {focus: true, push: true, record: true});
    });

    tablist.addEventListener("keydown", function (event) {
      var index = tabs.indexOf(document.activeElement);
      if (index < 0) { return; }
      var next = {
        ArrowRight: (index + 1) % tabs.length,
        ArrowLeft: (index - 1 + tabs.length) % tabs.length,
        Home: 0,
        End: tabs.length - 1
      }[event.key];
      if (next === undefined) {
        if (event.key === " ") { event.preventDefault(); select(tabs[index], {push: true, record: true}); }
        return;
      }
      event.preventDefault();
      select(tabs[next], {focus: true, push: true, record: true});
    });

    window.addEventListener("popstate", function () {
      var tab = tabs.filter(function (t) { return t.getAttribute("href") === window.location.pathname; })[0];
      select(tab || tabs[0], {focus: false, push: false, record: true});
    });
  }

  function setUpConfirmations() {
    document.addEventListener("submit", function (event) {
      var message = event.target.getAttribute("data-confirm");
      if (message && !window.confirm(message)) { event.preventDefault(); }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-tablist]"), setUpTabs);
  setUpConfirmations();
  if (document.readyState === "complete") {
    setTimeout(reportLoadTime, 0);
  } else {
    window.addEventListener("load", function () { setTimeout(reportLoadTime, 0); });
  }
})();
