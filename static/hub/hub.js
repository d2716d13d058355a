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

  /* Telemetry: events wait in localStorage until the server acknowledges them, so a batch
   * refused during an incident (503 with Retry-After while the cache or the database is
   * away), or cut off by leaving the page, is sent again later, from this page or the next.
   * The queue is bounded (the oldest events go first); the server stores an event id once,
   * so sending a batch twice (two tabs, a lost answer) costs nothing. */
  var QUEUE_KEY = "llmhub.telemetry.queue";
  var MAX_QUEUED = 500;        // events kept at most (a day of clicks; ~150 kB)
  var BATCH = 50;              // events per request: well under keepalive's 64 kB body limit
  var FIRST_RETRY_MS = 1000;
  var MAX_RETRY_MS = 30000;
  var retryMs = 0;             // 0: no failure since the last success
  var nextTry = 0;             // no request before this time (Date.now())
  var inFlight = false;
  var timer = null;

  function loadQueue() {
    try {
      var queue = JSON.parse(window.localStorage.getItem(QUEUE_KEY) || "[]");
      return Array.isArray(queue) ? queue : [];
    } catch (e) { return []; }
  }

  function saveQueue(queue) {
    try {
      window.localStorage.setItem(QUEUE_KEY, JSON.stringify(queue.slice(-MAX_QUEUED)));
    } catch (e) { /* storage full or disabled: the events of this page still go out */ }
  }

  function forget(sent) {
    var ids = {};
    sent.forEach(function (event) { ids[event.event_id] = true; });
    saveQueue(loadQueue().filter(function (event) { return !ids[event.event_id]; }));
  }

  function post(events) {
    return window.fetch(telemetryUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: {"Content-Type": "application/json", "X-CSRFToken": body.dataset.csrf},
      body: JSON.stringify({events: events})
    });
  }

  function schedule(delayMs) {
    if (timer !== null) { window.clearTimeout(timer); }
    timer = window.setTimeout(function () { timer = null; flush(); }, Math.max(0, delayMs));
  }

  /* After a refusal: wait what the server asks (Retry-After) or twice as long as last time,
   * whichever is longer, with some jitter so that many pages do not come back at once. */
  function backOff(response) {
    var asked = response ? parseInt(response.headers.get("Retry-After"), 10) * 1000 : 0;
    retryMs = Math.min(MAX_RETRY_MS, Math.max(FIRST_RETRY_MS, retryMs * 2));
    var wait = Math.max(asked || 0, retryMs) * (1 + Math.random() * 0.2);
    nextTry = Date.now() + wait;
    schedule(wait);
  }

  function flush() {
    var batch = loadQueue().slice(0, BATCH);
    if (!batch.length || inFlight) { return; }
    if (Date.now() < nextTry) { schedule(nextTry - Date.now()); return; }
    inFlight = true;
    post(batch).then(function (response) {
      inFlight = false;
      if (response.ok) {
        forget(batch);
        retryMs = 0;
        nextTry = 0;
        schedule(0);  // more may be waiting
      } else if (response.status === 429 || response.status >= 500) {
        backOff(response);
      } else {
        forget(batch);  // refused for what it is (400, 403, 413): sending again cannot help
        schedule(0);
      }
    }).catch(function () {  // offline, or the server unreachable
      inFlight = false;
      backOff(null);
    });
  }

  /* Leaving the page: one last keepalive request with what waits, backing off or not (it is
   * this page's last chance; the user may not come back soon). The events stay queued until
   * acknowledged; if the answer comes too late for this page, the next page resends. */
  function flushOnHide() {
    var batch = loadQueue().slice(0, BATCH);
    if (!batch.length) { return; }
    try { post(batch).then(function (r) { if (r.ok) { forget(batch); } }).catch(function () {}); }
    catch (e) { /* ignore */ }
  }

  /* One event to the ingestion endpoint; telemetry never gets in the user's way. */
  function send(event) {
    if (!telemetryUrl || !window.fetch) { return; }
    event.event_id = uuid4();
    event.occurred_at = new Date().toISOString();
    event.page = body.dataset.page;
    event.cohort = body.dataset.cohort;
    event.path = window.location.pathname;
    var queue = loadQueue();
    queue.push(event);
    saveQueue(queue);
    schedule(0);
  }

  if (telemetryUrl && window.fetch) {
    schedule(0);  // what an earlier page left unacknowledged
    window.addEventListener("pagehide", flushOnHide);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { flushOnHide(); }
    });
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

  /* "How is the new LLM hub?": shown by this script only (it posts JSON), never modal. An
   * answer or a dismissal hides it; the server then keeps it away until the rollout moves. */
  function setUpFeedbackPrompt(prompt) {
    var status = prompt.querySelector(".feedback-status");
    var buttons = prompt.querySelectorAll("button[data-answer]");
    prompt.hidden = false;
    function done(message) {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      status.textContent = message;
      window.setTimeout(function () { prompt.hidden = true; }, message ? 1500 : 0);
    }
    prompt.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-answer]");
      if (!button || button.disabled) { return; }
      var answer = button.getAttribute("data-answer");
      window.fetch(prompt.dataset.feedbackUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": body.dataset.csrf},
        body: JSON.stringify({answer: answer, comment: prompt.querySelector("textarea").value})
      }).then(function (response) {
        if (response.ok || response.status === 409) {  // 409: answered already (another tab)
          done(answer === "dismissed" ? "" : "Thank you for your feedback.");
        } else {
          status.textContent = "Your answer could not be sent; please try again later.";
        }
      }).catch(function () {
        status.textContent = "Your answer could not be sent; please try again later.";
      });
    });
  }

  /* "Back to the old pages" goes to the old page of the tab in view. */
  function setUpBackLink(form) {
    form.addEventListener("submit", function () {
      if (body.dataset.tab) { form.querySelector('input[name="tab"]').value = body.dataset.tab; }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-tablist]"), setUpTabs);
  Array.prototype.forEach.call(document.querySelectorAll("[data-feedback-url]"), setUpFeedbackPrompt);
  Array.prototype.forEach.call(document.querySelectorAll("#back-to-old-pages-form"), setUpBackLink);
  setUpConfirmations();
  if (document.readyState === "complete") {
    setTimeout(reportLoadTime, 0);
  } else {
    window.addEventListener("load", function () { setTimeout(reportLoadTime, 0); });
  }
})();
