// The guard console page: login, live feed (server-sent events), actions. No framework, no
// external resources; the session cookie is HttpOnly, the CSRF token lives only in memory.
'use strict';
let csrf = null;
let events = null;
const $ = (id) => document.getElementById(id);

function show(loggedIn) {
  $('login-view').hidden = loggedIn;
  $('console-view').hidden = !loggedIn;
  $('whoami').hidden = !loggedIn;
}

async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: Object.assign({ 'Content-Type': 'application/json' }, csrf ? { 'X-CSRF-Token': csrf } : {}),
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await res.json(); } catch (e) { data = { ok: false, detail: 'HTTP ' + res.status }; }
  if (res.status === 401 && path !== '/api/login') logout(false);
  return { status: res.status, data };
}

function renderState(s) {
  const el = $('outbreak-state');
  el.dataset.outbreak = s.outbreak || 'normal';
  const b = (s.quarantined_buildings || []).join(', ');
  el.textContent = (s.outbreak === 'lockdown' ? '封闭管理 Lockdown' : '正常 Normal') +
    (b ? ' · 封控楼栋 Quarantined: ' + b : '');
  $('pending-consent').hidden = !s.pending_consent;
  if (Array.isArray(s.alarms)) { $('alarms').textContent = ''; s.alarms.forEach(addAlarm); }
}

function addPassage(p) {
  if (document.querySelector(`#feed li[data-seq="${p.seq}"]`)) return;
  const li = document.createElement('li');
  li.dataset.seq = p.seq;
  li.dataset.decision = p.decision;
  li.dataset.reason = p.reason;
  const who = p.pass ? `${p.pass.holder || ''} ${p.pass.building || ''}-${p.pass.unit || ''}` : (p.holder || '');
  const t = p.temperature_c != null ? ` ${p.temperature_c} °C` : '';
  li.textContent = `#${p.seq} ${new Date(p.time * 1000).toLocaleTimeString()} ${who} · ${p.message_zh} ${p.message_en}${t}`;
  $('feed').prepend(li);
  while ($('feed').children.length > 200) $('feed').lastChild.remove();
}

function alarmText(a) {
  const row = a.seq != null ? ` #${a.seq}` : '';
  return `${a.alarm}${row}${a.count > 1 ? ` ×${a.count}` : ''}`;
}

function addAlarm(a) {
  // One line per open alarm (its id); an alarm raised again while open updates its count.
  const known = document.querySelector(`#alarms li[data-id="${a.id}"]`);
  if (known) {
    known.firstChild.textContent = alarmText(a);
    return;
  }
  const li = document.createElement('li');
  li.dataset.id = a.id;
  li.append(document.createTextNode(alarmText(a)));
  const ack = document.createElement('button');
  ack.type = 'button';
  ack.textContent = '确认 Acknowledge';
  ack.addEventListener('click', async () => {
    const r = await post('/api/alarms/ack', { id: a.id });
    result(r.data);
    if (r.data.ok) li.remove();
  });
  li.append(ack);
  $('alarms').prepend(li);
}

function result(d) {
  const el = $('result');
  el.dataset.ok = String(!!d.ok);
  el.textContent = [d.message_zh, d.message_en, d.detail].filter(Boolean).join(' · ') +
    (d.seq != null ? ` (#${d.seq})` : '');
}

function connect() {
  if (events) events.close();
  events = new EventSource('/api/events');
  events.addEventListener('passage', (e) => addPassage(JSON.parse(e.data)));
  events.addEventListener('alarm', (e) => addAlarm(JSON.parse(e.data)));
  events.addEventListener('state', (e) => renderState(JSON.parse(e.data)));
}

async function logout(tell) {
  if (tell && csrf) await post('/api/logout', {});
  csrf = null;
  if (events) events.close();
  events = null;
  show(false);
}

document.addEventListener('DOMContentLoaded', () => {
  show(false);
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await post('/api/login', { pass: $('login-pass').value.trim(), pin: $('login-pin').value });
    $('login-pin').value = '';
    if (!r.data.ok) {
      $('login-error').textContent = r.status === 429 ? '登录失败次数过多，请稍后 Too many attempts, wait'
        : '通行码或PIN错误 Staff pass or PIN not accepted';
      return;
    }
    csrf = r.data.csrf;
    $('login-error').textContent = '';
    $('login-pass').value = '';  // the staff pass does not stay on the screen
    $('guard-name').textContent = `${r.data.guard.name} (${r.data.guard.id})`;
    show(true);
    connect();
  });
  $('logout').addEventListener('click', () => logout(true));
  document.querySelectorAll('form[data-action]').forEach((form) => {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = {};
      new FormData(form).forEach((v, k) => { body[k] = String(v).trim(); });
      // The re-measurement takes numbers: the referred passage's seq and the clinical reading.
      for (const k of ['seq', 'celsius']) if (k in body) body[k] = Number(body[k]);
      if ('quarantined_buildings' in body)
        body.quarantined_buildings = body.quarantined_buildings.split(/[,，\s]+/).filter(Boolean);
      const r = await post(form.dataset.action, body);
      result(r.data);
      if (r.data.ok) form.reset();
    });
  });
});
