// The playground page: polls /api/state, renders a Discord-like view, posts what the member does.
// Plain JS, no build step, nothing fetched from elsewhere. Ids are strings (they exceed 2**53).
"use strict";

const ui = {
  as: null,            // the member acting
  channel: null,       // the channel or thread shown
  logAfter: 0,
  commands: [],
  command: null,       // the command whose options form is open
  modal: null,         // {custom_id} of the open modal
  state: null,
  rendered: "",        // what the messages pane shows (to re-render only on change)
};
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const init = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({error: `HTTP ${response.status}`}));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

function showError(text) {
  const box = $("error");
  box.textContent = text || "";
  box.hidden = !text;
}

// ---------------------------------------------------------------------------------------------- text

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function formatTime(date, style) {
  const pad = (n) => String(n).padStart(2, "0");
  const hm = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
  const day = `${DAYS[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
  if (style === "t") return `${hm} UTC`;
  if (style === "T") return `${hm}:${pad(date.getUTCSeconds())} UTC`;
  if (style === "d" || style === "D") return day;
  if (style === "R") {
    const now = ui.state ? new Date(ui.state.bot.now) : new Date();
    const minutes = Math.round((date - now) / 60000);
    const abs = Math.abs(minutes);
    const amount = abs < 60 ? `${abs} minute${abs === 1 ? "" : "s"}` : abs < 2880 ? `${Math.round(abs / 60)} hours` : `${Math.round(abs / 1440)} days`;
    return minutes === 0 ? "now" : minutes > 0 ? `in ${amount}` : `${amount} ago`;
  }
  return `${day} ${hm} UTC`;
}

// Discord's markdown, the parts the bot uses: mentions, timestamps, bold/italic/underline/strike, code, quotes, links.
function markdown(text) {
  const names = (ui.state && ui.state.names) || {users: {}, channels: {}, roles: {}};
  let html = escapeHtml(text || "");
  const codes = [];
  html = html.replace(/`([^`]+)`/g, (_, code) => { codes.push(code); return `\u0000${codes.length - 1}\u0000`; });
  html = html.replace(/&lt;@!?(\d+)&gt;/g, (_, id) => `<span class="mention">@${escapeHtml(names.users[id] || id)}</span>`);
  html = html.replace(/&lt;#(\d+)&gt;/g, (_, id) => `<span class="mention channel-link" data-id="${id}">#${escapeHtml(names.channels[id] || id)}</span>`);
  html = html.replace(/&lt;@&amp;(\d+)&gt;/g, (_, id) => `<span class="mention">@${escapeHtml(names.roles[id] || id)}</span>`);
  html = html.replace(/&lt;t:(-?\d+)(?::([tTdDfFR]))?&gt;/g, (_, s, style) => `<span class="mention">${formatTime(new Date(Number(s) * 1000), style)}</span>`);
  html = html.replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
  html = html.replace(/__(.+?)__/g, "<u>$1</u>");
  html = html.replace(/~~(.+?)~~/g, "<s>$1</s>");
  html = html.replace(/(^|[^*\w])\*([^*\n]+)\*/g, "$1<em>$2</em>");
  html = html.replace(/(^|[^_\w])_([^_\n]+)_/g, "$1<em>$2</em>");
  html = html.replace(/\[([^\]]+)\]\((https?:[^)\s]+)\)/g, '<a href="$2" target="_blank" rel="noreferrer">$1</a>');
  html = html.replace(/^(?:&gt;|>) (.*)$/gm, "<blockquote>$1</blockquote>");
  html = html.replace(/^-# (.*)$/gm, '<small class="time">$1</small>');
  html = html.replace(/^#{1,3} (.*)$/gm, "<strong>$1</strong>");
  return html.replace(/\u0000(\d+)\u0000/g, (_, i) => `<code>${codes[Number(i)]}</code>`);
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "html") node.innerHTML = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

// ---------------------------------------------------------------------------------------------- rendering

function renderSidebar(state) {
  const key = JSON.stringify([ui.channel, state.guild, state.channels, state.members]);
  if (key === ui.sidebar) return;  // unchanged: keep the nodes (hover, clicks in flight)
  ui.sidebar = key;
  $("guild-name").textContent = state.guild.name;
  const box = $("channels");
  box.textContent = "";
  const text = state.channels.filter((c) => c.type !== 2 && c.type !== 4);
  const voice = state.channels.filter((c) => c.type === 2);
  box.append(el("div", {class: "category", text: "Text channels"}));
  for (const channel of text) {
    box.append(el("div", {class: `channel${channel.id === ui.channel ? " selected" : ""}`, "data-id": channel.id, text: `# ${channel.name}`, onclick: () => select(channel.id)}));
    for (const thread of channel.threads) {
      const cls = `thread${thread.id === ui.channel ? " selected" : ""}${thread.archived ? " archived" : ""}`;
      box.append(el("div", {class: cls, "data-id": thread.id, title: thread.archived ? "archived" : "", text: `↳ ${thread.name}`, onclick: () => select(thread.id)}));
    }
  }
  box.append(el("div", {class: "category", text: "Voice channels"}));
  for (const channel of voice) {
    box.append(el("div", {class: "channel voice", "data-id": channel.id, text: `${channel.name}${channel.afk && !/afk/i.test(channel.name) ? " (AFK)" : ""}`}));
    for (const member of state.members.filter((m) => m.voice && m.voice.channel_id === channel.id)) {
      box.append(el("div", {class: "voice-member", text: `${member.name}${member.voice.self_deaf ? " (deafened)" : ""}`}));
    }
  }
}

function renderPanel(state) {
  const select = $("member-select");
  const options = state.members.map((m) => `${m.id}:${m.name}:${m.host}`).join("|");
  if (select.dataset.options !== options) {
    select.dataset.options = options;
    select.textContent = "";
    for (const member of state.members) select.append(el("option", {value: member.id, text: member.host ? `${member.name} (host, server owner)` : member.name}));
  }
  if (!ui.as) ui.as = (state.members.find((m) => m.host) || state.members[0]).id;
  select.value = ui.as;

  const voiceSelect = $("voice-channel");
  const voiceChannels = state.channels.filter((c) => c.type === 2 && !c.afk);
  if (voiceSelect.options.length !== voiceChannels.length) {
    voiceSelect.textContent = "";
    for (const channel of voiceChannels) voiceSelect.append(el("option", {value: channel.id, text: channel.name}));
  }
  const me = state.members.find((m) => m.id === ui.as);
  const where = me && me.voice ? state.channels.find((c) => c.id === me.voice.channel_id) : null;
  $("voice-state").textContent = where ? `in ${where.name}${me.voice.self_deaf ? ", deafened" : ""}` : "not in voice";
  $("voice-leave").disabled = !where;
  $("voice-deafen").disabled = !where;
  $("voice-deafen").textContent = me && me.voice && me.voice.self_deaf ? "Undeafen" : "Deafen";
  $("voice-afk").disabled = !where || where.afk;

  const status = $("bot-status");
  status.textContent = state.bot.status === "stopped" ? `bot stopped (exit ${state.bot.exit_code})` : `bot ${state.bot.status}`;
  status.className = `status ${state.bot.status}`;
  $("bot-now").textContent = formatTime(new Date(state.bot.now), "F");
  const wakeups = $("wakeups");
  wakeups.textContent = "";
  for (const wake of state.bot.wakeups) wakeups.append(el("li", {text: `${formatTime(new Date(wake.at), "F")} · ${wake.id}`}));
  if (!state.bot.wakeups.length) wakeups.append(el("li", {text: "nothing scheduled"}));
}

function renderLog(lines) {
  if (!lines.length) return;
  const log = $("log");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 30;
  for (const line of lines) {
    const level = / (ERROR|CRITICAL) |Traceback/.test(line.text) ? " err" : / WARNING /.test(line.text) || line.source === "emulator" ? " warn" : "";
    log.append(el("div", {class: `${line.source}${level}`, text: `[${line.source}] ${line.text}`}));
    ui.logAfter = Math.max(ui.logAfter, line.seq);
  }
  while (log.childNodes.length > 1500) log.removeChild(log.firstChild);
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function authorName(message) {
  const author = message.author || {};
  return author.global_name || author.username || "unknown";
}

// attachment://name in an embed is that attachment of the message, shown inside the embed (as Discord does).
function embedded(message) {
  const names = new Set();
  for (const embed of message.embeds || []) {
    for (const url of [embed.image && embed.image.url, embed.thumbnail && embed.thumbnail.url]) {
      if (url && url.startsWith("attachment://")) names.add(url.slice("attachment://".length));
    }
  }
  return names;
}

function resolveImage(message, url) {
  if (url && url.startsWith("attachment://")) {
    const found = (message.attachments || []).find((a) => a.filename === url.slice("attachment://".length));
    return found ? attachmentUrl(found.url) : null;
  }
  return attachmentUrl(url);
}

function renderEmbed(message, embed) {
  const box = el("div", {class: "embed"});
  if (embed.color) box.style.borderLeftColor = `#${Number(embed.color).toString(16).padStart(6, "0")}`;
  if (embed.author && embed.author.name) box.append(el("div", {class: "embed-author", text: embed.author.name}));
  if (embed.title) box.append(el("div", {class: "embed-title", html: markdown(embed.title)}));
  if (embed.description) box.append(el("div", {class: "content", html: markdown(embed.description)}));
  if (embed.fields && embed.fields.length) {
    const fields = el("div", {class: "embed-fields"});
    for (const field of embed.fields) {
      fields.append(el("div", {class: `embed-field${field.inline ? "" : " wide"}`},
        el("div", {class: "embed-field-name", html: markdown(field.name)}),
        el("div", {class: "content", html: markdown(field.value)})));
    }
    box.append(fields);
  }
  const image = resolveImage(message, embed.image && embed.image.url);
  if (image) box.append(el("img", {src: image, alt: "embed image"}));
  const footer = [embed.footer && embed.footer.text, embed.timestamp && formatTime(new Date(embed.timestamp), "F")].filter(Boolean).join(" • ");
  if (footer) box.append(el("div", {class: "embed-footer", text: footer}));
  return box;
}

// The emulator serves attachments on its own port; the page proxies them (same origin, works offline).
function attachmentUrl(url) {
  const match = /\/attachments\/\d+\/(\d+)\/([^?]+)/.exec(url || "");
  return match ? `/attachments/${match[1]}/${match[2]}` : url;
}

const BUTTON_STYLES = {1: "", 2: "secondary", 3: "success", 4: "danger", 5: "secondary"};

function renderComponents(message, components) {
  const box = el("div", {class: "components"});
  for (const component of components || []) {
    const node = renderComponent(message, component);
    if (node) box.append(node);
  }
  return box;
}

function renderComponent(message, c) {
  switch (c.type) {
    case 1: { // action row
      const row = el("div", {class: "row"});
      for (const child of c.components || []) { const node = renderComponent(message, child); if (node) row.append(node); }
      return row;
    }
    case 2: { // button
      if (c.style === 5) return el("a", {href: c.url, target: "_blank", rel: "noreferrer", text: c.label || c.url});
      const label = `${c.emoji && c.emoji.name ? c.emoji.name + " " : ""}${c.label || ""}`;
      return el("button", {type: "button", class: BUTTON_STYLES[c.style] || "", disabled: !!c.disabled, "data-custom-id": c.custom_id, "data-message": message.id, text: label,
        onclick: () => act("/api/click", {message: message.id, custom_id: c.custom_id})});
    }
    case 3: case 5: case 6: case 7: case 8: { // selects
      const select = el("select", {"data-custom-id": c.custom_id, multiple: (c.max_values || 1) > 1, disabled: !!c.disabled});
      const options = c.type === 3 ? c.options : c.type === 5 ? ui.state.members.map((m) => ({value: m.id, label: m.name}))
        : ui.state.channels.map((ch) => ({value: ch.id, label: ch.name}));
      for (const option of options || []) select.append(el("option", {value: option.value, text: option.label, selected: !!option.default}));
      const go = el("button", {type: "button", class: "secondary", text: c.placeholder || "Choose", disabled: !!c.disabled,
        onclick: () => act("/api/click", {message: message.id, custom_id: c.custom_id, values: [...select.selectedOptions].map((o) => o.value)})});
      return el("div", {class: "row"}, select, go);
    }
    case 9: { // section: text beside an accessory (a button or thumbnail)
      const box = el("div", {class: "row"});
      for (const child of c.components || []) box.append(renderComponent(message, child));
      if (c.accessory) { const node = renderComponent(message, c.accessory); if (node) box.append(node); }
      return box;
    }
    case 10: return el("div", {class: "content", html: markdown(c.content)});
    case 11: return el("img", {src: attachmentUrl(c.media && c.media.url), alt: c.description || "thumbnail", style: "max-width:80px"});
    case 12: { const box = el("div", {}); for (const item of c.items || []) box.append(el("img", {src: attachmentUrl(item.media && item.media.url), alt: item.description || "image"})); return box; }
    case 14: return el("div", {class: "separator"});
    case 17: {
      const box = el("div", {class: "container"});
      if (c.accent_color) box.style.borderLeft = `4px solid #${Number(c.accent_color).toString(16).padStart(6, "0")}`;
      for (const child of c.components || []) { const node = renderComponent(message, child); if (node) box.append(node); }
      return box;
    }
    default: return null;
  }
}

function renderMessages(messages) {
  const key = JSON.stringify([ui.channel, ui.as, messages, ui.state && ui.state.names]);
  if (key === ui.rendered) return;
  ui.rendered = key;
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.textContent = "";
  for (const message of messages) {
    const isBot = message.author && message.author.bot;
    const node = el("div", {class: `message${message.ephemeral ? " ephemeral" : ""}`, "data-id": message.id},
      el("div", {class: "meta"},
        el("span", {class: "author", text: authorName(message)}),
        isBot ? el("span", {class: "bot-tag", text: "APP"}) : null,
        el("span", {class: "time", text: formatTime(new Date(message.shown_at || message.timestamp), "F")}),
        message.edited_timestamp ? el("span", {class: "time", text: "(edited)"}) : null));
    if (message.content) node.append(el("div", {class: "content", html: markdown(message.content)}));
    if ((message.flags & 128) && !message.content) node.append(el("div", {class: "content time", text: `${authorName(message)} is thinking…`}));
    for (const embed of message.embeds || []) node.append(renderEmbed(message, embed));
    const inEmbeds = embedded(message);
    for (const attachment of message.attachments || []) {
      if (inEmbeds.has(attachment.filename)) continue;
      const url = attachmentUrl(attachment.url);
      const isImage = /\.(png|jpe?g|gif|webp)$/i.test(attachment.filename || "");
      node.append(el("div", {class: "attachment"}, isImage ? el("img", {src: url, alt: attachment.filename}) : el("a", {href: url, text: attachment.filename})));
    }
    if (message.components && message.components.length) node.append(renderComponents(message, message.components));
    if (message.ephemeral) node.append(el("div", {class: "only-you", text: "Only you can see this"}));
    box.append(node);
  }
  if (!messages.length) box.append(el("p", {class: "hint", style: "padding: 0 16px", text: "No messages here yet."}));
  for (const link of box.querySelectorAll(".channel-link")) link.addEventListener("click", () => select(link.dataset.id));
  if (atBottom || ui.scrollToEnd) { box.scrollTop = box.scrollHeight; ui.scrollToEnd = false; }
}

function renderTitle(state) {
  let title = "#";
  for (const channel of state.channels) {
    if (channel.id === ui.channel) title = `# ${channel.name}`;
    for (const thread of channel.threads) if (thread.id === ui.channel) title = `# ${channel.name} › ${thread.name}${thread.archived ? " (archived)" : ""}`;
  }
  $("channel-title").textContent = title;
}

// ---------------------------------------------------------------------------------------------- polling

async function poll() {
  try {
    const query = new URLSearchParams({as: ui.as || "0", channel: ui.channel || "", log_after: String(ui.logAfter)});
    if (!ui.as) query.delete("channel");
    const state = await api(`/api/state?${query}`);
    ui.state = state;
    if (!ui.as) { renderPanel(state); }
    if (!ui.channel) {
      const home = state.channels.find((c) => c.name === "circle-home") || state.channels.find((c) => c.type === 0);
      ui.channel = home && home.id;
    }
    renderSidebar(state);
    renderPanel(state);
    renderTitle(state);
    renderMessages(state.messages);
    renderLog(state.log);
    if (state.bot.status === "ready" && !ui.commands.length) await loadCommands();
  } catch (error) {
    $("bot-status").textContent = `page: ${error.message}`;
  } finally {
    setTimeout(poll, 500);
  }
}

async function refresh() {
  // After an action: poll sooner than the timer would (the bot's answer usually lands within a few ms).
  for (const delay of [60, 250, 800]) setTimeout(() => pollOnce(), delay);
}

async function pollOnce() {
  try {
    const query = new URLSearchParams({as: ui.as, channel: ui.channel, log_after: String(ui.logAfter)});
    const state = await api(`/api/state?${query}`);
    ui.state = state;
    renderSidebar(state); renderPanel(state); renderTitle(state); renderMessages(state.messages); renderLog(state.log);
  } catch (error) { /* the regular poll reports it */ }
}

async function loadCommands() {
  const data = await api("/api/commands");
  ui.commands = data.commands;
}

function select(channelId) {
  ui.channel = channelId;
  ui.scrollToEnd = true;
  ui.rendered = "";
  pollOnce();
}

// ---------------------------------------------------------------------------------------------- acting

async function act(path, body) {
  showError("");
  try {
    const result = await api(path, {as: ui.as, ...body});
    if (result.modal) openModal(result.modal);
    refresh();
    return result;
  } catch (error) {
    showError(error.message);
    refresh();
    return null;
  }
}

// The composer: "/" lists the commands; picking one opens its options as a form; plain text is a message.
function onComposerInput() {
  const text = $("composer-input").value;
  const box = $("suggestions");
  box.textContent = "";
  if (!text.startsWith("/") || ui.command) { box.hidden = true; return; }
  const typed = text.slice(1).toLowerCase();
  const matches = ui.commands.filter((c) => c.name.startsWith(typed) || c.name.replace(/ /g, "").startsWith(typed.replace(/ /g, "")));
  for (const command of matches.slice(0, 40)) {
    box.append(el("div", {class: "suggestion", "data-name": command.name, onclick: () => pickCommand(command)},
      document.createTextNode(`/${command.name}`), el("small", {text: command.description})));
  }
  if (!ui.commands.length) box.append(el("div", {class: "suggestion", text: "the bot has not synced its commands yet"}));
  box.hidden = false;
}

const CHANNEL_TYPES_TEXT = [0, 5, 10, 11, 12];

function optionInput(command, option) {
  const id = `opt-${option.name}`;
  let input;
  if (option.choices && option.choices.length) {
    input = el("select", {id, name: option.name}, el("option", {value: "", text: option.required ? "choose…" : "(none)"}));
    for (const choice of option.choices) input.append(el("option", {value: String(choice.value), text: choice.name}));
  } else if (option.type === 5) {
    input = el("select", {id, name: option.name}, el("option", {value: "", text: "(none)"}), el("option", {value: "true", text: "True"}), el("option", {value: "false", text: "False"}));
  } else if (option.type === 6 || option.type === 9) {
    input = el("select", {id, name: option.name}, el("option", {value: "", text: "(none)"}));
    for (const member of ui.state.members) input.append(el("option", {value: member.id, text: member.name}));
  } else if (option.type === 7) {
    input = el("select", {id, name: option.name}, el("option", {value: "", text: "(none)"}));
    const allowed = option.channel_types || null;
    for (const channel of ui.state.channels) {
      if (!allowed || allowed.includes(channel.type)) input.append(el("option", {value: channel.id, text: `#${channel.name}`}));
      for (const thread of channel.threads) if (allowed && allowed.some((t) => CHANNEL_TYPES_TEXT.slice(2).includes(t))) input.append(el("option", {value: thread.id, text: `↳ ${thread.name}`}));
    }
  } else if (option.type === 8) {
    input = el("select", {id, name: option.name}, el("option", {value: "", text: "(none)"}));
    for (const [roleId, name] of Object.entries(ui.state.names.roles)) input.append(el("option", {value: roleId, text: name}));
  } else {
    input = el("input", {id, name: option.name, type: option.type === 4 || option.type === 10 ? "number" : "text", autocomplete: "off",
      min: option.min_value, max: option.max_value, maxlength: option.max_length, step: option.type === 10 ? "any" : undefined,
      placeholder: option.description});
    if (option.autocomplete) {
      const list = el("datalist", {id: `${id}-choices`});
      input.setAttribute("list", list.id);
      input.addEventListener("input", debounce(() => autocomplete(command, option, list), 150));
      input.addEventListener("focus", () => autocomplete(command, option, list));
      return el("div", {}, el("label", {for: id, class: option.required ? "required" : "", text: option.name}), input, list);
    }
  }
  return el("div", {}, el("label", {for: id, class: option.required ? "required" : "", text: option.name, title: option.description}), input);
}

function pickCommand(command) {
  ui.command = command;
  $("suggestions").hidden = true;
  $("composer-input").value = `/${command.name}`;
  const form = $("options-form");
  form.textContent = "";
  form.append(el("div", {class: "command-title", text: `/${command.name} — ${command.description}`}));
  for (const option of command.options) form.append(optionInput(command, option));
  form.hidden = false;
  const first = form.querySelector("input, select");
  if (first) first.focus();
}

function formOptions() {
  const options = {};
  for (const input of $("options-form").querySelectorAll("[name]")) if (input.value !== "") options[input.name] = input.value;
  return options;
}

async function autocomplete(command, option, list) {
  const input = $(`opt-${option.name}`);
  if (!input || ui.command !== command) return;  // the form was sent or closed meanwhile
  const options = formOptions();
  options[option.name] = input.value;
  try {
    const data = await api("/api/autocomplete", {as: ui.as, channel: ui.channel, command: command.name, options, focused: option.name});
    list.textContent = "";
    for (const choice of data.choices) list.append(el("option", {value: String(choice.value), label: choice.name}));
  } catch (error) { /* half-typed options: no choices */ }
}

function closeCommand() {
  ui.command = null;
  $("options-form").hidden = true;
  $("options-form").textContent = "";
  $("composer-input").value = "";
}

async function onSend(event) {
  event.preventDefault();
  const text = $("composer-input").value;
  if (ui.command) {
    const result = await act("/api/command", {channel: ui.channel, command: ui.command.name, options: formOptions()});
    if (result) closeCommand();
    return;
  }
  if (text.startsWith("/")) {
    const exact = ui.commands.find((c) => `/${c.name}` === text.trim());
    if (exact) { pickCommand(exact); return; }
    showError("pick a command from the list");
    return;
  }
  if (!text.trim()) return;
  const sent = await act("/api/say", {channel: ui.channel, content: text});
  if (sent) $("composer-input").value = "";
}

// Modals: text inputs (in action rows or labels) and selects in labels, as a form.
function openModal(modal) {
  ui.modal = modal;
  $("modal-title").textContent = modal.title;
  const fields = $("modal-fields");
  fields.textContent = "";
  for (const row of modal.components || []) {
    const label = row.type === 18 ? row.label : null;
    for (const c of row.type === 18 ? [row.component] : row.components || []) {
      const id = `modal-${c.custom_id}`;
      let input;
      if (c.type === 4) {
        input = el(c.style === 2 ? "textarea" : "input", {id, name: c.custom_id, required: c.required !== false, maxlength: c.max_length, minlength: c.min_length, placeholder: c.placeholder});
        input.value = c.value || "";
      } else if (c.type === 3) {
        input = el("select", {id, name: c.custom_id, multiple: (c.max_values || 1) > 1});
        for (const option of c.options || []) input.append(el("option", {value: option.value, text: option.label, selected: !!option.default}));
      } else continue;
      fields.append(el("label", {for: id, text: label || c.label || c.custom_id}), input);
    }
  }
  $("modal").showModal();
}

async function onModalSubmit(event) {
  event.preventDefault();
  const values = {};
  for (const input of $("modal-fields").querySelectorAll("[name]")) {
    values[input.name] = input.tagName === "SELECT" ? [...input.selectedOptions].map((o) => o.value) : input.value;
  }
  const modal = ui.modal;
  $("modal").close();
  ui.modal = null;
  await act("/api/modal", {custom_id: modal.custom_id, values});
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function wire() {
  $("composer").addEventListener("submit", onSend);
  $("options-form").addEventListener("submit", onSend);  // Enter in an option field sends the command
  $("composer-input").addEventListener("input", () => { if (ui.command && !$("composer-input").value.startsWith(`/${ui.command.name}`)) closeCommand(); onComposerInput(); });
  $("composer-input").addEventListener("keydown", (event) => { if (event.key === "Escape") { closeCommand(); $("suggestions").hidden = true; } });
  $("member-select").addEventListener("change", (event) => { ui.as = event.target.value; ui.rendered = ""; pollOnce(); });
  $("voice-join").addEventListener("click", () => act("/api/voice", {action: "join", channel: $("voice-channel").value}));
  $("voice-leave").addEventListener("click", () => act("/api/voice", {action: "leave"}));
  $("voice-deafen").addEventListener("click", () => act("/api/voice", {action: "deafen"}));
  $("voice-afk").addEventListener("click", () => act("/api/voice", {action: "afk"}));
  for (const id of ["jump-600", "jump-3600"]) $(id).addEventListener("click", () => act("/api/time", {seconds: Number($(id).dataset.seconds)}));
  $("jump-next").addEventListener("click", () => act("/api/time", {to: "next"}));
  $("modal-form").addEventListener("submit", onModalSubmit);
  $("modal-cancel").addEventListener("click", () => { $("modal").close(); ui.modal = null; });
}

wire();
poll();
