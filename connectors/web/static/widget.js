/* portal-agent web chat: one <script src=".../widget.js"> adds a chat bubble to any page.
 *
 * Plain JavaScript, no build step and no third-party code. A <portal-agent-chat> web component
 * (shadow DOM) talks to the server's LangGraph Agent Protocol API over SSE: streamed Markdown
 * answers, citations, compact tool activity, charts, approval cards, conversation history.
 *
 * Script attributes: data-token (API token), data-mode ("bubble" | "page" | "approvals"),
 * data-auto="false" (do not add the bubble automatically), data-title.
 * Answers are rendered by a small Markdown renderer that escapes all HTML first.
 */
(function () {
  "use strict";
  if (window.customElements && window.customElements.get("portal-agent-chat")) return;

  var script = document.currentScript;
  var BASE = script && script.src ? new URL(".", script.src).href.replace(/\/$/, "") : location.origin;
  var TOKEN = script ? script.getAttribute("data-token") : null;

  // --- safe Markdown ---------------------------------------------------------------------------
  var ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return ESC[c]; }); }
  function unesc(s) {
    return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
  }
  // A link is kept only if it is http(s)/mailto, an in-page anchor, or a path on this same page's
  // origin. Browsers read "\" as "/" and drop tabs and newlines inside URLs, so "/\evil.com" or
  // "/<tab>/evil.com" are scheme-relative links to another site: any such character refuses the
  // link, and a relative link must still resolve to this origin. The checked URL is what is used.
  function safeUrl(raw) {
    var url = String(raw || "").trim();
    if (!url || /[\\\u0000-\u0020\u007f]/.test(url)) return null;
    if (/^#/.test(url)) return url;
    var here = new URL(document.baseURI), parsed;
    try { parsed = new URL(url, here); } catch (e) { return null; }
    if (/^(https?:|mailto:)/i.test(url)) return /^(https?:|mailto:)$/.test(parsed.protocol) ? parsed.href : null;
    if (/^\/(?![\/])/.test(url) && parsed.origin === here.origin) return parsed.href;
    return null;
  }

  // The message of an error response: FastAPI's "detail" (a string, or a list of field errors).
  function problem(data, status) {
    var detail = data && (data.detail || data.message);
    if (Array.isArray(detail)) detail = detail.map(function (d) { return d && d.msg ? d.msg : String(d); }).join("; ");
    return detail || ("HTTP " + status);
  }

  function inline(text) {
    var stash = [];
    function keep(html) { stash.push(html); return "\u0000" + (stash.length - 1) + "\u0000"; }
    var s = esc(text);
    s = s.replace(/`([^`\n]+)`/g, function (_, code) { return keep("<code>" + code + "</code>"); });
    s = s.replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, function (all, label, href) {
      var url = safeUrl(unesc(href));
      if (!url) return label;
      return keep('<a href="' + esc(url) + '" target="_blank" rel="noopener noreferrer">' + label + "</a>");
    });
    s = s.replace(/\bhttps?:\/\/[^\s<]+[^\s<.,;:!?)\]'"]/g, function (href) {
      var url = unesc(href);
      return keep('<a href="' + esc(url) + '" target="_blank" rel="noopener noreferrer">' + href + "</a>");
    });
    s = s.replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>");
    s = s.replace(/(^|[\s(])\*([^*\n]+)\*(?=[\s).,;:!?]|$)/g, "$1<em>$2</em>");
    s = s.replace(/(^|[\s(])_([^_\n]+)_(?=[\s).,;:!?]|$)/g, "$1<em>$2</em>");
    return s.replace(/\u0000(\d+)\u0000/g, function (_, i) { return stash[+i]; });
  }

  function splitRow(line) {
    var row = line.trim().replace(/^\|/, "").replace(/\|$/, "");
    return row.split("|").map(function (c) { return c.trim(); });
  }

  function markdown(src) {
    var lines = String(src || "").replace(/\r\n?/g, "\n").split("\n");
    var out = [], para = [], i = 0;
    function flush() { if (para.length) { out.push("<p>" + inline(para.join("\n")).replace(/\n/g, "<br>") + "</p>"); para = []; } }
    while (i < lines.length) {
      var line = lines[i];
      var fence = line.match(/^\s*```\s*([\w+-]*)\s*$/);
      if (fence) {
        flush();
        var code = [];
        i++;
        while (i < lines.length && !/^\s*```\s*$/.test(lines[i])) { code.push(lines[i]); i++; }
        i++;
        out.push('<pre><code' + (fence[1] ? ' data-lang="' + esc(fence[1]) + '"' : "") + ">" +
                 esc(code.join("\n")) + "</code></pre>");
        continue;
      }
      if (/\|/.test(line) && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(lines[i + 1])) {
        flush();
        var head = splitRow(line), rows = [];
        i += 2;
        while (i < lines.length && /\|/.test(lines[i]) && lines[i].trim()) { rows.push(splitRow(lines[i])); i++; }
        out.push('<div class="table"><table><thead><tr>' + head.map(function (h) { return "<th>" + inline(h) + "</th>"; }).join("") +
                 "</tr></thead><tbody>" + rows.map(function (r) {
                   return "<tr>" + r.map(function (c) { return "<td>" + inline(c) + "</td>"; }).join("") + "</tr>";
                 }).join("") + "</tbody></table></div>");
        continue;
      }
      var heading = line.match(/^(#{1,6})\s+(.*)$/);
      if (heading) { flush(); var level = Math.min(6, heading[1].length + 2); out.push("<h" + level + ">" + inline(heading[2]) + "</h" + level + ">"); i++; continue; }
      if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
        flush();
        var ordered = /^\s*\d+[.)]\s+/.test(line), items = [];
        while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
          items.push("<li>" + inline(lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, "")) + "</li>");
          i++;
        }
        out.push((ordered ? "<ol>" : "<ul>") + items.join("") + (ordered ? "</ol>" : "</ul>"));
        continue;
      }
      if (/^>\s?/.test(line)) {
        flush();
        var quote = [];
        while (i < lines.length && /^>\s?/.test(lines[i])) { quote.push(lines[i].replace(/^>\s?/, "")); i++; }
        out.push("<blockquote>" + inline(quote.join("\n")).replace(/\n/g, "<br>") + "</blockquote>");
        continue;
      }
      if (!line.trim()) { flush(); i++; continue; }
      para.push(line);
      i++;
    }
    flush();
    return out.join("");
  }

  // --- SSE over fetch (EventSource cannot POST) -----------------------------------------------
  function parseBlock(block) {
    var event = "message", data = [];
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) event = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
    });
    var parsed = null;
    if (data.length) { try { parsed = JSON.parse(data.join("\n")); } catch (e) { parsed = data.join("\n"); } }
    return { event: event, data: parsed };
  }

  function chartNames(value, found) {
    found = found || [];
    if (typeof value === "string") {
      var m = value.match(/(?:^|\/)charts\/([A-Za-z0-9][A-Za-z0-9._-]*\.(?:png|svg|jpe?g|webp))$/i);
      if (m && found.indexOf(m[1]) < 0) found.push(m[1]);
    } else if (Array.isArray(value)) {
      value.forEach(function (v) { chartNames(v, found); });
    } else if (value && typeof value === "object") {
      Object.keys(value).forEach(function (k) { chartNames(value[k], found); });
    }
    return found;
  }

  // One image per chart: a tool may give the same chart as .png and .svg (prefer the SVG).
  function uniqueCharts(names) {
    var byStem = {};
    names.forEach(function (n) {
      var stem = n.replace(/\.[^.]+$/, "");
      if (!byStem[stem] || /\.svg$/i.test(n)) byStem[stem] = n;
    });
    return Object.keys(byStem).map(function (k) { return byStem[k]; });
  }

  function textOf(content) {
    if (typeof content === "string") return content;
    if (Array.isArray(content)) return content.map(function (p) { return typeof p === "string" ? p : (p && p.text) || ""; }).join("");
    return "";
  }

  var STYLE = [
    ":host{--bg:#ffffff;--fg:#1d2330;--muted:#5b6474;--line:#d9dee8;--accent:#2f5bd3;--accent-fg:#fff;",
    "--user:#e8eefc;--card:#fff8e6;--card-line:#e8c66a;--code:#f3f4f7;--ok:#1d7a3a;--err:#b3261e;",
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);}",
    ":host([theme=dark]){--bg:#171a21;--fg:#e6e9ef;--muted:#a3abba;--line:#333a48;--accent:#7aa2ff;--accent-fg:#0d1020;",
    "--user:#24324f;--card:#2e2a1c;--card-line:#8a7430;--code:#232834;--ok:#6fd58f;--err:#ff8a80;}",
    "*{box-sizing:border-box}",
    ".bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;",
    "background:var(--accent);color:var(--accent-fg);display:grid;place-items:center;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483646}",
    ".panel{display:flex;flex-direction:column;background:var(--bg);color:var(--fg);height:100%;min-height:0}",
    ":host([mode=bubble]) .panel{position:fixed;right:20px;bottom:88px;width:min(420px,calc(100vw - 40px));",
    "height:min(640px,calc(100vh - 120px));border:1px solid var(--line);border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);z-index:2147483647;overflow:hidden}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;gap:6px;padding:8px 10px;border-bottom:1px solid var(--line)}",
    "header h2{font-size:15px;margin:0;flex:1}",
    "button{font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:6px;padding:4px 8px;cursor:pointer}",
    "button:focus-visible,textarea:focus-visible,a:focus-visible{outline:2px solid var(--accent);outline-offset:2px}",
    "button.primary{background:var(--accent);color:var(--accent-fg);border-color:var(--accent)}",
    "button:disabled{opacity:.5;cursor:default}",
    ".try-as{font-size:12px;color:var(--muted)}.try-as[hidden]{display:none}.try-as select{font:inherit;max-width:220px}",
    "button.stop[hidden]{display:none}.feedback{display:flex;gap:4px;align-items:center;margin-top:4px}",
    ".feedback button{border:0;padding:2px 4px}.feedback .thanks{color:var(--muted);font-size:12px}",
    ".body{display:flex;flex:1;min-height:0}",
    "nav{width:220px;border-right:1px solid var(--line);overflow:auto;padding:8px}",
    "nav[hidden]{display:none}",
    "nav ul{list-style:none;margin:0;padding:0}nav li button{width:100%;text-align:left;border:0;margin:2px 0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    "nav li button[aria-current=true]{background:var(--user)}",
    ".log{flex:1;overflow:auto;padding:12px;display:flex;flex-direction:column;gap:10px}",
    ".msg{max-width:100%;overflow-wrap:anywhere}",
    ".msg.user{align-self:flex-end;background:var(--user);padding:6px 10px;border-radius:10px;white-space:pre-wrap;max-width:85%}",
    ".msg.assistant .text p{margin:.3em 0}.msg.assistant .text:empty::after{content:'…';color:var(--muted)}",
    ".msg.assistant.done .text:empty{display:none}",
    "pre{background:var(--code);padding:8px;border-radius:6px;overflow:auto}code{background:var(--code);padding:0 3px;border-radius:3px;font-family:ui-monospace,monospace;font-size:12.5px}",
    "pre code{padding:0}.table{overflow:auto}table{border-collapse:collapse;margin:.4em 0}th,td{border:1px solid var(--line);padding:3px 8px;text-align:left}",
    "a{color:var(--accent)}blockquote{margin:.3em 0;padding-left:8px;border-left:3px solid var(--line);color:var(--muted)}",
    ".activity{display:flex;flex-wrap:wrap;gap:4px;margin-bottom:4px}.activity:empty{display:none}",
    ".tool{font-size:12px;color:var(--muted);border:1px solid var(--line);border-radius:10px;padding:0 8px}",
    ".tool.ok::before{content:'✓ ';color:var(--ok)}.tool.fail::before{content:'✗ ';color:var(--err)}.tool.running::before{content:'⋯ '}",
    ".sources{font-size:12.5px;color:var(--muted);margin:.3em 0 0;padding-left:20px}.sources:empty{display:none}",
    ".refs{font-size:12px;color:var(--muted)}.refs:empty{display:none}",
    ".charts img{max-width:100%;border:1px solid var(--line);border-radius:6px;background:#fff;margin-top:6px}",
    ".error{color:var(--err)}",
    ".card{border:1px solid var(--card-line);background:var(--card);border-radius:8px;padding:8px 10px}",
    ".card h3{margin:0 0 4px;font-size:14px}.card dl{display:grid;grid-template-columns:auto 1fr;gap:2px 8px;margin:4px 0;font-size:13px}",
    ".card dt{color:var(--muted)}.card dd{margin:0;overflow-wrap:anywhere}.card .actions{display:flex;gap:6px;margin-top:6px}",
    ".card .status{margin-top:4px;font-size:13px}",
    "form{display:flex;gap:6px;padding:8px;border-top:1px solid var(--line)}",
    "textarea{flex:1;resize:none;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:6px;min-height:38px;max-height:140px}",
    ".who{font-size:12px;color:var(--muted);padding:0 4px}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
  ].join("");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") node.className = attrs[k];
      else if (k === "hidden") { if (attrs[k]) node.hidden = true; }
      else node.setAttribute(k, attrs[k]);
    });
    if (text != null) node.textContent = text;
    return node;
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "26");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6a1.3 1.3 0 1 0 0 2.6A1.3 1.3 0 0 0 7 10zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6z");
    svg.appendChild(path);
    return svg;
  }

  class PortalAgentChat extends HTMLElement {
    connectedCallback() {
      if (this._ready) return;
      this._ready = true;
      this.mode = this.getAttribute("mode") || "bubble";
      this.setAttribute("mode", this.mode);
      this.api = (this.getAttribute("api") || BASE).replace(/\/$/, "");
      this.token = this.getAttribute("token") || TOKEN;
      var saved = null;
      try { saved = localStorage.getItem("portal-agent:theme"); } catch (e) { /* storage blocked */ }
      var dark = saved ? saved === "dark" : (window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches);
      this.setAttribute("theme", dark ? "dark" : "light");
      this.root = this.attachShadow({ mode: "open" });
      var style = el("style"); style.textContent = STYLE;
      this.root.appendChild(style);
      this.build();
      if (this.mode === "approvals") this.loadApprovals();
      else { this.restoreThread(); this.loadHistory(); }
      var self = this;
      this.whoami().then(function () { if (self.mode !== "approvals") self.offerDemoPeople(); });
    }

    headers(json) {
      var h = { Accept: json === "sse" ? "text/event-stream" : "application/json" };
      if (json) h["Content-Type"] = "application/json";
      if (this.token) h.Authorization = "Bearer " + this.token;
      return h;
    }

    async call(method, path, body) {
      var res = await fetch(this.api + path, { method: method, headers: this.headers(body !== undefined),
        body: body !== undefined ? JSON.stringify(body) : undefined, credentials: this.token ? "same-origin" : "include" });
      var data = null;
      try { data = await res.json(); } catch (e) { data = null; }
      if (!res.ok) throw new Error(problem(data, res.status));
      return data;
    }

    // --- layout ------------------------------------------------------------------------------
    build() {
      var self = this;
      var title = (script && script.getAttribute("data-title")) || "Portal assistant";
      if (this.mode === "bubble") {
        this.bubble = el("button", { class: "bubble", "aria-label": "Open the portal assistant", "aria-expanded": "false",
                                     "aria-controls": "pa-panel", type: "button" });
        this.bubble.appendChild(chatIcon());
        this.bubble.addEventListener("click", function () { self.toggle(); });
        this.root.appendChild(this.bubble);
      }
      this.panel = el("section", { class: "panel", id: "pa-panel", role: this.mode === "bubble" ? "dialog" : "region",
                                   "aria-label": title, hidden: this.mode === "bubble" });
      var header = el("header");
      header.appendChild(el("h2", null, this.mode === "approvals" ? "Pending approvals" : title));
      this.who = el("span", { class: "who", "aria-live": "polite" });
      header.appendChild(this.who);
      this.tryAs = el("label", { class: "try-as", hidden: "" });
      header.appendChild(this.tryAs);
      if (this.mode !== "approvals") {
        this.historyBtn = el("button", { type: "button", "aria-label": "Show conversation history", "aria-expanded": "false",
                                         "aria-controls": "pa-history" }, "☰");
        this.historyBtn.addEventListener("click", function () { self.toggleHistory(); });
        var fresh = el("button", { type: "button", "aria-label": "New conversation" }, "+ New");
        fresh.addEventListener("click", function () { self.newConversation(); });
        header.appendChild(this.historyBtn);
        header.appendChild(fresh);
      }
      var theme = el("button", { type: "button", "aria-label": "Switch light or dark theme" }, "◐");
      theme.addEventListener("click", function () { self.toggleTheme(); });
      header.appendChild(theme);
      if (this.mode === "bubble") {
        var close = el("button", { type: "button", "aria-label": "Close the assistant" }, "✕");
        close.addEventListener("click", function () { self.toggle(false); });
        header.appendChild(close);
      }
      this.panel.appendChild(header);
      var body = el("div", { class: "body" });
      this.history = el("nav", { id: "pa-history", "aria-label": "Conversations", hidden: this.mode !== "page" });
      this.history.appendChild(el("ul"));
      if (this.mode === "page" && this.historyBtn) this.historyBtn.setAttribute("aria-expanded", "true");
      this.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
      body.appendChild(this.history);
      body.appendChild(this.log);
      this.panel.appendChild(body);
      if (this.mode !== "approvals") {
        var form = el("form", { "aria-label": "Ask the assistant" });
        this.input = el("textarea", { rows: "1", "aria-label": "Your question", placeholder: "Ask a question (Enter to send)" });
        this.send = el("button", { type: "submit", class: "primary", "aria-label": "Send" }, "Send");
        this.stopBtn = el("button", { type: "button", class: "stop", "aria-label": "Stop the answer", hidden: "" }, "Stop");
        this.stopBtn.addEventListener("click", function () { self.stop(); });
        form.appendChild(this.input);
        form.appendChild(this.send);
        form.appendChild(this.stopBtn);
        form.addEventListener("submit", function (e) { e.preventDefault(); self.ask(); });
        this.input.addEventListener("keydown", function (e) {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); self.ask(); }
        });
        this.panel.appendChild(form);
      }
      this.panel.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && self.mode === "bubble") { e.preventDefault(); self.toggle(false); }
      });
      this.root.appendChild(this.panel);
    }

    toggle(open) {
      var show = open === undefined ? this.panel.hidden : open;
      this.panel.hidden = !show;
      if (this.bubble) {
        this.bubble.setAttribute("aria-expanded", String(show));
        this.bubble.setAttribute("aria-label", show ? "Close the portal assistant" : "Open the portal assistant");
      }
      if (show && this.input) this.input.focus();
      else if (!show && this.bubble) this.bubble.focus();
    }

    toggleHistory() {
      this.history.hidden = !this.history.hidden;
      this.historyBtn.setAttribute("aria-expanded", String(!this.history.hidden));
      if (!this.history.hidden) this.loadHistory();
    }

    toggleTheme() {
      var next = this.getAttribute("theme") === "dark" ? "light" : "dark";
      this.setAttribute("theme", next);
      try { localStorage.setItem("portal-agent:theme", next); } catch (e) { /* storage blocked */ }
    }

    // Only with the demo organisation: "try as" one of its people (the server offers none otherwise).
    async offerDemoPeople() {
      var self = this, data;
      try { data = await this.call("GET", "/demo/people"); } catch (e) { return; }
      if (!data.people || !data.people.length) return;
      this.tryAs.textContent = "";
      this.tryAs.appendChild(document.createTextNode("Demo only — try as: "));
      var select = el("select", { "aria-label": "Try the demo as one of its people (demo only)" });
      select.appendChild(el("option", { value: "" }, "anonymous (read-only)"));
      data.people.forEach(function (p) { select.appendChild(el("option", { value: p.ref }, p.label)); });
      if (this.user && !this.user.anonymous) select.value = this.user.ref;
      select.addEventListener("change", async function () {
        try {
          await self.call("POST", "/demo/try-as", { ref: select.value || null });
          self.newConversation();
          await self.whoami();
          self.loadHistory();
        } catch (e) { self.addError(self.addAssistant(), e.message); }
      });
      this.tryAs.appendChild(select);
      this.tryAs.hidden = false;
    }

    async whoami() {
      try {
        var me = await this.call("GET", "/whoami");
        this.user = me;
        this.who.textContent = me.anonymous ? "anonymous (read-only)" : (me.display_name || me.ref) + (me.read_only ? " (read-only)" : "");
      } catch (e) { this.who.textContent = ""; }
    }

    scroll() { this.log.scrollTop = this.log.scrollHeight; }

    // --- conversations -----------------------------------------------------------------------
    setThread(id) {
      this.threadId = id;
      try { if (id) localStorage.setItem("portal-agent:thread", id); else localStorage.removeItem("portal-agent:thread"); } catch (e) { /* blocked */ }
      this.markCurrent();
    }

    restoreThread() {
      var id = null;
      try { id = localStorage.getItem("portal-agent:thread"); } catch (e) { /* blocked */ }
      if (id) this.openThread(id, true);
    }

    newConversation() {
      this.setThread(null);
      this.log.textContent = "";
      this.questions = 0;
      if (this.input) this.input.focus();
    }

    markCurrent() {
      var self = this;
      this.history.querySelectorAll("button[data-thread]").forEach(function (b) {
        b.setAttribute("aria-current", String(b.getAttribute("data-thread") === self.threadId));
      });
    }

    async loadHistory() {
      var self = this, list = this.history.querySelector("ul");
      try {
        var threads = await this.call("POST", "/threads/search", { limit: 30 });
        list.textContent = "";
        threads.forEach(function (t) {
          var title = (t.metadata && t.metadata.title) || t.thread_id.slice(0, 8);
          var item = el("li"), b = el("button", { type: "button", "data-thread": t.thread_id, title: title }, title);
          b.addEventListener("click", function () { self.openThread(t.thread_id); });
          item.appendChild(b);
          list.appendChild(item);
        });
        this.markCurrent();
      } catch (e) { /* anonymous or offline: no history */ }
    }

    async openThread(id, quiet) {
      try {
        var state = await this.call("GET", "/threads/" + encodeURIComponent(id) + "/state");
        this.log.textContent = "";
        this.questions = 0;
        this.setThread(id);
        var pending = { citations: [], charts: [] }, self = this;
        ((state.values && state.values.messages) || []).forEach(function (m) {
          if (m.type === "human") self.addUser(textOf(m.content));
          else if (m.type === "tool") self.collect(pending, m);
          else if (m.type === "ai" && !(m.tool_calls && m.tool_calls.length) && textOf(m.content)) {
            var turn = self.addAssistant();
            turn.text = textOf(m.content);
            self.render(turn);
            self.finish(turn, pending, m);
            turn.node.classList.add("done");
            pending = { citations: [], charts: [] };
          }
        });
        (state.interrupts || []).forEach(function (it) {
          var holder = self.addAssistant();
          holder.node.classList.add("done");
          self.addApproval(it.value, holder);
        });
        this.scroll();
      } catch (e) {
        if (!quiet) this.addError(this.addAssistant(), "Could not open that conversation: " + e.message);
        this.setThread(null);
      }
    }

    // --- rendering ---------------------------------------------------------------------------
    addUser(text) {
      var node = el("div", { class: "msg user" }, text);
      this.questions = (this.questions || 0) + 1;
      this.log.appendChild(node);
      this.scroll();
    }

    // Thumbs up / down under an answer: stored with the turn it rates (the server reads what was
    // asked and answered from the conversation itself).
    addFeedback(turn) {
      var self = this, number = this.questions || 0, threadId = this.threadId;
      if (!threadId || !number) return;
      var row = el("div", { class: "feedback", role: "group", "aria-label": "Was this answer helpful?" });
      [["good", "\u2713 Helpful", "Good answer"], ["bad", "\u2717 Not helpful", "Bad answer"]].forEach(function (b) {
        var btn = el("button", { type: "button", "aria-label": b[2], title: b[2], "data-rating": b[0] }, b[1]);
        btn.addEventListener("click", async function () {
          row.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
          try {
            await self.call("POST", "/threads/" + encodeURIComponent(threadId) + "/feedback", { rating: b[0], turn: number });
            row.appendChild(el("span", { class: "thanks" }, b[0] === "good" ? "Thanks!" : "Thanks, noted."));
          } catch (e) { row.appendChild(el("span", { class: "error", role: "alert" }, e.message)); }
        });
        row.appendChild(btn);
      });
      turn.node.appendChild(row);
    }

    async stop() {
      if (this.controller) this.controller.abort();
      if (this.threadId && this.runId) {
        try { await this.call("POST", "/threads/" + encodeURIComponent(this.threadId) + "/runs/" + encodeURIComponent(this.runId) + "/cancel"); }
        catch (e) { /* the run may have ended meanwhile */ }
      }
    }

    addAssistant() {
      var node = el("div", { class: "msg assistant" });
      var turn = { node: node, activity: el("div", { class: "activity", "aria-label": "Tool activity" }),
                   textNode: el("div", { class: "text" }), charts: el("div", { class: "charts" }),
                   sources: el("ol", { class: "sources", "aria-label": "Sources" }), refs: el("div", { class: "refs" }),
                   text: "", parts: {}, order: [], tools: {}, citations: [], chartNames: [] };
      [turn.activity, turn.textNode, turn.charts, turn.sources, turn.refs].forEach(function (n) { node.appendChild(n); });
      this.log.appendChild(node);
      this.scroll();
      return turn;
    }

    render(turn) {
      if (turn.pending) return;
      var self = this;
      turn.pending = true;
      requestAnimationFrame(function () {
        turn.pending = false;
        var text = turn.order.length ? turn.order.map(function (id) { return turn.parts[id]; }).filter(Boolean).join("\n\n") : turn.text;
        // The answer names its chart's URL for text-only clients; here the chart itself is shown.
        if (turn.chartNames.length) text = text.replace(/^Chart: \/charts\/[^\n]*$/gm, "").replace(/\n{3,}/g, "\n\n");
        turn.textNode.innerHTML = markdown(text);
        self.scroll();
      });
    }

    addError(turn, message) {
      turn.node.appendChild(el("div", { class: "error", role: "alert" }, message));
      this.scroll();
    }

    collect(into, message) {
      var art = message.artifact || {};
      (art.citations || []).forEach(function (c) {
        if (c && c.url && !into.citations.some(function (x) { return x.url === c.url; })) into.citations.push(c);
      });
      chartNames(art.data, into.charts);
    }

    finish(turn, pending, lastMessage) {
      var self = this;
      pending.citations.forEach(function (c) {
        if (turn.citations.some(function (x) { return x.url === c.url; })) return;
        turn.citations.push(c);
        var li = el("li"), url = safeUrl(c.url);
        if (url) li.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, c.title || url));
        else li.textContent = c.title || c.url;
        turn.sources.appendChild(li);
      });
      uniqueCharts(pending.charts).forEach(function (name) {
        if (turn.chartNames.indexOf(name) >= 0) return;
        turn.chartNames.push(name);
        turn.charts.appendChild(el("img", { src: self.api + "/charts/" + encodeURIComponent(name), alt: "Chart " + name, loading: "lazy" }));
      });
      if (turn.chartNames.length) this.render(turn);
      var planner = lastMessage && lastMessage.additional_kwargs && lastMessage.additional_kwargs.planner;
      if (planner && planner.focus && planner.focus.length && !turn.refs.textContent) {
        turn.refs.textContent = "About: " + planner.focus.slice(0, 6).join(", ");
      }
      this.scroll();
    }

    toolEvent(turn, ev) {
      if (!ev || !ev.id) return;
      var chip = turn.tools[ev.id];
      if (!chip) {
        chip = el("span", { class: "tool running", role: "status" }, ev.name);
        turn.tools[ev.id] = chip;
        turn.activity.appendChild(chip);
      }
      if (ev.type === "tool_end") {
        chip.className = "tool " + (ev.ok ? "ok" : "fail");
        chip.setAttribute("aria-label", ev.name + (ev.ok ? " finished" : " failed"));
      } else chip.setAttribute("aria-label", ev.name + " running");
    }

    addApproval(value, turn) {
      var self = this, req = (value && value.request) || {};
      var card = el("div", { class: "card", role: "group", "aria-label": "Approval needed: " + (req.action || "action") });
      card.appendChild(el("h3", null, "Approval needed: " + (req.action || req.tool || "action")));
      var dl = el("dl");
      [["Target", req.target], ["Preview", req.preview && req.preview.summary], ["Risk", req.risk],
       ["Requested by", req.requested_by], ["Approvers", (req.approvers || []).join(", ")],
       ["Expires", req.expires_at ? new Date(req.expires_at).toLocaleString() : ""],
       ["Four eyes", req.four_eyes ? "yes: the requester may not approve" : ""]].forEach(function (pair) {
        if (!pair[1]) return;
        dl.appendChild(el("dt", null, pair[0]));
        dl.appendChild(el("dd", null, pair[1]));
      });
      card.appendChild(dl);
      if (req.preview && req.preview.details) card.appendChild(el("pre", null, req.preview.details));
      var actions = el("div", { class: "actions" });
      var approve = el("button", { type: "button", class: "primary", "aria-label": "Approve " + (req.action || "") + " on " + (req.target || "") }, "Approve");
      var reject = el("button", { type: "button", "aria-label": "Reject " + (req.action || "") + " on " + (req.target || "") }, "Reject");
      var status = el("div", { class: "status", role: "status" });
      actions.appendChild(approve);
      actions.appendChild(reject);
      card.appendChild(actions);
      card.appendChild(status);
      if (req.four_eyes && this.user && this.user.ref === req.requested_by && this.mode !== "approvals") {
        approve.disabled = true;
        status.textContent = "Another approver must approve this; they see it at " + this.api + "/approvals. You may reject it.";
      }
      (turn ? turn.node : this.log).appendChild(card);
      function decide(kind) {
        approve.disabled = reject.disabled = true;
        status.textContent = kind === "approve" ? "Approving…" : "Rejecting…";
        status.className = "status";
        var done = function (ok, message) {
          if (ok) { status.textContent = message; card.setAttribute("data-decided", kind); }
          else { status.textContent = message; status.className = "status error"; approve.disabled = reject.disabled = false; }
        };
        if (self.mode === "approvals") self.decideDirect(req, kind, done, card);
        else self.resume(req, kind, done);
      }
      approve.addEventListener("click", function () { decide("approve"); });
      reject.addEventListener("click", function () { decide("reject"); });
      this.scroll();
      approve.focus({ preventScroll: true });
      return card;
    }

    // --- runs --------------------------------------------------------------------------------
    async ensureThread() {
      if (this.threadId) return this.threadId;
      var thread = await this.call("POST", "/threads", { metadata: {} });
      this.setThread(thread.thread_id);
      return thread.thread_id;
    }

    async ask() {
      var text = (this.input.value || "").trim();
      if (!text || this.busy) return;
      this.input.value = "";
      this.addUser(text);
      var turn = this.addAssistant();
      try {
        var id = await this.ensureThread();
        await this.run(id, { input: { messages: [{ role: "user", content: text }] } }, turn);
        this.loadHistory();
      } catch (e) { this.addError(turn, e.message); }
      this.input.focus();
    }

    async resume(req, kind, done) {
      var turn = this.addAssistant();
      var decision = { type: kind, request_id: req.id, args_hash: req.args_hash };
      try {
        var outcome = await this.run(this.threadId, { command: { resume: { decisions: [decision] } } }, turn);
        if (outcome.error) {
          turn.node.remove();
          done(false, outcome.error);
        } else done(true, kind === "approve" ? "Approved." : "Rejected.");
      } catch (e) {  // refused before the run started (403, 409…): the card says why
        turn.node.remove();
        done(false, e.message);
      }
    }

    async run(threadId, body, turn) {
      var self = this;
      this.busy = true;
      if (this.send) this.send.disabled = true;
      body.assistant_id = "agent";
      body.stream_mode = ["messages-tuple", "updates", "custom"];
      var outcome = { error: null, interrupted: false, stopped: false };
      var pending = { citations: [], charts: [] }, last = null;
      this.controller = new AbortController();
      this.runId = null;
      if (this.stopBtn) this.stopBtn.hidden = false;
      try {
        var res = await fetch(this.api + "/threads/" + encodeURIComponent(threadId) + "/runs/stream", {
          method: "POST", headers: this.headers("sse"), body: JSON.stringify(body), credentials: this.token ? "same-origin" : "include",
          signal: this.controller.signal });
        if (!res.ok) {
          var data = null;
          try { data = await res.json(); } catch (e) { data = null; }
          throw new Error(problem(data, res.status));
        }
        var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = "";
        for (;;) {
          var step = await reader.read();
          if (step.done) break;
          buffer += decoder.decode(step.value, { stream: true }).replace(/\r\n?/g, "\n");
          var at;
          while ((at = buffer.indexOf("\n\n")) >= 0) {
            var part = parseBlock(buffer.slice(0, at));
            buffer = buffer.slice(at + 2);
            handle(part);
          }
        }
      } catch (e) {
        if (e.name !== "AbortError") throw e;
        outcome.stopped = true;
        this.addError(turn, "Stopped.");
      } finally {
        this.busy = false;
        this.controller = null;
        if (this.send) this.send.disabled = false;
        if (this.stopBtn) this.stopBtn.hidden = true;
      }
      function handle(part) {
        var data = part.data;
        if (part.event === "metadata" && data && data.run_id) { self.runId = data.run_id; return; }
        if (part.event === "messages" && Array.isArray(data)) {
          var m = data[0] || {};
          if (m.type === "tool") { self.collect(pending, m); return; }
          if (m.type !== "AIMessageChunk" && m.type !== "ai") return;
          var piece = textOf(m.content);
          if (m.additional_kwargs && m.additional_kwargs.planner) last = m;
          if (!piece) return;
          var id = m.id || "answer";
          if (!(id in turn.parts)) { turn.parts[id] = ""; turn.order.push(id); }
          turn.parts[id] += piece;
          self.render(turn);
        } else if (part.event === "custom") {
          self.toolEvent(turn, data);
        } else if (part.event === "updates" && data && data.__interrupt__) {
          outcome.interrupted = true;
          data.__interrupt__.forEach(function (it) { self.addApproval(it.value, turn); });
        } else if (part.event === "error") {
          outcome.error = (data && data.message) || "the run failed";
          self.addError(turn, outcome.error);
        }
      }
      this.finish(turn, pending, last);
      turn.node.classList.add("done");
      if (!outcome.error && !outcome.interrupted && !outcome.stopped && !turn.order.length && !turn.activity.childNodes.length) {
        turn.text = "(no answer)";
        this.render(turn);
      }
      if (!outcome.error && !outcome.interrupted && !outcome.stopped) this.addFeedback(turn);
      return outcome;
    }

    // --- /approvals --------------------------------------------------------------------------
    async loadApprovals() {
      var self = this;
      this.log.textContent = "";
      this.questions = 0;
      try {
        var data = await this.call("GET", "/approvals");
        if (!data.pending.length) {
          this.log.appendChild(el("p", null, data.read_only ? "Sign in to see the approvals you may decide." : "Nothing is waiting for your approval."));
          return;
        }
        data.pending.forEach(function (req) { self.addApproval({ request: req }, null); });
      } catch (e) { this.log.appendChild(el("p", { class: "error", role: "alert" }, e.message)); }
    }

    async decideDirect(req, kind, done, card) {
      try {
        var result = await this.call("POST", "/approvals/" + encodeURIComponent(req.id), { decision: kind, args_hash: req.args_hash });
        done(true, (kind === "approve" ? "Approved" : "Rejected") + " (" + result.status + ").");
        if (result.answer) { var out = el("div", { class: "text" }); out.innerHTML = markdown(result.answer); card.appendChild(out); }
      } catch (e) { done(false, e.message); }
    }
  }

  window.customElements.define("portal-agent-chat", PortalAgentChat);
  window.PortalAgent = { markdown: markdown };

  function auto() {
    if (!script || script.getAttribute("data-auto") === "false") return;
    if (document.querySelector("portal-agent-chat")) return;
    var node = document.createElement("portal-agent-chat");
    node.setAttribute("mode", script.getAttribute("data-mode") || "bubble");
    document.body.appendChild(node);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", auto);
  else auto();
})();
