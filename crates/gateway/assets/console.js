// The console's one script: live updates over server-sent events. Pages work without
// it; with it, the parts of the open page an event concerns are fetched again from
// the server (which escapes everything), and the live page lists events as text.
(function () {
  "use strict";
  if (!window.EventSource || !document.getElementById("nav-live")) { return; }
  // A region is fetched again at most every MIN_GAP ms, however many events come:
  // each fetch re-runs the page's queries on the server.
  var MIN_GAP = 5000;
  var pending = {};
  var last = {};
  function refresh(id) {
    if (pending[id]) { return; }
    var wait = Math.max(300, (last[id] || 0) + MIN_GAP - Date.now());
    last[id] = Date.now() + wait;
    pending[id] = setTimeout(function () {
      pending[id] = null;
      fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(id);
          var old = document.getElementById(id);
          if (fresh && old) { old.replaceWith(document.importNode(fresh, true)); }
        })
        .catch(function () {});
    }, 300);
  }
  function concerned(ev) {
    var regions = document.querySelectorAll("[data-live-region]");
    for (var i = 0; i < regions.length; i++) {
      var r = regions[i];
      var kinds = (r.getAttribute("data-live-kinds") || "").split(" ");
      var trans = r.getAttribute("data-live-trans");
      if (ev.type === "lagged" || (kinds.indexOf(ev.type) >= 0 && (!trans || (ev.data && ev.data.transId === trans)))) {
        refresh(r.id);
      }
    }
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function vnTime(ms) {
    var d = new Date(ms + 7 * 3600 * 1000);
    return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }
  function listEvent(ev) {
    var list = document.getElementById("live-list");
    if (!list || !ev.data) { return; }
    var waiting = document.getElementById("live-waiting");
    if (waiting) { waiting.remove(); }
    var li = document.createElement("li");
    li.className = "live-event k-" + ev.type;
    var time = document.createElement("time");
    time.textContent = vnTime(ev.data.atMs) + " ";
    var kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = ev.type;
    var link = document.createElement("a");
    link.className = "mono";
    link.href = "/console/orders/" + encodeURIComponent(ev.data.transId);
    link.textContent = ev.data.transId;
    var what = document.createElement("span");
    what.textContent = " · " + ev.data.partnerCode + " · " + ev.data.what;
    li.appendChild(time); li.appendChild(kind); li.appendChild(link); li.appendChild(what);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 200) { list.removeChild(list.lastChild); }
  }
  var source = new EventSource("/console/events");
  var dot = document.getElementById("live-dot");
  source.onopen = function () {
    if (dot) { dot.hidden = false; }
    // What happened between the page's rendering and the stream's start (or while
    // it was down) is in no event: fetch the page's live parts once.
    var regions = document.querySelectorAll("[data-live-region]");
    for (var i = 0; i < regions.length; i++) { refresh(regions[i].id); }
  };
  source.onerror = function () { if (dot) { dot.hidden = true; } };
  ["order", "settled", "ipn", "lagged"].forEach(function (type) {
    source.addEventListener(type, function (e) {
      var data = null;
      try { data = JSON.parse(e.data); } catch (err) { data = null; }
      var ev = { type: type, data: data };
      if (type !== "lagged") { listEvent(ev); }
      concerned(ev);
    });
  });
})();
