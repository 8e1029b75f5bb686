/* Bounding boxes: drag a box instead of tapping two corners. Progressive enhancement: without
   this script every tap on the image posts the form (templates/pools/tasks/bounding_boxes.html);
   with it a drag adds the box here, to the same hidden field the server reads and checks again,
   and a short tap still posts as before. No inline script or style (the CSP forbids both). */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function attrs(el, values) {
    Object.keys(values).forEach(function (name) { el.setAttribute(name, values[name]); });
    return el;
  }

  function enhance(canvas) {
    var input = canvas.querySelector("input[type=image]");
    var svg = canvas.querySelector("svg");
    var form = input && input.form;
    var field = form && form.elements.namedItem("boxes");
    if (!svg || !field) return;
    var width = +canvas.dataset.width, height = +canvas.dataset.height;
    var status = form.querySelector("[data-boxes-status]");
    var list = form.querySelector(".box-list");
    var start = null, shape = null, dragged = false;
    canvas.classList.add("boxes-js");

    function point(e) {
      var r = input.getBoundingClientRect();
      var x = Math.round((e.clientX - r.left) * width / r.width);
      var y = Math.round((e.clientY - r.top) * height / r.height);
      return [Math.max(0, Math.min(width, x)), Math.max(0, Math.min(height, y))];
    }

    function box(a, b) {
      return {x: Math.min(a[0], b[0]), y: Math.min(a[1], b[1]), w: Math.abs(a[0] - b[0]), h: Math.abs(a[1] - b[1])};
    }

    function rect(b, colour, stroke) {
      return svg.appendChild(attrs(document.createElementNS(SVG, "rect"), {
        x: b.x, y: b.y, width: b.w, height: b.h, fill: "none", stroke: colour,
        "stroke-width": stroke, "vector-effect": "non-scaling-stroke"
      }));
    }

    function label() {
      var checked = form.querySelector("input[name=box_label]:checked");
      return checked ? checked.value : "";
    }

    input.addEventListener("dragstart", function (e) { e.preventDefault(); });  // not the browser's image drag
    input.addEventListener("pointerdown", function (e) {
      if (e.button !== 0) return;
      start = point(e);
      dragged = false;
      input.setPointerCapture(e.pointerId);
    });

    input.addEventListener("pointermove", function (e) {
      if (!start) return;
      var p = point(e), b = box(start, p);
      var r = input.getBoundingClientRect(), scale = width / r.width;
      if (!dragged && (b.w > 8 * scale || b.h > 8 * scale)) {
        dragged = true;
        shape = rect(b, "#b00020", 2);
      }
      if (shape) attrs(shape, {x: b.x, y: b.y, width: b.w, height: b.h});
    });

    function finish(e, cancelled) {
      if (!start) return;
      var b = box(start, point(e));
      start = null;
      if (shape) shape.remove();
      shape = null;
      if (!dragged || cancelled || b.w < 1 || b.h < 1) return;
      b.label = label();
      if (!b.label) {
        if (status) status.textContent = status.dataset.needLabel;
        return;
      }
      var boxes = JSON.parse(field.value || "[]");
      boxes.push({label: b.label, x: b.x, y: b.y, w: b.w, h: b.h});
      field.value = JSON.stringify(boxes);
      rect(b, "#fff", 4);
      rect(b, "#b00020", 2);
      var r = input.getBoundingClientRect(), scale = width / r.width;
      var number = svg.appendChild(attrs(document.createElementNS(SVG, "text"), {
        x: b.x + 3 * scale, y: b.y + 14 * scale, "font-size": 13 * scale, "font-weight": "bold",
        fill: "#b00020", stroke: "#fff", "stroke-width": 3 * scale, "paint-order": "stroke"
      }));
      number.textContent = String(boxes.length);
      if (list) {
        var item = document.createElement("li");
        item.textContent = b.label + " (" + b.x + ", " + b.y + "; " + b.w + " \u00d7 " + b.h + " px)";
        list.appendChild(item);
      }
      var nothing = form.elements.namedItem("nothing");
      if (nothing) nothing.checked = false;
    }

    input.addEventListener("pointerup", function (e) { finish(e, false); });
    input.addEventListener("pointercancel", function (e) { finish(e, true); });
    input.addEventListener("click", function (e) {
      if (dragged) {  // the end of a drag, not a tap: do not post it
        e.preventDefault();
        dragged = false;
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".boxes-canvas"), enhance);
})();
