/* Cible storefront loader: docs/storefront-script.md */
(() => {
  const W = window, D = document, N = navigator;
  if (W.Cible) return;
  const me = D.currentScript;
  const PREVIEW = !!(me && me.hasAttribute('data-cible-preview'));
  const BASE = me ? me.src.replace(/\/loader\.js.*/, '') : '';
  const T = /^fr/i.test(D.documentElement.lang)
    ? ['Fermer', 'E-mail', 'Téléphone', 'E-mail invalide', 'Numéro invalide', 'Cochez la case']
    : ['Close', 'Email', 'Phone', 'Invalid email', 'Invalid phone', 'Tick the box'];
  const safe = (fn) => (...a) => { try { return fn(...a); } catch (e) { /* never into the page */ } };
  const cfg = () => W.cibleSettings || {};
  const tracking = () => N.doNotTrack != '1' && W.doNotTrack != '1' && cfg().consent !== false;
  const load = (store, key) => { try { return JSON.parse(W[store].getItem('cible.' + key)) || {}; } catch (e) { return {}; } };
  const save = (store, key, v) => { try { W[store].setItem('cible.' + key, JSON.stringify(v)); } catch (e) { /* blocked */ } };
  const randomId = () => ('v_' + crypto.getRandomValues(new Uint32Array(4)).join('x')).padEnd(20, 'x');
  let visitor, identity, session = load('sessionStorage', 's');
  const ensureVisitor = () => {
    if (visitor || !tracking()) return visitor;
    let v = load('localStorage', 'v');
    if (!v.id) save('localStorage', 'v', v = { id: randomId(), since: Date.now() });
    return visitor = v.id;
  };

  const attr = (name) => {
    const m = D.querySelector(`meta[name="cible:${name}"]`), a = 'data-cible-' + name;
    return m ? m.content : (D.body && D.body.getAttribute(a)) || D.documentElement.getAttribute(a);
  };
  const pageInfo = () => {
    let p = cfg().page || {};
    if (typeof p == 'string') p = { type: p };
    let type = p.type || attr('page-type') || (location.pathname == '/' ? 'home' : 'other');
    if (!/^(home|product|collection|cart|other)$/.test(type)) type = 'other';
    return { url: location.href.slice(0, 2000), type,
      product: p.product != null ? '' + p.product : attr('product'), category: p.category || attr('category') };
  };
  const cartOf = (c = {}) => ({ value: +c.value || 0, items: +c.items || 0, currency: c.currency });
  let cart = cartOf(cfg().cart);
  const device = () => (matchMedia('(max-width:767px),(pointer:coarse)').matches ? 'mobile' : 'desktop');

  let queue = [], timer = 0;
  const track = (type, extra) => {
    if (!tracking() && type != 'submit') return;
    queue.push(Object.assign({ type, at: Date.now() }, extra));
    timer = timer || setTimeout(flush, type == 'submit' ? 0 : 1500);
  };
  const flush = safe((beacon) => {
    clearTimeout(timer); timer = 0;
    const url = BASE + '/events', v = ensureVisitor() || (visitor = randomId());
    while (queue.length) {
      const body = JSON.stringify({ visitor: v, identity, events: queue.splice(0, 40) });
      if (!(beacon === true && N.sendBeacon(url, new Blob([body], { type: 'text/plain' }))))
        post(url, body).catch(() => {});
    }
  });
  const post = (url, body) => fetch(url, { method: 'POST', body, keepalive: true, credentials: 'omit', headers: { 'Content-Type': 'text/plain' } });

  const capped = (c) => {
    const f = c.frequency || {}, h = load('localStorage', 'f')[c.id] || {};
    return ((f.per_session && (session.shown || {})[c.id] >= f.per_session) ||
      (f.every_days && Date.now() - h.t < f.every_days * 864e5) ||
      (f.max_times && h.n >= f.max_times) ||
      (f.stop_after_closes && h.c >= f.stop_after_closes) ||
      (f.stop_after_conversion && h.x));
  };
  const remember = (c, what) => {
    const all = load('localStorage', 'f'), h = all[c.id] = all[c.id] || {};
    if (what == 'n') {
      h.n = (h.n || 0) + 1; h.t = Date.now(); h.v = c.variant;
      const s = session.shown = session.shown || {};
      s[c.id] = (s[c.id] || 0) + 1;
      save('sessionStorage', 's', session);
    } else h[what] = (h[what] || 0) + 1;
    save('localStorage', 'f', all);
  };

  const CSS = ':host{all:initial!important}*{box-sizing:border-box;font:inherit;color:inherit;margin:0}' +
    '.r{font:16px/1.45 system-ui,sans-serif;color:#222}' +
    '.ov,.si,.bn{position:fixed;z-index:2147483000}.pv>*{position:absolute}' +
    '.ov{inset:0;background:#0008;display:grid;place-items:center;padding:16px}' +
    '.bx{position:relative;background:#fff;border-radius:12px;padding:28px 24px 22px;width:100%;max-width:440px;max-height:100%;overflow:auto}' +
    '.si{right:16px;bottom:16px;width:360px;max-width:calc(100% - 32px)}' +
    '.bn{inset:0 0 auto;background:#222;color:#fff;padding:8px 52px 8px 16px;display:flex;flex-wrap:wrap;gap:8px 16px;place-content:center;align-items:center}.bn>*{margin:0!important}' +
    '.in{height:100%;overflow:hidden;padding:20px;background:#fff7ef}' +
    'h2{font-size:22px;font-weight:700;line-height:1.25;padding-right:28px}h2,.tx,.cd,img,label,.f{margin-bottom:12px}' +
    'img{display:block;max-width:100%;max-height:200px;object-fit:cover}' +
    '.x{position:absolute;top:2px;right:2px;width:44px;height:44px;border:0;background:none;font-size:28px;cursor:pointer}' +
    '.bt{display:inline-block;min-height:44px;padding:11px 20px;border:0;border-radius:8px;background:#7a3e1d;color:#fff;font-weight:600;text-decoration:none;cursor:pointer}' +
    '.cd{display:inline-block;padding:6px 12px;border:2px dashed;font:700 18px monospace}' +
    'label{display:block;font-size:14px}.f{display:block;width:100%;min-height:44px;padding:8px 12px;border:1px solid #888;border-radius:8px;background:#fff}' +
    '.ck{display:flex;gap:10px;font-size:13px}.ck input{flex:none}.er{color:#b00020}' +
    '.mob .bx{max-width:360px}' +
    '@media(max-width:480px){.ov{align-items:end;padding:0}.bx{border-radius:12px 12px 0 0}.si{left:8px;width:auto}}' +
    '@media(prefers-reduced-motion:no-preference){.bx{animation:ci .25s}}@keyframes ci{from{opacity:0;transform:scale(.95)}}';
  const el = (tag, attrs, text) => {
    const e = D.createElement(tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  };
  const safeUrl = (u) => (/^(https?:\/\/|\/(?!\/))/i.test(u) ? u : null);
  const add = (parent, child) => parent.appendChild(child);

  const fill = (box, c, on, close) => {
    const k = c.content || {}, b = k.button;
    if (safeUrl(k.image_url)) add(box, el('img', { src: k.image_url, alt: k.image_alt || '' }));
    if (k.title) add(box, el('h2', { id: 't' }, k.title));
    if (k.html) add(box, el('div', { class: 'tx' })).innerHTML = k.html;
    if (k.discount_code) add(box, el('p', { class: 'cd' }, k.discount_code));
    if (k.form) form(box, k.form, on);
    if (b && b.label) {
      const u = b.action == 'link' && safeUrl(b.url);
      add(box, el(u ? 'a' : 'button', u ? { class: 'bt', href: u } : { class: 'bt', type: 'button' }, b.label))
        .addEventListener('click', safe(() => { on('click'); if (!u) close(); }));
    }
  };

  const form = (box, f, on) => {
    const fm = add(box, el('form', { novalidate: '' })), inputs = {};
    (f.fields || ['email']).forEach((name) => {
      const type = { email: 'email', phone: 'tel' }[name], id = 'f' + name;
      if (!type) return;
      add(fm, el('label', { for: id }, T[name == 'phone' ? 2 : 1]));
      inputs[name] = add(fm, el('input', { id, name, type, autocomplete: type, class: 'f', required: '' }));
    });
    const ck = add(fm, el('label', { class: 'ck' })), consent = add(ck, el('input', { type: 'checkbox', required: '' }));
    add(ck, el('span', {}, f.consent_text || ''));
    const err = add(fm, el('p', { class: 'er', role: 'alert' }));
    add(fm, el('button', { class: 'bt', type: 'submit' }, f.submit_label || 'OK'));
    fm.addEventListener('submit', safe((e) => {
      e.preventDefault();
      const fields = { email: null, phone: null, consent: consent.checked };
      let bad = null;
      for (const name in inputs) {
        const v = fields[name] = inputs[name].value.trim(), p = name == 'phone';
        const ok = p ? /^\+?[\d ().-]{6,20}$/.test(v) : /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(v);
        inputs[name].setAttribute('aria-invalid', !ok);
        if (!ok && !bad) { bad = inputs[name]; err.textContent = T[3 + p]; }
      }
      if (!bad && !consent.checked) { bad = consent; err.textContent = T[5]; }
      if (bad) return bad.focus();
      on('submit', { fields });
      const done = el('p', { role: 'status', tabindex: '-1' }, f.success_text || '✓');
      fm.replaceWith(done);
      done.focus();
    }));
  };

  const slots = () => [...D.querySelectorAll('[data-cible-slot]')];
  const focusables = (root) => [...root.querySelectorAll('a,button,input')];

  const show = (c, o) => {
    const wrap = el('cible-root'), kind = c.kind || 'popup', modal = kind == 'popup', live = !o.preview;
    wrap.style.cssText = 'all:initial!important;display:block!important' + (live ? '' : ';position:relative;min-height:' + (kind == 'banner' ? 80 : 460) + 'px');
    const sr = wrap.attachShadow({ mode: 'open' });
    add(sr, el('style', {}, CSS));
    const r = add(sr, el('div', { class: 'r' + (live ? '' : ' pv') + (o.device == 'mobile' ? ' mob' : '') }));
    const title = c.content && c.content.title, prev = D.activeElement;
    const box = el('div', kind == 'banner' ? { class: 'bn', role: 'region', 'aria-label': title || 'Cible' }
      : { class: 'bx', role: 'dialog', 'aria-modal': modal, tabindex: -1 });
    if (title) box.setAttribute('aria-labelledby', 't');
    let open = true;
    const close = (byUser) => {
      if (!open) return;
      open = false;
      D.removeEventListener('keydown', onKey, true);
      wrap.remove();
      if (live && prev) prev.focus();
      if (o.onClose) o.onClose(byUser);
    };
    add(box, el('button', { class: 'x', type: 'button', 'aria-label': T[0] }, '×')).addEventListener('click', safe(() => close(1)));
    fill(box, c, o.on || (() => {}), close);
    const outer = kind == 'banner' ? r : add(r, el('div', { class: modal ? 'ov' : 'si' }));
    add(outer, box);
    if (modal) outer.addEventListener('click', safe((e) => e.target == outer && close(1)));
    const onKey = safe((e) => {
      const inside = e.composedPath().includes(wrap);
      if (e.key == 'Escape' && (modal || inside)) { e.stopPropagation(); close(1); }
      if (e.key != 'Tab' || !modal) return;
      const f = focusables(sr), cur = sr.activeElement;
      if (!inside || (e.shiftKey ? cur == f[0] || cur == box : cur == f[f.length - 1])) {
        e.preventDefault();
        f[e.shiftKey && inside ? f.length - 1 : 0].focus();
      }
    });
    add(o.host || D.body, wrap);
    if (live) {
      D.addEventListener('keydown', onKey, true);
      if (modal) (focusables(sr)[1] || box).focus();
    }
    return close;
  };

  const inline = (slot, c, on) => {
    const h = getComputedStyle(slot).height, sr = slot.attachShadow({ mode: 'open' });
    if (h != 'auto') slot.style.cssText += `;height:${h};overflow:hidden`;
    add(sr, el('style', {}, CSS.replace('all:initial!important}', 'display:block}.r{height:100%}')));
    fill(add(add(sr, el('div', { class: 'r' })), el('div', { class: 'in' })), c, on, () => {});
  };

  const arm = (c, fire) => {
    const off = [];
    let done = false;
    const go = () => { if (!done) { done = true; off.forEach((f) => f()); fire(); } };
    const listen = (target, type, fn, opt) => {
      fn = safe(fn);
      target.addEventListener(type, fn, opt);
      off.push(() => target.removeEventListener(type, fn, opt));
    };
    const soon = (fn, ms) => { const id = setTimeout(safe(fn), ms || 0); off.push(() => clearTimeout(id)); };
    ((c.triggers || []).length ? c.triggers : [{ type: 'load' }]).forEach((t) => {
      const n = +(t.seconds || t.percent || t.count || t.above || 0), type = t.type;
      if (type == 'load') soon(go);
      else if (type == 'delay') soon(go, n * 1e3);
      else if (type == 'scroll') {
        const check = () => {
          const max = D.documentElement.scrollHeight - innerHeight;
          if (max <= 0 || (scrollY / max) * 100 >= n) go();
        };
        listen(W, 'scroll', check, { passive: true });
        soon(check);
      } else if (type == 'exit_intent') {
        if (device() == 'desktop') listen(D, 'mouseout', (e) => e.relatedTarget || e.clientY > 0 || go());
      } else if (type == 'page_views') { if (session.pv >= n) soon(go); }
      else if (/^cart_(value|items)$/.test(type)) {
        const check = () => (type == 'cart_value' ? cart.value : cart.items) > n && go();
        cartWatch.push(check);
        soon(check);
      }
    });
  };

  let showing = false, pending = [], cartWatch = [];
  const filled = {};
  const cv = (c, extra) => Object.assign({ campaign: c.id, variant: c.variant }, extra);
  const reporter = (c) => (type, extra) => {
    if (type == 'submit') remember(c, 'x');
    track(type, cv(c, extra));
  };
  const shown = (c) => { remember(c, 'n'); track('impression', cv(c)); };
  const showOne = (c, after) => {
    shown(c);
    show(c, { device: device(), on: reporter(c), onClose: (byUser) => {
      if (byUser) { remember(c, 'c'); track('close', cv(c)); }
      if (after) after();
    } });
  };
  const fired = (c) => {
    if (capped(c)) return;
    if (c.control) return shown(c);
    if (c.kind == 'inline') {
      const slot = !filled[c.slot] && slots().find((s) => s.dataset.cibleSlot == c.slot);
      if (slot) { inline(slot, c, reporter(c)); filled[c.slot] = 1; shown(c); }
    } else if (c.kind == 'banner') showOne(c);
    else {
      pending.push(c);
      setTimeout(safe(() => {
        const best = pending.sort((a, b) => (b.priority || 0) - (a.priority || 0))[0];
        pending = [];
        if (best && !showing) { showing = 1; showOne(best, () => { showing = 0; }); }
      }));
    }
  };

  const decide = () => {
    const s = cfg();
    const who = s.identityUrl
      ? fetch(s.identityUrl, { credentials: 'same-origin' }).then((r) => r.json()).then((j) => j.identity || null, () => null)
      : Promise.resolve(s.identity || null);
    return who.then((id) => {
      identity = id;
      const page = pageInfo();
      track('page_view', { url: page.url, page_type: page.type, product: page.product, category: page.category });
      const vid = ensureVisitor(), v = load('localStorage', 'v');
      if (id && vid && !v.k) save('localStorage', 'v', Object.assign(v, { k: 1 }));
      return post(BASE + '/decide', JSON.stringify({
        visitor: vid, identity: id, seen: id || v.k || !vid ? undefined : load('localStorage', 'f'),
        page, cart: { value: cart.value, items: cart.items },
        session: { page_views: session.pv, returning: !!session.ret }, device: device(),
        slots: slots().map((e) => e.dataset.cibleSlot) }));
    }).then((r) => (r.ok ? r.json() : {}))
      .then((j) => (j.campaigns || []).forEach(safe((c) => capped(c) || arm(c, safe(() => fired(c))))))
      .catch(() => {});
  };

  const cartSeen = (next) => {
    cart = next;
    const sig = cart.value + '/' + cart.items;
    if (session.c == sig) return;
    session.c = sig;
    save('sessionStorage', 's', session);
    track('cart', cart);
  };

  const start = safe(() => {
    if (!session.pv) session.ret = Date.now() - (load('localStorage', 'v').since || Date.now()) > 18e5;
    session.pv = (session.pv || 0) + 1;
    save('sessionStorage', 's', session);
    if (cfg().cart) cartSeen(cart);
    const hide = safe(() => queue.length && flush(true));
    W.addEventListener('pagehide', hide);
    D.addEventListener('visibilitychange', () => D.visibilityState == 'hidden' && hide());
    decide();
  });

  W.Cible = {
    version: '1.0.0',
    render(c, o = {}) {
      try {
        if (c.kind != 'inline') return show(c, { host: o.host, device: o.device, preview: 1 });
        const h = add(o.host, el('div', { style: 'min-height:160px' }));
        inline(h, c, () => {});
        return () => h.remove();
      } catch (e) { return () => {}; }
    },
  };
  if (!PREVIEW) {
    // Listened to at once, not from start(): a cart changed before DOMContentLoaded still
    // counts for the cart triggers armed later.
    W.addEventListener('cible:cart', safe((e) => { cartSeen(cartOf(e.detail)); cartWatch.forEach((f) => f()); }), true);
    D.readyState == 'loading' ? D.addEventListener('DOMContentLoaded', start) : start();
  }
})();
