"""The page's CSS and the few lines of JavaScript Gradio cannot express: citation links that open
the source panel, the documents list's buttons, taking the question out of the box at once, and
scrolling the chat and the source panel to what just arrived, inside their own boxes (the page
itself moves only to show a citation someone clicked)."""

# Highlight colours, light and dark: text on background contrast 13.3:1 (#1a1a1a on #ffe066)
# and 8.2:1 (#fff4cc on #5c4600); the browser tests compute it (WCAG asks for 4.5:1).
CSS = """
.qa-hl { background: #ffe066; color: #1a1a1a; border-radius: 2px; padding: 1px 0; }
.dark .qa-hl { background: #5c4600; color: #fff4cc; }
.qa-span { font-weight: 700; text-decoration: underline; text-decoration-thickness: 2px; }
.qa-doc { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 60vh; overflow-y: auto; position: relative;
          font-size: 14px; line-height: 1.5; padding: 8px 10px; margin: 6px 0;
          border: 1px solid var(--border-color-primary); border-radius: 6px; }
.qa-src-head { font-size: 15px; }
.qa-src-title { font-weight: 600; }
.qa-src-where, .qa-details, .qa-docmeta, .qa-docsum { color: var(--body-text-color-subdued); }
.qa-details { font-size: 12px; overflow-wrap: anywhere; }
.qa-src-empty { color: var(--body-text-color-subdued); padding: 8px 0; }
#qa-chat .qa-asked, #qa-chat .qa-quote { white-space: pre-wrap; overflow-wrap: anywhere; }
#qa-chat .qa-quote { margin: 0 0 10px; padding: 2px 0 2px 10px; border-left: 3px solid #d4a600; }
#qa-chat .qa-cite { color: var(--link-text-color); font-weight: 600; text-decoration: none; white-space: nowrap; }
#qa-chat .qa-cite:hover { text-decoration: underline; }
#qa-chat .qa-sources { font-size: 13px; }
#qa-chat .qa-sources ul { list-style: none; margin: 2px 0 0; padding: 0; }
#qa-chat .qa-sources li { margin: 0; overflow-wrap: anywhere; }
#qa-chat .qa-sources .qa-cite { white-space: normal; font-weight: 400; }
#qa-chat .qa-notfound, #qa-chat .qa-error { margin: 0 0 6px; }
#qa-chat .qa-written, #qa-chat .qa-notice { margin: 0 0 8px; }
#qa-chat .qa-unsupported { font-style: italic; color: var(--body-text-color-subdued); }
#qa-chat .qa-closest { margin: 0 0 4px; font-style: italic; }
#qa-chat .qa-searching { margin: 0; color: var(--body-text-color-subdued); }
#qa-chat .qa-searching::after { content: ""; display: inline-block; width: 1.2em; text-align: left;
                                animation: qa-dots 1.2s steps(4, end) infinite; }
@keyframes qa-dots { 0% { content: ""; } 25% { content: "."; } 50% { content: ".."; } 75% { content: "..."; } }
#qa-hint { color: var(--body-text-color-subdued); min-height: 0; }
.qa-doclist { list-style: none; margin: 4px 0; padding: 0; }
.qa-docrow { display: flex; align-items: flex-start; gap: 8px; padding: 6px 0;
             border-bottom: 1px solid var(--border-color-primary); }
.qa-docmain { flex: 1; min-width: 0; }
.qa-docopen { font-weight: 600; overflow-wrap: anywhere; }
.qa-docmeta { font-size: 12px; overflow-wrap: anywhere; }
.qa-docdel { flex: none; border: 1px solid var(--border-color-primary); border-radius: 4px; padding: 0 8px;
             background: none; color: var(--body-text-color); cursor: pointer; }
.qa-docdel:hover { border-color: #c0392b; color: #c0392b; }
.qa-stale { font-weight: 600; }
.qa-skipped { font-size: 13px; }
/* Gradio scopes rules inside @media to its content, so the page margin (32 px) shrinks here instead. */
.main.app { padding-left: clamp(8px, 2.4vw, 32px) !important; padding-right: clamp(8px, 2.4vw, 32px) !important; }
@media (max-width: 720px) {
  #qa-chat { height: 62vh !important; }
  .qa-doc { max-height: 55vh; }
}
"""

# js_on_load of the source panel. Citation links live in chat messages (links to "#qa-cite-T-N",
# which Gradio's sanitizer keeps); one listener on the page sends them to this panel's click event.
VIEWER_JS = """
window.qaOpenCitation = (id) => { window.qaReveal = true; trigger('click', {cite: id}); };
if (!window.qaCitationListener) {
  window.qaCitationListener = true;
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[href^="#qa-cite-"]');
    if (!a) return;
    e.preventDefault();
    window.qaOpenCitation(a.getAttribute('href').slice('#qa-cite-'.length));
  }, true);
}
const show = () => {
  const doc = element.querySelector('.qa-doc'), m = element.querySelector('#qa-hl');
  if (!doc) return;
  doc.scrollTop = m ? Math.max(0, m.offsetTop - Math.max(8, (doc.clientHeight - m.offsetHeight) / 2)) : 0;
  // A citation that was clicked (not a new answer) also brings the quote into the window: on a
  // phone the panel sits below the chat.
  if (m && window.qaReveal) {
    const r = m.getBoundingClientRect();
    if (r.top < 0 || r.top + 40 > window.innerHeight) m.scrollIntoView({block: 'center'});
  }
  window.qaReveal = false;
};
watch('value', show);
show();
"""

# js_on_load of the documents list: its Open and Delete buttons.
DOCS_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('[data-act]');
  if (!b) return;
  e.preventDefault();
  trigger('click', {act: b.dataset.act, src: b.dataset.src});
  const v = document.getElementById('qa-viewer');
  if (b.dataset.act === 'open' && v && v.getBoundingClientRect().top < 0) v.scrollIntoView({block: 'start'});
});
"""

# js_on_load of the hint line under the question box. Enter takes the question out of the box at
# once, before Gradio's own handler runs: text typed right after is the next question, never
# appended to this one. ASK_JS then sends the questions in the order they were taken.
QUESTION_JS = """
window.qaAsked = [];
if (!window.qaEnterListener) {
  window.qaEnterListener = true;
  document.addEventListener('keydown', (e) => {
    const box = e.target;
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || !box.matches || !box.matches('#qa-q textarea')) return;
    if (!/[\\p{L}\\p{N}]/u.test(box.value)) return;  // left in the box; the server answers with a hint
    window.qaAsked.push(box.value);
    box.value = '';
    box.dispatchEvent(new Event('input', {bubbles: true}));
  }, true);
}
"""
# Runs in the browser before a question goes to the server: the question taken at Enter, or the
# box's text (the Ask button), which then leaves the box.
ASK_JS = """
(q, ...rest) => {
  if (window.qaAsked && window.qaAsked.length) return [window.qaAsked.shift(), ...rest];
  if (/[\\p{L}\\p{N}]/u.test(q || '')) {
    const box = document.querySelector('#qa-q textarea');
    if (box) { box.value = ''; box.dispatchEvent(new Event('input', {bubbles: true})); }
  }
  return [q, ...rest];
}
"""

# After every change of the chat: the last question moves to the top of the chat box (as far as
# the box can scroll), so its answer reads from the start even when it is longer than the box.
SCROLL_JS = """
() => {
  const c = document.querySelector('#qa-chat .bubble-wrap');
  const asked = document.querySelectorAll('#qa-chat .qa-asked');
  if (!c || !asked.length) return;
  const last = asked[asked.length - 1].closest('.message-row') || asked[asked.length - 1];
  c.scrollTop += last.getBoundingClientRect().top - c.getBoundingClientRect().top - 8;
}
"""
