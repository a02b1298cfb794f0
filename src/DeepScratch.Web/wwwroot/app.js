"use strict";
// The draw-a-digit page: strokes on #pad are sent as PNG to POST /api/predict, which prepares them exactly as
// `deepscratch predict --image` does (one implementation of MNIST's preprocessing, on the server).
(() => {
  const pad = document.getElementById("pad");
  const ctx = pad.getContext("2d");
  const preview = document.getElementById("preview");
  const previewCtx = preview.getContext("2d");
  const predicted = document.getElementById("predicted");
  const answerModel = document.getElementById("answer-model");
  const modelSelect = document.getElementById("model");
  const status = document.getElementById("status");
  const barsList = document.getElementById("bars");
  const INK = 18; // pen width in canvas pixels: about MNIST's stroke once scaled to 20x20
  const bars = [];
  let hasInk = false, last = null, inFlight = false, pending = false, answers = 0;
  // The pointer drawing the stroke (null: none); a second finger is ignored until the first lifts.
  let pen = null;
  // Bumped by clear(): an answer for an older drawing is dropped, not painted over the new one.
  let generation = 0;

  for (let d = 0; d < 10; d++) {
    const li = document.createElement("li");
    li.className = "bar";
    li.dataset.digit = String(d);
    li.dataset.p = "0";
    li.innerHTML = `<span class="digit">${d}</span><span class="track"><span class="fill"></span></span><span class="value">0.000</span>`;
    barsList.appendChild(li);
    bars.push(li);
  }

  function blank() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, pad.width, pad.height);
    previewCtx.fillStyle = "#000";
    previewCtx.fillRect(0, 0, preview.width, preview.height);
  }

  function point(e) {
    const r = pad.getBoundingClientRect();
    return { x: (e.clientX - r.left) * pad.width / r.width, y: (e.clientY - r.top) * pad.height / r.height };
  }

  function segment(a, b) {
    ctx.strokeStyle = "#fff";
    ctx.fillStyle = "#fff";
    ctx.lineWidth = INK;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    if (a.x === b.x && a.y === b.y) {
      ctx.arc(a.x, a.y, INK / 2, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.moveTo(a.x, a.y);
      ctx.lineTo(b.x, b.y);
      ctx.stroke();
    }
    hasInk = true;
  }

  pad.addEventListener("pointerdown", e => {
    e.preventDefault();
    if (pen !== null) return;
    pen = e.pointerId;
    pad.setPointerCapture(e.pointerId);
    last = point(e);
    segment(last, last);
    request();
  });
  pad.addEventListener("pointermove", e => {
    if (e.pointerId !== pen) return;
    const p = point(e);
    segment(last, p);
    last = p;
    request();
  });
  const end = e => { if (e.pointerId === pen) { pen = null; request(); } };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);

  // At most one request in flight: strokes made meanwhile are sent once it answers.
  function request() {
    if (!hasInk) return;
    pad.dataset.busy = "true";
    if (inFlight) { pending = true; return; }
    inFlight = true;
    pending = false;
    const sent = generation;
    pad.toBlob(blob => send(blob, sent), "image/png");
  }

  // The answer's JSON, or null when the body is not JSON (a proxy's 502 page, say).
  async function json(response) {
    const type = response.headers.get("Content-Type") || "";
    return type.split(";")[0].trim().toLowerCase() === "application/json" ? response.json() : null;
  }

  async function send(blob, sent) {
    try {
      const model = modelSelect.value ? `?model=${encodeURIComponent(modelSelect.value)}` : "";
      const response = await fetch(`/api/predict${model}`, { method: "POST", headers: { "Content-Type": "image/png" }, body: blob });
      const answer = await json(response);
      if (sent !== generation) {
        // The drawing was cleared while this was in flight.
      } else if (answer === null) {
        status.textContent = `The server answered ${response.status} ${response.statusText} without JSON (is a proxy in the way?).`;
      } else if (!response.ok) {
        status.textContent = answer.error || `The server answered ${response.status}.`;
      } else if (hasInk) {
        status.textContent = "";
        show(answer);
      }
    } catch (err) {
      status.textContent = `The server cannot be reached (${err.message}).`;
    } finally {
      inFlight = false;
      if (pending && hasInk) { request(); } else { pending = false; pad.dataset.busy = "false"; }
    }
  }

  function show(answer) {
    const p = answer.probabilities;
    // A Fashion-MNIST network answers with a class name ("Ankle boot"); a digit network with the digit.
    predicted.textContent = answer.label || String(answer.predicted);
    predicted.dataset.answers = String(++answers);
    answerModel.textContent = answer.model;
    bars.forEach((bar, d) => {
      bar.dataset.p = String(p[d]);
      bar.classList.toggle("top", d === answer.predicted);
      bar.querySelector(".fill").style.width = `${(100 * p[d]).toFixed(1)}%`;
      bar.querySelector(".value").textContent = p[d].toFixed(3);
      bar.setAttribute("aria-label", `${d}: ${(100 * p[d]).toFixed(1)} percent`);
    });
    if (answer.input) {
      const image = previewCtx.createImageData(28, 28);
      answer.input.forEach((v, i) => {
        const g = Math.round(255 * v);
        image.data.set([g, g, g, 255], 4 * i);
      });
      previewCtx.putImageData(image, 0, 0);
    }
  }

  function clear() {
    generation++;
    hasInk = false;
    pending = false;
    blank();
    predicted.textContent = "–";
    answerModel.textContent = "–";
    status.textContent = "";
    bars.forEach(bar => {
      bar.dataset.p = "0";
      bar.classList.remove("top");
      bar.querySelector(".fill").style.width = "0";
      bar.querySelector(".value").textContent = "0.000";
      bar.removeAttribute("aria-label");
    });
    if (!inFlight) pad.dataset.busy = "false";
  }

  document.getElementById("clear").addEventListener("click", clear);
  modelSelect.addEventListener("change", request);

  async function loadModels() {
    try {
      const response = await fetch("/api/models");
      const answer = await json(response);
      if (!response.ok || answer === null) {
        throw new Error(answer && answer.error ? answer.error : `the server answered ${response.status} ${response.statusText}`);
      }
      answer.models.forEach((name, i) => {
        const option = document.createElement("option");
        option.value = name;
        option.textContent = name;
        if (answer.descriptions && answer.descriptions[i]) option.title = answer.descriptions[i];
        option.selected = name === answer.default;
        modelSelect.appendChild(option);
      });
      document.body.dataset.ready = "true";
    } catch (err) {
      status.textContent = `The list of networks cannot be loaded (${err.message}).`;
    }
  }

  blank();
  loadModels();
})();
