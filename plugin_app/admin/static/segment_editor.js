// The segment editor: suggestions from the attribute catalogue, the error shown at its
// spot as you type, and a live count and sample (debounced preview calls; answers that
// arrive out of order are dropped). Dependency-free; talks to /api/v1/segments.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("editor-config").textContent);
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var input = document.getElementById("segment-query");
  var backdrop = document.getElementById("query-backdrop");
  var errorBox = document.getElementById("query-error");
  var nameInput = document.getElementById("segment-name");
  var countBox = document.getElementById("preview-count");
  var sampleList = document.getElementById("preview-sample");
  var list = document.getElementById("completions");
  var saveButton = document.getElementById("segment-save");
  var saveStatus = document.getElementById("save-status");
  var M = config.messages;
  var DEBOUNCE = 250;
  var KEYWORDS = ["AND", "OR", "NOT", "IS NULL", "IS NOT NULL", "CONTAINS", "IN", "BETWEEN"];
  var catalog = [];
  var sequence = 0;
  var timer = null;
  var choices = [];
  var active = -1;
  var lastError = null;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  function escapeHtml(text) {
    return text.replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  function number(n) { return new Intl.NumberFormat(config.language).format(n); }

  function request(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  // ---- the error at its spot ------------------------------------------------------------
  function offsetOf(text, line, column) {
    var lines = text.split("\n");
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    return Math.min(offset + column - 1, text.length);
  }
  function paint() {
    var text = input.value;
    if (!lastError) {
      backdrop.innerHTML = escapeHtml(text) + "\n";
      return;
    }
    var start = offsetOf(text, lastError.line, lastError.column);
    var match = /^[\w.']+/.exec(text.slice(start));
    var end = start + (match ? match[0].length : 1);
    var marked = text.slice(start, end) || " ";
    backdrop.innerHTML = escapeHtml(text.slice(0, start)) +
      '<mark class="query-mark" data-line="' + lastError.line + '" data-column="' + lastError.column + '">' +
      escapeHtml(marked) + "</mark>" + escapeHtml(text.slice(end)) + "\n";
  }
  // The API's error is English (`message`, `suggestion`) with the same words in the
  // admin's language beside it (`localized`); the editor shows the latter.
  function reasonOf(error) {
    return (error.localized && error.localized.message) || error.message;
  }
  function showError(error) {
    lastError = error;
    paint();
    if (!error) {
      errorBox.hidden = true;
      errorBox.textContent = "";
      input.removeAttribute("aria-invalid");
      return;
    }
    input.setAttribute("aria-invalid", "true");
    errorBox.hidden = false;
    errorBox.innerHTML = "";
    var where = document.createElement("strong");
    where.textContent = fill(M.lineColumn, { line: error.line, column: error.column }) + " · ";
    errorBox.appendChild(where);
    errorBox.appendChild(document.createTextNode(reasonOf(error)));
    if (error.suggestion) {
      var hint = document.createElement("button");
      hint.type = "button";
      hint.className = "link suggestion";
      hint.textContent = fill(M.didYouMean, {
        suggestion: (error.localized && error.localized.suggestion) || error.suggestion
      });
      hint.addEventListener("click", function () { applySuggestion(error); });
      errorBox.appendChild(document.createTextNode(" "));
      errorBox.appendChild(hint);
    }
  }
  function applySuggestion(error) {
    var text = input.value;
    var start = offsetOf(text, error.line, error.column);
    var match = /^[\w.]+/.exec(text.slice(start));
    var end = start + (match ? match[0].length : 0);
    input.value = text.slice(0, start) + (error.replacement || error.suggestion) + text.slice(end);
    changed();
  }

  // ---- live count and sample ------------------------------------------------------------
  function preview() {
    var query = input.value.trim();
    var mine = ++sequence;
    if (!query) {
      showError(null);
      countBox.textContent = M.queryNeeded;
      sampleList.innerHTML = "";
      return;
    }
    countBox.textContent = M.checking;
    countBox.classList.add("is-busy");
    request("POST", config.previewUrl, { query: input.value, sample: 8 }).then(function (answer) {
      if (mine !== sequence) return; // an older answer: a newer one is on its way
      countBox.classList.remove("is-busy");
      if (answer.status === 200) {
        showError(null);
        var count = answer.data.count;
        countBox.textContent = count === 0 ? M.noMember : count === 1 ? M.oneMember : fill(M.members, { count: number(count) });
        countBox.setAttribute("data-count", count);
        sampleList.innerHTML = "";
        answer.data.sample.forEach(function (person) {
          var item = document.createElement("li");
          item.textContent = (person.name || person.email || person.external_id) +
            (person.city ? " · " + person.city : "");
          sampleList.appendChild(item);
        });
      } else if (answer.status === 422 && answer.data.error) {
        showError(answer.data.error);
        countBox.textContent = "—";
        countBox.removeAttribute("data-count");
        sampleList.innerHTML = "";
      } else {
        countBox.textContent = answer.data.message || String(answer.status);
      }
    });
  }
  function changed() {
    paint();
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, DEBOUNCE);
    suggest();
  }

  // ---- suggestions ----------------------------------------------------------------------
  function currentWord() {
    var before = input.value.slice(0, input.selectionStart);
    var match = /[A-Za-z_][\w.]*$/.exec(before);
    return match ? { text: match[0], start: before.length - match[0].length } : null;
  }
  function valueChoices(before) {
    // After `attribute = '` offer that attribute's known values.
    var match = /([a-z_][\w.]*)\s*(=|!=|CONTAINS)\s*'([^']*)$/i.exec(before);
    if (!match) return null;
    var attribute = catalog.filter(function (a) { return a.name === match[1]; })[0];
    if (!attribute || !attribute.values.length) return null;
    return attribute.values.filter(function (v) {
      return String(v).toLowerCase().indexOf(match[3].toLowerCase()) === 0;
    }).map(function (v) { return { label: String(v), insert: String(v) + "'", start: before.length - match[3].length, hint: "" }; });
  }
  function suggest() {
    var before = input.value.slice(0, input.selectionStart);
    var found = valueChoices(before);
    if (!found) {
      var word = currentWord();
      if (!word || word.text.length < 1) return hide();
      var lower = word.text.toLowerCase();
      found = catalog.filter(function (a) { return a.name.indexOf(lower) === 0; })
        .concat(catalog.filter(function (a) { return a.name.indexOf(lower) > 0; }))
        .slice(0, 8)
        .map(function (a) {
          var described = a.description[config.language] || a.description.en;
          return { label: a.name, insert: a.name.replace("<key>", ""), start: word.start, hint: described };
        });
      KEYWORDS.forEach(function (keyword) {
        if (keyword.toLowerCase().indexOf(lower) === 0 && lower.length >= 2) {
          found.push({ label: keyword, insert: keyword + " ", start: word.start, hint: "" });
        }
      });
      if (found.length === 1 && found[0].label === word.text) return hide();
    }
    choices = found;
    if (!choices.length) return hide();
    active = 0;
    list.innerHTML = "";
    choices.forEach(function (choice, index) {
      var item = document.createElement("li");
      item.setAttribute("role", "option");
      item.className = "completion" + (index === active ? " is-active" : "");
      item.innerHTML = '<span class="mono">' + escapeHtml(choice.label) + "</span>" +
        (choice.hint ? '<span class="subdued small">' + escapeHtml(choice.hint) + "</span>" : "");
      item.addEventListener("mousedown", function (event) { event.preventDefault(); accept(index); });
      list.appendChild(item);
    });
    list.hidden = false;
  }
  function hide() { list.hidden = true; choices = []; active = -1; }
  function highlight() {
    Array.prototype.forEach.call(list.children, function (item, index) {
      item.classList.toggle("is-active", index === active);
    });
  }
  function accept(index) {
    var choice = choices[index];
    if (!choice) return;
    var caret = input.selectionStart;
    input.value = input.value.slice(0, choice.start) + choice.insert + input.value.slice(caret);
    var at = choice.start + choice.insert.length;
    input.setSelectionRange(at, at);
    hide();
    input.focus();
    changed();
    hide();
  }
  input.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { active = (active + 1) % choices.length; highlight(); event.preventDefault(); }
    else if (event.key === "ArrowUp") { active = (active - 1 + choices.length) % choices.length; highlight(); event.preventDefault(); }
    else if (event.key === "Enter" || event.key === "Tab") { accept(active); event.preventDefault(); }
    else if (event.key === "Escape") { hide(); event.preventDefault(); }
  });
  input.addEventListener("input", changed);
  input.addEventListener("blur", function () { window.setTimeout(hide, 100); });
  input.addEventListener("scroll", function () { backdrop.scrollTop = input.scrollTop; });

  // ---- templates and saving -------------------------------------------------------------
  document.querySelectorAll(".template").forEach(function (button) {
    button.addEventListener("click", function () {
      input.value = button.getAttribute("data-query");
      if (!nameInput.value.trim()) nameInput.value = button.getAttribute("data-name");
      changed();
      hide();
    });
  });
  saveButton.addEventListener("click", function () {
    var body = { name: nameInput.value.trim(), query: input.value };
    if (!body.name) { saveStatus.textContent = M.nameNeeded; nameInput.focus(); return; }
    if (!body.query.trim()) { saveStatus.textContent = M.queryNeeded; input.focus(); return; }
    saveButton.disabled = true;
    var call = config.segmentId ? request("PATCH", config.updateUrl, body) : request("POST", config.createUrl, body);
    call.then(function (answer) {
      saveButton.disabled = false;
      if (answer.status === 200 || answer.status === 201) {
        saveStatus.textContent = M.saved;
        window.location.href = config.pageUrl + answer.data.id;
      } else if (answer.status === 422 && answer.data.error) {
        showError(answer.data.error);
        saveStatus.textContent = fill(M.failed, { reason: reasonOf(answer.data.error) });
      } else {
        saveStatus.textContent = fill(M.failed, { reason: answer.data.message || answer.status });
      }
    });
  });

  request("GET", config.catalogUrl).then(function (answer) {
    catalog = (answer.data.attributes || []).slice().sort(function (a, b) { return a.name < b.name ? -1 : 1; });
  });
  paint();
  if (input.value.trim()) preview();
})();
