/*
 * Area pages: save each answer as it changes, keep unsent answers in the browser while the
 * connection is away, show conflicts with both answers, and show or hide questions that depend
 * on an earlier answer (show_if). Without this script the page's Save button does all of it
 * except the live show_if; the server stays the judge of every rule.
 *
 * Unsent answers are kept under the person who typed them (a shared council PC has several):
 * only theirs are ever sent, and the answers of anyone else are shown, never sent.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-autosave]");
  var questions = document.querySelectorAll("[data-question]");
  var rules = document.querySelectorAll("[data-show-if]");

  function valuesOf(question) {
    var result = [];
    question.querySelectorAll("input, textarea, select").forEach(function (input) {
      // A file input belongs to the question's own upload form, not to its answer.
      if (!input.name || input.disabled || input.type === "file") return;
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

  // -- the sticky Save bar never hides the control that has focus (WCAG 2.2, 2.4.11): the page
  // keeps the bar's height free at the bottom when it scrolls to a focused control, and a
  // control the bar still covers is scrolled clear of it.
  var bar = form.querySelector(".sticky-save");
  var FOCUS_RING = 12; // the outline and its shadow around the focused control, in pixels
  function keepRoomForBar() {
    document.documentElement.style.scrollPaddingBottom = bar.offsetHeight + FOCUS_RING + "px";
  }
  if (bar) {
    keepRoomForBar();
    window.addEventListener("resize", keepRoomForBar);
    form.addEventListener("focusin", function (event) {
      if (bar.contains(event.target)) return;
      var covered = event.target.getBoundingClientRect().bottom - bar.getBoundingClientRect().top;
      if (covered > -FOCUS_RING) window.scrollBy(0, covered + FOCUS_RING);
    });
  }

  var text = JSON.parse(document.getElementById("answer-messages").textContent);
  var urlFor = function (id) { return form.dataset.autosave.replace("QUESTION", id); };
  var csrf = form.querySelector('input[name="csrf_token"]').value;
  var me = form.dataset.user;
  var myName = form.dataset.userName;
  var prefix = "asus-unsent-answers:" + form.dataset.assessment;
  var queueKey = prefix + ":" + me;
  var timers = {};
  var inflight = {};
  var changedWhileSending = {};
  var plurals;
  try {
    plurals = new Intl.PluralRules(document.documentElement.lang || "en");
  } catch (e) {
    plurals = new Intl.PluralRules("en");
  }

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  // A counted message: the form the language uses for `count` (see _answer_messages.html).
  function sayCount(forms, count, values) {
    var template = forms[plurals.select(count)] || forms.other;
    return say(template, Object.assign({ count: count }, values));
  }

  // -- the queue: every change is kept in localStorage until the server has it, under
  // "asus-unsent-answers:<assessment>:<user>" as {name, answers: {question: fields}}.
  function readStored(key) {
    try {
      return JSON.parse(localStorage.getItem(key));
    } catch (e) {
      return null;
    }
  }

  function readQueue() {
    var stored = readStored(queueKey);
    return (stored && stored.answers) || {};
  }

  function writeQueue(queue) {
    try {
      if (Object.keys(queue).length) {
        localStorage.setItem(queueKey, JSON.stringify({ name: myName, answers: queue }));
      } else {
        localStorage.removeItem(queueKey);
      }
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
    if (queue[id] && (!fields || JSON.stringify(queue[id]) === JSON.stringify(fields))) {
      delete queue[id];
      writeQueue(queue);
    }
  }

  // What other people typed on this browser for this assessment and did not send. Answers kept
  // before the queue named its person (no user in the key) count as someone else's.
  function othersQueues() {
    var found = [];
    for (var i = 0; i < localStorage.length; i += 1) {
      var key = localStorage.key(i);
      if (key === queueKey || (key !== prefix && key.indexOf(prefix + ":") !== 0)) continue;
      var stored = readStored(key) || {};
      var answers = key === prefix ? stored : stored.answers || {};
      var count = Object.keys(answers).length;
      if (count) found.push({ key: key, name: (key !== prefix && stored.name) || text.someone, count: count });
    }
    return found;
  }

  function showOthers() {
    var notice = document.getElementById("unsent-others");
    var others = othersQueues();
    notice.textContent = "";
    notice.hidden = others.length === 0;
    others.forEach(function (other) {
      var line = document.createElement("p");
      line.textContent = sayCount(text.othersUnsent, other.count, { name: other.name }) + " " + text.othersHint;
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button-secondary";
      discard.textContent = say(text.discard, { name: other.name });
      discard.addEventListener("click", function () {
        localStorage.removeItem(other.key);
        showOthers();
      });
      notice.appendChild(line);
      notice.appendChild(discard);
    });
  }

  // -- what the person sees beside each question. `actions` may offer "retry" (a function)
  // and "signIn" (a link to the sign-in page in a new tab, so that nothing here is lost).
  function setState(id, kind, message, actions) {
    var state = document.getElementById(id + "-state");
    if (!state) return;
    state.className = "save-state save-" + kind;
    state.textContent = message;
    actions = actions || {};
    if (actions.signIn) {
      var link = document.createElement("a");
      link.href = form.dataset.signIn;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = text.signIn;
      state.appendChild(document.createTextNode(" "));
      state.appendChild(link);
    }
    if (actions.retry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button-secondary";
      button.textContent = text.retry;
      button.addEventListener("click", actions.retry);
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

  function paragraph(box, words, strong) {
    var p = document.createElement("p");
    if (strong) {
      var bold = document.createElement("strong");
      bold.textContent = words;
      p.appendChild(bold);
    } else {
      p.textContent = words;
    }
    box.appendChild(p);
  }

  // Both answers, part by part: the parts both changed with both values, and the parts only
  // one of them changed with the change that is kept either way.
  function showConflict(id, data) {
    var question = questionEl(id);
    var old = question.querySelector(".conflict-live");
    if (old) old.remove();
    var name = data.theirs.by || text.someone;
    var box = document.createElement("div");
    box.className = "conflict conflict-live";
    box.setAttribute("role", "alert");
    paragraph(box, say(text.conflict, { name: name, time: data.theirs.at_text }), true);
    data.differences.forEach(function (d) {
      if (d.kept === null) {
        paragraph(box, say(text.bothChanged, { part: d.part }), true);
        paragraph(box, text.theirs + " " + d.theirs);
        paragraph(box, text.yours + " " + d.yours);
      } else if (d.kept === "yours") {
        paragraph(box, say(text.yoursKept, { part: d.part, text: d.yours }));
      } else {
        paragraph(box, say(text.theirsKept, { part: d.part, name: name, text: d.theirs }));
      }
    });
    var mine = document.createElement("button");
    mine.type = "button";
    mine.textContent = text.keep;
    mine.addEventListener("click", function () {
      fill(question, data.keep);
      box.remove();
      applyRules();
      send(id);
    });
    var theirs = document.createElement("button");
    theirs.type = "button";
    theirs.className = "button-secondary";
    theirs.textContent = text.take;
    theirs.addEventListener("click", function () {
      fill(question, data.take);
      box.remove();
      applyRules();
      if (data.take_is_theirs) {
        forget(id);
        setState(id, "saved", text.took);
      } else {
        send(id); // their answer, with this person's changes to the other parts
      }
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
    if (data.merged) fill(question, data.merged);
    question.querySelector('input[name$="__version"]').value = data.version;
    if (!data.carried_over) {
      var carried = question.querySelector(".carried");
      if (carried) carried.remove();
    }
    setState(id, "saved", say(data.merged ? text.merged : text.saved, { time: data.saved_at_text }));
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

  // -- the session: after the person signed in again (in another tab), the page's CSRF token is
  // the old session's. A fresh one comes with the name of whoever is signed in now; answers are
  // sent only when that is the person who typed them.
  function renewSession() {
    return fetch(form.dataset.signedIn, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      redirect: "manual",
      cache: "no-store",
    }).then(function (response) {
      if (!response.ok) return { signedOut: true };
      return response.json().then(function (data) {
        if (String(data.user) !== me) return { someoneElse: data.name };
        csrf = data.csrf_token;
        // The page's Save button and the header's Sign out post this token too.
        document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
          input.value = csrf;
        });
        return {};
      });
    });
  }

  function sessionProblem(id, session) {
    if (session.someoneElse) {
      setState(id, "failed", say(text.otherPerson, { name: session.someoneElse, me: myName }),
        { retry: retryAfterSignIn, signIn: true });
    } else {
      setState(id, "failed", text.signedOut, { retry: retryAfterSignIn, signIn: true });
    }
  }

  function retryAfterSignIn() {
    return renewSession().then(function (session) {
      if (session.signedOut || session.someoneElse) {
        Object.keys(readQueue()).forEach(function (id) { sessionProblem(id, session); });
      } else {
        sendQueued();
      }
    }, function () {
      Object.keys(readQueue()).forEach(function (id) { setState(id, "offline", text.offline); });
    });
  }

  function post(id, fields) {
    var body = new URLSearchParams();
    fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    var controller = new AbortController();
    var timeout = setTimeout(function () { controller.abort(); }, 30000);
    return fetch(urlFor(id), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
      redirect: "manual",
      signal: controller.signal,
    }).then(function (response) {
      clearTimeout(timeout);
      // Sent to the sign-in page: the session ended, as a 401 says.
      if (response.type === "opaqueredirect") return { status: 401, data: {} };
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    }, function (error) {
      clearTimeout(timeout);
      throw error;
    });
  }

  // Send one question's answer; the promise settles when it is saved or refused, or cannot be
  // sent now (the answer then stays queued).
  function send(id, renewed) {
    var question = questionEl(id);
    if (!question) return Promise.resolve();
    if (inflight[id]) {
      changedWhileSending[id] = true;
      return inflight[id];
    }
    var fields = valuesOf(question);
    keep(id, fields);
    if (!navigator.onLine) {
      setState(id, "offline", text.offline);
      return Promise.resolve();
    }
    setState(id, "saving", text.saving);
    var next = null;
    inflight[id] = post(id, fields)
      .then(function (reply) {
        var data = reply.data;
        if (reply.status === 200) {
          forget(id, fields);
          saved(id, data);
        } else if (reply.status === 401) {
          setState(id, "failed", text.signedOut, { retry: retryAfterSignIn, signIn: true });
        } else if (reply.status === 409) {
          setState(id, "failed", text.conflictState);
          showConflict(id, data);
        } else if (reply.status === 400 && data.errors) {
          var messages = Object.keys(data.errors).map(function (k) { return data.errors[k].join(" "); });
          setState(id, "failed", say(text.invalid, { message: messages.join(" ") }));
        } else if (reply.status === 400 && !renewed) {
          // Most likely the token of an earlier session: get this one's, then send again.
          next = function () {
            return renewSession().then(function (session) {
              if (session.signedOut || session.someoneElse) sessionProblem(id, session);
              else return send(id, true);
            }, function () {
              setState(id, "failed", text.failed, { retry: function () { send(id); } });
            });
          };
        } else if (reply.status >= 500 || !data.message) {
          setState(id, "failed", text.failed, { retry: function () { send(id); } });
        } else {
          setState(id, "failed", say(text.refused, { message: data.message }));
        }
      })
      .catch(function () {
        if (navigator.onLine) setState(id, "failed", text.failed, { retry: function () { send(id); } });
        else setState(id, "offline", text.offline);
      })
      .then(function () {
        inflight[id] = null;
        if (changedWhileSending[id]) {
          changedWhileSending[id] = false;
          return send(id);
        }
        if (next) return next();
      });
    return inflight[id];
  }

  function schedule(event) {
    var question = event.target.closest("[data-question]");
    if (!question || !event.target.name || event.target.type === "file") return;
    var id = question.dataset.question;
    clearTimeout(timers[id]);
    var typing = event.type === "input";
    if (typing) setState(id, "pending", text.pending);
    timers[id] = setTimeout(function () {
      timers[id] = null;
      send(id);
    }, typing ? 1500 : 0);
  }

  function sendQueued() {
    var queue = readQueue();
    var elsewhere = 0;
    var sent = Object.keys(queue).map(function (id) {
      if (questionEl(id)) return send(id);
      elsewhere += 1;
      return null;
    });
    var note = document.getElementById("unsent-elsewhere");
    if (note) {
      note.hidden = elsewhere === 0;
      note.textContent = elsewhere ? sayCount(text.elsewhere, elsewhere) : "";
    }
    return Promise.all(sent);
  }

  // Send at once the answers still waiting for the pause after typing; the promise settles
  // when every answer of the page being sent is saved or refused.
  function sendPending() {
    Object.keys(timers).forEach(function (id) {
      if (!timers[id]) return;
      clearTimeout(timers[id]);
      timers[id] = null;
      send(id);
    });
    return Promise.all(Object.keys(inflight).map(function (id) { return inflight[id]; }));
  }

  // -- attaching or removing a file leaves the page: the answers typed just before are sent
  // first, or the navigation would cut their saving off (what cannot be sent stays queued in
  // this browser and is sent from the page it comes back to).
  document.querySelectorAll("form[data-after-saves]").forEach(function (leaving) {
    var waiting = false;
    leaving.addEventListener("submit", function (event) {
      event.preventDefault();
      if (waiting) return;
      waiting = true;
      var button = event.submitter;
      sendPending().catch(function () {}).then(function () {
        if (button && button.hasAttribute("formaction")) leaving.action = button.formAction;
        leaving.submit();
      });
    });
    // Back to this page from the browser's cache: its buttons work again.
    window.addEventListener("pageshow", function () { waiting = false; });
  });

  // -- signing out: this person's unsent answers are sent first (those of other pages of the
  // assessment too); what cannot be sent now is deleted from this browser only if they agree.
  var signOut = document.querySelector("form[data-sign-out]");
  function sendBeforeSigningOut() {
    sendPending();
    var queue = readQueue();
    return Promise.all(Object.keys(queue).map(function (id) {
      if (questionEl(id)) return send(id);
      if (!navigator.onLine) return null;
      return post(id, queue[id]).then(function (reply) {
        if (reply.status === 200) forget(id, queue[id]);
      }, function () {});
    }));
  }
  if (signOut) {
    signOut.addEventListener("submit", function (event) {
      event.preventDefault();
      // Whatever happened while sending, the person can still sign out.
      sendBeforeSigningOut().catch(function () {}).then(function () {
        var left = Object.keys(readQueue()).length;
        if (left) {
          if (!window.confirm(sayCount(text.signOutUnsent, left))) return;
          writeQueue({});
        }
        signOut.submit();
      });
    });
  }

  // A reload or a new visit puts back what this person typed but did not send, then sends it;
  // a version older than the stored one is merged with the changes made meanwhile or comes back
  // as a conflict, never as a silent overwrite.
  var unsent = readQueue();
  Object.keys(unsent).forEach(function (id) {
    var question = questionEl(id);
    if (!question) return;
    var fields = {};
    unsent[id].forEach(function (pair) {
      fields[pair[0]] = pair[0] in fields ? [].concat(fields[pair[0]], pair[1]) : pair[1];
    });
    question.querySelectorAll("input, textarea").forEach(function (input) {
      if (input.name && !(input.name in fields) && input.type !== "hidden" && input.type !== "file") {
        fields[input.name] = null;
      }
    });
    fill(question, fields);
  });
  applyRules();
  showOthers();

  form.addEventListener("change", schedule);
  form.addEventListener("input", schedule);
  window.addEventListener("online", sendQueued);
  sendQueued();
})();
