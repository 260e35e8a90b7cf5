// The kiosk screen's logic: listens to /events (server-sent events) and shows each passage
// for a few seconds (data-hold-ms on #screen), then returns to the idle screen.
//   event "passage": the daemon's outcome JSON (decision admit | deny | refer, messages in
//                    Chinese and English, the pass's holder and building, the temperature)
//   event "state":   {"outbreak":"normal|lockdown","quarantined_buildings":[..],"checkpoint":".."}
// Text is only ever set through textContent. If the stream drops, EventSource reconnects by
// itself; if it gives up (e.g. the daemon answered 503), we reconnect with a backoff.
"use strict";

(function () {
  const screen = document.getElementById("screen");
  const el = (id) => document.getElementById(id);
  const holdMs = Number(screen.dataset.holdMs) > 0 ? Number(screen.dataset.holdMs) : 5000;

  const VERDICTS = {
    admit: { zh: "通过", en: "ADMITTED" },
    deny: { zh: "不能通行", en: "NOT ADMITTED" },
    refer: { zh: "请稍候", en: "PLEASE WAIT" },
  };
  // Pass roles as gated names them (gk::to_string(Role)).
  const ROLES = {
    resident: "住户 Resident",
    temporary_resident: "租户 Tenant",
    visitor: "访客 Visitor",
    staff: "工作人员 Staff",
    delivery: "快递外卖 Delivery",
  };

  let idleTimer = null;
  // The server replays the latest passage to a client that (re)connects; a page that has
  // already shown it must not show it again when its stream reconnects.
  let lastSeq = null;

  function setText(id, text) {
    el(id).textContent = text == null ? "" : String(text);
  }

  function showRow(id, text) {
    const has = text != null && text !== "";
    setText(id, has ? text : "");
    el(id + "-row").hidden = !has;
  }

  function goIdle() {
    clearTimeout(idleTimer);
    idleTimer = null;
    screen.dataset.state = "idle";
    screen.dataset.alarm = "false";
    el("result").hidden = true;
    el("idle").hidden = false;
  }

  function onPassage(p) {
    if (typeof p.seq === "number") {
      if (p.seq === lastSeq) return;
      lastSeq = p.seq;
    }
    const decision = Object.prototype.hasOwnProperty.call(VERDICTS, p.decision)
      ? p.decision
      : "refer"; // anything unexpected: let the guard decide
    const verdict = VERDICTS[decision];

    setText("verdict-zh", verdict.zh);
    setText("verdict-en", verdict.en);
    // gated always sends both messages; the bare reason code is only a last resort.
    setText("reason-zh", p.message_zh || "");
    setText("reason-en", p.message_en || p.reason || "");
    el("guard").hidden = decision !== "refer";

    const pass = p.pass && typeof p.pass === "object" ? p.pass : null;
    let holder = pass && pass.holder ? String(pass.holder) : "";
    if (holder && pass.role && ROLES[pass.role]) holder += " · " + ROLES[pass.role];
    showRow("holder", holder);
    let building = "";
    if (pass && pass.building) building = pass.building + " 号楼";
    if (pass && pass.unit) building += (building ? " " : "") + pass.unit;
    showRow("building", building);

    const t = typeof p.temperature_c === "number" && isFinite(p.temperature_c) ? p.temperature_c : null;
    showRow("temperature", t == null ? "" : t.toFixed(1) + " °C");
    // The fever threshold is the daemon's (configured) decision, not the page's.
    el("temperature").dataset.fever = t != null && p.reason === "fever" ? "true" : "false";

    const direction = p.direction === "in" ? "进 In" : p.direction === "out" ? "出 Out" : "";
    setText("gate", [p.gate, direction].filter(Boolean).join(" · "));

    screen.dataset.alarm = p.alarm === true ? "true" : "false";
    screen.dataset.state = decision;
    el("idle").hidden = true;
    el("result").hidden = false;

    clearTimeout(idleTimer);
    idleTimer = setTimeout(goIdle, holdMs);
  }

  function onState(s) {
    if (typeof s.checkpoint === "string" && s.checkpoint) setText("checkpoint", s.checkpoint);
    const lockdown = s.outbreak === "lockdown";
    screen.dataset.outbreak = lockdown ? "lockdown" : "normal";
    el("lockdown").hidden = !lockdown;
    setText("outbreak-state", lockdown ? "封控中 Lockdown" : "正常 Normal");
    const buildings = Array.isArray(s.quarantined_buildings) ? s.quarantined_buildings : [];
    setText("quarantined-list", buildings.map(String).join("、"));
    el("quarantined").hidden = buildings.length === 0;
  }

  function handler(fn) {
    return (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        console.warn("kiosk: bad event data", e);
        return;
      }
      if (data && typeof data === "object") fn(data);
    };
  }

  let source = null;
  let backoffMs = 1000;

  function setConnection(state) {
    screen.dataset.connection = state;
    setText(
      "connection",
      state === "open" ? "" : state === "lost" ? "连接中断，正在重连 Reconnecting…" : "连接中… Connecting…"
    );
  }

  function connect() {
    setConnection(source ? "lost" : "connecting");
    // A screen reached off loopback needs its token: the page's own URL carries it
    // ("/?token=..."), and the stream is asked for with it.
    const token = new URLSearchParams(window.location.search).get("token");
    source = new EventSource(token ? "/events?token=" + encodeURIComponent(token) : "/events");
    source.addEventListener("passage", handler(onPassage));
    source.addEventListener("state", handler(onState));
    source.onopen = () => {
      backoffMs = 1000;
      setConnection("open");
    };
    source.onerror = () => {
      setConnection("lost");
      if (source.readyState === EventSource.CLOSED) {
        // EventSource gave up (an HTTP error): retry ourselves, backing off up to 15 s.
        source.close();
        setTimeout(connect, backoffMs);
        backoffMs = Math.min(backoffMs * 2, 15000);
      }
    };
  }

  goIdle();
  connect();
})();
