/* Outreach entry from a phone: searchable place list, a draft kept in the browser so a dropped
   network loses nothing, one submit per tap. Also clears the draft once the list shows it saved.
   Offline: the service worker (/outreach/sw.js) keeps the pages; an entry saved without a
   connection waits in IndexedDB, listed as not sent, and is sent when the connection returns,
   with its own submission token so that a resend never records it twice. */
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


  // Entries saved offline: IndexedDB, one record per entry, keyed by its submission token.

  var DB = "powerco-outreach";
  var STORE = "entries";

  function database() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) return reject(new Error("no IndexedDB"));
      var request = window.indexedDB.open(DB, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "token" });
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  function transact(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () {
          db.close();
          resolve(result && "result" in result ? result.result : undefined);
        };
        tx.onerror = tx.onabort = function () {
          db.close();
          reject(tx.error);
        };
      });
    });
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) {
      return (x + 256).toString(16).slice(1);
    }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function offlineQueue(config) {
    var user = config.dataset.user;
    var postUrl = config.dataset.post;
    var listUrl = config.dataset.list;
    var section = document.getElementById("pending");
    var list = document.getElementById("pending-list");
    var sending = null;

    function entries() {
      return transact("readonly", function (store) {
        return store.getAll();
      }).then(function (all) {
        return (all || [])
          .filter(function (e) {
            return e.user === user; // another login's entries are never shown or sent
          })
          .sort(function (a, b) {
            return a.saved - b.saved;
          });
      });
    }

    function put(entry) {
      return transact("readwrite", function (store) {
        store.put(entry);
      });
    }

    function remove(token) {
      return transact("readwrite", function (store) {
        store.delete(token);
      });
    }

    function render() {
      return entries().then(function (all) {
        list.textContent = "";
        section.hidden = all.length === 0;
        all.forEach(function (entry) {
          var item = document.createElement("li");
          item.className = "pending-entry " + entry.status;
          item.dataset.token = entry.token;
          var what = document.createElement("span");
          what.textContent = entry.summary;
          var status = document.createElement("strong");
          status.className = "pending-status";
          status.textContent = entry.status === "error" ? section.dataset.error : section.dataset.pending;
          item.appendChild(what);
          item.appendChild(document.createTextNode(" · "));
          item.appendChild(status);
          if (entry.status === "error") {
            var errors = document.createElement("ul");
            errors.className = "errorlist";
            entry.errors.forEach(function (text) {
              var line = document.createElement("li");
              line.textContent = text;
              errors.appendChild(line);
            });
            item.appendChild(errors);
            var fix = document.createElement("a");
            fix.className = "button secondary pending-fix";
            fix.href = postUrl + "#fix-" + entry.token;
            fix.textContent = section.dataset.fix;
            item.appendChild(fix);
          }
          list.appendChild(item);
        });
        return all;
      });
    }

    function csrfToken() {
      var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      if (match) return decodeURIComponent(match[1]);
      var input = document.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }

    function errorsOf(html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var texts = [];
      Array.prototype.forEach.call(doc.querySelectorAll("#outreach-form .errorlist"), function (ul) {
        var field = ul.closest(".field");
        var label = field && field.querySelector("label");
        var prefix = label ? label.textContent.trim() + ": " : "";
        Array.prototype.forEach.call(ul.querySelectorAll("li"), function (li) {
          texts.push(prefix + li.textContent.trim());
        });
      });
      return texts.length ? texts : [section.dataset.refused];
    }

    // Resolves true once the server has the entry (saved now or before), false to try later.
    function send(entry) {
      var body = new FormData();
      Object.keys(entry.data).forEach(function (name) {
        body.append(name, entry.data[name]);
      });
      body.set("submission_token", entry.token);
      return fetch(postUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
      }).then(
        function (response) {
          var url = new URL(response.url);
          if (response.redirected && url.pathname === listUrl && url.searchParams.get("saved")) {
            return remove(entry.token).then(function () {
              return true;
            });
          }
          if (response.redirected) return false; // the session ended: sent after the next login
          if (response.status === 200 || response.status === 403) {
            return response.text().then(function (html) {
              entry.status = "error";
              entry.errors = response.status === 200 ? errorsOf(html) : [section.dataset.login];
              return put(entry).then(function () {
                return false;
              });
            });
          }
          return false; // the server is in trouble: try again later
        },
        function () {
          return false; // no connection after all
        }
      );
    }

    // One sending round at a time in this page; the server's token check covers the rest.
    function sync() {
      if (sending) return sending;
      if (!navigator.onLine) return Promise.resolve();
      var sent = 0;
      sending = entries()
        .then(function (all) {
          return all
            .filter(function (e) {
              return e.status === "pending";
            })
            .reduce(function (previous, entry) {
              return previous.then(function () {
                return send(entry).then(function (done) {
                  if (done) sent += 1;
                });
              });
            }, Promise.resolve());
        })
        .then(render, render)
        .then(function () {
          sending = null;
          // On the list, show the rows just sent.
          if (sent && !document.getElementById("outreach-form")) window.location.reload();
        });
      return sending;
    }

    window.addEventListener("online", sync);
    render().then(sync);
    return {
      entries: entries,
      put: put,
      remove: remove,
      render: render,
      sync: sync,
      token: uuid,
    };
  }

  function registerWorker(config) {
    if (!("serviceWorker" in navigator)) return;
    // Logging out forgets the kept pages (they show this user's branch); entries not sent yet
    // stay, sent only once this same user logs in again.
    var logout = document.querySelector("form.logout");
    if (logout && window.caches) {
      logout.addEventListener("submit", function () {
        caches.keys().then(function (keys) {
          keys.forEach(function (key) {
            if (key.indexOf("powerco-outreach-") === 0) caches.delete(key);
          });
        });
      });
    }
    navigator.serviceWorker.register(config.dataset.sw, { scope: config.dataset.scope }).catch(function () {
      /* no offline copy on this browser: the pages work online as before */
    });
  }

  function entryForm(form, queue) {
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
    } else if (queue && form.elements.submission_token && form.dataset.bound !== "1") {
      // This page may be the copy the service worker kept, whose token an entry saved offline
      // already carries: each new entry gets its own.
      form.elements.submission_token.value = queue.token();
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

    var tokenInput = form.elements.submission_token;
    var savedOffline = document.getElementById("saved-offline");
    var fixing = document.getElementById("fix-banner");

    // Without a connection the entry waits on the phone; the form is ready for the next one.
    function saveOffline() {
      var data = snapshot();
      var place = form.elements.place;
      var option = place.options[place.selectedIndex];
      var entry = {
        token: data.submission_token || queue.token(),
        user: queue.user,
        data: data,
        summary: [form.elements.date.value.split("-").reverse().join("/"), option ? option.text : "",
          form.elements.households_reached.value || "0"].join(" · "),
        status: "pending",
        errors: [],
        saved: Date.now(),
      };
      return queue.put(entry).then(function () {
        write(key, null);
        form.reset();
        search.value = "";
        refilter();
        tokenInput.value = queue.token();
        fixing.hidden = true;
        savedOffline.hidden = false;
        return queue.render();
      });
    }

    form.addEventListener("submit", function (event) {
      if (queue && tokenInput && !navigator.onLine) {
        event.preventDefault();
        saveOffline();
        return;
      }
      keep();
      button.disabled = true;
      button.textContent = button.dataset.sending;
    });

    // "Fix" on an entry the server refused: back into the form, with its token and errors.
    function fixFromHash() {
      var match = window.location.hash.match(/^#fix-(.+)$/);
      if (!queue || !match) return;
      queue.entries().then(function (all) {
        var entry = all.filter(function (e) {
          return e.token === match[1];
        })[0];
        if (!entry) return;
        restore(entry.data);
        tokenInput.value = entry.token;
        var errors = document.getElementById("fix-errors");
        errors.textContent = "";
        entry.errors.forEach(function (text) {
          var line = document.createElement("li");
          line.textContent = text;
          errors.appendChild(line);
        });
        fixing.hidden = false;
        keep();
        return queue.remove(entry.token).then(queue.render);
      });
    }
    window.addEventListener("hashchange", fixFromHash);
    fixFromHash();
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

  var config = document.getElementById("outreach-offline");
  var queue = null;
  if (config) {
    registerWorker(config);
    try {
      queue = offlineQueue(config);
      queue.user = config.dataset.user;
    } catch (e) {
      queue = null; // no IndexedDB: entry needs a connection, as before
    }
    window.powercoOutreachQueue = queue; // for a console (and the browser tests) to look in
  }
  var form = document.getElementById("outreach-form");
  if (form) entryForm(form, queue);
  else listPage();
})();
