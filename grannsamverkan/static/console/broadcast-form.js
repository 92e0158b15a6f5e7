// The new-broadcast form, enhanced: the event fields show only for a training event, and the
// circle of the target is drawn on a Leaflet map (a click sets the centre fields, the radius
// field sizes it). Without JavaScript (or Leaflet) every field shows and works alone.
(function () {
  "use strict";

  function showEventFieldsForEvents() {
    var fields = document.getElementById("event-fields");
    var kinds = document.querySelectorAll("input[name=kind]");
    if (!fields || !kinds.length) return;
    function update() {
      var event = document.getElementById("kind-training_event");
      fields.hidden = !(event && event.checked);
    }
    kinds.forEach(function (input) { input.addEventListener("change", update); });
    update();
  }

  function number(input) {
    var value = parseFloat(String(input.value).replace(",", "."));
    return isNaN(value) ? null : value;
  }

  function start() {
    showEventFieldsForEvents();
    var element = document.getElementById("circle-map");
    if (!element || !window.L) return;
    var lat = document.getElementById("circle_lat");
    var lon = document.getElementById("circle_lon");
    var radius = document.getElementById("circle_radius_m");
    var circleChoice = document.getElementById("target-circle");
    element.hidden = false;
    var centre = element.dataset.centre.split(",").map(parseFloat);
    var map = L.map(element).setView(centre, 12);
    var tiles = element.dataset.tiles;
    if (tiles) {
      L.tileLayer(tiles, {
        maxZoom: 18,
        attribution: "&copy; OpenStreetMap contributors"
      }).addTo(map);
    }
    var circle = null;

    function draw() {
      var la = number(lat), lo = number(lon), r = number(radius) || 500;
      if (la === null || lo === null) return;
      if (circle) {
        circle.setLatLng([la, lo]).setRadius(r);
      } else {
        circle = L.circle([la, lo], { radius: r, color: "#12355b" }).addTo(map);
      }
    }

    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(5);
      lon.value = event.latlng.lng.toFixed(5);
      if (!radius.value) radius.value = "500";
      if (circleChoice) circleChoice.checked = true;
      draw();
    });
    [lat, lon, radius].forEach(function (input) {
      input.addEventListener("input", draw);
    });
    draw();
    if (circle) map.fitBounds(circle.getBounds());
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
