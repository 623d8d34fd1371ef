/* Outreach entry from a phone: searchable place list, a draft kept in the browser so a dropped
   network loses nothing, one submit per tap. Also clears the draft once the list shows it saved. */
(function () {
  "use strict";

  var PREFIX = "powerco.outreach.draft.";

  function store() {
    try {
      return window.localStorage;
    } catch (e) {
      return null; // private mode or storage disabled: the form still works, without drafts
    }
  }

  function read(key) {
    var s = store();
    try {
      return s ? JSON.parse(s.getItem(PREFIX + key) || "null") : null;
    } catch (e) {
      return null;
    }
  }

  function write(key, value) {
    var s = store();
    if (!s) return;
    try {
      if (value === null) s.removeItem(PREFIX + key);
      else s.setItem(PREFIX + key, JSON.stringify(value));
    } catch (e) {
      /* storage full: nothing more to do */
    }
  }

  // Vietnamese without tones, lower case: "xa tan quang" finds "Xã Tân Quang".
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }

  function placeSearch(select, search) {
    var options = Array.prototype.map.call(select.options, function (o) {
      return { value: o.value, text: o.text, key: fold(o.text) };
    });
    function filter() {
      var query = fold(search.value.trim());
      var current = select.value;
      var matches = [];
      select.textContent = "";
      options.forEach(function (o) {
        var match = query && o.value && o.key.indexOf(query) !== -1;
        if (match) matches.push(o.value);
        if (!o.value || !query || o.value === current || match) {
          select.add(new Option(o.text, o.value, false, o.value === current));
        }
      });
      // One place left: choose it, saving a tap on the phone.
      if (matches.length === 1 && !current) {
        select.value = matches[0];
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    search.hidden = false;
    search.addEventListener("input", filter);
    return filter;
  }

  function entryForm(form) {
    var key = form.dataset.draftKey;
    var button = form.querySelector("button[type=submit]");
    var label = button.textContent;
    var banner = document.getElementById("draft-banner");
    var search = document.getElementById("place-search");
    var refilter = placeSearch(form.elements.place, search);

    function snapshot() {
      var data = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && el.name !== "csrfmiddlewaretoken") data[el.name] = el.value;
      });
      return data;
    }

    function restore(data) {
      search.value = "";
      refilter();
      Object.keys(data).forEach(function (name) {
        var el = form.elements[name];
        if (el && name !== "csrfmiddlewaretoken") el.value = data[name];
      });
    }

    function keep() {
      write(key, snapshot());
    }

    form.addEventListener("input", function (event) {
      if (event.target !== search) keep();
    });
    form.addEventListener("change", keep);

    // A page sent back with errors already shows what was typed; otherwise bring the draft back
    // (with its submission token, so a resend of an entry that did arrive records nothing more).
    var draft = read(key);
    if (draft && form.dataset.bound !== "1") {
      restore(draft);
      banner.hidden = false;
    }
    document.getElementById("draft-send").addEventListener("click", function () {
      banner.hidden = true;
      if (form.requestSubmit) form.requestSubmit(button);
      else button.click();
    });
    document.getElementById("draft-discard").addEventListener("click", function () {
      write(key, null);
      window.location.reload();
    });

    form.addEventListener("submit", function () {
      keep();
      button.disabled = true;
      button.textContent = button.dataset.sending;
    });
    // Back from a failed send (offline page), the browser may show this page as it was left.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      button.disabled = false;
      button.textContent = label;
    });
  }

  function listPage() {
    var saved = document.getElementById("outreach-saved");
    if (saved) {
      write(saved.dataset.key, null);
      var draft = read("new");
      if (draft && draft.submission_token === saved.dataset.token) write("new", null);
    }
    var notice = document.getElementById("draft-notice");
    if (notice && read("new")) notice.hidden = false;
  }

  var form = document.getElementById("outreach-form");
  if (form) entryForm(form);
  else listPage();
})();
