/*
 * Area pages: save each answer as it changes, keep unsent answers in the browser while the
 * connection is away, show conflicts with both answers, and show or hide questions that depend
 * on an earlier answer (show_if). Without this script the page's Save button does all of it
 * except the live show_if; the server stays the judge of every rule.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-autosave]");
  var questions = document.querySelectorAll("[data-question]");
  var rules = document.querySelectorAll("[data-show-if]");

  function valuesOf(question) {
    var result = [];
    question.querySelectorAll("input, textarea, select").forEach(function (input) {
      if (!input.name || input.disabled) return;
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) return;
      result.push([input.name, input.value]);
    });
    return result;
  }

  function questionEl(id) {
    return document.querySelector('[data-question="' + id + '"]');
  }

  // -- show_if: a question shows only when the controlling question has one of the values.
  function applyRules() {
    rules.forEach(function (question) {
      var controller = questionEl(question.dataset.showIf);
      var wanted = question.dataset.showValues.split(" ");
      var shown = false;
      if (controller) {
        var na = controller.querySelector('input[name$="__na"]');
        shown = !(na && na.checked) && valuesOf(controller).some(function (pair) {
          return /__value$/.test(pair[0]) && wanted.indexOf(pair[1]) !== -1;
        });
      }
      question.hidden = !shown;
    });
  }
  if (rules.length) {
    document.addEventListener("change", applyRules);
    applyRules();
  }

  if (!form) return;

  var text = JSON.parse(document.getElementById("answer-messages").textContent);
  var urlFor = function (id) { return form.dataset.autosave.replace("QUESTION", id); };
  var csrf = form.querySelector('input[name="csrf_token"]').value;
  var queueKey = "asus-unsent-answers:" + form.dataset.assessment;
  var timers = {};
  var sending = {};
  var changedWhileSending = {};

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  // -- the queue: every change is kept in localStorage until the server has it.
  function readQueue() {
    try {
      return JSON.parse(localStorage.getItem(queueKey)) || {};
    } catch (e) {
      return {};
    }
  }

  function writeQueue(queue) {
    try {
      if (Object.keys(queue).length) localStorage.setItem(queueKey, JSON.stringify(queue));
      else localStorage.removeItem(queueKey);
    } catch (e) {
      // Storage full or disabled: the answer is still sent, only not kept across a reload.
    }
  }

  function keep(id, fields) {
    var queue = readQueue();
    queue[id] = fields;
    writeQueue(queue);
  }

  function forget(id, fields) {
    var queue = readQueue();
    if (queue[id] && JSON.stringify(queue[id]) === JSON.stringify(fields)) {
      delete queue[id];
      writeQueue(queue);
    }
  }

  // -- what the person sees beside each question.
  function setState(id, kind, message, retry) {
    var state = document.getElementById(id + "-state");
    if (!state) return;
    state.className = "save-state save-" + kind;
    state.textContent = message;
    if (retry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button-link";
      button.textContent = text.retry;
      button.addEventListener("click", function () { send(id); });
      state.appendChild(document.createTextNode(" "));
      state.appendChild(button);
    }
  }

  function fill(question, fields) {
    question.querySelectorAll("input, textarea, select").forEach(function (input) {
      if (!input.name || !(input.name in fields)) return;
      var value = fields[input.name];
      var values = value === null || value === false ? [] : value === true ? ["y"]
        : Array.isArray(value) ? value.map(String) : [String(value)];
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = values.indexOf(input.value) !== -1;
      } else {
        input.value = values.length ? values[0] : "";
      }
    });
  }

  function showConflict(id, data) {
    var question = questionEl(id);
    var old = question.querySelector(".conflict-live");
    if (old) old.remove();
    var box = document.createElement("div");
    box.className = "conflict conflict-live";
    box.setAttribute("role", "alert");
    [
      [say(text.conflict, { name: data.theirs.by || text.someone, time: data.theirs.at_text }), true],
      [text.theirs + " " + data.theirs.text],
      [text.yours + " " + data.yours.text],
    ].forEach(function (line) {
      var p = document.createElement("p");
      if (line[1]) {
        var strong = document.createElement("strong");
        strong.textContent = line[0];
        p.appendChild(strong);
      } else {
        p.textContent = line[0];
      }
      box.appendChild(p);
    });
    var mine = document.createElement("button");
    mine.type = "button";
    mine.textContent = text.keep;
    mine.addEventListener("click", function () {
      question.querySelector('input[name$="__version"]').value = data.theirs.version;
      box.remove();
      send(id);
    });
    var theirs = document.createElement("button");
    theirs.type = "button";
    theirs.className = "button-secondary";
    theirs.textContent = text.take;
    theirs.addEventListener("click", function () {
      fill(question, data.theirs.fields);
      var queue = readQueue();
      delete queue[id];
      writeQueue(queue);
      box.remove();
      applyRules();
      setState(id, "saved", text.took);
    });
    var actions = document.createElement("p");
    actions.className = "actions";
    actions.appendChild(mine);
    actions.appendChild(theirs);
    box.appendChild(actions);
    question.insertBefore(box, question.querySelector(".save-state"));
    mine.focus();
  }

  function saved(id, data) {
    var question = questionEl(id);
    question.querySelector('input[name$="__version"]').value = data.version;
    if (!data.carried_over) {
      var carried = question.querySelector(".carried");
      if (carried) carried.remove();
    }
    setState(id, "saved", say(text.saved, { time: data.saved_at_text }));
    document.getElementById(id + "-saved").textContent = say(text.lastSaved, {
      time: data.saved_at_text,
      version: data.version,
    });
    var progress = document.getElementById("area-progress");
    if (progress) {
      progress.textContent = say(text.progress, {
        answered: data.area.answered,
        applicable: data.area.applicable,
        score: data.area.score === null ? "–" : data.area.score.toFixed(1),
      });
    }
  }

  function send(id) {
    var question = questionEl(id);
    if (!question) return;
    if (sending[id]) {
      changedWhileSending[id] = true;
      return;
    }
    var fields = valuesOf(question);
    keep(id, fields);
    if (!navigator.onLine) {
      setState(id, "offline", text.offline);
      return;
    }
    sending[id] = true;
    setState(id, "saving", text.saving);
    var body = new URLSearchParams();
    fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    var controller = new AbortController();
    var timeout = setTimeout(function () { controller.abort(); }, 30000);
    fetch(urlFor(id), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
      redirect: "manual",
      signal: controller.signal,
    })
      .then(function (response) {
        if (response.type === "opaqueredirect") {
          // Sent to the sign-in page: the session ended. The answer stays in this browser.
          setState(id, "failed", text.signedOut, true);
          return;
        }
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.ok) {
            forget(id, fields);
            saved(id, data);
          } else if (response.status === 409) {
            setState(id, "failed", text.conflictState);
            showConflict(id, data);
          } else if (response.status === 400 && data.errors) {
            var messages = Object.keys(data.errors).map(function (k) { return data.errors[k].join(" "); });
            setState(id, "failed", say(text.invalid, { message: messages.join(" ") }));
          } else if (response.status >= 500 || !data.message) {
            setState(id, "failed", text.failed, true);
          } else {
            setState(id, "failed", say(text.refused, { message: data.message }));
          }
        });
      })
      .catch(function () {
        setState(id, navigator.onLine ? "failed" : "offline",
          navigator.onLine ? text.failed : text.offline, navigator.onLine);
      })
      .then(function () {
        clearTimeout(timeout);
        sending[id] = false;
        if (changedWhileSending[id]) {
          changedWhileSending[id] = false;
          send(id);
        }
      });
  }

  function schedule(event) {
    var question = event.target.closest("[data-question]");
    if (!question || !event.target.name) return;
    var id = question.dataset.question;
    clearTimeout(timers[id]);
    var typing = event.type === "input";
    if (typing) setState(id, "pending", text.pending);
    timers[id] = setTimeout(function () { send(id); }, typing ? 1500 : 0);
  }

  function sendQueued() {
    var queue = readQueue();
    var elsewhere = 0;
    Object.keys(queue).forEach(function (id) {
      if (questionEl(id)) send(id);
      else elsewhere += 1;
    });
    var note = document.getElementById("unsent-elsewhere");
    if (note) {
      note.hidden = elsewhere === 0;
      note.textContent = elsewhere ? say(text.elsewhere, { count: elsewhere }) : "";
    }
  }

  // A reload or a new visit puts back what was typed but not yet sent, then sends it; a
  // version older than the stored one comes back as a conflict, never as a silent overwrite.
  var unsent = readQueue();
  Object.keys(unsent).forEach(function (id) {
    var question = questionEl(id);
    if (!question) return;
    var fields = {};
    unsent[id].forEach(function (pair) {
      fields[pair[0]] = pair[0] in fields ? [].concat(fields[pair[0]], pair[1]) : pair[1];
    });
    question.querySelectorAll("input, textarea").forEach(function (input) {
      if (input.name && !(input.name in fields) && input.type !== "hidden") fields[input.name] = null;
    });
    fill(question, fields);
  });
  applyRules();

  form.addEventListener("change", schedule);
  form.addEventListener("input", schedule);
  window.addEventListener("online", sendQueued);
  sendQueued();
})();
