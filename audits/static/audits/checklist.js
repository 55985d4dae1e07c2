/* The internal audit checklist saves as the auditor types.
 *
 * Every change is first written to localStorage (one key per audit and item),
 * then sent as JSON with the item's version (debounced while typing, at once
 * when a result is chosen). The key is removed only once the server confirms
 * the save, so nothing typed is lost when the connection drops or the tablet
 * reloads the page: pending changes are put back into their fields on load
 * and sent again, when the browser says it is online again, and every 10 s.
 *
 * A 409 (someone else saved the item first) shows the stored copy and lets
 * the auditor keep theirs (sent again with the new version) or take the
 * stored one. Without this script each item is a plain form with a button.
 * No external libraries.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-checklist]");
  if (!root || !window.fetch || !window.JSON) {
    return;
  }
  root.classList.add("cl--js");

  var DEBOUNCE_MS = 800;
  var RETRY_MS = 10000;
  var FIELDS = ["question", "result", "evidence", "auditor"];
  var audit = root.getAttribute("data-audit");
  var baseUrl = root.getAttribute("data-url");
  // Per user and audit: on a shared tablet nobody replays a colleague's
  // unsent answers under their own name.
  var prefix =
    "shoukong.checklist." + root.getAttribute("data-user") + "." + audit + ".";
  var online = navigator.onLine !== false;
  var states = {};

  var texts = {};
  try {
    texts = JSON.parse(document.getElementById("checklist-texts").textContent);
  } catch (e) {
    texts = {};
  }

  function t(key, params) {
    var text = texts[key] || key;
    if (params) {
      Object.keys(params).forEach(function (name) {
        text = text.split("%(" + name + ")s").join(String(params[name]));
      });
    }
    return text;
  }

  // --- Storage: localStorage, or memory when the browser refuses it ----------------

  var memory = {};
  var storage = (function () {
    try {
      var probe = prefix + "probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null;
    }
  })();

  function load(id) {
    var raw = null;
    if (storage) {
      raw = storage.getItem(prefix + id);
    }
    if (raw === null && memory.hasOwnProperty(id)) {
      raw = memory[id];
    }
    if (!raw) {
      return null;
    }
    try {
      var entry = JSON.parse(raw);
      return entry && entry.fields ? entry : null;
    } catch (e) {
      return null;
    }
  }

  function store(id, entry) {
    var raw = JSON.stringify(entry);
    if (storage) {
      try {
        storage.setItem(prefix + id, raw);
        delete memory[id];
        return;
      } catch (e) {
        /* full or refused: keep it in memory at least */
      }
    }
    memory[id] = raw;
  }

  function drop(id) {
    if (storage) {
      storage.removeItem(prefix + id);
    }
    delete memory[id];
  }

  function pendingIds() {
    var ids = [];
    if (storage) {
      for (var i = 0; i < storage.length; i++) {
        var key = storage.key(i);
        if (key && key.indexOf(prefix) === 0 && key !== prefix + "probe") {
          ids.push(key.slice(prefix.length));
        }
      }
    }
    Object.keys(memory).forEach(function (id) {
      if (ids.indexOf(id) < 0) {
        ids.push(id);
      }
    });
    return ids;
  }

  function hasFields(entry) {
    return entry && Object.keys(entry.fields).length > 0;
  }

  // --- The page ----------------------------------------------------------------------

  function state(id) {
    if (!states[id]) {
      states[id] = { timer: null, inflight: false, again: false, conflict: false, error: false };
    }
    return states[id];
  }

  function itemEl(id) {
    return root.querySelector('[data-item="' + id + '"]');
  }

  function itemUrl(id) {
    var el = itemEl(id);
    return el ? el.getAttribute("data-url") : baseUrl + id + "/";
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    if (meta) {
      return meta.getAttribute("content");
    }
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function hhmm() {
    var now = new Date();
    return pad(now.getHours()) + ":" + pad(now.getMinutes());
  }

  function showStatus(el, text, kind) {
    if (!el) {
      return;
    }
    var box = el.querySelector('[data-role="status"]');
    if (!box) {
      return;
    }
    box.textContent = text;
    box.className = "cl-item__state" + (kind ? " cl-item__state--" + kind : "");
    box.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  function fieldValue(input) {
    if (input.type === "radio") {
      return input.checked ? input.value : null;
    }
    return input.value;
  }

  function setField(el, name, value) {
    if (!el) {
      return false;
    }
    if (name === "result") {
      var radios = el.querySelectorAll('input[name="result"]');
      var found = false;
      Array.prototype.forEach.call(radios, function (radio) {
        radio.checked = radio.value === value;
        found = found || radio.checked;
      });
      return found || value === "";
    }
    var input = el.querySelector('[data-field="' + name + '"]');
    if (!input) {
      return false;
    }
    input.value = value === null || value === undefined ? "" : String(value);
    return true;
  }

  function normal(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/\r\n/g, "\n")
      .trim();
  }

  // Whether the stored item already holds every value of ``fields``.
  function sameAsStored(item, fields) {
    return Object.keys(fields).every(function (name) {
      return normal(item[name]) === normal(fields[name]);
    });
  }

  function updateProgress() {
    var items = root.querySelectorAll("[data-item]");
    var answered = 0;
    Array.prototype.forEach.call(items, function (el) {
      if (el.getAttribute("data-result")) {
        answered += 1;
      }
    });
    var count = root.querySelector('[data-role="answered"]');
    var total = root.querySelector('[data-role="total"]');
    var bar = root.querySelector('[data-role="progress"]');
    if (count) {
      count.textContent = answered;
    }
    if (total) {
      total.textContent = items.length;
    }
    if (bar) {
      bar.value = answered;
      bar.max = Math.max(items.length, 1);
    }
  }

  function updateBanner() {
    var banner = root.querySelector('[data-role="banner"]');
    if (!banner) {
      return;
    }
    var count = pendingIds().filter(function (id) {
      return hasFields(load(id));
    }).length;
    if (!online) {
      banner.textContent = t("offline", { count: count });
      banner.className = "cl-banner cl-banner--offline";
      banner.hidden = false;
    } else if (count > 0) {
      banner.textContent = t("pending", { count: count });
      banner.className = "cl-banner";
      banner.hidden = false;
    } else {
      banner.hidden = true;
      banner.textContent = "";
    }
    root.setAttribute("data-pending", String(count));
    root.setAttribute("data-online", online ? "1" : "0");
  }

  function setOnline(value) {
    if (online !== value) {
      online = value;
    }
    updateBanner();
  }

  // Show what the server stored; ``overwrite`` puts its values into the fields.
  function apply(el, item, overwrite) {
    if (!el || !item) {
      return;
    }
    el.setAttribute("data-version", item.version);
    el.setAttribute("data-result", item.result || "");
    el.classList.toggle("cl-item--answered", !!item.result);
    var version = el.querySelector('[data-role="version"]');
    if (version) {
      version.value = item.version;
    }
    if (overwrite) {
      FIELDS.forEach(function (name) {
        if (name === "auditor") {
          setField(el, name, item.auditor === null ? "" : item.auditor);
        } else {
          setField(el, name, item[name] || "");
        }
      });
    }
    var answered = el.querySelector('[data-role="answered"]');
    if (answered) {
      answered.textContent = item.answered_by
        ? t("answered", { name: item.answered_by, when: item.answered_at_display })
        : "";
    }
    var finding = el.querySelector('[data-role="finding"]');
    if (finding) {
      var write = finding.querySelector('[data-role="write-up"]');
      if (item.finding) {
        finding.textContent = "";
        var p = document.createElement("p");
        var a = document.createElement("a");
        a.href = item.finding_url;
        a.textContent = item.finding;
        p.appendChild(a);
        finding.appendChild(p);
      } else if (write) {
        write.hidden = !item.needs_finding;
      }
    }
    updateProgress();
  }

  // Our own save moved the version on: pending changes follow it.
  function rebase(id, from, to) {
    var entry = load(id);
    if (entry && String(entry.version) === String(from)) {
      entry.version = to;
      store(id, entry);
    }
  }

  // --- Conflicts and refusals ---------------------------------------------------------

  function clearBox(el) {
    if (!el) {
      return;
    }
    var box = el.querySelector('[data-role="conflict"]');
    if (box) {
      box.parentNode.removeChild(box);
    }
  }

  function makeButton(label, kind, testid, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button " + kind;
    button.textContent = label;
    button.setAttribute("data-testid", testid);
    button.addEventListener("click", onClick);
    return button;
  }

  function takeTheirs(id, item) {
    var st = state(id);
    var el = itemEl(id);
    drop(id);
    st.conflict = false;
    st.error = false;
    clearBox(el);
    apply(el, item, true);
    showStatus(el, t("saved", { time: hhmm() }), "saved");
    updateBanner();
  }

  function showBox(el, id, item, message, conflict) {
    if (!el) {
      return;
    }
    clearBox(el);
    var box = document.createElement("div");
    box.className = "cl-conflict";
    box.setAttribute("data-role", "conflict");
    box.setAttribute("data-testid", conflict ? "item-conflict" : "item-error");
    box.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = message;
    box.appendChild(p);
    if (conflict && item) {
      [
        ["theirs_result", item.result_label],
        ["theirs_evidence", item.evidence],
        ["theirs_question", item.question]
      ].forEach(function (pair) {
        var label = document.createElement("p");
        label.textContent = t(pair[0]);
        var pre = document.createElement("pre");
        pre.textContent = pair[1] || t("none");
        box.appendChild(label);
        box.appendChild(pre);
      });
    }
    var buttons = document.createElement("div");
    buttons.className = "cl-conflict__buttons";
    if (conflict) {
      buttons.appendChild(
        makeButton(t("keep_mine"), "button--primary", "keep-mine", function () {
          var entry = load(id);
          if (entry) {
            entry.version = item.version;
            store(id, entry);
          }
          el.setAttribute("data-version", item.version);
          state(id).conflict = false;
          clearBox(el);
          send(id);
        })
      );
    }
    if (item) {
      buttons.appendChild(
        makeButton(
          conflict ? t("take_theirs") : t("discard"),
          "button--quiet",
          conflict ? "take-theirs" : "discard",
          function () {
            takeTheirs(id, item);
          }
        )
      );
    }
    box.appendChild(buttons);
    var form = el.querySelector('[data-role="form"]');
    if (form) {
      form.parentNode.insertBefore(box, form);
    } else {
      el.appendChild(box);
    }
  }

  // --- Sending ----------------------------------------------------------------------

  function schedule(id, delay) {
    var st = state(id);
    window.clearTimeout(st.timer);
    st.timer = window.setTimeout(function () {
      send(id);
    }, delay);
  }

  function send(id) {
    var st = state(id);
    if (st.inflight) {
      st.again = true;
      return;
    }
    if (st.conflict) {
      return;
    }
    var entry = load(id);
    if (!hasFields(entry)) {
      drop(id);
      updateBanner();
      return;
    }
    var el = itemEl(id);
    if (navigator.onLine === false) {
      setOnline(false);
      showStatus(el, t("waiting"), "waiting");
      return;
    }
    var sent = {};
    Object.keys(entry.fields).forEach(function (name) {
      sent[name] = entry.fields[name];
    });
    var body = {};
    Object.keys(sent).forEach(function (name) {
      body[name] = sent[name];
    });
    body.version = entry.version;
    st.inflight = true;
    showStatus(el, t("saving"), "saving");
    fetch(itemUrl(id), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
        "X-Requested-With": "XMLHttpRequest"
      },
      body: JSON.stringify(body)
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (data) {
            return { status: response.status, data: data };
          });
      })
      .then(
        function (reply) {
          st.inflight = false;
          setOnline(true);
          handle(id, sent, reply);
        },
        function () {
          st.inflight = false;
          setOnline(false);
          showStatus(itemEl(id), t("waiting"), "waiting");
        }
      )
      .then(function () {
        if (st.again) {
          st.again = false;
          schedule(id, 0);
        }
      });
  }

  function saved(id, sent, item) {
    var el = itemEl(id);
    var st = state(id);
    var entry = load(id);
    if (entry) {
      Object.keys(sent).forEach(function (name) {
        if (entry.fields[name] === sent[name]) {
          delete entry.fields[name];
        }
      });
      entry.version = item.version;
      if (hasFields(entry)) {
        store(id, entry);
        st.again = true;
      } else {
        drop(id);
      }
    }
    st.error = false;
    clearBox(el);
    apply(el, item, false);
    showStatus(el, t("saved", { time: hhmm() }), "saved");
  }

  function handle(id, sent, reply) {
    var el = itemEl(id);
    var st = state(id);
    var data = reply.data || {};
    if (reply.status === 200 && data.ok && data.item) {
      saved(id, sent, data.item);
    } else if (reply.status === 409 && data.item) {
      if (sameAsStored(data.item, sent)) {
        // Our earlier save reached the server; its answer did not reach us.
        saved(id, sent, data.item);
      } else {
        st.conflict = true;
        showStatus(el, t("refused"), "error");
        showBox(el, id, data.item, t("conflict"), true);
      }
    } else if (reply.status >= 500) {
      // The server or a proxy failed for now: kept, and tried again.
      showStatus(el, t("waiting"), "waiting");
    } else if (reply.status === 404) {
      drop(id);
      if (el) {
        showStatus(el, t("refused"), "error");
      }
    } else {
      // Refused (400, 403) or not understood (a login page, a proxy error):
      // kept here, not retried on its own until the auditor changes something.
      st.error = true;
      var message = (data.errors && data.errors.join(" ")) || t("refused");
      showStatus(el, t("refused"), "error");
      showBox(el, id, data.item || null, message, false);
    }
    updateBanner();
  }

  function flushAll() {
    pendingIds().forEach(function (id) {
      var st = state(id);
      if (!st.inflight && !st.conflict && !st.error) {
        send(id);
      }
    });
    updateBanner();
  }

  // --- Typing and choosing -------------------------------------------------------------

  function remember(el, name, value) {
    var id = el.getAttribute("data-item");
    var entry = load(id) || { version: el.getAttribute("data-version"), fields: {} };
    entry.fields[name] = value;
    entry.at = Date.now();
    store(id, entry);
    state(id).error = false;
    showStatus(el, t("waiting"), "waiting");
    updateBanner();
    return id;
  }

  function onEdit(event, immediate) {
    var input = event.target;
    if (!input || !input.getAttribute || !input.hasAttribute("data-field")) {
      return;
    }
    var el = input.closest("[data-item]");
    if (!el) {
      return;
    }
    var value = fieldValue(input);
    if (value === null) {
      return;
    }
    var id = remember(el, input.getAttribute("data-field"), value);
    schedule(id, immediate ? 0 : DEBOUNCE_MS);
  }

  root.addEventListener("input", function (event) {
    var input = event.target;
    if (input && input.tagName === "TEXTAREA") {
      onEdit(event, false);
    }
  });

  root.addEventListener("change", function (event) {
    var input = event.target;
    if (!input) {
      return;
    }
    if (input.type === "file") {
      upload(input);
      return;
    }
    // Results and auditors at once; text when the field is left.
    onEdit(event, true);
  });

  // The save button (kept for pages without the script) sends at once.
  root.addEventListener("submit", function (event) {
    var form = event.target;
    var confirmText = form.getAttribute("data-confirm");
    if (confirmText && !window.confirm(confirmText)) {
      event.preventDefault();
      return;
    }
    if (form.getAttribute("data-role") === "upload") {
      event.preventDefault();
      Array.prototype.forEach.call(form.querySelectorAll('input[type="file"]'), function (input) {
        if (input.files && input.files.length) {
          upload(input);
        }
      });
      return;
    }
    if (form.getAttribute("data-role") !== "form") {
      return;
    }
    event.preventDefault();
    var el = form.closest("[data-item]");
    Array.prototype.forEach.call(form.querySelectorAll("[data-field]"), function (input) {
      if (input.disabled) {
        return;
      }
      var value = fieldValue(input);
      if (value !== null) {
        remember(el, input.getAttribute("data-field"), value);
      }
    });
    send(el.getAttribute("data-item"));
  });

  // --- Evidence files ------------------------------------------------------------------

  function upload(input) {
    var form = input.closest("form");
    var el = input.closest("[data-item]");
    if (!form || !el || !input.files || !input.files.length) {
      return;
    }
    var id = el.getAttribute("data-item");
    var status = form.querySelector('[data-role="upload-status"]');
    function say(text, error) {
      if (status) {
        status.textContent = text;
        status.className = "cl-upload__state" + (error ? " cl-upload__state--error" : "");
        status.setAttribute("role", error ? "alert" : "status");
      }
    }
    if (navigator.onLine === false) {
      setOnline(false);
      say(t("upload_offline"), true);
      return;
    }
    var data = new FormData();
    Array.prototype.forEach.call(input.files, function (file) {
      data.append("files", file, file.name);
    });
    say(t("uploading"), false);
    var before = el.getAttribute("data-version");
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: data
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (body) {
            return { status: response.status, data: body || {} };
          });
      })
      .then(
        function (reply) {
          setOnline(true);
          input.value = "";
          if (reply.status === 200 && reply.data.ok) {
            var list = el.querySelector('[data-role="files"]');
            (reply.data.files || []).forEach(function (file) {
              var li = document.createElement("li");
              var a = document.createElement("a");
              a.href = file.url;
              a.textContent = file.name;
              a.setAttribute("data-testid", "evidence-file");
              var size = document.createElement("span");
              size.className = "muted";
              size.textContent = " " + file.size_display;
              li.appendChild(a);
              li.appendChild(size);
              if (list) {
                list.appendChild(li);
              }
            });
            if (reply.data.item) {
              rebase(id, before, reply.data.item.version);
              apply(el, reply.data.item, false);
            }
            say(t("uploaded"), false);
          } else {
            say((reply.data.errors || [t("refused")]).join(" "), true);
          }
        },
        function () {
          setOnline(false);
          say(t("upload_offline"), true);
        }
      );
  }

  // --- Filter without a reload ------------------------------------------------------------

  root.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-filter]") : null;
    if (!link) {
      return;
    }
    event.preventDefault();
    var show = link.getAttribute("data-filter");
    Array.prototype.forEach.call(root.querySelectorAll("[data-filter]"), function (other) {
      if (other === link) {
        other.setAttribute("aria-current", "true");
      } else {
        other.removeAttribute("aria-current");
      }
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-item]"), function (el) {
      el.hidden =
        (show === "mine" && !el.getAttribute("data-mine")) ||
        (show === "unanswered" && !!el.getAttribute("data-result"));
    });
    Array.prototype.forEach.call(root.querySelectorAll(".cl-clause"), function (group) {
      group.hidden = !group.querySelector("[data-item]:not([hidden])");
    });
    Array.prototype.forEach.call(root.querySelectorAll('input[name="show"]'), function (input) {
      input.value = show;
    });
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", show === "all" ? "?" : "?show=" + show);
    }
  });

  // --- Start: put back what was not sent, send it, keep trying ----------------------------

  pendingIds().forEach(function (id) {
    var entry = load(id);
    if (!hasFields(entry)) {
      drop(id);
      return;
    }
    var el = itemEl(id);
    if (!el) {
      return;
    }
    var stored = {};
    var current = true;
    Object.keys(entry.fields).forEach(function (name) {
      var input =
        name === "result"
          ? el.querySelector('input[name="result"]:checked')
          : el.querySelector('[data-field="' + name + '"]');
      var value = input ? input.value : "";
      stored[name] = value;
      if (normal(value) !== normal(entry.fields[name])) {
        current = false;
      }
    });
    if (current) {
      // The page shows it already: it was saved before the answer got lost.
      drop(id);
      return;
    }
    Object.keys(entry.fields).forEach(function (name) {
      setField(el, name, entry.fields[name]);
    });
    showStatus(el, t("waiting"), "waiting");
  });

  window.addEventListener("online", function () {
    setOnline(true);
    flushAll();
  });
  window.addEventListener("offline", function () {
    setOnline(false);
  });
  window.setInterval(function () {
    if (pendingIds().length) {
      flushAll();
    }
  }, RETRY_MS);

  online = navigator.onLine !== false;
  updateProgress();
  flushAll();
})();
