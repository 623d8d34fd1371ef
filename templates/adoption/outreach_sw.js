/* Outreach offline (service worker, scope /outreach/): keeps the entry form (its place list
   included), the list and the "where next" page for use without a connection, and their CSS
   and JS. Pages: network first, the kept copy when the network fails. Entries typed offline are
   kept by the page itself (IndexedDB, outreach.js), never here. */
"use strict";

var CACHE = "powerco-outreach-{{ version }}";
var PAGES = [{% for page in pages %}"{{ page|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];
var ASSETS = [{% for asset in assets %}"{{ asset|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];

function keepable(response) {
  // Never keep a redirect (to the login page) or an error under a page's name.
  return response && response.ok && response.type === "basic" && !response.redirected;
}

function keep(key, response) {
  return caches.open(CACHE).then(function (cache) {
    return cache.put(key, response);
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches
      .open(CACHE)
      .then(function (cache) {
        return cache.addAll(ASSETS).then(function () {
          return Promise.all(
            PAGES.map(function (page) {
              return fetch(page, { credentials: "same-origin" })
                .then(function (response) {
                  if (keepable(response)) return cache.put(page, response);
                })
                .catch(function () {});
            })
          );
        });
      })
      .then(function () {
        return self.skipWaiting();
      })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (keys) {
        return Promise.all(
          keys
            .filter(function (key) {
              return key.indexOf("powerco-outreach-") === 0 && key !== CACHE;
            })
            .map(function (key) {
              return caches.delete(key);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

function page(request, url) {
  return fetch(request)
    .then(function (response) {
      if (keepable(response) && !url.search) keep(url.pathname, response.clone());
      if (response.type === "opaqueredirect") {
        // Sent to the login page: whoever used this phone is logged out, forget their pages.
        caches.open(CACHE).then(function (cache) {
          PAGES.forEach(function (p) {
            cache.delete(p);
          });
        });
      }
      return response;
    })
    .catch(function () {
      return caches.match(url.pathname, { ignoreVary: true, ignoreSearch: true }).then(
        function (kept) {
          return kept || Response.error();
        }
      );
    });
}

function asset(request, url) {
  // The kept copy at once, refreshed in the background for the next time.
  return caches.match(url.pathname, { ignoreVary: true }).then(function (kept) {
    var fresh = fetch(request)
      .then(function (response) {
        if (keepable(response)) keep(url.pathname, response.clone());
        return response;
      })
      .catch(function () {
        return kept || Response.error();
      });
    return kept || fresh;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return; // entries go straight to the server
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (ASSETS.indexOf(url.pathname) !== -1) event.respondWith(asset(request, url));
  else if (PAGES.indexOf(url.pathname) !== -1) event.respondWith(page(request, url));
});
