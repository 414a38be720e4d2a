// Sluice's chat page. Plain JavaScript, no build step: it talks to this gateway's OpenAI-compatible
// API exactly as any client would (Bearer key, X-Sluice-Conversation, streamed chat.completion.chunk
// events), so what works here works for every client. Every piece of text from the server or the
// user goes into the page as text (textContent), never as HTML.
'use strict';

const KEY_ITEM = 'sluice.key';
const CONVERSATIONS_ITEM = 'sluice.conversations';
const MAX_CONVERSATIONS = 50;

const $ = (id) => document.getElementById(id);

const state = {
  key: sessionStorage.getItem(KEY_ITEM),
  tenant: null,
  conversations: [],
  current: null,
  busy: false,
};

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// Conversation ids are the client's to choose; the job keeps each one's history by tenant and id.
function newConversationId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The list is kept per tenant in this browser: the server keeps the history, the page a copy to show.
function storageItem() {
  return CONVERSATIONS_ITEM + '.' + state.tenant;
}

function loadConversations() {
  try {
    const list = JSON.parse(localStorage.getItem(storageItem()));
    return Array.isArray(list) ? list : [];
  } catch (e) {
    return [];
  }
}

function saveConversations() {
  const kept = state.conversations.slice(0, MAX_CONVERSATIONS).map((c) => ({
    id: c.id, title: c.title, turns: c.turns.map((t) => ({
      question: t.question, answer: t.answer, citations: t.citations, timings: t.timings, error: t.error,
    })),
  }));
  try {
    localStorage.setItem(storageItem(), JSON.stringify(kept));
  } catch (e) {
    // Storage full or disabled: the conversation still works, it is just not kept.
  }
}

// ---- errors -----------------------------------------------------------------------------------

function explain(status, body, retryAfter) {
  const message = body && body.error && body.error.message ? body.error.message : '';
  switch (status) {
    case 401: return 'Your API key was not accepted (401). It may have been revoked: sign in with a valid key. ' + message;
    case 403: return 'Not allowed (403): ' + message;
    case 404: return 'Not found (404): ' + message;
    case 413: return 'The question is too long (413): ' + message;
    case 429: return 'Too many requests (429)' + (retryAfter ? ': try again in ' + retryAfter + ' s. ' : '. ') + message;
    case 503: return 'Sluice is not reachable right now (503). ' + message;
    case 504: return 'No answer in time (504). ' + message;
    default: return 'The request failed (' + status + '). ' + message;
  }
}

function showError(text) {
  const line = $('error');
  line.textContent = text;
  line.hidden = !text;
}

async function bodyOf(response) {
  try {
    return await response.json();
  } catch (e) {
    return null;
  }
}

async function api(path, options) {
  const headers = Object.assign({ Authorization: 'Bearer ' + state.key }, (options && options.headers) || {});
  return fetch(path, Object.assign({}, options, { headers }));
}

// ---- sign in ----------------------------------------------------------------------------------

async function signIn(key) {
  state.key = key;
  const loginError = $('login-error');
  loginError.hidden = true;
  let me;
  let models;
  try {
    me = await api('/v1/sluice/me');
    models = me.ok ? await api('/v1/models') : null;
  } catch (e) {
    loginError.textContent = 'Sluice is not reachable: ' + e.message;
    loginError.hidden = false;
    return;
  }
  const failed = !me.ok ? me : (!models.ok ? models : null);
  if (failed) {
    loginError.textContent = explain(failed.status, await bodyOf(failed), failed.headers.get('Retry-After'));
    loginError.hidden = false;
    showLogin();
    return;
  }
  state.tenant = (await me.json()).tenant;
  sessionStorage.setItem(KEY_ITEM, key);
  const select = $('model');
  select.replaceChildren();
  for (const model of (await models.json()).data) {
    select.append(new Option(model.id, model.id));
  }
  state.conversations = loadConversations();
  $('tenant').textContent = 'Tenant ' + state.tenant;
  $('login').hidden = true;
  $('app').hidden = false;
  showError('');
  openConversation(state.conversations[0] || null);
  $('question').focus();
}

function showLogin() {
  $('app').hidden = true;
  $('login').hidden = false;
  $('key').focus();
}

function signOut() {
  sessionStorage.removeItem(KEY_ITEM);
  state.key = null;
  $('key').value = '';
  showLogin();
}

async function demoLogin() {
  const response = await fetch('/v1/sluice/demo-login', { method: 'POST' });
  if (response.ok) {
    await signIn((await response.json()).key);
  }
}

// ---- conversations ----------------------------------------------------------------------------

function openConversation(conversation) {
  state.current = conversation;
  renderConversations();
  renderMessages();
  showSidebar(false);
}

// On a phone the conversation list slides over the chat; on wider windows it is always there.
function showSidebar(open) {
  $('sidebar').classList.toggle('open', open);
  $('menu').setAttribute('aria-expanded', String(open));
}

function renderConversations() {
  const list = $('conversations');
  list.replaceChildren();
  for (const c of state.conversations) {
    const item = element('li', c === state.current ? 'current' : '', c.title);
    item.title = c.title;
    item.addEventListener('click', () => openConversation(c));
    list.append(item);
  }
  $('title').textContent = state.current ? state.current.title : 'New conversation';
}

function renderMessages() {
  const messages = $('messages');
  messages.replaceChildren();
  if (!state.current || state.current.turns.length === 0) {
    messages.append(element('p', 'empty', 'Ask about your documents. Sluice keeps the conversation\'s history, '
      + 'so follow-up questions can refer to earlier answers.'));
    return;
  }
  state.current.turns.forEach((turn, i) => messages.append(renderTurn(turn, i)));
  messages.scrollTop = messages.scrollHeight;
}

function renderTurn(turn, index) {
  const box = element('article', 'turn');
  box.append(element('div', 'bubble question', turn.question));
  const answer = element('div', 'bubble answer');
  turn.view = answer;
  fillAnswer(turn, index);
  box.append(answer);
  return box;
}

// The answer's text with its [n] markers as links to the footnotes, then the footnotes and timings.
function fillAnswer(turn, index) {
  const answer = turn.view;
  answer.replaceChildren();
  answer.classList.toggle('pending', !!turn.pending);
  const cited = new Set((turn.citations || []).map((c) => c.marker));
  let last = 0;
  const text = turn.answer || '';
  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    answer.append(document.createTextNode(text.slice(last, m.index)));
    const marker = Number(m[1]);
    if (cited.has(marker)) {
      const sup = element('sup');
      const link = element('a', null, '[' + marker + ']');
      link.href = '#fn-' + index + '-' + marker;
      sup.append(link);
      answer.append(sup);
    } else {
      answer.append(document.createTextNode(m[0]));
    }
    last = m.index + m[0].length;
  }
  answer.append(document.createTextNode(text.slice(last)));
  if (turn.citations && turn.citations.length) {
    const notes = element('ol', 'footnotes');
    for (const c of turn.citations) {
      const note = element('li');
      note.id = 'fn-' + index + '-' + c.marker;
      note.value = c.marker;
      note.append(element('span', 'source', c.title || c.document_id));
      note.append(document.createTextNode(' '));
      note.append(element('span', 'chunk', c.chunk_id));
      notes.append(note);
    }
    answer.append(notes);
  }
  if (turn.timings) {
    answer.append(renderTimings(turn.timings));
  }
  if (turn.error) {
    const line = element('div', 'turn-error', turn.error);
    answer.append(line);
  }
}

function renderTimings(t) {
  const details = element('details', 'meta');
  details.append(element('summary', null, 'Timings'));
  const table = element('table');
  const rows = [
    ['embed', t.embed_ms], ['retrieve', t.retrieve_ms], ['compile context', t.compile_ms],
    ['answer', t.answer_ms], ['first text (browser)', t.first_text_ms], ['total (browser)', t.total_ms],
  ];
  for (const [name, ms] of rows) {
    if (ms === undefined || ms === null) continue;
    const row = element('tr');
    row.append(element('td', null, name), element('td', null, Number(ms).toFixed(1) + ' ms'));
    table.append(row);
  }
  details.append(table);
  return details;
}

// ---- asking -----------------------------------------------------------------------------------

async function ask(question) {
  if (!state.current) {
    state.current = { id: newConversationId(), title: question.slice(0, 60), turns: [] };
    state.conversations.unshift(state.current);
  }
  const conversation = state.current;
  const turn = { question, answer: '', citations: [], pending: true };
  conversation.turns.push(turn);
  const index = conversation.turns.length - 1;
  renderConversations();
  const messages = $('messages');
  if (index === 0) messages.replaceChildren();
  messages.append(renderTurn(turn, index));
  messages.scrollTop = messages.scrollHeight;
  showError('');
  setBusy(true);
  const started = performance.now();
  let firstText = null;
  try {
    const response = await api('/v1/chat/completions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Sluice-Conversation': conversation.id },
      body: JSON.stringify({
        model: $('model').value, stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: question }],
      }),
    });
    if (!response.ok) {
      throw new Error(explain(response.status, await bodyOf(response), response.headers.get('Retry-After')));
    }
    await readEvents(response, (event) => {
      if (event.error) {
        throw new Error(explain(statusOf(event.error), event, null));
      }
      for (const choice of event.choices || []) {
        if (choice.delta && choice.delta.content) {
          if (firstText === null) firstText = performance.now() - started;
          turn.answer += choice.delta.content;
        }
      }
      if (event.sluice) {
        turn.citations = event.sluice.citations || [];
        turn.timings = Object.assign({}, event.sluice.timings || {});
      }
      fillAnswer(turn, index);
      messages.scrollTop = messages.scrollHeight;
    });
    if (turn.timings) {
      turn.timings.first_text_ms = firstText;
      turn.timings.total_ms = performance.now() - started;
    }
  } catch (e) {
    turn.error = e.message;
    showError(e.message);
  } finally {
    turn.pending = false;
    fillAnswer(turn, index);
    saveConversations();
    setBusy(false);
  }
}

// An error inside a stream carries no status line: its type says which it would have been.
function statusOf(error) {
  const code = error.code || '';
  if (code === 'answer_deadline') return 504;
  if (error.type === 'rate_limit_error') return 429;
  if (code === 'job_unreachable') return 503;
  return 502;
}

// Server-sent events from a fetch body: "data: {json}" separated by blank lines, until [DONE].
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of block.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        onEvent(JSON.parse(data));
      }
    }
  }
}

function setBusy(busy) {
  state.busy = busy;
  $('send').disabled = busy;
}

// ---- wiring -----------------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', async () => {
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn($('key').value.trim());
  });
  $('demo-login').addEventListener('click', demoLogin);
  $('sign-out').addEventListener('click', signOut);
  $('new-conversation').addEventListener('click', () => openConversation(null));
  $('menu').addEventListener('click', () => showSidebar(true));
  $('close-menu').addEventListener('click', () => showSidebar(false));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') showSidebar(false);
  });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const question = $('question').value.trim();
    if (question && !state.busy) {
      $('question').value = '';
      ask(question);
    }
  });
  $('question').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  try {
    const config = await (await fetch('config.json')).json();
    $('demo-login').hidden = !config.demoLogin;
  } catch (e) {
    // No demo login then.
  }
  if (state.key) {
    await signIn(state.key);
  } else {
    showLogin();
  }
});
