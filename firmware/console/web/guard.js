// The guard console's logic. Everything goes through /api/* (see guard_console.hpp):
//   - GET /api/state on load: 200 means the browser still has a session (the answer carries
//     the CSRF token again), 401 shows the login form;
//   - POST /api/login, then every state-changing request with "X-CSRF-Token";
//   - GET /api/events (server-sent events): "state" first, then "passage", "alarm", "state".
// Expected shapes (from the daemon): state {"outbreak":"normal|lockdown",
// "quarantined_buildings":[..],"alarms":[{"id","kind","message_zh","message_en","time"}],
// "pending_consent":{..}|null}; passage {"seq","time","direction","decision","message_zh",
// "message_en","pass":{"holder","building","role"}}; alarm {"id","kind","message_zh",
// "message_en","time","acknowledged"}. Text is only ever set through textContent.
"use strict";

(function () {
  const el = (id) => document.getElementById(id);
  const app = el("app");
  const MAX_FEED = 100;

  let csrf = null;
  let events = null;
  const seen = new Set(); // passage seqs already shown (the stream may replay)

  function setText(id, text) {
    el(id).textContent = text == null ? "" : String(text);
  }

  function show(view) {
    app.dataset.view = view;
    el("login").hidden = view !== "login";
    el("console").hidden = view !== "console";
    el("logout").hidden = view !== "console";
  }

  function showLogin(message) {
    csrf = null;
    stopEvents();
    setText("guard-name", "");
    show("login");
    const error = el("login-error");
    error.hidden = !message;
    error.textContent = message || "";
    el("login-pin").value = "";
    el("login-pass").focus();
  }

  function enter(info) {
    csrf = info.csrf;
    setText("guard-name", info.guard ? info.guard.name + " (" + info.guard.guard_id + ")" : "");
    setText("site", info.site || "");
    show("console");
    if (info.state) renderState(info.state);
    startEvents();
  }

  async function request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method === "POST") {
      headers["Content-Type"] = "application/json";
      if (csrf) headers["X-CSRF-Token"] = csrf;
    }
    let response;
    try {
      response = await fetch(path, {
        method: method,
        headers: headers,
        body: method === "POST" ? JSON.stringify(body || {}) : undefined,
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (e) {
      return { status: 0, body: { message_zh: "网络错误", message_en: "Network error" } };
    }
    let json = {};
    try {
      json = await response.json();
    } catch (e) {
      json = {};
    }
    return { status: response.status, body: json };
  }

  function bilingual(body, fallbackZh, fallbackEn) {
    return (body.message_zh || fallbackZh) + " " + (body.message_en || fallbackEn);
  }

  // ---- login ----
  el("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const pass = el("login-pass").value.trim();
    const pin = el("login-pin").value.trim();
    if (!pass || !pin) {
      showLogin("请扫描工作证并输入密码 Scan your staff pass and enter your PIN");
      return;
    }
    el("login-submit").disabled = true;
    const r = await request("POST", "/api/login", { pass: pass, pin: pin });
    el("login-submit").disabled = false;
    if (r.status === 200) {
      el("login-pass").value = "";
      el("login-pin").value = "";
      el("login-error").hidden = true;
      enter(r.body);
      return;
    }
    if (r.status === 429) {
      showLogin(bilingual(r.body, "登录失败次数过多，请稍后再试", "Too many failed logins"));
      return;
    }
    showLogin(bilingual(r.body, "登录失败", "Login failed"));
  });

  el("logout").addEventListener("click", async () => {
    await request("POST", "/api/logout", {});
    showLogin("");
  });

  // ---- results ----
  function showResult(r) {
    const box = el("result");
    const ok = r.status === 200 && r.body.ok === true;
    box.hidden = false;
    box.dataset.ok = ok ? "true" : "false";
    setText("result-zh", r.body.message_zh || (ok ? "完成" : "失败"));
    setText("result-en", r.body.message_en || (ok ? "Done" : "Failed"));
    const seq = r.body.journal_seq;
    setText("result-seq", typeof seq === "number" ? "记录号 Journal #" + seq : "");
  }

  async function act(path, body, form) {
    const r = await request("POST", path, body);
    if (r.status === 401) {
      showLogin("会话已过期，请重新登录 Session expired, please log in again");
      return r;
    }
    showResult(r);
    if (r.status === 200 && form) form.reset();
    return r;
  }

  function value(id) {
    return el(id).value.trim();
  }

  function onSubmit(formId, build, path) {
    const form = el(formId);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const buttons = form.querySelectorAll("button");
      buttons.forEach((b) => (b.disabled = true));
      try {
        await act(path, build(), form);
      } finally {
        buttons.forEach((b) => (b.disabled = false));
      }
    });
  }

  onSubmit(
    "visitor-form",
    () => ({
      visitor_name: value("visitor-name"),
      visitor_phone: value("visitor-phone"),
      reason: value("visitor-reason"),
    }),
    "/api/visitor"
  );
  onSubmit(
    "register-form",
    () => ({
      name: value("register-name"),
      phone: value("register-phone"),
      reason: value("register-reason"),
      take_photo: el("register-photo").checked,
    }),
    "/api/register"
  );
  onSubmit(
    "delivery-form",
    () => ({
      company: value("delivery-company"),
      courier_name: value("delivery-courier"),
      courier_phone: value("delivery-phone"),
      parcel_note: value("delivery-note"),
    }),
    "/api/delivery"
  );
  onSubmit("release-form", () => ({ reason: value("release-reason") }), "/api/release");
  onSubmit(
    "outbreak-form",
    () => ({
      outbreak: el("outbreak-select").value,
      quarantined_buildings: value("outbreak-buildings")
        .split(/[,，\s]+/)
        .filter((b) => b !== ""),
      reason: value("outbreak-reason"),
    }),
    "/api/outbreak"
  );

  // ---- state, alarms, feed ----
  const OUTBREAK = { normal: "正常 Normal", lockdown: "封控中 LOCKDOWN" };
  const DECISIONS = { admit: "通过 Admitted", deny: "拒绝 Denied", refer: "待处理 Referred" };
  const DIRECTIONS = { in: "进 In", out: "出 Out" };

  function renderState(s) {
    if (!s || typeof s !== "object") return;
    const outbreak = s.outbreak === "lockdown" ? "lockdown" : "normal";
    app.dataset.outbreak = outbreak;
    el("outbreak-state").dataset.outbreak = outbreak;
    setText("outbreak-state", OUTBREAK[outbreak]);
    const buildings = Array.isArray(s.quarantined_buildings) ? s.quarantined_buildings : [];
    setText(
      "quarantined",
      buildings.length ? "封控楼栋 Quarantined buildings: " + buildings.join(", ") : ""
    );
    if (Array.isArray(s.alarms)) {
      el("alarms").replaceChildren();
      s.alarms.forEach(addAlarm);
      updateAlarmsEmpty();
    }
    const pending = el("pending");
    if (s.pending_consent) {
      const p = s.pending_consent;
      pending.hidden = false;
      pending.textContent =
        "等待住户同意 Waiting for the resident's consent: " +
        [p.name || p.visitor_name || "", p.phone || p.visitor_phone || ""].join(" ").trim();
    } else {
      pending.hidden = true;
      pending.textContent = "";
    }
  }

  function timeText(t) {
    if (typeof t !== "number") return "";
    const d = new Date(t * 1000);
    return d.toLocaleTimeString("zh-CN", { hour12: false });
  }

  function addAlarm(a) {
    if (!a || a.id == null) return;
    const list = el("alarms");
    const existing = list.querySelector('li[data-id="' + CSS.escape(String(a.id)) + '"]');
    if (a.acknowledged) {
      if (existing) existing.remove();
      updateAlarmsEmpty();
      return;
    }
    const li = existing || document.createElement("li");
    li.replaceChildren();
    li.dataset.id = String(a.id);
    li.dataset.kind = a.kind || "";
    li.className = "alarm";
    const text = document.createElement("span");
    text.className = "alarm-text";
    text.textContent =
      [timeText(a.time), a.message_zh || a.kind || "", a.message_en || ""].join(" ").trim();
    const button = document.createElement("button");
    button.type = "button";
    button.className = "ack";
    button.textContent = "确认 Acknowledge";
    button.addEventListener("click", async () => {
      button.disabled = true;
      const r = await act("/api/alarms/ack", { alarm_id: Number(a.id) });
      if (r.status === 200 && r.body.ok) li.remove();
      else button.disabled = false;
      updateAlarmsEmpty();
    });
    li.append(text, button);
    if (!existing) list.prepend(li);
    updateAlarmsEmpty();
  }

  function updateAlarmsEmpty() {
    el("alarms-empty").hidden = el("alarms").children.length > 0;
  }

  function addPassage(p) {
    if (!p || typeof p !== "object") return;
    if (typeof p.seq === "number") {
      if (seen.has(p.seq)) return;
      seen.add(p.seq);
    }
    const li = document.createElement("li");
    li.className = "passage";
    li.dataset.seq = typeof p.seq === "number" ? String(p.seq) : "";
    li.dataset.decision = p.decision || "";
    const pass = p.pass || {};
    const parts = [
      timeText(p.time),
      DIRECTIONS[p.direction] || "",
      DECISIONS[p.decision] || p.decision || "",
      pass.holder || "",
      pass.building ? pass.building + "栋" : "",
      typeof p.temperature_c === "number" ? p.temperature_c.toFixed(1) + "℃" : "",
      p.message_zh || "",
      p.message_en || "",
    ];
    li.textContent = parts.filter((x) => x !== "").join(" · ");
    const feed = el("feed");
    feed.prepend(li);
    while (feed.children.length > MAX_FEED) {
      const last = feed.lastElementChild;
      if (last.dataset.seq) seen.delete(Number(last.dataset.seq));
      last.remove();
    }
  }

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch (e) {
      return null;
    }
  }

  function setConnection(state) {
    app.dataset.connection = state;
    setText("connection", state === "live" ? "在线 Live" : "离线 Offline");
  }

  function stopEvents() {
    if (events) events.close();
    events = null;
    setConnection("offline");
  }

  function startEvents() {
    stopEvents();
    events = new EventSource("/api/events");
    events.addEventListener("open", () => setConnection("live"));
    events.addEventListener("state", (e) => renderState(parse(e)));
    events.addEventListener("passage", (e) => addPassage(parse(e)));
    events.addEventListener("alarm", (e) => addAlarm(parse(e)));
    events.addEventListener("error", async () => {
      setConnection("offline");
      if (events && events.readyState === EventSource.CLOSED) {
        // Refused (401 after expiry or logout) or gone: ask whether we still have a session.
        const r = await request("GET", "/api/state");
        if (r.status === 200) {
          setTimeout(() => csrf && startEvents(), 3000);
        } else if (r.status === 401) {
          showLogin("会话已过期，请重新登录 Session expired, please log in again");
        }
      }
    });
  }

  // ---- start ----
  async function boot() {
    const r = await request("GET", "/api/state");
    if (r.status === 200) enter(r.body);
    else showLogin("");
  }
  boot();
})();
