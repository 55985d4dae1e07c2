/* Autocomplete for the search boxes (the header's and the search page's).
 *
 * Every input with data-suggest-url becomes an ARIA combobox: as the user
 * types (debounced), it asks /search/suggest/?q= for numbers and titles and
 * lists them; up/down choose, Enter opens the chosen one, Escape closes the
 * list. Without a choice (or without JavaScript) the form submits to /search/.
 * No external resources; text is inserted with textContent only.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 180;
  var counter = 0;

  function setup(input) {
    if (input.getAttribute("data-suggest-ready")) {
      return;
    }
    input.setAttribute("data-suggest-ready", "1");
    counter += 1;
    var listId = (input.id || "search-suggest-" + counter) + "-listbox";
    var url = input.getAttribute("data-suggest-url");
    var statusText = input.getAttribute("data-suggest-status") || "{count}";
    var emptyText = input.getAttribute("data-suggest-empty") || "";
    var host = input.parentNode;

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggest";
    list.setAttribute("role", "listbox");
    list.setAttribute("data-testid", "suggest-list");
    if (input.labels && input.labels.length) {
      list.setAttribute("aria-label", input.labels[0].textContent.trim());
    }
    list.hidden = true;
    host.appendChild(list);

    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    host.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var items = [];
    var active = -1;
    var timer = null;
    var controller = null;
    var lastQuery = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function highlight(index) {
      var options = list.children;
      for (var i = 0; i < options.length; i += 1) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        if (options[index].scrollIntoView) {
          options[index].scrollIntoView({ block: "nearest" });
        }
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function go(index) {
      var item = items[index];
      if (item && item.url) {
        window.location.assign(item.url);
      }
    }

    function render(results) {
      items = results.filter(function (r) {
        return r && r.url;
      });
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.className = "suggest__option";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-testid", "suggest-option");
        if (item.number) {
          var number = document.createElement("span");
          number.className = "suggest__number";
          number.textContent = item.number;
          li.appendChild(number);
          li.appendChild(document.createTextNode(" "));
        }
        var title = document.createElement("span");
        title.className = "suggest__title";
        title.textContent = item.title || "";
        li.appendChild(title);
        if (item.issue) {
          li.appendChild(document.createTextNode(" "));
          var issue = document.createElement("span");
          issue.className = "suggest__issue";
          issue.textContent = item.issue;
          li.appendChild(issue);
        }
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the box
        });
        li.addEventListener("click", function () {
          go(i);
        });
        li.addEventListener("mousemove", function () {
          if (active !== i) {
            highlight(i);
          }
        });
        list.appendChild(li);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (items.length) {
        status.textContent = statusText.replace("{count}", String(items.length));
        open();
      } else {
        status.textContent = lastQuery ? emptyText : "";
        close();
      }
    }

    function fetchSuggestions() {
      var q = input.value.trim();
      if (q === lastQuery) {
        open();
        return;
      }
      lastQuery = q;
      if (!q) {
        render([]);
        return;
      }
      if (controller) {
        controller.abort();
      }
      controller = window.AbortController ? new AbortController() : null;
      var sep = url.indexOf("?") === -1 ? "?" : "&";
      window
        .fetch(url + sep + "q=" + encodeURIComponent(q), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          signal: controller ? controller.signal : undefined,
        })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (input.value.trim() === q) {
            render((data && data.results) || []);
          }
        })
        .catch(function () {
          /* aborted or offline: the form still submits */
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DEBOUNCE_MS);
    });

    input.addEventListener("keydown", function (event) {
      var key = event.key;
      if (key === "ArrowDown" || key === "Down") {
        if (!items.length) {
          return;
        }
        event.preventDefault();
        if (list.hidden) {
          open();
          highlight(0);
        } else {
          highlight(active + 1 >= items.length ? 0 : active + 1);
        }
      } else if (key === "ArrowUp" || key === "Up") {
        if (!items.length) {
          return;
        }
        event.preventDefault();
        if (list.hidden) {
          open();
          highlight(items.length - 1);
        } else {
          highlight(active <= 0 ? items.length - 1 : active - 1);
        }
      } else if (key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault();
          go(active);
        }
        // Otherwise the form submits to the search page.
      } else if (key === "Escape" || key === "Esc") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      }
    });

    input.addEventListener("blur", function () {
      close();
    });

    input.addEventListener("focus", function () {
      if (items.length && input.value.trim() === lastQuery) {
        open();
      }
    });
  }

  function openFiltersOnWideScreens() {
    var wide = window.matchMedia && window.matchMedia("(min-width: 960px)").matches;
    if (!wide) {
      return;
    }
    var filters = document.querySelectorAll("[data-search-filters]");
    for (var i = 0; i < filters.length; i += 1) {
      filters[i].open = true;
    }
  }

  function init() {
    var inputs = document.querySelectorAll("input[data-suggest-url]");
    for (var i = 0; i < inputs.length; i += 1) {
      setup(inputs[i]);
    }
    openFiltersOnWideScreens();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
