// The checkout's only script: a live countdown, polling the payment's status on the
// QR and "processing" pages, and sending the sandbox transfer without leaving the
// page. Every page works without it.
(function () {
  "use strict";

  var countdown = document.querySelector("[data-expires-at]");
  if (countdown) {
    var end = Number(countdown.getAttribute("data-expires-at"));
    var skew = Date.now() - Number(countdown.getAttribute("data-now"));
    var out = countdown.querySelector(".countdown-value");
    var timer = setInterval(tick, 1000);
    tick();
  }
  function tick() {
    var left = Math.max(0, Math.floor((end - (Date.now() - skew)) / 1000));
    var s = left % 60;
    if (out) out.textContent = Math.floor(left / 60) + ":" + (s < 10 ? "0" : "") + s;
    if (left <= 60) countdown.classList.add("urgent");
    if (left === 0) {
      clearInterval(timer);
      setTimeout(function () { location.reload(); }, 1500);
    }
  }

  var poll = document.querySelector("[data-poll]");
  if (poll) setTimeout(check, 1000);
  function check() {
    fetch(poll.getAttribute("data-poll"), { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && s.final) location.assign(poll.getAttribute("data-next"));
        else setTimeout(check, 1000);
      })
      .catch(function () { setTimeout(check, 3000); });
  }

  var sim = document.querySelector("form[data-fetch]");
  if (sim) sim.addEventListener("submit", function (e) {
    e.preventDefault();
    var button = sim.querySelector("button");
    if (button) button.disabled = true;
    fetch(sim.getAttribute("action"), {
      method: "POST",
      body: new URLSearchParams(new FormData(sim)),
      headers: { Accept: "application/json" }
    }).catch(function () { if (button) button.disabled = false; });
  });
})();
