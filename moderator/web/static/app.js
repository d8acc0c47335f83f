// moderator reviewer workspace: keyboard map, claims as the reviewer moves, lease renewal,
// bulk actions, undo, and the new-arrivals notice. Progressive enhancement: every action also
// works as a plain form post without this file. Comment data is only ever written with
// textContent (never innerHTML); the CSP allows no inline script or style.
(() => {
  'use strict';
  const body = document.body;
  const csrf = body.dataset.csrf;
  if (!csrf) return;
  const me = body.dataset.user;
  const page = body.dataset.page;
  const leaseMs = Number(body.dataset.leaseMs) || 120000;
  const pollMs = Number(body.dataset.pollMs) || 5000;
  const undoMs = Number(body.dataset.undoMs) || 10000;
  const view = new URLSearchParams(body.dataset.view || '');
  const $ = (sel) => document.querySelector(sel);
  const enc = encodeURIComponent;
  const LABEL = { approve: 'Approved', reject: 'Rejected', escalate: 'Escalated' };

  async function api(method, url, payload) {
    const init = { method, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } };
    if (payload !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(payload);
    }
    try {
      const res = await fetch(url, init);
      const data = res.status === 204 ? null : await res.json().catch(() => null);
      return { status: res.status, ok: res.ok, data };
    } catch (err) {
      return { status: 0, ok: false, data: { detail: 'The server cannot be reached.' } };
    }
  }
  const itemUrl = (card, prefix, suffix = '') =>
    `/v1/${prefix}/${enc(card.dataset.id)}${suffix}?site=${enc(card.dataset.site)}`;
  const detail = (r) => (r.status === 401 ? 'Your session has ended: log in again.'
    : (r.data && r.data.detail) || `Request failed (${r.status}).`);

  // --- toast and overlays -------------------------------------------------------------------
  const toastEl = $('#toast');
  let toastTimer = 0;
  function toast(text, ms = 5000) {
    toastEl.querySelector('.msg').textContent = text;
    toastEl.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toastEl.hidden = true; }, ms);
  }
  const overlays = { help: $('#help'), reasons: $('#reasons'), note: $('#note') };
  let overlay = null;
  let pending = null; // what the open reason picker or note box will do
  function openOverlay(name, then) {
    closeOverlay();
    overlays[name].hidden = false;
    overlay = name;
    pending = then || null;
    if (name === 'note') $('#note-text').focus();
  }
  function closeOverlay() {
    if (overlay) overlays[overlay].hidden = true;
    overlay = null;
  }
  for (const button of document.querySelectorAll('#reasons [data-reason]')) {
    button.addEventListener('click', () => pickReason(button.dataset.reason));
  }
  function pickReason(reason) {
    const then = pending;
    closeOverlay();
    if (then) run(() => then(reason));
  }
  $('#note-save').addEventListener('click', saveNote);
  function saveNote() {
    const text = $('#note-text').value.trim();
    const then = pending;
    closeOverlay();
    $('#note-text').value = '';
    if (text && then) run(() => then(text));
  }

  // --- cards, claims, selection ---------------------------------------------------------------
  const cards = () => [...document.querySelectorAll('li.card')];
  const isOpen = (card) => !card.classList.contains('decided');
  const heldByOther = (card) => Boolean(card.dataset.claimedBy);
  let current = null;
  const selected = new Set();
  let scope = null; // {min_priority}: everything at or above it in this view, all pages

  function setClaim(card, owner) {
    card.dataset.claimedBy = owner && owner !== me ? owner : '';
    card.dataset.mine = owner === me ? '1' : '';
    card.classList.toggle('claimed', heldByOther(card));
    const el = card.querySelector('.claim');
    if (el) el.textContent = !owner ? '' : owner === me ? 'yours' : `being reviewed by ${owner}`;
  }
  function markDecided(card, state, version, note = `${state} by you`) {
    card.classList.add('decided');
    card.classList.remove('selected');
    card.dataset.state = state;
    if (version) card.dataset.version = String(version);
    let out = card.querySelector('.outcome');
    if (!out) {
      out = document.createElement('p');
      out.className = 'outcome';
      card.append(out);
    }
    out.textContent = note;
    setClaim(card, null);
    selected.delete(card);
  }
  function reopen(card, state, version) {
    card.classList.remove('decided');
    card.dataset.state = state;
    card.dataset.version = String(version);
    const out = card.querySelector('.outcome');
    if (out) out.remove();
    setClaim(card, me);
  }
  async function claim(card) {
    const r = await api('POST', itemUrl(card, 'claims'));
    if (r.ok) {
      setClaim(card, me);
      return true;
    }
    if (r.status === 409 && r.data && r.data.claimed_by) setClaim(card, r.data.claimed_by);
    else if (r.status === 404 || r.status === 409) markDecided(card, 'gone', 0, 'no longer waiting');
    return false;
  }
  function release(card) {
    if (card && isOpen(card) && card.dataset.mine) {
      setClaim(card, null);
      api('DELETE', itemUrl(card, 'claims'));
    }
  }
  function setCurrent(card) {
    if (current && current !== card) {
      current.classList.remove('current');
      current.removeAttribute('aria-current');
    }
    current = card;
    if (card) {
      card.classList.add('current');
      card.setAttribute('aria-current', 'true');
      card.scrollIntoView({ block: 'nearest' });
    }
  }
  function neighbour(card, dir) {
    const all = cards();
    const i = all.indexOf(card);
    return all[i + dir] || null;
  }
  // Make the first open card from `card` on (in `dir`) that nobody else holds current,
  // claiming it; a card someone else claimed first is marked and skipped.
  async function focusFrom(card, dir) {
    for (let c = card; c; c = neighbour(c, dir)) {
      if (!isOpen(c) || heldByOther(c)) continue;
      if (await claim(c)) {
        const previous = current;
        setCurrent(c);
        if (previous && previous !== c) release(previous);
        return true;
      }
    }
    return false;
  }
  async function move(dir) {
    const start = current ? neighbour(current, dir) : cards()[0];
    if (!(await focusFrom(start, dir))) toast(dir > 0 ? 'No more comments on this page.' : 'This is the first one.');
  }
  // Open the next comment after `from` (else the one before); false when none is left.
  async function advance(from) {
    if (from && (await focusFrom(neighbour(from, 1), 1))) return true;
    if (from && (await focusFrom(neighbour(from, -1), -1))) return true;
    if (!from && (await focusFrom(cards()[0], 1))) return true;
    setCurrent(null);
    return false;
  }
  const END = '. Nothing left on this page.';
  function toggleSelect(card) {
    if (!card || !isOpen(card)) return;
    if (selected.has(card)) selected.delete(card);
    else selected.add(card);
    syncSelection();
  }
  function selectAbove(card) {
    if (!card) return;
    scope = { min_priority: Number(card.dataset.priority) };
    for (const c of cards()) if (isOpen(c) && Number(c.dataset.priority) >= scope.min_priority) selected.add(c);
    syncSelection();
  }
  function clearSelection() {
    selected.clear();
    scope = null;
    syncSelection();
  }
  function syncSelection() {
    for (const c of cards()) {
      c.classList.toggle('selected', selected.has(c));
      const box = c.querySelector('input.select');
      if (box) box.checked = selected.has(c);
    }
    const label = $('#bulk .selection');
    if (!label) return;
    if (scope) label.textContent = `Everything at or above ${scope.min_priority.toFixed(2)} in this view (all pages) is selected.`;
    else if (selected.size) label.textContent = `${selected.size} selected.`;
    else label.textContent = 'Tick comments, or act on everything at or above priority';
  }

  // --- decisions and undo ---------------------------------------------------------------------
  const undoKey = 'moderator.undo';
  function remember(items) {
    sessionStorage.setItem(undoKey, JSON.stringify({ items, at: Date.now() }));
  }
  function refItem(ref, version) {
    const i = ref.indexOf(':');
    return { site: ref.slice(0, i), id: ref.slice(i + 1), version };
  }
  async function decide(decision, reason) {
    if (scope || selected.size) return decideMany(decision, reason);
    const card = current;
    if (!card) return toast('No comment is open: press j.');
    const revision = Number(card.dataset.revision) || null; // 409 if edited since it was drawn
    const r = await api('POST', itemUrl(card, 'comments', '/decision'),
      { decision, reason: decision === 'reject' ? reason : null, revision });
    if (!r.ok) {
      if (r.data && r.data.claimed_by) setClaim(card, r.data.claimed_by);
      return r.status === 409 ? afterDecision(card, detail(r)) : toast(detail(r));
    }
    remember([refItem(card.dataset.ref, r.data.version)]);
    markDecided(card, r.data.state, r.data.version);
    return afterDecision(card, `${LABEL[decision]} · u to undo`);
  }
  async function afterDecision(card, message) {
    toast(message);
    if (page === 'item') goNext(card, false);
    else if (!(await advance(card))) toast(message + END);
  }
  async function decideMany(decision, reason) {
    const payload = { decision, reason: decision === 'reject' ? reason : null };
    if (scope) {
      payload.scope = { queue: body.dataset.queue, min_priority: scope.min_priority };
      for (const key of ['site', 'thread', 'language', 'category']) if (view.get(key)) payload.scope[key] = view.get(key);
    } else {
      payload.items = [...selected].map((c) => ({ site: c.dataset.site, id: c.dataset.id }));
    }
    const r = await api('POST', '/v1/bulk', payload);
    if (!r.ok) return toast(detail(r));
    const byRef = new Map(cards().map((c) => [c.dataset.ref, c]));
    for (const d of r.data.decided) if (byRef.has(d.ref)) markDecided(byRef.get(d.ref), d.state, d.version);
    for (const s of r.data.skipped) if (s.claimed_by && byRef.has(s.ref)) setClaim(byRef.get(s.ref), s.claimed_by);
    remember(r.data.decided.map((d) => refItem(d.ref, d.version)));
    clearSelection();
    const skipped = r.data.skipped.length ? `, ${r.data.skipped.length} skipped` : '';
    const message = `${LABEL[decision]} ${r.data.decided.length}${skipped} · u to undo`;
    toast(message);
    if (current && isOpen(current)) return undefined;
    if (page === 'item') return goNext(current || cards()[0], false);
    if (!(await advance(current))) toast(message + END);
    return undefined;
  }
  async function undo() {
    const last = JSON.parse(sessionStorage.getItem(undoKey) || 'null');
    sessionStorage.removeItem(undoKey);
    if (!last || Date.now() - last.at > undoMs) return toast('Nothing to undo.');
    const r = await api('POST', '/v1/undo', { items: last.items });
    if (!r.ok || !r.data.undone.length) return toast(r.ok ? 'Too late to undo.' : detail(r));
    const byRef = new Map(cards().map((c) => [c.dataset.ref, c]));
    let first = null;
    for (const u of r.data.undone) {
      const card = byRef.get(u.ref);
      if (card) {
        reopen(card, u.state, u.version);
        first = first || card;
      }
    }
    if (page === 'item' && !first) {
      const it = refItem(r.data.undone[0].ref, 0);
      location.assign(`/ui/item?site=${enc(it.site)}&id=${enc(it.id)}&${view}`);
      return undefined;
    }
    if (first) {
      const previous = current;
      setCurrent(first);
      if (previous && previous !== first) release(previous);
    }
    toast(`Undone: ${r.data.undone.length} back in the queue.`);
    return undefined;
  }
  async function addNote(card, text) {
    const r = await api('POST', itemUrl(card, 'comments', '/notes'), { text });
    if (!r.ok) return toast(detail(r));
    toast('Note added.');
    if (page === 'item') location.reload();
    return undefined;
  }
  // "Next" claims a comment, so it is a form POST with the CSRF token, never a GET.
  function goNext(card, skip) {
    const fields = { csrf, back: String(view), after_site: card.dataset.site, after_id: card.dataset.id };
    if (skip) fields.release = '1';
    const form = document.createElement('form');
    form.method = 'post';
    form.action = '/ui/next';
    for (const [name, value] of Object.entries(fields)) {
      const input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  }
  function open(card) {
    if (card) location.assign(`/ui/item?site=${enc(card.dataset.site)}&id=${enc(card.dataset.id)}&${view}`);
  }

  // --- keyboard ---------------------------------------------------------------------------------
  let queue = Promise.resolve(); // key actions run one after another, in order
  const run = (fn) => { queue = queue.then(fn).catch((err) => toast(String(err))); };
  const keys = {
    j: () => (page === 'item' && current ? goNext(current, true) : move(1)),
    k: () => (page === 'item' ? location.assign(`/ui/queue?${view}`) : move(-1)),
    a: () => decide('approve'),
    e: () => decide('escalate'),
    r: () => openOverlay('reasons', (reason) => decide('reject', reason)),
    x: () => toggleSelect(current),
    X: () => selectAbove(current),
    u: () => undo(),
    n: () => current && openOverlay('note', (text) => addNote(current, text)),
    o: () => page === 'queue' && open(current),
    Enter: () => page === 'queue' && open(current),
    '?': () => openOverlay('help'),
    Escape: () => clearSelection(),
  };
  const typing = (t) => t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));
  document.addEventListener('keydown', (ev) => {
    if (overlay === 'note') {
      if (ev.key === 'Escape') closeOverlay();
      else if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) saveNote();
      else return;
      ev.preventDefault();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (overlay) {
      const n = Number(ev.key);
      const choices = [...document.querySelectorAll('#reasons [data-reason]')];
      if (overlay === 'reasons' && n >= 1 && n <= choices.length) pickReason(choices[n - 1].dataset.reason);
      else if (ev.key === 'Escape' || ev.key === '?') closeOverlay();
      ev.preventDefault();
      return;
    }
    if (typing(ev.target)) {
      if (ev.key === 'Escape') ev.target.blur();
      return;
    }
    const action = keys[ev.key];
    if (!action || (ev.key === 'Enter' && ev.target.closest && ev.target.closest('a, button'))) return;
    ev.preventDefault();
    run(action);
  });

  // --- mouse: the same actions through the script when it is there ----------------------------
  for (const form of document.querySelectorAll('form.actions')) {
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const card = form.closest('li.card');
      const decision = ev.submitter ? ev.submitter.value : 'approve';
      const reason = form.querySelector('select[name=reason]').value;
      run(async () => {
        if (card !== current && !(await focusFrom(card, 1))) return toast('Being reviewed by someone else.');
        return decide(decision, reason);
      });
    });
  }
  const bulkForm = $('#bulk');
  if (bulkForm) {
    bulkForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const floor = bulkForm.querySelector('.min-priority').value.trim();
      if (floor) scope = { min_priority: Math.min(1, Math.max(0, Number(floor))) };
      const reason = bulkForm.querySelector('select[name=reason]').value;
      if (!scope && !selected.size) return toast('Select comments first (x), or give a priority.');
      run(() => decideMany(ev.submitter ? ev.submitter.value : 'approve', reason));
      return undefined;
    });
  }
  for (const box of document.querySelectorAll('li.card input.select')) {
    box.addEventListener('change', () => toggleSelect(box.closest('li.card')));
  }
  for (const card of cards()) {
    card.addEventListener('click', (ev) => {
      if (page === 'queue' && !ev.target.closest('a, button, input, select, textarea, form') && card !== current) {
        run(() => focusFrom(card, 1));
      }
    });
  }

  // --- lease renewal and new arrivals -----------------------------------------------------------
  setInterval(() => {
    if (current && isOpen(current) && !heldByOther(current)) run(() => claim(current));
  }, Math.max(1000, leaseMs / 3));
  const arrivals = $('#arrivals');
  const since = Number(body.dataset.sinceMs || 0);
  async function poll() {
    const r = await api('GET', `/v1/counts?since_ms=${since}`);
    if (r.ok) {
      for (const [name, s] of Object.entries(r.data.queues)) {
        const el = document.querySelector(`#tab-${name} .count`);
        if (el) el.textContent = String(s.count);
      }
      const here = r.data.queues[body.dataset.queue];
      if (arrivals && here && here.new > 0) {
        arrivals.querySelector('.msg').textContent =
          `${here.new} new comment${here.new > 1 ? 's' : ''} arrived in ${body.dataset.queue}.`;
        arrivals.hidden = false;
      }
    }
    const open = cards().filter((c) => isOpen(c) && c !== current).slice(0, 200);
    if (!open.length) return;
    const c = await api('GET', `/v1/claims?${open.map((x) => `ref=${enc(x.dataset.ref)}`).join('&')}`);
    if (c.ok) for (const card of open) if (card !== current) setClaim(card, (c.data.claims[card.dataset.ref] || {}).by);
  }
  if (page === 'queue') {
    setInterval(() => run(poll), pollMs);
    run(() => focusFrom(cards()[0], 1));
  } else if (page === 'item') {
    // Opening a card claims nothing on the server (a GET never does): claim it here.
    const card = cards()[0];
    if (card && isOpen(card) && !heldByOther(card)) {
      run(async () => { if (await claim(card)) setCurrent(card); });
    }
  }
})();
