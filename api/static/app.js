// The chat page: streamed verified sentences, citation chips, stored conversations, briefings.
// All article and model text is inserted with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { conversationId: null, controller: null, objectUrls: [] };
const KEY_STORE = "conflict-rag-api-key";

// API key: when the server answers 401 the page asks for one and keeps it for this tab only -------------------

async function api(url, options = {}) {
  const key = sessionStorage.getItem(KEY_STORE);
  const headers = new Headers(options.headers || {});
  if (key) headers.set("Authorization", `Bearer ${key}`);
  const response = await fetch(url, { ...options, headers });
  if (response.status === 401) {
    $("key-form").hidden = false;
    $("api-key").placeholder = key ? "API key (not accepted)" : "API key";
  }
  return response;
}

function useKey(event) {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (!key) return;
  sessionStorage.setItem(KEY_STORE, key);
  $("api-key").value = "";
  $("key-form").hidden = true;
  refreshConversations();
  detectBriefingGenerator();
}

// Links and frames cannot send a header: with a key, fetch the file and point at a local copy of it.
async function keyedUrl(url) {
  if (!sessionStorage.getItem(KEY_STORE)) return url;
  const response = await api(url);
  if (!response.ok) return "about:blank";
  const local = URL.createObjectURL(await response.blob());
  state.objectUrls.push(local);
  return local;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function safeUrl(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function sourceMeta(citation) {
  return [citation.outlet, citation.published_at].filter(Boolean).join(" · ") || "outlet and date not given";
}

// Source panel ---------------------------------------------------------------------------------------------

function openSource(number, citation, chip) {
  $("source-number").textContent = number === null ? "Related passage" : `Source [${number}]`;
  $("source-title").textContent = citation.title;
  $("source-meta").textContent = sourceMeta(citation);
  $("source-quote").textContent = citation.quote;
  const link = $("source-link");
  const url = citation.url ? safeUrl(citation.url) : null;
  if (url) {
    link.href = url;
    link.hidden = false;
  } else {
    link.removeAttribute("href");
    link.hidden = true;
  }
  document.querySelectorAll(".chip.open").forEach((c) => c.classList.remove("open"));
  if (chip) chip.classList.add("open");
  $("source-panel").hidden = false;
  $("source-close").focus({ preventScroll: true });
}

function closeSource() {
  $("source-panel").hidden = true;
  document.querySelectorAll(".chip.open").forEach((c) => c.classList.remove("open"));
}

function chip(number, citation) {
  const button = el("button", "chip", `${number}`);
  button.type = "button";
  button.title = `${citation.title} (${sourceMeta(citation)})`;
  button.setAttribute("aria-label", `Source ${number}: ${citation.title}`);
  button.addEventListener("click", () => openSource(number, citation, button));
  return button;
}

// Messages -------------------------------------------------------------------------------------------------

function addQuestion(text) {
  $("empty-hint").hidden = true;
  const bubble = el("div", "message question");
  bubble.append(el("p", "", text));
  $("messages").append(bubble);
  return bubble;
}

function addAnswerShell() {
  const bubble = el("div", "message answer streaming");
  const body = el("p", "answer-text");
  const status = el("p", "answer-status");
  status.setAttribute("role", "status");
  bubble.append(body, status);
  $("messages").append(bubble);
  bubble.scrollIntoView({ block: "end", behavior: "smooth" });
  const shell = { bubble, body, status, sources: {}, started: Date.now(), stage: "", timer: null };
  setStage(shell, "Sending the question…");
  shell.timer = setInterval(() => showStage(shell), 1000);
  return shell;
}

// What the answer is doing while the user waits, from the stream's `stage` events; the seconds since the question
// tick beside it, so a long wait still shows that something is happening.
function stageText(data) {
  switch (data.stage) {
    case "queued": {
      const ahead = data.ahead === 1 ? "1 question" : `${data.ahead} questions`;
      const wait = data.expected_wait_s >= 1 ? `, about ${Math.round(data.expected_wait_s)} s` : "";
      return `Waiting for the model: ${ahead} ahead${wait}…`;
    }
    case "rewriting": return "Reading the follow-up in the light of the conversation…";
    case "retrieving": return "Searching the articles…";
    case "selecting": return "Choosing the passages to quote…";
    case "writing": return "Writing the answer, checking each sentence against its quote…";
    case "verifying": return "Checking the answer against the sources…";
    default: return "Working…";
  }
}

function setStage(shell, text) {
  shell.stage = text;
  showStage(shell);
}

function showStage(shell) {
  const seconds = Math.floor((Date.now() - shell.started) / 1000);
  shell.status.textContent = seconds >= 1 ? `${shell.stage} (${seconds} s)` : shell.stage;
}

function stopStage(shell) {
  if (shell.timer) clearInterval(shell.timer);
  shell.timer = null;
}

function appendSentence(shell, sentence, sources) {
  Object.assign(shell.sources, sources || {});
  if (shell.body.childNodes.length) shell.body.append(" ");
  const span = el("span", sentence.quoted ? "sentence quoted" : "sentence", sentence.text);
  shell.body.append(span);
  for (const n of sentence.citations) {
    const citation = shell.sources[n];
    if (citation) shell.body.append(chip(n, citation));
  }
  setStage(shell, "Verifying the next sentence…");
  shell.bubble.scrollIntoView({ block: "end", behavior: "smooth" });
}

function renderSourceList(shell, citations) {
  const numbers = Object.keys(citations);
  if (!numbers.length) return;
  const list = el("ol", "source-list");
  for (const n of numbers) {
    const c = citations[n];
    const item = el("li");
    item.value = Number(n);
    const open = el("button", "source-open", c.title);
    open.type = "button";
    open.addEventListener("click", () => openSource(Number(n), c, null));
    item.append(open, el("span", "source-meta-inline", ` — ${sourceMeta(c)}`));
    list.append(item);
  }
  shell.bubble.append(list);
}

function renderRefusal(shell, answer) {
  shell.bubble.classList.add("refused");
  shell.body.replaceChildren();
  shell.body.append(el("strong", "refusal-title", "The sources don't say."));
  if (answer.reason) shell.body.append(" ", el("span", "refusal-reason", answer.reason));
  if (answer.related && answer.related.length) {
    const box = el("div", "related");
    box.append(el("h4", "", "Related passages, not an answer"));
    const list = el("ul");
    for (const c of answer.related) {
      const item = el("li");
      const open = el("button", "source-open", c.title);
      open.type = "button";
      open.addEventListener("click", () => openSource(null, c, null));
      item.append(open, el("span", "source-meta-inline", ` — ${sourceMeta(c)}`), el("q", "related-quote", c.quote));
      list.append(item);
    }
    box.append(list);
    shell.bubble.append(box);
  }
}

function renderAnswer(shell, answer, streamed) {
  stopStage(shell);
  shell.bubble.classList.remove("streaming");
  shell.status.remove();
  if (answer.refused) {
    renderRefusal(shell, answer);
    return;
  }
  if (!streamed) {
    shell.body.replaceChildren();
    for (const sentence of answer.sentences) appendSentence(shell, sentence, answer.citations);
  }
  if (answer.disagree) {
    shell.bubble.append(el("p", "note disagree", "The sources disagree: each answer above is quoted with its source."));
  }
  renderSourceList(shell, answer.citations);
  if (answer.mode === "quoted") {
    shell.bubble.append(el("p", "note", "Quoted from the articles: the model's own sentences could not be verified."));
  }
  if (answer.standalone_question) {
    shell.bubble.append(el("p", "note", `Understood as: ${answer.standalone_question}`));
  }
}

function renderError(shell, message) {
  stopStage(shell);
  shell.bubble.classList.remove("streaming");
  shell.bubble.classList.add("failed");
  shell.status.textContent = message;
}

// Server-Sent Events over fetch (EventSource cannot POST) ----------------------------------------------------

async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
    }
  }
}

async function errorText(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg).join("; ");
  } catch {
    /* not JSON */
  }
  return `The server answered ${response.status}.`;
}

async function ask(question) {
  addQuestion(question);
  const shell = addAnswerShell();
  const controller = new AbortController();
  state.controller = controller;
  setBusy(true);
  let streamed = false;
  try {
    const response = await api("/v1/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, conversation_id: state.conversationId }),
      signal: controller.signal,
    });
    if (!response.ok) {
      renderError(shell, await errorText(response));
      return;
    }
    for await (const { event, data } of readEvents(response)) {
      if (event === "conversation") {
        state.conversationId = data.conversation_id;
      } else if (event === "stage") {
        setStage(shell, stageText(data));
      } else if (event === "sentence") {
        appendSentence(shell, data, data.sources);
        streamed = true;
      } else if (event === "answer") {
        renderAnswer(shell, data.answer, streamed);
        refreshConversations();
      } else if (event === "error") {
        renderError(shell, data.detail);
      }
    }
  } catch (error) {
    renderError(shell, error.name === "AbortError" ? "Stopped." : `Connection failed: ${error.message}`);
  } finally {
    stopStage(shell);
    state.controller = null;
    setBusy(false);
  }
}

function setBusy(busy) {
  $("ask-button").disabled = busy;
  $("stop-button").hidden = !busy;
  $("question").readOnly = busy;
}

// Conversations --------------------------------------------------------------------------------------------

async function refreshConversations() {
  const response = await api("/v1/conversations");
  if (!response.ok) return;
  const conversations = await response.json();
  const list = $("conversations");
  list.replaceChildren();
  if (!conversations.length) list.append(el("li", "muted", "No conversations yet."));
  for (const c of conversations) {
    const item = el("li", c.id === state.conversationId ? "active" : "");
    const open = el("button", "conversation-open", c.title);
    open.type = "button";
    open.title = `${c.turn_count} question(s), last ${new Date(c.updated_at).toLocaleString()}`;
    open.addEventListener("click", () => loadConversation(c.id));
    const remove = el("button", "icon-button delete", "×");
    remove.type = "button";
    remove.setAttribute("aria-label", `Delete conversation: ${c.title}`);
    remove.addEventListener("click", () => deleteConversation(c.id));
    item.append(open, remove);
    list.append(item);
  }
}

async function loadConversation(id) {
  const response = await api(`/v1/conversations/${encodeURIComponent(id)}`);
  if (!response.ok) return;
  const conversation = await response.json();
  startNew();
  state.conversationId = conversation.id;
  for (const turn of conversation.turns) {
    addQuestion(turn.question);
    const shell = addAnswerShell();
    renderAnswer(shell, turn.answer, false);
  }
  showView("chat");
  closeMenu();
  refreshConversations();
}

async function deleteConversation(id) {
  await api(`/v1/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });
  if (id === state.conversationId) startNew();
  refreshConversations();
}

function startNew() {
  if (state.controller) state.controller.abort();
  state.conversationId = null;
  $("messages").replaceChildren($("empty-hint"));
  $("empty-hint").hidden = false;
  closeSource();
}

// Briefings ------------------------------------------------------------------------------------------------

async function refreshBriefings() {
  const list = $("briefing-list");
  const response = await api("/v1/briefings");
  list.replaceChildren();
  if (!response.ok) {
    $("briefing-status").textContent = await errorText(response);
    return;
  }
  const briefings = await response.json();
  $("briefing-status").textContent = briefings.length ? "" : "No briefings stored yet.";
  for (const b of briefings) {
    const item = el("li");
    const open = el("button", "briefing-open", b.title);
    open.type = "button";
    open.addEventListener("click", () => readBriefing(b));
    const window_ = [b.window_start, b.window_end].filter(Boolean).join(" to ");
    item.append(open, el("span", "source-meta-inline", ` — as of ${b.as_of}${window_ ? `, covering ${window_}` : ""}`));
    list.append(item);
  }
}

async function readBriefing(briefing) {
  const base = `/v1/briefings/${encodeURIComponent(briefing.id)}`;
  state.objectUrls.splice(0).forEach((url) => URL.revokeObjectURL(url));
  $("briefing-title").textContent = briefing.title;
  $("briefing-md").href = await keyedUrl(`${base}?format=md`);
  $("briefing-html").href = await keyedUrl(`${base}?format=html`);
  $("briefing-frame").src = $("briefing-html").href;
  $("briefing-reader").hidden = false;
}

async function detectBriefingGenerator() {
  try {
    const spec = await (await api("/openapi.json")).json();
    const path = spec.paths && spec.paths["/v1/briefings"];
    $("briefing-form").hidden = !(path && path.post);
  } catch {
    $("briefing-form").hidden = true;
  }
}

async function generateBriefing(event) {
  event.preventDefault();
  const body = {};
  if ($("briefing-topic").value.trim()) body.topic = $("briefing-topic").value.trim();
  if ($("briefing-since").value) body.since = $("briefing-since").value;
  if ($("briefing-until").value) body.until = $("briefing-until").value;
  $("briefing-generate").disabled = true;
  $("briefing-status").textContent = "Generating the briefing (this takes a while with the local model)…";
  try {
    const response = await api("/v1/briefings", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      $("briefing-status").textContent = await errorText(response);
      return;
    }
    const created = await response.json();
    await refreshBriefings();
    if (created && created.id) readBriefing(created);
  } finally {
    $("briefing-generate").disabled = false;
  }
}

// Layout ---------------------------------------------------------------------------------------------------

function showView(name) {
  $("chat-view").hidden = name !== "chat";
  $("briefings-view").hidden = name !== "briefings";
  document.querySelectorAll(".tab").forEach((tab) => tab.classList.toggle("active", tab.dataset.view === name));
  if (name === "briefings") refreshBriefings();
}

function closeMenu() {
  document.body.classList.remove("menu-open");
  $("menu-toggle").setAttribute("aria-expanded", "false");
}

function init() {
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = $("question").value.trim();
    if (!question || state.controller) return;
    $("question").value = "";
    ask(question);
  });
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  $("stop-button").addEventListener("click", () => state.controller && state.controller.abort());
  $("new-chat").addEventListener("click", () => {
    startNew();
    refreshConversations();
    closeMenu();
    showView("chat");
    $("question").focus();
  });
  $("source-close").addEventListener("click", closeSource);
  document.addEventListener("keydown", (event) => event.key === "Escape" && closeSource());
  $("menu-toggle").addEventListener("click", () => {
    const open = document.body.classList.toggle("menu-open");
    $("menu-toggle").setAttribute("aria-expanded", String(open));
  });
  document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => showView(tab.dataset.view)));
  $("briefing-form").addEventListener("submit", generateBriefing);
  $("key-form").addEventListener("submit", useKey);
  refreshConversations();
  detectBriefingGenerator();
}

init();
