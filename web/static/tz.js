// Progressive enhancement: show times in the browser's own zone. Without JavaScript the server
// renders the workflow's candidate zone and the "Show times in" form still works.
(function () {
  var form = document.getElementById("tz-form");
  var select = document.getElementById("tz");
  if (!form || !select || form.getAttribute("data-autodetect") !== "1") return;
  var detected;
  try { detected = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!detected || detected === select.value) return;
  var url = new URL(window.location.href);
  if (url.searchParams.has("tz")) return;
  url.searchParams.set("tz", detected);
  window.location.replace(url.toString());
})();
