// The campaign editor: a form that becomes a campaign document (sync/campaigns/schema.py),
// saved through /api/v1/campaigns, with a live preview drawn by the storefront's own
// renderer (the real loader.js, loaded with data-cible-preview, then window.Cible.render)
// at desktop and mobile widths. A refused save shows each field's error, in the admin's
// language, next to its field; errors on fields the form does not show are listed above it.
// Dependency-free.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("editor-config").textContent);
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var form = document.getElementById("campaign-form");
  var list = document.getElementById("variants");
  var template = document.getElementById("variant-template");
  var picker = document.getElementById("preview-variant");
  var note = document.getElementById("preview-note");
  var status = document.getElementById("save-status");
  var problems = document.getElementById("save-problems");
  var hosts = [document.getElementById("preview-desktop"), document.getElementById("preview-mobile")];
  var M = config.messages;
  var closers = [];
  // The loaded document: fields this form does not edit are kept from it on save.
  var original = {};
  var timer = null;
  var sequence = 0;

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  function field(name) { return form.elements.namedItem(name); }
  function number(value) {
    if (value === "" || value === null || value === undefined) return null;
    var parsed = Number(value);
    return isFinite(parsed) ? parsed : null;
  }
  function request(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  // ---- variants -------------------------------------------------------------------------
  function variantFields(node) {
    var values = {};
    node.querySelectorAll("[data-field]").forEach(function (input) {
      values[input.getAttribute("data-field")] = input.type === "checkbox" ? input.checked : input.value;
    });
    return values;
  }
  function addVariant(variant) {
    var node = template.content.firstElementChild.cloneNode(true);
    var content = variant.content || {};
    var button = content.button || {};
    var capture = content.form || null;
    var set = function (name, value) {
      var input = node.querySelector('[data-field="' + name + '"]');
      if (input.type === "checkbox") input.checked = !!value;
      else if (value !== undefined && value !== null) input.value = value;
    };
    set("key", variant.key);
    set("weight", variant.weight === undefined ? 1 : variant.weight);
    set("title", content.title);
    set("html", content.html);
    set("discount_code", content.discount_code);
    set("image_url", content.image_url);
    set("button_label", button.label);
    set("button_url", button.action === "link" ? button.url : "");
    set("form", !!capture);
    if (capture) {
      set("consent_text", capture.consent_text);
      set("submit_label", capture.submit_label);
      set("success_text", capture.success_text);
    }
    node.setAttribute("data-control", variant.control ? "true" : "false");
    node.querySelector("[data-content]").hidden = !!variant.control;
    node.querySelector("[data-control-note]").hidden = !variant.control;
    node.querySelector("[data-form-fields]").hidden = !capture;
    node.querySelector('[data-field="form"]').addEventListener("change", function (event) {
      node.querySelector("[data-form-fields]").hidden = !event.target.checked;
    });
    node.querySelector("[data-remove]").addEventListener("click", function () {
      if (list.children.length > 1) { node.remove(); refreshPicker(); changed(); }
    });
    list.appendChild(node);
    refreshPicker();
  }
  function nextKey() {
    var used = Array.prototype.map.call(list.children, function (node) { return variantFields(node).key; });
    for (var code = 97; code < 123; code++) {
      var key = String.fromCharCode(code);
      if (used.indexOf(key) < 0) return key;
    }
    return "v" + used.length;
  }
  function variantDocument(node) {
    var v = variantFields(node);
    var control = node.getAttribute("data-control") === "true";
    var doc = { key: v.key.trim(), weight: number(v.weight) === null ? 1 : number(v.weight), control: control, content: {} };
    if (!control) {
      var content = { title: v.title || null, html: v.html || "", discount_code: v.discount_code || null,
                      image_url: v.image_url || null };
      if (v.button_label) {
        content.button = v.button_url ? { label: v.button_label, action: "link", url: v.button_url }
                                      : { label: v.button_label, action: "close" };
      }
      if (v.form) {
        content.form = { fields: ["email"], consent_text: v.consent_text, submit_label: v.submit_label,
                         success_text: v.success_text || null };
      }
      doc.content = content;
    }
    return doc;
  }
  function refreshPicker() {
    var chosen = picker.value;
    picker.innerHTML = "";
    Array.prototype.forEach.call(list.children, function (node) {
      var v = variantFields(node);
      var option = document.createElement("option");
      option.value = v.key;
      option.textContent = node.getAttribute("data-control") === "true" ? M.control : fill(M.variant, { key: v.key.toUpperCase() });
      picker.appendChild(option);
    });
    if (chosen) picker.value = chosen;
    if (!picker.value && picker.options.length) picker.value = picker.options[0].value;
  }

  // ---- the document ---------------------------------------------------------------------
  function triggerDocument() {
    var type = field("trigger").value;
    var value = number(field("trigger_value").value);
    var needs = { delay: "seconds", scroll: "percent", page_views: "count", cart_value: "above", cart_items: "above" }[type];
    var trigger = { type: type };
    if (needs) trigger[needs] = needs === "above" ? (value || 0) : Math.round(value || (needs === "count" ? 1 : needs === "percent" ? 50 : 0));
    return trigger;
  }
  function collect() {
    var include = [], exclude = [];
    form.querySelectorAll("[data-segment]").forEach(function (select) {
      var id = Number(select.getAttribute("data-segment"));
      if (select.value === "include") include.push(id);
      if (select.value === "exclude") exclude.push(id);
    });
    var checked = function (name) {
      return Array.prototype.filter.call(form.querySelectorAll('input[name="' + name + '"]'), function (box) { return box.checked; })
        .map(function (box) { return box.value; });
    };
    var when = function (value) { return value ? value + ":00" : null; };
    var urlContains = field("url_contains").value.trim();
    var kind = field("kind").value;
    var pagesBefore = original.pages || {};
    var audienceBefore = original.audience || {};
    var scheduleBefore = original.schedule || {};
    var otherUrls = (pagesBefore.url || []).filter(function (rule, index) {
      return !(rule.op === "contains" && index === firstContains(pagesBefore));
    });
    var doc = {
      name: field("name").value.trim(),
      kind: kind,
      slot: kind === "inline" ? (field("slot").value.trim() || null) : null,
      goal: field("goal").value,
      priority: Math.round(number(field("priority").value) || 0),
      audience: { segments: { include: include, exclude: exclude }, visitors: field("visitors").value, devices: checked("device"),
                  countries: audienceBefore.countries || [], returning: audienceBefore.returning === undefined ? null : audienceBefore.returning },
      pages: { page_types: checked("page_type"),
               url: (urlContains ? [{ op: "contains", value: urlContains }] : []).concat(otherUrls),
               url_exclude: pagesBefore.url_exclude || [], products: pagesBefore.products || [],
               categories: pagesBefore.categories || [] },
      triggers: [triggerDocument()].concat((original.triggers || []).slice(1)),
      frequency: {
        per_session: number(field("per_session").value), every_days: number(field("every_days").value),
        max_times: number(field("max_times").value), stop_after_closes: number(field("stop_after_closes").value),
        stop_after_conversion: field("stop_after_conversion").checked
      },
      schedule: { starts_at: when(field("starts_at").value), ends_at: when(field("ends_at").value),
                  weekdays: scheduleBefore.weekdays || [], hours: scheduleBefore.hours || null },
      variants: Array.prototype.map.call(list.children, variantDocument)
    };
    if (original.attribution_days) doc.attribution_days = original.attribution_days;
    return doc;
  }
  function firstContains(pages) {
    return (pages.url || []).map(function (rule) { return rule.op; }).indexOf("contains");
  }
  function load(doc) {
    original = doc;
    field("name").value = doc.name || "";
    field("kind").value = doc.kind || "popup";
    field("slot").value = doc.slot || "";
    field("goal").value = doc.goal || "conversion";
    field("priority").value = doc.priority || 0;
    var audience = doc.audience || {};
    var segments = audience.segments || { include: [], exclude: [] };
    form.querySelectorAll("[data-segment]").forEach(function (select) {
      var id = Number(select.getAttribute("data-segment"));
      select.value = segments.include.indexOf(id) >= 0 ? "include" : segments.exclude.indexOf(id) >= 0 ? "exclude" : "";
    });
    field("visitors").value = audience.visitors || "all";
    form.querySelectorAll('input[name="device"]').forEach(function (box) { box.checked = (audience.devices || []).indexOf(box.value) >= 0; });
    var pages = doc.pages || {};
    form.querySelectorAll('input[name="page_type"]').forEach(function (box) { box.checked = (pages.page_types || []).indexOf(box.value) >= 0; });
    var contains = (pages.url || []).filter(function (rule) { return rule.op === "contains"; })[0];
    field("url_contains").value = contains ? contains.value : "";
    var trigger = (doc.triggers || [{ type: "load" }])[0];
    field("trigger").value = trigger.type;
    field("trigger_value").value = trigger.seconds || trigger.percent || trigger.count || trigger.above || "";
    var frequency = doc.frequency || {};
    ["per_session", "every_days", "max_times", "stop_after_closes"].forEach(function (name) {
      field(name).value = frequency[name] || "";
    });
    field("stop_after_conversion").checked = !!frequency.stop_after_conversion;
    var schedule = doc.schedule || {};
    field("starts_at").value = schedule.starts_at ? schedule.starts_at.slice(0, 16) : "";
    field("ends_at").value = schedule.ends_at ? schedule.ends_at.slice(0, 16) : "";
    list.innerHTML = "";
    (doc.variants || []).forEach(addVariant);
    showKind();
  }
  function showKind() {
    var inline = field("kind").value === "inline";
    form.querySelectorAll('[data-when-kind="inline"]').forEach(function (node) { node.hidden = !inline; });
  }

  // ---- live preview ---------------------------------------------------------------------
  function clearPreview() {
    closers.forEach(function (close) { try { close(); } catch (e) { /* already gone */ } });
    closers = [];
    hosts.forEach(function (host) { host.innerHTML = ""; });
  }
  function preview() {
    var doc = collect();
    var node = Array.prototype.filter.call(list.children, function (n) { return variantFields(n).key === picker.value; })[0] || list.children[0];
    if (!node) return;
    var variant = variantDocument(node);
    var mine = ++sequence;
    if (variant.control) {
      clearPreview();
      note.textContent = M.controlPreview;
      return;
    }
    request("POST", config.previewUrl, { content: variant.content }).then(function (answer) {
      if (mine !== sequence) return;
      clearPreview();
      if (answer.status !== 200) {
        note.textContent = fill(M.previewFailed, {
          reason: (answer.data.localized && answer.data.localized.message) || answer.data.message || answer.status
        });
        return;
      }
      note.textContent = "";
      if (!window.Cible || !window.Cible.render) return;
      var campaign = { id: "preview", variant: variant.key, control: false, kind: doc.kind, slot: doc.slot,
                       priority: doc.priority, triggers: doc.triggers, frequency: doc.frequency,
                       content: answer.data.content };
      hosts.forEach(function (host) {
        closers.push(window.Cible.render(campaign, { host: host, device: host.getAttribute("data-device") }));
      });
    });
  }
  function changed() {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, 300);
  }

  // ---- a refused save: errors next to their fields ---------------------------------------
  // The document's fields the form edits, by their path in the API's `fields`.
  var NAMED = {
    "name": "name", "kind": "kind", "slot": "slot", "goal": "goal", "priority": "priority",
    "audience.visitors": "visitors", "frequency.per_session": "per_session",
    "frequency.every_days": "every_days", "frequency.max_times": "max_times",
    "frequency.stop_after_closes": "stop_after_closes",
    "frequency.stop_after_conversion": "stop_after_conversion",
    "schedule.starts_at": "starts_at", "schedule.ends_at": "ends_at"
  };
  // marshmallow's shape: {field: [messages]}, nested objects, list indexes as keys, and
  // "_schema" for a message about the object itself.
  function flatten(tree, path, out) {
    if (typeof tree === "string") out.push({ path: path, message: tree });
    else if (Array.isArray(tree)) tree.forEach(function (item) { flatten(item, path, out); });
    else if (tree && typeof tree === "object") {
      Object.keys(tree).forEach(function (key) {
        flatten(tree[key], key === "_schema" ? path : path.concat(key), out);
      });
    }
    return out;
  }
  function group(name) {
    var first = form.querySelector('input[name="' + name + '"]');
    return first ? first.closest("fieldset") : null;
  }
  function target(path) {
    var key = path.join(".");
    if (NAMED[key]) return field(NAMED[key]);
    if (key === "audience.devices" || key.indexOf("audience.devices.") === 0) return group("device");
    if (key === "pages.page_types" || key.indexOf("pages.page_types.") === 0) return group("page_type");
    if (key.indexOf("audience.segments") === 0) return document.getElementById("audience-segments");
    // The form's "URL contains" rule is the first of the document's URL rules.
    if (path[0] === "pages" && path[1] === "url" && path[2] === "0" && field("url_contains").value.trim()) {
      return field("url_contains");
    }
    if (path[0] === "triggers" && (path.length === 1 || path[1] === "0")) {
      return path.length === 1 || path[2] === "type" ? field("trigger") : field("trigger_value");
    }
    if (path[0] === "variants") {
      if (path.length === 1) return list;
      var node = list.children[Number(path[1])];
      if (!node) return null;
      if (path[2] === "key" || path[2] === "weight") return node.querySelector('[data-field="' + path[2] + '"]');
      var content = node.querySelector("[data-content]");
      return path[2] === "content" && !content.hidden ? content : node;
    }
    return null;
  }
  function clearErrors() {
    form.querySelectorAll("[data-field-error]").forEach(function (node) { node.remove(); });
    form.querySelectorAll('[aria-invalid="true"]').forEach(function (node) { node.removeAttribute("aria-invalid"); });
    problems.hidden = true;
    problems.querySelector("ul").innerHTML = "";
  }
  function showAt(node, message) {
    var note = document.createElement("span");
    note.className = "field__error";
    note.setAttribute("data-field-error", "");
    note.textContent = message;
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(node.tagName)) {
      node.setAttribute("aria-invalid", "true");
      (node.closest(".field") || node.parentNode).appendChild(note);
    } else {
      node.insertBefore(note, node.firstChild);
    }
    return note;
  }
  function showErrors(fields) {
    clearErrors();
    var first = null;
    flatten(fields || {}, [], []).forEach(function (error) {
      var node = target(error.path);
      if (node) {
        var shown = showAt(node, error.message);
        first = first || shown;
        return;
      }
      var item = document.createElement("li");
      item.textContent = (error.path.length ? error.path.join(".") + ": " : "") + error.message;
      problems.querySelector("ul").appendChild(item);
      problems.hidden = false;
    });
    if (!problems.hidden) problems.scrollIntoView({ block: "nearest" });
    else if (first) first.scrollIntoView({ block: "center" });
  }

  // ---- wiring ---------------------------------------------------------------------------
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("input", function (event) {
    if (event.target.getAttribute("data-field") === "key") refreshPicker();
    changed();
  });
  form.addEventListener("change", function () { showKind(); changed(); });
  picker.addEventListener("change", preview);
  document.getElementById("add-variant").addEventListener("click", function () {
    var first = list.children[0] ? variantDocument(list.children[0]) : { content: {} };
    addVariant({ key: nextKey(), weight: 1, control: false, content: first.content });
    changed();
  });
  document.getElementById("add-control").addEventListener("click", function () {
    if (list.querySelector('[data-control="true"]')) return;
    addVariant({ key: "control", weight: 1, control: true, content: {} });
    changed();
  });
  document.getElementById("campaign-save").addEventListener("click", function () {
    var doc = collect();
    if (!doc.name) { status.textContent = M.nameNeeded; field("name").focus(); return; }
    var call = config.updateUrl ? request("PATCH", config.updateUrl, doc) : request("POST", config.createUrl, doc);
    call.then(function (answer) {
      clearErrors();
      if (answer.status === 200 || answer.status === 201) {
        status.textContent = M.saved;
        window.location.href = config.resultsUrl.replace("ID", encodeURIComponent(answer.data.id));
        return;
      }
      // The API's message and fields are English; `localized` has them in the admin's language.
      var localized = answer.data.localized || {};
      var reason = localized.message || answer.data.message || String(answer.status);
      status.textContent = fill(M.failed, { reason: reason });
      showErrors(localized.fields || answer.data.fields);
    });
  });

  load(config.campaign || {
    name: "", kind: "popup", goal: "conversion", priority: 0,
    audience: { segments: { include: config.presetSegment ? [config.presetSegment] : [], exclude: [] } },
    triggers: [{ type: "load" }],
    variants: [{ key: "a", weight: 1, control: false, content: { title: "", html: "" } }]
  });
  window.addEventListener("load", preview);
})();
